// Connection tracking (nf_conntrack): one entry per connection with its original and reply
// tuples, status bits, protocol state and a timeout in virtual time. ICMP echo is tracked by id,
// UDP and TCP by ports, anything else by addresses. NAT is recorded as a changed reply tuple, so a
// reply is recognised by its own (translated) addresses and translated back.
//
// Lookups allocate nothing: entries are indexed in a Map by a 32-bit hash of the tuple, and each
// entry is indexed under its original tuple, its reply tuple and — when NAT changes them between
// hooks — the tuples a packet has half-way (after DNAT, before SNAT), so a later hook can find the
// connection of a packet it did not see enter.
import { ipToString } from '../../wire/index.js';

export const IPS_SEEN_REPLY = 1;
export const IPS_ASSURED = 2;
export const IPS_CONFIRMED = 4;
export const IPS_SRC_NAT = 8;
export const IPS_DST_NAT = 16;
/** The nat table has been consulted for the source manip (SNAT/MASQUERADE or the null binding). */
export const IPS_SRC_NAT_DONE = 32;
export const IPS_DST_NAT_DONE = 64;

export const NS_PER_S = 1_000_000_000;
/** Connections created between two sweeps for expired entries. */
const GC_EVERY = 4096;

// Default timeouts (net.netfilter.nf_conntrack_*_timeout*), in seconds.
export const TIMEOUTS = {
  icmp: 30,
  udp: 30,
  udpStream: 120,
  generic: 600,
  tcp: [120, 120, 60, 432000, 120, 60, 30, 120, 10] as const,
};

export const TCP_NONE = 0;
export const TCP_SYN_SENT = 1;
export const TCP_SYN_RECV = 2;
export const TCP_ESTABLISHED = 3;
export const TCP_FIN_WAIT = 4;
export const TCP_CLOSE_WAIT = 5;
export const TCP_LAST_ACK = 6;
export const TCP_TIME_WAIT = 7;
export const TCP_CLOSE = 8;
export const TCP_STATE_NAMES = [
  'NONE',
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'FIN_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
  'TIME_WAIT',
  'CLOSE',
];

export class CtEntry {
  // Tuples: [0] original direction, [1] reply direction. For ICMP both "ports" hold the echo id.
  src0 = 0;
  dst0 = 0;
  sport0 = 0;
  dport0 = 0;
  src1 = 0;
  dst1 = 0;
  sport1 = 0;
  dport1 = 0;
  status = 0;
  /** Virtual time (ns) at which the entry dies. */
  expires = 0;
  tcpState = TCP_NONE;
  /** ct->mark (CONNMARK, -m connmark). */
  mark = 0;
  /** skb mark last seen per direction: carried to later hooks when the caller cannot carry it. */
  skbMark0 = 0;
  skbMark1 = 0;
  packets0 = 0;
  bytes0 = 0;
  packets1 = 0;
  bytes1 = 0;
  /** Index keys this entry is registered under (for removal). */
  keys: number[] = [];

  constructor(
    readonly id: number,
    readonly zone: number,
    readonly proto: number,
  ) {}
}

interface Ref {
  e: CtEntry;
  /** 0 orig, 1 reply, 2 orig half-way (after DNAT), 3 reply half-way (after un-SNAT). */
  kind: number;
  src: number;
  dst: number;
  sport: number;
  dport: number;
}

function hashTuple(proto: number, src: number, dst: number, sport: number, dport: number): number {
  let h = Math.imul(src ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ dst, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ ((sport << 16) | dport), 0x27d4eb2f);
  return (h ^ (h >>> 15) ^ proto) | 0;
}

export class ConntrackTable {
  private index = new Map<number, Ref[]>();
  private entries = new Set<CtEntry>();
  private nextId = 1;
  private createdSinceGc = 0;
  /** Direction of the entry the last lookup found. */
  foundDir = 0;

  constructor(private readonly clock: { readonly now: number }) {}

  get size(): number {
    return this.entries.size;
  }

  all(): IterableIterator<CtEntry> {
    return this.entries.values();
  }

  create(zone: number, proto: number, src: number, dst: number, sport: number, dport: number): CtEntry {
    // Amortised garbage collection (the kernel's gc worker): entries nobody looks up again still go.
    if (++this.createdSinceGc >= GC_EVERY) {
      this.createdSinceGc = 0;
      this.gc();
    }
    const e = new CtEntry(this.nextId++, zone, proto);
    e.src0 = src;
    e.dst0 = dst;
    e.sport0 = sport;
    e.dport0 = dport;
    // Until NAT says otherwise the reply is the inverted original.
    e.src1 = dst;
    e.dst1 = src;
    e.sport1 = dport;
    e.dport1 = sport;
    this.entries.add(e);
    this.reindex(e);
    return e;
  }

  /** Re-registers an entry after its reply tuple changed (NAT decided). */
  reindex(e: CtEntry): void {
    this.unindex(e);
    this.add(e, 0, e.src0, e.dst0, e.sport0, e.dport0);
    this.add(e, 1, e.src1, e.dst1, e.sport1, e.dport1);
    // Half-way tuples: original after the destination manip, reply after the un-SNAT.
    const midDst = e.src1;
    const midDport = e.sport1;
    if (midDst !== e.dst0 || midDport !== e.dport0) this.add(e, 2, e.src0, midDst, e.sport0, midDport);
    const midRdst = e.src0;
    const midRdport = e.sport0;
    if (midRdst !== e.dst1 || midRdport !== e.dport1) this.add(e, 3, e.src1, midRdst, e.sport1, midRdport);
  }

  private add(e: CtEntry, kind: number, src: number, dst: number, sport: number, dport: number): void {
    const k = hashTuple(e.proto, src, dst, sport, dport);
    let list = this.index.get(k);
    if (!list) this.index.set(k, (list = []));
    list.push({ e, kind, src, dst, sport, dport });
    e.keys.push(k);
  }

  private unindex(e: CtEntry): void {
    for (const k of e.keys) {
      const list = this.index.get(k);
      if (!list) continue;
      const kept = list.filter((r) => r.e !== e);
      if (kept.length) this.index.set(k, kept);
      else this.index.delete(k);
    }
    e.keys = [];
  }

  remove(e: CtEntry): void {
    this.unindex(e);
    this.entries.delete(e);
  }

  /**
   * Finds the connection of a packet with this tuple. `zone` -1 = any zone. `exact` (the hooks
   * where conntrack first sees a packet: PREROUTING, OUTPUT) accepts only the original and reply
   * tuples; later hooks also accept the half-way tuples. Sets foundDir. Expired entries are removed.
   */
  lookup(
    proto: number,
    src: number,
    dst: number,
    sport: number,
    dport: number,
    zone: number,
    exact: boolean,
  ): CtEntry | null {
    const list = this.index.get(hashTuple(proto, src, dst, sport, dport));
    if (list === undefined) return null;
    for (let i = 0; i < list.length; i++) {
      const r = list[i];
      const e = r.e;
      if (r.src !== src || r.dst !== dst || r.sport !== sport || r.dport !== dport || e.proto !== proto)
        continue;
      if (zone >= 0 && e.zone !== zone) continue;
      if (exact && r.kind > 1) continue;
      if (e.expires <= this.clock.now) {
        this.remove(e);
        return this.lookup(proto, src, dst, sport, dport, zone, exact);
      }
      this.foundDir = r.kind & 1;
      return e;
    }
    return null;
  }

  /** True when another connection already uses this reply tuple (NAT must pick another port). */
  replyTupleTaken(
    e: CtEntry,
    proto: number,
    src: number,
    dst: number,
    sport: number,
    dport: number,
  ): boolean {
    const list = this.index.get(hashTuple(proto, src, dst, sport, dport));
    if (!list) return false;
    return list.some(
      (r) =>
        r.e !== e &&
        r.kind === 1 &&
        r.e.zone === e.zone &&
        r.src === src &&
        r.dst === dst &&
        r.sport === sport &&
        r.dport === dport,
    );
  }

  /** Drops every expired entry (the kernel's gc worker). */
  gc(): number {
    const now = this.clock.now;
    let n = 0;
    for (const e of [...this.entries]) {
      if (e.expires <= now) {
        this.remove(e);
        n++;
      }
    }
    return n;
  }

  flush(): void {
    this.index.clear();
    this.entries.clear();
  }

  /** Virtual time now (ns). */
  get now(): number {
    return this.clock.now;
  }

  /** Confirmed, unexpired entries, oldest first: what `conntrack -L` shows. */
  live(): CtEntry[] {
    const now = this.clock.now;
    return [...this.entries].filter((e) => (e.status & IPS_CONFIRMED) !== 0 && e.expires > now);
  }

  /** `conntrack -L` lines (conntrack-tools 1.4.7 format), oldest first. */
  list(): string[] {
    return this.live().map((e) => formatEntry(e, this.clock.now));
  }
}

const PROTO_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp' };

function tupleText(e: CtEntry, dir: 0 | 1): string {
  const src = dir === 0 ? e.src0 : e.src1;
  const dst = dir === 0 ? e.dst0 : e.dst1;
  const sport = dir === 0 ? e.sport0 : e.sport1;
  const dport = dir === 0 ? e.dport0 : e.dport1;
  let s = `src=${ipToString(src)} dst=${ipToString(dst)}`;
  if (e.proto === 1) s += ` type=${dir === 0 ? 8 : 0} code=0 id=${sport}`;
  else if (e.proto === 6 || e.proto === 17) s += ` sport=${sport} dport=${dport}`;
  return s;
}

export function formatEntry(e: CtEntry, now: number): string {
  const name = PROTO_NAMES[e.proto] ?? 'unknown';
  const secs = Math.max(0, Math.floor((e.expires - now) / NS_PER_S));
  let s = `${name.padEnd(8)} ${e.proto} ${secs} `;
  if (e.proto === 6) s += `${TCP_STATE_NAMES[e.tcpState]} `;
  s += tupleText(e, 0);
  if ((e.status & IPS_SEEN_REPLY) === 0) s += ' [UNREPLIED]';
  s += ` ${tupleText(e, 1)}`;
  if (e.status & IPS_ASSURED) s += ' [ASSURED]';
  s += ` mark=${e.mark}`;
  if (e.zone) s += ` zone=${e.zone}`;
  return `${s} use=1`;
}
