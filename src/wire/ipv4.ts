// IPv4 (RFC 791). Offsets are from the start of the IP header; `len` is the number of bytes the
// caller has from there (the rest of the frame), which may exceed the total length (Ethernet padding).
import { readU16, writeU16 } from './byte-order.js';
import { adjust32, checksumReplace16, internetChecksum, replace16 } from './checksum.js';
import { allocFrame } from './frame-alloc.js';
import { readIp, writeIp } from './ipv4-address.js';
import { fail, ok, type ParseResult, type WireError } from './result.js';

export const IPV4_MIN_HEADER_LEN = 20;
export const IP_PROTO_ICMP = 1;
export const IP_PROTO_TCP = 6;
export const IP_PROTO_UDP = 17;
const NO_OPTIONS = new Uint8Array(0);

/** Linux's default TTL (net.ipv4.ip_default_ttl). */
export const DEFAULT_TTL = 64;

// Zero-copy accessors (header at `off`).
export const ipv4HeaderLen = (b: Uint8Array, off: number): number => (b[off] & 0x0f) << 2;
export const ipv4Tos = (b: Uint8Array, off: number): number => b[off + 1];
export const ipv4TotalLen = (b: Uint8Array, off: number): number => readU16(b, off + 2);
export const ipv4Id = (b: Uint8Array, off: number): number => readU16(b, off + 4);
export const ipv4DontFrag = (b: Uint8Array, off: number): boolean => (b[off + 6] & 0x40) !== 0;
export const ipv4MoreFrags = (b: Uint8Array, off: number): boolean => (b[off + 6] & 0x20) !== 0;
/** Fragment offset in bytes (the field counts 8-byte units). */
export const ipv4FragOffset = (b: Uint8Array, off: number): number => (readU16(b, off + 6) & 0x1fff) << 3;
/** True for any fragment (first with MF, or a later one). */
export const ipv4IsFragment = (b: Uint8Array, off: number): boolean => (readU16(b, off + 6) & 0x3fff) !== 0;
export const ipv4Ttl = (b: Uint8Array, off: number): number => b[off + 8];
export const ipv4Protocol = (b: Uint8Array, off: number): number => b[off + 9];
export const ipv4Checksum = (b: Uint8Array, off: number): number => readU16(b, off + 10);
export const ipv4Src = (b: Uint8Array, off: number): number => readIp(b, off + 12);
export const ipv4Dst = (b: Uint8Array, off: number): number => readIp(b, off + 16);

/**
 * Validates an IPv4 header as `ip_rcv` does (version, IHL >= 5, total length within the bytes,
 * header checksum) without allocating. null = valid.
 */
export function checkIpv4(b: Uint8Array, off: number, len: number, verifyChecksum = true): WireError | null {
  if (len < IPV4_MIN_HEADER_LEN || b.length - off < IPV4_MIN_HEADER_LEN) return 'truncated';
  if (b[off] >>> 4 !== 4) return 'bad-version';
  const hl = ipv4HeaderLen(b, off);
  if (hl < IPV4_MIN_HEADER_LEN) return 'bad-header-length';
  const total = ipv4TotalLen(b, off);
  if (hl > len || total > len || total > b.length - off) return 'truncated';
  if (total < hl) return 'bad-length';
  if (verifyChecksum && internetChecksum(b, off, hl) !== 0) return 'bad-checksum';
  return null;
}

/** Meaning of an IPv4 header. */
export interface Ipv4Repr {
  src: number;
  dst: number;
  protocol: number;
  ttl: number;
  /** Identification field. */
  id: number;
  /** The whole TOS byte (DSCP << 2 | ECN). */
  tos: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** In bytes, a multiple of 8. */
  fragmentOffset: number;
  /** Raw option bytes, a multiple of 4 long (empty for the usual 20-byte header). */
  options: Uint8Array;
  payloadLength: number;
}

export type Ipv4Fields = Omit<
  Ipv4Repr,
  'payloadLength' | 'options' | 'tos' | 'id' | 'moreFragments' | 'fragmentOffset'
> &
  Partial<Pick<Ipv4Repr, 'options' | 'tos' | 'id' | 'moreFragments' | 'fragmentOffset'>>;

export interface ParsedIpv4 {
  repr: Ipv4Repr;
  headerLength: number;
  /** View of the payload (total length minus header), not a copy. */
  payload: Uint8Array;
}

export function parseIpv4(
  b: Uint8Array,
  off: number,
  len = b.length - off,
  verifyChecksum = true,
): ParseResult<ParsedIpv4> {
  const err = checkIpv4(b, off, len, verifyChecksum);
  if (err) return fail(err);
  const hl = ipv4HeaderLen(b, off);
  const total = ipv4TotalLen(b, off);
  return ok({
    repr: {
      src: ipv4Src(b, off),
      dst: ipv4Dst(b, off),
      protocol: ipv4Protocol(b, off),
      ttl: ipv4Ttl(b, off),
      id: ipv4Id(b, off),
      tos: ipv4Tos(b, off),
      dontFragment: ipv4DontFrag(b, off),
      moreFragments: ipv4MoreFrags(b, off),
      fragmentOffset: ipv4FragOffset(b, off),
      options: b.subarray(off + IPV4_MIN_HEADER_LEN, off + hl),
      payloadLength: total - hl,
    },
    headerLength: hl,
    payload: b.subarray(off + hl, off + total),
  });
}

export function ipv4ReprHeaderLen(repr: Pick<Ipv4Repr, 'options'>): number {
  return IPV4_MIN_HEADER_LEN + (repr.options ? (repr.options.length + 3) & ~3 : 0);
}

/** Writes the header (with its checksum) at `off`; the payload goes at off + header length. */
export function emitIpv4(repr: Ipv4Repr, b: Uint8Array, off: number): void {
  const hl = ipv4ReprHeaderLen(repr);
  b[off] = 0x40 | (hl >>> 2);
  b[off + 1] = repr.tos & 0xff;
  writeU16(b, off + 2, hl + repr.payloadLength);
  writeU16(b, off + 4, repr.id & 0xffff);
  writeU16(
    b,
    off + 6,
    (repr.dontFragment ? 0x4000 : 0) |
      (repr.moreFragments ? 0x2000 : 0) |
      ((repr.fragmentOffset >>> 3) & 0x1fff),
  );
  b[off + 8] = repr.ttl & 0xff;
  b[off + 9] = repr.protocol & 0xff;
  writeU16(b, off + 10, 0);
  writeIp(b, off + 12, repr.src);
  writeIp(b, off + 16, repr.dst);
  if (hl > IPV4_MIN_HEADER_LEN) {
    b.fill(0, off + IPV4_MIN_HEADER_LEN, off + hl);
    b.set(repr.options, off + IPV4_MIN_HEADER_LEN);
  }
  writeU16(b, off + 10, internetChecksum(b, off, hl));
}

/** Fills the defaults a Linux sender uses (id 0, TOS 0, no options, not a fragment). */
export function ipv4Repr(fields: Ipv4Fields, payloadLength: number): Ipv4Repr {
  return {
    src: fields.src,
    dst: fields.dst,
    protocol: fields.protocol,
    ttl: fields.ttl,
    id: fields.id ?? 0,
    tos: fields.tos ?? 0,
    dontFragment: fields.dontFragment,
    moreFragments: fields.moreFragments ?? false,
    fragmentOffset: fields.fragmentOffset ?? 0,
    options: fields.options ?? NO_OPTIONS,
    payloadLength,
  };
}

/** Recomputes the header checksum in place (after edits that did not update it incrementally). */
export function fillIpv4Checksum(b: Uint8Array, off: number): void {
  writeU16(b, off + 10, 0);
  writeU16(b, off + 10, internetChecksum(b, off, ipv4HeaderLen(b, off)));
}

/**
 * Decrements the TTL in place with the incremental checksum update of `ip_decrease_ttl`
 * (RFC 1624). Returns the new TTL; the caller sends ICMP time exceeded when the old TTL was <= 1
 * instead of calling this.
 */
export function ipv4DecrementTtl(b: Uint8Array, off: number): number {
  const ttl = b[off + 8];
  const proto = b[off + 9];
  const csum = readU16(b, off + 10);
  b[off + 8] = ttl - 1;
  writeU16(b, off + 10, checksumReplace16(csum, (ttl << 8) | proto, ((ttl - 1) << 8) | proto));
  return ttl - 1;
}

/** Offset of the TCP/UDP checksum field, or -1 when there is none to fix (ICMP, other protocols, non-first fragments). */
function l4ChecksumOffset(b: Uint8Array, off: number): number {
  if ((readU16(b, off + 6) & 0x1fff) !== 0) return -1;
  const l4 = off + ipv4HeaderLen(b, off);
  const proto = b[off + 9];
  if (proto === IP_PROTO_TCP) return l4 + 16 <= b.length - 2 ? l4 + 16 : -1;
  if (proto === IP_PROTO_UDP) return l4 + 6 <= b.length - 2 ? l4 + 6 : -1;
  return -1;
}

function rewriteAddress(b: Uint8Array, off: number, fieldOff: number, addr: number): void {
  const old = readIp(b, fieldOff);
  if (old === addr) return;
  writeIp(b, fieldOff, addr);
  adjust32(b, off + 10, old, addr);
  // TCP and UDP checksums cover the addresses through the pseudo-header (nf_nat_ipv4_manip_pkt +
  // inet_proto_csum_replace4); ICMP's does not.
  const l4c = l4ChecksumOffset(b, off);
  if (l4c >= 0) adjust32(b, l4c, old, addr, b[off + 9] === IP_PROTO_UDP);
}

/** NAT: sets the source address, fixing the IP header checksum and the TCP/UDP checksum. */
export function ipv4SetSrc(b: Uint8Array, off: number, addr: number): void {
  rewriteAddress(b, off, off + 12, addr);
}

/** NAT: sets the destination address, fixing the IP header checksum and the TCP/UDP checksum. */
export function ipv4SetDst(b: Uint8Array, off: number, addr: number): void {
  rewriteAddress(b, off, off + 16, addr);
}

/**
 * NAT: sets the TCP/UDP source (`which` = 0) or destination (1) port with the checksum fixed.
 * For ICMP echo use icmpSetEchoId.
 */
export function ipv4SetL4Port(b: Uint8Array, off: number, which: 0 | 1, port: number): void {
  const l4 = off + ipv4HeaderLen(b, off);
  const proto = b[off + 9];
  const csumOff = l4ChecksumOffset(b, off);
  replace16(b, l4 + which * 2, port, csumOff, proto === IP_PROTO_UDP);
}

/** A new IP packet: header from `fields` (defaults as ipv4Repr) followed by `payload`. */
export function buildIpv4Packet(fields: Ipv4Fields, payload: Uint8Array): Uint8Array {
  const repr = ipv4Repr(fields, payload.length);
  const hl = ipv4ReprHeaderLen(repr);
  const b = allocFrame(hl + payload.length);
  emitIpv4(repr, b, 0);
  b.set(payload, hl);
  return b;
}
