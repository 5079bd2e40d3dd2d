// The Internet checksum (RFC 1071) and its incremental update (RFC 1624), the two ways Linux
// computes it: a full sum when building a packet, `csum_replace4`/`inet_proto_csum_replace4`
// when NAT or TTL decrement changes a few words of a packet in flight.

/** One's-complement sum of `len` bytes from `off`, not folded or inverted (start another sum with it). */
export function sumBytes(buf: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = initial;
  const end = off + len;
  let i = off;
  // 16-bit big-endian words; the sum is kept unfolded in a double (no overflow below 2^53).
  for (; i + 1 < end; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i < end) sum += buf[i] << 8;
  return sum;
}

/** Folds a running sum to 16 bits and complements it: the value written in a checksum field. */
export function foldChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** Checksum of a byte range, ready to write into the header. A range holding its own correct checksum gives 0. */
export function internetChecksum(buf: Uint8Array, off: number, len: number, initial = 0): number {
  return foldChecksum(sumBytes(buf, off, len, initial));
}

/** Sum of the IPv4 pseudo-header that UDP and TCP checksums cover (RFC 768, RFC 793). */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

/**
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for one 16-bit word changing from `oldWord` to `newWord`.
 * Linux's `csum_replace2`; used for TTL decrement and port rewrites.
 */
export function checksumReplace16(checksum: number, oldWord: number, newWord: number): number {
  let sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** As checksumReplace16 for a 32-bit value (an IPv4 address): Linux's `csum_replace4`. */
export function checksumReplace32(checksum: number, oldValue: number, newValue: number): number {
  let sum =
    (~checksum & 0xffff) +
    (~(oldValue >>> 16) & 0xffff) +
    (~oldValue & 0xffff) +
    ((newValue >>> 16) & 0xffff) +
    (newValue & 0xffff);
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * Rewrites the 16-bit field at `fieldOff` to `value` and adjusts the checksum at `csumOff` that
 * covers it (RFC 1624). `udp` keeps a zero checksum zero ("no checksum") and never produces 0
 * (Linux's CSUM_MANGLED_0), as the NAT helpers of the kernel do.
 */
export function replace16(
  buf: Uint8Array,
  fieldOff: number,
  value: number,
  csumOff: number,
  udp = false,
): void {
  const old = (buf[fieldOff] << 8) | buf[fieldOff + 1];
  buf[fieldOff] = (value >>> 8) & 0xff;
  buf[fieldOff + 1] = value & 0xff;
  if (csumOff < 0) return;
  const csum = (buf[csumOff] << 8) | buf[csumOff + 1];
  if (udp && csum === 0) return;
  let next = checksumReplace16(csum, old, value & 0xffff);
  if (udp && next === 0) next = 0xffff;
  buf[csumOff] = next >>> 8;
  buf[csumOff + 1] = next & 0xff;
}

/** Adjusts the checksum at `csumOff` for a 32-bit value changed elsewhere (e.g. an address in the pseudo-header). */
export function adjust32(
  buf: Uint8Array,
  csumOff: number,
  oldValue: number,
  newValue: number,
  udp = false,
): void {
  const csum = (buf[csumOff] << 8) | buf[csumOff + 1];
  if (udp && csum === 0) return;
  let next = checksumReplace32(csum, oldValue, newValue);
  if (udp && next === 0) next = 0xffff;
  buf[csumOff] = next >>> 8;
  buf[csumOff + 1] = next & 0xff;
}
