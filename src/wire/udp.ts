// UDP (RFC 768): checksum over the IPv4 pseudo-header; 0 on the wire means "no checksum"
// (VXLAN senders use it), a computed 0 is sent as 0xffff.
import { readU16, writeU16 } from './byte-order.js';
import { foldChecksum, pseudoHeaderSum, sumBytes } from './checksum.js';
import { IP_PROTO_UDP } from './ipv4.js';
import { fail, ok, type ParseResult, type WireError } from './result.js';

export const UDP_HEADER_LEN = 8;

export const udpSrcPort = (b: Uint8Array, off: number): number => readU16(b, off);
export const udpDstPort = (b: Uint8Array, off: number): number => readU16(b, off + 2);
export const udpLength = (b: Uint8Array, off: number): number => readU16(b, off + 4);
export const udpChecksumField = (b: Uint8Array, off: number): number => readU16(b, off + 6);

/** The checksum a datagram of `len` bytes at `off` should carry (with its checksum field taken as 0). */
export function udpChecksum(b: Uint8Array, off: number, len: number, srcIp: number, dstIp: number): number {
  const stored = readU16(b, off + 6);
  // Sum with the field as is, then remove it: avoids writing into a buffer we only read.
  let sum = sumBytes(b, off, len, pseudoHeaderSum(srcIp, dstIp, IP_PROTO_UDP, len));
  sum += 0xffff - stored; // one's-complement subtraction of the stored field
  const c = foldChecksum(sum);
  return c === 0 ? 0xffff : c;
}

/**
 * Checks a datagram as udp_rcv does: length field within the IP payload, checksum (unless 0)
 * over the pseudo-header. `len` is the IP payload length. null = valid.
 */
export function checkUdp(
  b: Uint8Array,
  off: number,
  len: number,
  srcIp: number,
  dstIp: number,
): WireError | null {
  if (len < UDP_HEADER_LEN || b.length - off < UDP_HEADER_LEN) return 'truncated';
  const ulen = udpLength(b, off);
  if (ulen < UDP_HEADER_LEN) return 'bad-length';
  if (ulen > len || b.length - off < ulen) return 'truncated';
  const stored = readU16(b, off + 6);
  if (stored !== 0 && udpChecksum(b, off, ulen, srcIp, dstIp) !== stored) return 'bad-checksum';
  return null;
}

export interface UdpRepr {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

export function parseUdp(
  b: Uint8Array,
  off: number,
  len: number,
  srcIp: number,
  dstIp: number,
): ParseResult<UdpRepr> {
  const err = checkUdp(b, off, len, srcIp, dstIp);
  if (err) return fail(err);
  return ok({
    srcPort: udpSrcPort(b, off),
    dstPort: udpDstPort(b, off),
    payload: b.subarray(off + UDP_HEADER_LEN, off + udpLength(b, off)),
  });
}

/** Writes header + payload at `off`; `checksum: false` leaves 0 (as the kernel VXLAN sender with csum off). */
export function emitUdp(
  repr: UdpRepr,
  b: Uint8Array,
  off: number,
  srcIp: number,
  dstIp: number,
  checksum = true,
): void {
  const len = UDP_HEADER_LEN + repr.payload.length;
  writeU16(b, off, repr.srcPort);
  writeU16(b, off + 2, repr.dstPort);
  writeU16(b, off + 4, len);
  writeU16(b, off + 6, 0);
  b.set(repr.payload, off + UDP_HEADER_LEN);
  if (checksum) writeU16(b, off + 6, udpChecksum(b, off, len, srcIp, dstIp));
}

export function buildUdp(repr: UdpRepr, srcIp: number, dstIp: number, checksum = true): Uint8Array {
  const b = new Uint8Array(UDP_HEADER_LEN + repr.payload.length);
  emitUdp(repr, b, 0, srcIp, dstIp, checksum);
  return b;
}
