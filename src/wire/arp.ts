// ARP for Ethernet/IPv4 (RFC 826): htype 1, ptype 0x0800, hlen 6, plen 4, 28 bytes.
import { readU16, writeU16 } from './byte-order.js';
import { ETH_HEADER_LEN, ETHERTYPE_ARP, emitEthernet } from './ethernet.js';
import { allocFrame } from './frame-alloc.js';
import { readIp, writeIp } from './ipv4-address.js';
import { macToString, writeMac } from './mac.js';
import { fail, ok, type ParseResult } from './result.js';

export const ARP_LEN = 28;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;

// Zero-copy accessors on the ARP packet at `off` (after the Ethernet header).
export const arpOp = (buf: Uint8Array, off: number): number => readU16(buf, off + 6);
export const arpSenderMacOffset = (off: number): number => off + 8;
export const arpSenderIp = (buf: Uint8Array, off: number): number => readIp(buf, off + 14);
export const arpTargetMacOffset = (off: number): number => off + 18;
export const arpTargetIp = (buf: Uint8Array, off: number): number => readIp(buf, off + 24);

export interface ArpRepr {
  op: number;
  senderMac: string;
  senderIp: number;
  targetMac: string;
  targetIp: number;
}

/** Checks the fixed fields without allocating; null when this is an Ethernet/IPv4 ARP packet. */
export function checkArp(buf: Uint8Array, off: number): 'truncated' | 'unsupported' | null {
  if (buf.length - off < ARP_LEN) return 'truncated';
  if (readU16(buf, off) !== 1 || readU16(buf, off + 2) !== 0x0800 || buf[off + 4] !== 6 || buf[off + 5] !== 4)
    return 'unsupported';
  return null;
}

export function parseArp(buf: Uint8Array, off: number): ParseResult<ArpRepr> {
  const err = checkArp(buf, off);
  if (err) return fail(err);
  return ok({
    op: arpOp(buf, off),
    senderMac: macToString(buf, off + 8),
    senderIp: arpSenderIp(buf, off),
    targetMac: macToString(buf, off + 18),
    targetIp: arpTargetIp(buf, off),
  });
}

export function emitArp(repr: ArpRepr, buf: Uint8Array, off: number): void {
  writeU16(buf, off, 1);
  writeU16(buf, off + 2, 0x0800);
  buf[off + 4] = 6;
  buf[off + 5] = 4;
  writeU16(buf, off + 6, repr.op);
  writeMac(buf, off + 8, repr.senderMac);
  writeIp(buf, off + 14, repr.senderIp);
  writeMac(buf, off + 18, repr.targetMac);
  writeIp(buf, off + 24, repr.targetIp);
}

/**
 * A whole ARP frame. Requests go to ff:ff:ff:ff:ff:ff with target MAC 00:00:00:00:00:00, as Linux
 * sends them; replies go to the requester. Linux pads nothing (42 bytes on a tap/veth; the 60-byte
 * minimum is applied by physical NICs only).
 */
export function buildArpFrame(repr: ArpRepr, ethDst?: string): Uint8Array {
  const frame = allocFrame(ETH_HEADER_LEN + ARP_LEN);
  const dst = ethDst ?? (repr.op === ARP_REQUEST ? 'ff:ff:ff:ff:ff:ff' : repr.targetMac);
  emitEthernet({ dst, src: repr.senderMac, ethertype: ETHERTYPE_ARP }, frame, 0);
  emitArp(repr, frame, ETH_HEADER_LEN);
  return frame;
}
