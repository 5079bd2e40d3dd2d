// ICMPv4 (RFC 792, RFC 1191 for the next-hop MTU). Offsets are from the ICMP header; `len` is
// the ICMP message length (IP total length minus IP header).
import { readU16, writeU16 } from './byte-order.js';
import { internetChecksum, replace16 } from './checksum.js';
import { copyFrame } from './frame-alloc.js';
import { ipv4HeaderLen, ipv4TotalLen } from './ipv4.js';
import { fail, ok, type ParseResult, type WireError } from './result.js';

export const ICMP_HEADER_LEN = 8;
export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACHABLE = 3;
export const ICMP_REDIRECT = 5;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETER_PROBLEM = 12;

// Destination unreachable codes (RFC 792, RFC 1122, RFC 1812).
export const UNREACH_NET = 0;
export const UNREACH_HOST = 1;
export const UNREACH_PROTOCOL = 2;
export const UNREACH_PORT = 3;
export const UNREACH_FRAG_NEEDED = 4;
export const UNREACH_NET_PROHIBITED = 9;
export const UNREACH_HOST_PROHIBITED = 10;
export const UNREACH_ADMIN_PROHIBITED = 13;
// Time exceeded codes.
export const TIME_EXCEEDED_TTL = 0;
export const TIME_EXCEEDED_REASSEMBLY = 1;

// Zero-copy accessors (ICMP header at `off`).
export const icmpType = (b: Uint8Array, off: number): number => b[off];
export const icmpCode = (b: Uint8Array, off: number): number => b[off + 1];
export const icmpEchoId = (b: Uint8Array, off: number): number => readU16(b, off + 4);
export const icmpEchoSeq = (b: Uint8Array, off: number): number => readU16(b, off + 6);
export const icmpNextHopMtu = (b: Uint8Array, off: number): number => readU16(b, off + 6);
/** True for the messages that quote an offending datagram (conntrack treats them as RELATED). */
export const icmpIsError = (type: number): boolean =>
  type === ICMP_DEST_UNREACHABLE ||
  type === ICMP_TIME_EXCEEDED ||
  type === ICMP_PARAMETER_PROBLEM ||
  type === ICMP_REDIRECT ||
  type === 4; /* source quench */

/** NAT of an echo's identifier (conntrack's "port" for ICMP), checksum adjusted. */
export function icmpSetEchoId(b: Uint8Array, off: number, id: number): void {
  replace16(b, off + 4, id, off + 2);
}

/** Checks length and checksum (icmp_rcv verifies it) without allocating; null = valid. */
export function checkIcmp(b: Uint8Array, off: number, len: number, verifyChecksum = true): WireError | null {
  if (len < ICMP_HEADER_LEN || b.length - off < len) return 'truncated';
  if (verifyChecksum && internetChecksum(b, off, len) !== 0) return 'bad-checksum';
  return null;
}

export type IcmpRepr =
  | { kind: 'echo-request' | 'echo-reply'; id: number; seq: number; data: Uint8Array }
  | {
      kind: 'dest-unreachable';
      code: number;
      /** Next-hop MTU for code 4 (fragmentation needed), else 0. */
      nextHopMtu: number;
      /** The quoted datagram: original IP header + leading payload bytes. */
      quoted: Uint8Array;
    }
  | { kind: 'time-exceeded'; code: number; quoted: Uint8Array }
  | {
      kind: 'other';
      type: number;
      code: number /** bytes 4..7 of the header */;
      rest: number;
      data: Uint8Array;
    };

export function parseIcmp(
  b: Uint8Array,
  off: number,
  len: number,
  verifyChecksum = true,
): ParseResult<IcmpRepr> {
  const err = checkIcmp(b, off, len, verifyChecksum);
  if (err) return fail(err);
  const type = b[off];
  const code = b[off + 1];
  const body = b.subarray(off + ICMP_HEADER_LEN, off + len);
  switch (type) {
    case ICMP_ECHO_REQUEST:
    case ICMP_ECHO_REPLY:
      if (code !== 0) break;
      return ok({
        kind: type === ICMP_ECHO_REQUEST ? 'echo-request' : 'echo-reply',
        id: icmpEchoId(b, off),
        seq: icmpEchoSeq(b, off),
        data: body,
      });
    case ICMP_DEST_UNREACHABLE:
      return ok({
        kind: 'dest-unreachable',
        code,
        nextHopMtu: code === UNREACH_FRAG_NEEDED ? icmpNextHopMtu(b, off) : 0,
        quoted: body,
      });
    case ICMP_TIME_EXCEEDED:
      return ok({ kind: 'time-exceeded', code, quoted: body });
  }
  return ok({
    kind: 'other',
    type,
    code,
    rest: ((readU16(b, off + 4) << 16) | readU16(b, off + 6)) >>> 0,
    data: body,
  });
}

export function icmpReprLen(repr: IcmpRepr): number {
  return ICMP_HEADER_LEN + ('data' in repr ? repr.data.length : repr.quoted.length);
}

/** Writes the message with its checksum at `off`. */
export function emitIcmp(repr: IcmpRepr, b: Uint8Array, off: number): void {
  let body: Uint8Array;
  switch (repr.kind) {
    case 'echo-request':
    case 'echo-reply':
      b[off] = repr.kind === 'echo-request' ? ICMP_ECHO_REQUEST : ICMP_ECHO_REPLY;
      b[off + 1] = 0;
      writeU16(b, off + 4, repr.id);
      writeU16(b, off + 6, repr.seq);
      body = repr.data;
      break;
    case 'dest-unreachable':
      b[off] = ICMP_DEST_UNREACHABLE;
      b[off + 1] = repr.code;
      writeU16(b, off + 4, 0);
      writeU16(b, off + 6, repr.code === UNREACH_FRAG_NEEDED ? repr.nextHopMtu : 0);
      body = repr.quoted;
      break;
    case 'time-exceeded':
      b[off] = ICMP_TIME_EXCEEDED;
      b[off + 1] = repr.code;
      writeU16(b, off + 4, 0);
      writeU16(b, off + 6, 0);
      body = repr.quoted;
      break;
    default:
      b[off] = repr.type;
      b[off + 1] = repr.code;
      writeU16(b, off + 4, repr.rest >>> 16);
      writeU16(b, off + 6, repr.rest & 0xffff);
      body = repr.data;
  }
  b.set(body, off + ICMP_HEADER_LEN);
  writeU16(b, off + 2, 0);
  writeU16(b, off + 2, internetChecksum(b, off, ICMP_HEADER_LEN + body.length));
}

export function buildIcmp(repr: IcmpRepr): Uint8Array {
  const b = new Uint8Array(icmpReprLen(repr));
  emitIcmp(repr, b, 0);
  return b;
}

/**
 * The part of an offending datagram an ICMP error quotes. RFC 792 requires the IP header plus
 * the first 8 payload bytes (`'rfc792'`); Linux's icmp_send quotes as much as fits in a 576-byte
 * error (`'linux'`, the default: 576 - 20 - 8 = 548 bytes). Returns a copy.
 */
export function icmpQuote(ipPacket: Uint8Array, off = 0, style: 'linux' | 'rfc792' = 'linux'): Uint8Array {
  const total = Math.min(ipv4TotalLen(ipPacket, off), ipPacket.length - off);
  const max = style === 'rfc792' ? ipv4HeaderLen(ipPacket, off) + 8 : 576 - 20 - ICMP_HEADER_LEN;
  return copyFrame(ipPacket, off, off + Math.min(total, max));
}
