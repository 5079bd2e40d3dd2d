// IPv4 fragmentation on egress (ip_fragment) and reassembly on local delivery (ip_defrag).
// Reassembly keys on (src, dst, id, protocol) and gives up after ipfrag_time (30 s), sending ICMP
// time exceeded (fragment reassembly time exceeded) when the first fragment had arrived.

import { writeU16 } from '../wire/byte-order.js';
import { ICMP_TIME_EXCEEDED, TIME_EXCEEDED_REASSEMBLY } from '../wire/icmp.js';
import {
  fillIpv4Checksum,
  ipv4Dst,
  ipv4FragOffset,
  ipv4HeaderLen,
  ipv4Id,
  ipv4MoreFrags,
  ipv4Protocol,
  ipv4Src,
  ipv4TotalLen,
} from '../wire/ipv4.js';
import type { Namespace } from './netns.js';
import type { Trace } from './trace.js';

/** net.ipv4.ipfrag_time */
export const IPFRAG_TIME_NS = 30e9;

/**
 * Splits the packet at `l3` (an Ethernet frame with its header before `l3`) into frames whose IP
 * packets fit `mtu`. Every fragment but the last carries a multiple of 8 payload bytes and MF.
 */
export function fragmentIpv4(frame: Uint8Array, l3: number, mtu: number): Uint8Array[] {
  const hl = ipv4HeaderLen(frame, l3);
  const total = ipv4TotalLen(frame, l3);
  const payload = total - hl;
  const per = ((mtu - hl) >> 3) << 3;
  const baseOffset = ipv4FragOffset(frame, l3);
  const baseMf = ipv4MoreFrags(frame, l3);
  const out: Uint8Array[] = [];
  for (let off = 0; off < payload; off += per) {
    const len = Math.min(per, payload - off);
    const f = new Uint8Array(l3 + hl + len);
    f.set(frame.subarray(0, l3 + hl), 0);
    f.set(frame.subarray(l3 + hl + off, l3 + hl + off + len), l3 + hl);
    const last = off + len >= payload;
    writeU16(f, l3 + 2, hl + len);
    const flags = frame[l3 + 6] & 0x40; // keep DF as it was (it is clear, or we would not fragment)
    const mf = !last || baseMf ? 0x2000 : 0;
    writeU16(f, l3 + 6, (flags << 8) | mf | (((baseOffset + off) >> 3) & 0x1fff));
    fillIpv4Checksum(f, l3);
    out.push(f);
  }
  return out;
}

interface Pending {
  parts: { off: number; data: Uint8Array }[];
  /** Header (with Ethernet before it) of the first fragment, once seen. */
  first: Uint8Array | null;
  /** Total payload length, known once the last fragment (MF clear) arrived. */
  totalLen: number;
  received: number;
  timer: number;
  trace: Trace | null;
}

function expire(r: Reassembler, key: string): void {
  r.expire(key);
}

export class Reassembler {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly ns: Namespace) {}

  get inProgress(): number {
    return this.pending.size;
  }

  /** Adds a fragment (IPv4 at 14); returns the whole datagram as a new frame when complete. */
  add(frame: Uint8Array, trace: Trace | null): Uint8Array | null {
    const l3 = 14;
    const key = `${ipv4Src(frame, l3)}/${ipv4Dst(frame, l3)}/${ipv4Id(frame, l3)}/${ipv4Protocol(frame, l3)}`;
    let p = this.pending.get(key);
    if (p === undefined) {
      p = { parts: [], first: null, totalLen: -1, received: 0, timer: 0, trace };
      p.timer = this.ns.host.sched.schedule(IPFRAG_TIME_NS, expire, this, key);
      this.pending.set(key, p);
    }
    const hl = ipv4HeaderLen(frame, l3);
    const off = ipv4FragOffset(frame, l3);
    const len = ipv4TotalLen(frame, l3) - hl;
    const end = off + len;
    const last = !ipv4MoreFrags(frame, l3);
    const dup = p.parts.find((x) => x.off === off);
    if (dup !== undefined && dup.data.length === len) return null; // an exact duplicate is ignored
    // ip_frag_queue: an overlapping fragment, a non-last fragment that is not a multiple of 8, data
    // past the known end, a second different end, or a datagram over 64 KiB discards the whole queue.
    if (
      dup !== undefined ||
      p.parts.some((x) => off < x.off + x.data.length && x.off < end) ||
      (!last && (len & 7) !== 0) ||
      (p.totalLen >= 0 && (end > p.totalLen || (last && end !== p.totalLen))) ||
      (last && p.parts.some((x) => x.off + x.data.length > end)) ||
      end + hl > 65535
    ) {
      this.ns.host.sched.cancel(p.timer);
      this.pending.delete(key);
      this.ns.stats.reasmFails++;
      if (trace !== null) {
        trace.add(
          this.ns.host.sched.now,
          this.ns.host.name,
          this.ns.name,
          '-',
          'drop',
          'bad fragment: queue discarded',
        );
      }
      return null;
    }
    p.parts.push({ off, data: frame.subarray(l3 + hl, l3 + hl + len) });
    p.received += len;
    if (off === 0) p.first = frame.subarray(0, l3 + hl);
    if (last) p.totalLen = end;
    if (p.first === null || p.totalLen < 0 || p.received < p.totalLen) return null;
    this.ns.host.sched.cancel(p.timer);
    this.pending.delete(key);
    const fhl = p.first.length - l3;
    const whole = new Uint8Array(l3 + fhl + p.totalLen);
    whole.set(p.first, 0);
    for (const part of p.parts) whole.set(part.data, l3 + fhl + part.off);
    writeU16(whole, l3 + 2, fhl + p.totalLen);
    writeU16(whole, l3 + 6, frame[l3 + 6] & 0x40 ? 0x4000 : 0);
    fillIpv4Checksum(whole, l3);
    this.ns.stats.reasmOKs++;
    if (trace !== null) {
      trace.add(
        this.ns.host.sched.now,
        this.ns.host.name,
        this.ns.name,
        '-',
        'fragment',
        `reassembled ${p.parts.length} fragments, ${p.totalLen} bytes`,
      );
    }
    return whole;
  }

  expire(key: string): void {
    const p = this.pending.get(key);
    if (p === undefined) return;
    this.pending.delete(key);
    this.ns.stats.reasmFails++;
    if (p.first !== null) {
      const quote = new Uint8Array(p.first.length + 8);
      quote.set(p.first, 0);
      const firstData = p.parts.find((x) => x.off === 0);
      if (firstData) quote.set(firstData.data.subarray(0, 8), p.first.length);
      writeU16(quote, 16, p.first.length - 14 + 8);
      this.ns.ip.icmpSend(quote, ICMP_TIME_EXCEEDED, TIME_EXCEEDED_REASSEMBLY, 0, p.trace);
    }
  }
}
