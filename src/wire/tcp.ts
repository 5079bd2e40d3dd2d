// TCP header (RFC 793/9293) — enough for conntrack, NAT and a small HTTP exchange with the
// metadata proxy: ports, sequence/ack numbers, flags, window, checksum over the pseudo-header.
import { readU16, readU32, writeU16, writeU32 } from './byte-order.js';
import { foldChecksum, pseudoHeaderSum, sumBytes } from './checksum.js';
import { IP_PROTO_TCP } from './ipv4.js';
import { fail, ok, type ParseResult, type WireError } from './result.js';

export const TCP_MIN_HEADER_LEN = 20;
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;

export const tcpSrcPort = (b: Uint8Array, off: number): number => readU16(b, off);
export const tcpDstPort = (b: Uint8Array, off: number): number => readU16(b, off + 2);
export const tcpSeq = (b: Uint8Array, off: number): number => readU32(b, off + 4);
export const tcpAck = (b: Uint8Array, off: number): number => readU32(b, off + 8);
export const tcpHeaderLen = (b: Uint8Array, off: number): number => (b[off + 12] >>> 4) << 2;
export const tcpFlags = (b: Uint8Array, off: number): number => b[off + 13] & 0x3f;

export function tcpChecksum(b: Uint8Array, off: number, len: number, srcIp: number, dstIp: number): number {
  let sum = sumBytes(b, off, len, pseudoHeaderSum(srcIp, dstIp, IP_PROTO_TCP, len));
  sum += 0xffff - readU16(b, off + 16); // take the stored checksum out of the sum
  return foldChecksum(sum);
}

/** `len` = TCP segment length (IP payload). null = valid (tcp_v4_rcv checks the checksum). */
export function checkTcp(
  b: Uint8Array,
  off: number,
  len: number,
  srcIp: number,
  dstIp: number,
): WireError | null {
  if (len < TCP_MIN_HEADER_LEN || b.length - off < len) return 'truncated';
  const hl = tcpHeaderLen(b, off);
  if (hl < TCP_MIN_HEADER_LEN) return 'bad-header-length';
  if (hl > len) return 'truncated';
  if (tcpChecksum(b, off, len, srcIp, dstIp) !== readU16(b, off + 16)) return 'bad-checksum';
  return null;
}

export interface TcpRepr {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** TCP_SYN | TCP_ACK ... */
  flags: number;
  window: number;
  urgent?: number;
  /** Raw option bytes (padded to 4 on emit). */
  options?: Uint8Array;
  payload: Uint8Array;
}

export function parseTcp(
  b: Uint8Array,
  off: number,
  len: number,
  srcIp: number,
  dstIp: number,
): ParseResult<TcpRepr> {
  const err = checkTcp(b, off, len, srcIp, dstIp);
  if (err) return fail(err);
  const hl = tcpHeaderLen(b, off);
  return ok({
    srcPort: tcpSrcPort(b, off),
    dstPort: tcpDstPort(b, off),
    seq: tcpSeq(b, off),
    ack: tcpAck(b, off),
    flags: tcpFlags(b, off),
    window: readU16(b, off + 14),
    urgent: readU16(b, off + 18),
    options: b.subarray(off + TCP_MIN_HEADER_LEN, off + hl),
    payload: b.subarray(off + hl, off + len),
  });
}

export function tcpReprLen(repr: TcpRepr): number {
  return TCP_MIN_HEADER_LEN + (((repr.options?.length ?? 0) + 3) & ~3) + repr.payload.length;
}

export function emitTcp(repr: TcpRepr, b: Uint8Array, off: number, srcIp: number, dstIp: number): void {
  const optLen = ((repr.options?.length ?? 0) + 3) & ~3;
  const hl = TCP_MIN_HEADER_LEN + optLen;
  const len = hl + repr.payload.length;
  writeU16(b, off, repr.srcPort);
  writeU16(b, off + 2, repr.dstPort);
  writeU32(b, off + 4, repr.seq >>> 0);
  writeU32(b, off + 8, repr.ack >>> 0);
  b[off + 12] = (hl >>> 2) << 4;
  b[off + 13] = repr.flags & 0x3f;
  writeU16(b, off + 14, repr.window);
  writeU16(b, off + 16, 0);
  writeU16(b, off + 18, repr.urgent ?? 0);
  if (optLen) {
    b.fill(0, off + TCP_MIN_HEADER_LEN, off + hl);
    b.set(repr.options!, off + TCP_MIN_HEADER_LEN);
  }
  b.set(repr.payload, off + hl);
  writeU16(b, off + 16, tcpChecksum(b, off, len, srcIp, dstIp));
}

export function buildTcp(repr: TcpRepr, srcIp: number, dstIp: number): Uint8Array {
  const b = new Uint8Array(tcpReprLen(repr));
  emitTcp(repr, b, 0, srcIp, dstIp);
  return b;
}
