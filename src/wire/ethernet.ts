// Ethernet II: 6-byte destination, 6-byte source, 2-byte EtherType, payload. No FCS (Linux never
// shows it to taps or pcap either).
import { readU16, writeU16 } from './byte-order.js';
import { allocFrame } from './frame-alloc.js';
import { type MacInput, macToString, writeMac } from './mac.js';
import { fail, ok, type ParseResult } from './result.js';

export const ETH_HEADER_LEN = 14;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV6 = 0x86dd;

// Zero-copy field access on a frame starting at `off`.
export const ethDstOffset = (off = 0): number => off;
export const ethSrcOffset = (off = 0): number => off + 6;
export function ethType(frame: Uint8Array, off = 0): number {
  return readU16(frame, off + 12);
}
export function setEthType(frame: Uint8Array, off: number, ethertype: number): void {
  writeU16(frame, off + 12, ethertype);
}

export interface EthernetRepr {
  dst: string;
  src: string;
  ethertype: number;
}

/** What emit accepts: MACs as text or bytes (bytes avoid parsing on hot paths). */
export interface EthernetFields {
  dst: MacInput;
  src: MacInput;
  ethertype: number;
}

export function parseEthernet(frame: Uint8Array, off = 0): ParseResult<EthernetRepr> {
  if (frame.length - off < ETH_HEADER_LEN) return fail('truncated');
  return ok({
    dst: macToString(frame, off),
    src: macToString(frame, off + 6),
    ethertype: ethType(frame, off),
  });
}

/** Writes the 14-byte header; the payload follows at off + 14. */
export function emitEthernet(repr: EthernetFields, frame: Uint8Array, off = 0): void {
  writeMac(frame, off, repr.dst);
  writeMac(frame, off + 6, repr.src);
  writeU16(frame, off + 12, repr.ethertype);
}

/** A new frame: header from `repr` followed by a copy of `payload`. */
export function buildEthernetFrame(repr: EthernetFields, payload: Uint8Array): Uint8Array {
  const frame = allocFrame(ETH_HEADER_LEN + payload.length);
  emitEthernet(repr, frame, 0);
  frame.set(payload, ETH_HEADER_LEN);
  return frame;
}
