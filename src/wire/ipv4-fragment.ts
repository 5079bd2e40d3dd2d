// Splitting an IPv4 datagram for a smaller MTU, as Linux's ip_do_fragment does: every fragment
// but the last carries a multiple of 8 payload bytes, MF on all but the last (and kept on the last
// if the original was itself a non-final fragment), options without the "copied" bit are replaced
// by NOPs after the first fragment (ip_options_fragment). Reassembly is stateful and lives in the
// kernel; this is only the codec part.
import { readU16, writeU16 } from './byte-order.js';
import { allocFrame, copyFrame } from './frame-alloc.js';
import { fillIpv4Checksum, ipv4HeaderLen, ipv4TotalLen } from './ipv4.js';

const IPOPT_END = 0;
const IPOPT_NOOP = 1;

/**
 * Fragments of the datagram at `off` for `mtu` (bytes of IP per fragment), each a new Uint8Array
 * with a correct header checksum. A datagram that fits is returned as one copy. The caller checks
 * DF first (and sends ICMP fragmentation-needed instead).
 */
export function ipv4Fragment(b: Uint8Array, off: number, mtu: number): Uint8Array[] {
  const hl = ipv4HeaderLen(b, off);
  const total = ipv4TotalLen(b, off);
  if (total <= mtu) return [copyFrame(b, off, off + total)];
  const chunk = (mtu - hl) & ~7;
  if (chunk <= 0) return [];
  const flags = readU16(b, off + 6);
  const baseOffset = (flags & 0x1fff) << 3;
  const origMf = (flags & 0x2000) !== 0;
  const otherHeader = b.slice(off, off + hl);
  // Later fragments keep only options whose type has the copied flag (0x80).
  for (let i = 20; i < hl; ) {
    const t = otherHeader[i];
    if (t === IPOPT_END) break;
    if (t === IPOPT_NOOP) {
      i++;
      continue;
    }
    const l = Math.max(2, otherHeader[i + 1]);
    if ((t & 0x80) === 0) otherHeader.fill(IPOPT_NOOP, i, Math.min(hl, i + l));
    i += l;
  }
  const out: Uint8Array[] = [];
  for (let pos = 0; pos < total - hl; pos += chunk) {
    const len = Math.min(chunk, total - hl - pos);
    const last = pos + len >= total - hl;
    const f = allocFrame(hl + len);
    f.set(pos === 0 ? b.subarray(off, off + hl) : otherHeader, 0);
    f.set(b.subarray(off + hl + pos, off + hl + pos + len), hl);
    writeU16(f, 2, hl + len);
    writeU16(f, 6, (flags & 0x4000) | (!last || origMf ? 0x2000 : 0) | (((baseOffset + pos) >>> 3) & 0x1fff));
    fillIpv4Checksum(f, 0);
    out.push(f);
  }
  return out;
}
