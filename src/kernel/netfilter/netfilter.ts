// The per-namespace netfilter: iptables tables, ipsets and the conntrack table, and the hook
// traversal the kernel calls. Order inside each hook follows the Linux hook priorities:
//   PREROUTING  raw → conntrack → mangle → nat (DNAT)
//   INPUT       mangle → filter → nat (SNAT) → confirm
//   FORWARD     mangle → filter
//   OUTPUT      raw → conntrack → mangle → nat (DNAT) → filter
//   POSTROUTING mangle → nat (SNAT) → confirm
// The nat table is traversed only for a connection's first packet; every later packet (and every
// reply, and ICMP errors about it) is translated from the conntrack entry.
import {
  checkIpv4,
  IP_PROTO_ICMP,
  IP_PROTO_TCP,
  IP_PROTO_UDP,
  icmpIsError,
  readIp,
  readU16,
} from '../../wire/index.js';
import {
  ConntrackTable,
  type CtEntry,
  IPS_ASSURED,
  IPS_CONFIRMED,
  IPS_DST_NAT,
  IPS_DST_NAT_DONE,
  IPS_SEEN_REPLY,
  IPS_SRC_NAT,
  IPS_SRC_NAT_DONE,
  NS_PER_S,
  TIMEOUTS,
} from './conntrack.js';
import { tcpCanOpen, tcpTrack } from './conntrack-tcp.js';
import { IpsetRegistry } from './ipset.js';
import { defaultPortRange, isIcmpQuery, manipIcmpError, manipPacket } from './nat.js';
import {
  CT_DNAT,
  CT_ESTABLISHED,
  CT_INVALID,
  CT_NEW,
  CT_RELATED,
  CT_SNAT,
  CT_UNTRACKED,
  type HookName,
  PacketState,
} from './packet-state.js';
import {
  type Chain,
  type Rule,
  T_ACCEPT,
  T_DROP,
  T_EXT,
  T_GOTO,
  T_JUMP,
  T_NONE,
  T_RETURN,
  Table,
  type TableName,
} from './table.js';
import type { ConnmarkData, CtData, NatData, RejectData, XmarkData } from './targets.js';

/** What netfilter needs to know about a packet at a hook (the kernel's NfPacket is compatible). */
export interface NfPacket {
  hook: HookName;
  /** The frame; the IPv4 header starts at `l3`. NAT rewrites it in place. */
  frame: Uint8Array;
  l3: number;
  inDev: { readonly name: string } | null;
  outDev: { readonly name: string } | null;
  physIn?: { readonly name: string } | null;
  physOut?: { readonly name: string } | null;
  bridged?: boolean;
  /** skb->mark, if the caller carries it from hook to hook (read at PREROUTING/OUTPUT, written back). */
  mark?: number;
}

export type NfVerdict = 'ACCEPT' | 'DROP' | 'STOLEN';

export interface NetfilterOptions {
  /** Virtual time in ns (the sim Scheduler fits). Conntrack timeouts run on it. */
  clock: { readonly now: number };
  /** Seeded 32-bit random source for NAT port choice (--random-fully); default: a fixed-seed xorshift. */
  random?: () => number;
  /** Primary IPv4 address of an interface of this namespace (MASQUERADE, REDIRECT); null if none. */
  addressOf?: (ifName: string) => number | null;
  /**
   * Called for REJECT with the ICMP type/code to send back (type -1: TCP reset); the verdict is
   * then STOLEN. Without it REJECT is a DROP (and lastReject tells what should have been sent).
   */
  onReject?: (pkt: NfPacket, icmpType: number, icmpCode: number) => void;
}

// Traversal results.
const V_ACCEPT = 1;
const V_DROP = 2;
const V_REJECT = 3;
const V_CONTINUE = 0;

const MAX_DEPTH = 64;

export class Netfilter {
  readonly tables: Partial<Record<TableName, Table>> = {};
  readonly ipsets = new IpsetRegistry();
  readonly conntrack: ConntrackTable;
  /** The packet being judged (reused for every hook call). */
  readonly p = new PacketState();
  /** ICMP type/code of the last REJECT (-1 = tcp-reset). */
  lastRejectType = 0;
  lastRejectCode = 0;
  /** Where the last verdict was decided, for traces: table, chain, 1-based rule number (0 = policy). */
  lastTable = '';
  lastChain: Chain | null = null;
  lastRuleNum = 0;

  private readonly clock: { readonly now: number };
  private readonly random: () => number;
  private readonly addressOf: (ifName: string) => number | null;
  private readonly onReject: NetfilterOptions['onReject'];
  private readonly stackChain: Chain[] = new Array(MAX_DEPTH);
  private readonly stackIdx = new Int32Array(MAX_DEPTH);

  // Per-packet state carried between the hooks of one traversal of this namespace (skb->_nfct,
  // skb->mark): valid while the same frame object comes back, else found again by tuple.
  private ct: CtEntry | null = null;
  private dir = 0;
  private zone = 0;
  private untracked = false;
  /** The ICMP error's quoted tuple was used (ct is RELATED through it). */
  private related = false;
  private lastFrame: Uint8Array | null = null;
  private lastCtState = CT_INVALID;
  // The last untracked packet's addresses and ports: an untracked packet found again on a later
  // hook (through a copy of its frame) has no entry to be found by, only this to be recognised by.
  private untrackedSrc = -1;
  private untrackedDst = -1;
  private untrackedPorts = -1;

  constructor(opts: NetfilterOptions) {
    this.clock = opts.clock;
    this.conntrack = new ConntrackTable(opts.clock);
    let seed = 0x2545f491;
    this.random =
      opts.random ??
      (() => {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return seed >>> 0;
      });
    this.addressOf = opts.addressOf ?? (() => null);
    this.onReject = opts.onReject;
    this.p.ipsets = this.ipsets;
  }

  /** The table, created empty (policies ACCEPT) on first use, as the kernel loads it on demand. */
  table(name: TableName): Table {
    let t = this.tables[name];
    if (!t) this.tables[name] = t = new Table(name);
    return t;
  }

  /** Installs a table (restore/commit). */
  setTable(t: Table): void {
    this.tables[t.name] = t;
    this.recountSetReferences();
  }

  recountSetReferences(): void {
    for (const name of this.ipsets.names()) this.ipsets.get(name)!.references = 0;
    for (const t of Object.values(this.tables)) {
      for (const c of t!.chains.values())
        for (const r of c.rules)
          for (const m of r.spec.matches)
            for (const s of m.mod.sets?.(m.data) ?? []) {
              const set = this.ipsets.get(s);
              if (set) set.references++;
            }
    }
  }

  // ── the hook entry point ─────────────────────────────────────────────────────

  run(pkt: NfPacket): NfVerdict {
    const p = this.p;
    // br_netfilter validates what it hands to iptables (br_validate_ipv4: header, length,
    // checksum); routed packets were already checked by ip_rcv.
    if (
      pkt.bridged === true &&
      pkt.hook === 'PREROUTING' &&
      checkIpv4(pkt.frame, pkt.l3, pkt.frame.length - pkt.l3) !== null
    ) {
      this.lastFrame = null;
      return 'DROP';
    }
    this.p.load(pkt);
    const hook = pkt.hook;
    let v = V_ACCEPT;
    if (hook === 'PREROUTING' || hook === 'OUTPUT') {
      this.ct = null;
      this.dir = 0;
      this.zone = 0;
      this.untracked = false;
      this.related = false;
      p.mark = pkt.mark ?? 0;
      p.ctState = CT_INVALID;
      p.ctMark = 0;
      v = this.traverse('raw', hook);
      if (v === V_ACCEPT) {
        this.conntrackIn();
        v = this.traverse('mangle', hook);
      }
      if (v === V_ACCEPT) v = this.natHook('nat', hook, 1);
      if (v === V_ACCEPT && hook === 'OUTPUT') v = this.traverse('filter', hook);
    } else {
      this.restore(pkt);
      v = this.traverse('mangle', hook);
      if (hook === 'FORWARD') {
        if (v === V_ACCEPT) v = this.traverse('filter', hook);
      } else {
        if (v === V_ACCEPT && hook === 'INPUT') v = this.traverse('filter', hook);
        if (v === V_ACCEPT) v = this.natHook('nat', hook, 0);
        if (v === V_ACCEPT && this.ct !== null) this.ct.status |= IPS_CONFIRMED;
      }
    }
    this.lastFrame = pkt.frame;
    this.lastCtState = p.ctState;
    const ct = this.ct;
    if (ct !== null) {
      if (this.dir === 0) ct.skbMark0 = p.mark;
      else ct.skbMark1 = p.mark;
      ct.mark = p.ctMark;
    }
    if (pkt.mark !== undefined) pkt.mark = p.mark;
    if (v === V_ACCEPT) return 'ACCEPT';
    // A connection whose first packet is dropped is never confirmed: forget it (nf_ct_destroy).
    if (ct !== null && (ct.status & IPS_CONFIRMED) === 0) this.conntrack.remove(ct);
    this.ct = null;
    this.lastFrame = null;
    if (v === V_REJECT && this.onReject) {
      this.onReject(pkt, this.lastRejectType, this.lastRejectCode);
      return 'STOLEN';
    }
    return 'DROP';
  }

  /** One line saying what decided the last verdict (for traces). */
  explain(): string {
    const c = this.lastChain;
    if (c === null) return 'no rule';
    return this.lastRuleNum === 0
      ? `${this.lastTable} ${c.name} policy ${c.policy}`
      : `${this.lastTable} ${c.name} rule ${this.lastRuleNum}`;
  }

  // ── conntrack ────────────────────────────────────────────────────────────────

  /** Conntrack on the first hook of the namespace (nf_conntrack_in). */
  private conntrackIn(): void {
    const p = this.p;
    if (this.untracked) {
      p.ctState = CT_UNTRACKED;
      this.untrackedSrc = p.src;
      this.untrackedDst = p.dst;
      this.untrackedPorts = p.proto * 0x100000000 + p.sport * 0x10000 + p.dport;
      return;
    }
    if (p.fragment) {
      // nf_defrag would reassemble first; a fragment reaching us unreassembled is not tracked.
      p.ctState = CT_UNTRACKED;
      return;
    }
    const now = this.clock.now;
    if (p.proto === IP_PROTO_ICMP && p.icmpType >= 0 && icmpIsError(p.icmpType)) {
      const ct = this.findRelated(true);
      if (ct === null) {
        p.ctState = CT_INVALID;
        return;
      }
      this.ct = ct;
      this.related = true;
      this.setState(CT_RELATED);
      return;
    }
    if (p.proto === IP_PROTO_ICMP && (p.icmpType < 0 || !isIcmpQuery(p.icmpType))) {
      p.ctState = CT_INVALID;
      return;
    }
    if ((p.proto === IP_PROTO_TCP && p.l4Len < 20) || (p.proto === IP_PROTO_UDP && p.l4Len < 8)) {
      p.ctState = CT_INVALID;
      return;
    }
    let ct = this.conntrack.lookup(p.proto, p.src, p.dst, p.sport, p.dport, this.zone, true);
    let dir = this.conntrack.foundDir;
    if (ct === null) {
      if (
        p.proto === IP_PROTO_ICMP &&
        p.icmpType !== 8 &&
        p.icmpType !== 13 &&
        p.icmpType !== 15 &&
        p.icmpType !== 17
      ) {
        p.ctState = CT_INVALID; // a reply without a request
        return;
      }
      if (p.proto === IP_PROTO_TCP && !tcpCanOpen(p.tcpFlags)) {
        p.ctState = CT_INVALID;
        return;
      }
      ct = this.conntrack.create(this.zone, p.proto, p.src, p.dst, p.sport, p.dport);
      dir = 0;
    }
    this.ct = ct;
    this.dir = dir;
    if (dir === 0) {
      ct.packets0++;
      ct.bytes0 += p.ipLen;
    } else {
      ct.packets1++;
      ct.bytes1 += p.ipLen;
      if ((ct.status & IPS_SEEN_REPLY) === 0) ct.status |= IPS_SEEN_REPLY;
      else if (p.proto === IP_PROTO_UDP) ct.status |= IPS_ASSURED;
    }
    if (p.proto === IP_PROTO_UDP && (ct.status & IPS_SEEN_REPLY) !== 0) ct.status |= IPS_ASSURED;
    let timeout: number = TIMEOUTS.generic;
    if (p.proto === IP_PROTO_TCP) timeout = tcpTrack(ct, dir, p.tcpFlags);
    else if (p.proto === IP_PROTO_UDP)
      timeout = (ct.status & IPS_SEEN_REPLY) !== 0 ? TIMEOUTS.udpStream : TIMEOUTS.udp;
    else if (p.proto === IP_PROTO_ICMP) timeout = TIMEOUTS.icmp;
    ct.expires = now + timeout * NS_PER_S;
    this.setState(dir === 1 || (ct.status & IPS_SEEN_REPLY) !== 0 ? CT_ESTABLISHED : CT_NEW);
  }

  private setState(base: number): void {
    const ct = this.ct!;
    let s = base;
    if (ct.status & IPS_SRC_NAT) s |= CT_SNAT;
    if (ct.status & IPS_DST_NAT) s |= CT_DNAT;
    this.p.ctState = s;
    this.p.ctMark = ct.mark;
  }

  /**
   * The connection an ICMP error is about: its quoted datagram travelled the other way, so the
   * quote's inverted tuple is one of the connection's own tuples. Sets this.dir to the error's direction.
   */
  private findRelated(exact: boolean): CtEntry | null {
    const p = this.p;
    const b = p.frame;
    const inner = p.l4 + 8;
    const end = p.l3 + p.ipLen;
    if (inner + 20 > end) return null;
    const ihl = (b[inner] & 0x0f) << 2;
    const proto = b[inner + 9];
    const isrc = readIp(b, inner + 12);
    const idst = readIp(b, inner + 16);
    const il4 = inner + ihl;
    let sport = 0;
    let dport = 0;
    if (proto === IP_PROTO_TCP || proto === IP_PROTO_UDP) {
      if (il4 + 4 > end) return null;
      sport = readU16(b, il4);
      dport = readU16(b, il4 + 2);
    } else if (proto === IP_PROTO_ICMP) {
      if (il4 + 8 > end || !isIcmpQuery(b[il4])) return null;
      sport = dport = readU16(b, il4 + 4);
    }
    const ct = this.conntrack.lookup(proto, idst, isrc, dport, sport, exact ? this.zone : -1, exact);
    if (ct === null) return null;
    this.dir = this.conntrack.foundDir;
    return ct;
  }

  /** Finds the packet's connection again on INPUT/FORWARD/POSTROUTING. */
  private restore(pkt: NfPacket): void {
    const p = this.p;
    if (pkt.frame === this.lastFrame) {
      p.ctState = this.lastCtState;
      if (this.ct !== null) p.ctMark = this.ct.mark;
      return;
    }
    this.ct = null;
    this.dir = 0;
    this.related = false;
    p.mark = pkt.mark ?? 0;
    p.ctMark = 0;
    if (p.fragment) {
      p.ctState = CT_UNTRACKED;
      return;
    }
    let ct: CtEntry | null = null;
    if (p.proto === IP_PROTO_ICMP && p.icmpType >= 0 && icmpIsError(p.icmpType)) {
      ct = this.findRelated(false);
      this.related = ct !== null;
    } else {
      ct = this.conntrack.lookup(p.proto, p.src, p.dst, p.sport, p.dport, -1, false);
      this.dir = this.conntrack.foundDir;
    }
    if (ct === null) {
      const untracked =
        p.src === this.untrackedSrc &&
        p.dst === this.untrackedDst &&
        this.untrackedPorts === p.proto * 0x100000000 + p.sport * 0x10000 + p.dport;
      p.ctState = untracked ? CT_UNTRACKED : CT_INVALID;
      return;
    }
    this.ct = ct;
    if (pkt.mark === undefined) p.mark = this.dir === 0 ? ct.skbMark0 : ct.skbMark1;
    this.setState(
      this.related
        ? CT_RELATED
        : this.dir === 1 || (ct.status & IPS_SEEN_REPLY) !== 0
          ? CT_ESTABLISHED
          : CT_NEW,
    );
  }

  // ── NAT ──────────────────────────────────────────────────────────────────────

  /**
   * The nat hook: traverse the nat chain for a connection's first packet (deciding the binding
   * for this manip type), then translate the packet from the conntrack entry. `dstManip` 1 at
   * PREROUTING/OUTPUT, 0 at INPUT/POSTROUTING.
   */
  private natHook(table: 'nat', hook: HookName, dstManip: 0 | 1): number {
    const ct = this.ct;
    if (ct === null) return V_ACCEPT;
    const doneBit = dstManip ? IPS_DST_NAT_DONE : IPS_SRC_NAT_DONE;
    if ((ct.status & doneBit) === 0 && (ct.status & IPS_CONFIRMED) === 0 && this.dir === 0 && !this.related) {
      const t = this.tables[table];
      if (t !== undefined && t.hooks[hook] !== undefined) {
        const v = this.traverse(table, hook);
        if (v !== V_ACCEPT) return v;
      }
      ct.status |= doneBit;
    }
    this.applyNat(dstManip);
    return V_ACCEPT;
  }

  /** Translates the packet for its direction from the entry's tuples (see nat.ts). */
  private applyNat(dstManip: 0 | 1): void {
    const ct = this.ct!;
    const d = this.dir;
    const needed = dstManip
      ? (ct.status & (d === 0 ? IPS_DST_NAT : IPS_SRC_NAT)) !== 0
      : (ct.status & (d === 0 ? IPS_SRC_NAT : IPS_DST_NAT)) !== 0;
    if (!needed) return;
    const p = this.p;
    // The packet must end up as the inverse of the other direction's tuple.
    const addr = dstManip ? (d === 0 ? ct.src1 : ct.src0) : d === 0 ? ct.dst1 : ct.dst0;
    const port = dstManip ? (d === 0 ? ct.sport1 : ct.sport0) : d === 0 ? ct.dport1 : ct.dport0;
    const which: 0 | 1 = dstManip ? 1 : 0;
    if (this.related) manipIcmpError(p.frame, p.l3, which, addr, port);
    else manipPacket(p.frame, p.l3, which, addr, port);
    if (which === 1) {
      p.dst = addr;
      if (!this.related && p.l4 >= 0) p.dport = port;
    } else {
      p.src = addr;
      if (!this.related && p.l4 >= 0) p.sport = port;
    }
  }

  /** SNAT/DNAT/MASQUERADE/REDIRECT on a new connection: choose the binding, record it in the entry. */
  private natTarget(name: string, d: NatData): number {
    const ct = this.ct;
    const p = this.p;
    if (ct === null) return V_ACCEPT;
    const isDst = name === 'DNAT' || name === 'REDIRECT';
    let addr: number;
    if (name === 'MASQUERADE' || name === 'REDIRECT') {
      const dev = name === 'MASQUERADE' ? p.outIf : p.inIf;
      const a = p.hook === 'OUTPUT' && name === 'REDIRECT' ? 0x7f000001 : this.addressOf(dev);
      // No address on the device: the kernel drops (nf_nat_masquerade / nf_nat_redirect).
      if (a === null) return V_DROP;
      addr = a;
    } else {
      const span = d.maxIp - d.minIp;
      addr = span === 0 ? d.minIp : d.minIp + ((d.persistent ? ct.src0 : this.random()) % (span + 1));
    }
    const hasPorts = p.proto === IP_PROTO_TCP || p.proto === IP_PROTO_UDP || p.proto === IP_PROTO_ICMP;
    let port = isDst ? ct.dport0 : ct.sport0;
    if (hasPorts) {
      const icmp = p.proto === IP_PROTO_ICMP;
      let lo = d.minPort;
      let hi = d.maxPort;
      const ranged = lo !== 0;
      if (!ranged) [lo, hi] = icmp ? [0, 65535] : defaultPortRange(port);
      const randomize = !isDst && (d.randomFully || d.random);
      if (randomize || (ranged && (port < lo || port > hi))) port = lo + (this.random() % (hi - lo + 1));
      if (!isDst) {
        // Keep the reply tuple unique (nf_nat_used_tuple): walk the range from the chosen port.
        for (let tries = 0; tries <= hi - lo; tries++) {
          if (!this.conntrack.replyTupleTaken(ct, p.proto, ct.src1, addr, ct.sport1, icmp ? port : port))
            break;
          port = port >= hi ? lo : port + 1;
        }
      }
    }
    if (isDst) {
      ct.src1 = addr;
      ct.sport1 = port;
      if (p.proto === IP_PROTO_ICMP) ct.dport1 = port;
      if (addr !== ct.dst0 || port !== ct.dport0) ct.status |= IPS_DST_NAT;
    } else {
      ct.dst1 = addr;
      ct.dport1 = port;
      if (p.proto === IP_PROTO_ICMP) ct.sport1 = port;
      if (addr !== ct.src0 || port !== ct.sport0) ct.status |= IPS_SRC_NAT;
    }
    this.conntrack.reindex(ct);
    this.setState(CT_NEW);
    return V_ACCEPT;
  }

  // ── rule traversal ───────────────────────────────────────────────────────────

  /** Runs the table's chain for the hook; V_ACCEPT when the table or chain is absent. */
  private traverse(tableName: TableName, hook: HookName): number {
    const table = this.tables[tableName];
    if (table === undefined) return V_ACCEPT;
    const start = table.hooks[hook];
    if (start === undefined) return V_ACCEPT;
    let chain: Chain = start;
    const p = this.p;
    const len = p.ipLen;
    let sp = 0;
    let i = 0;
    for (;;) {
      const rules: Rule[] = chain.rules;
      if (i >= rules.length) {
        // Falling off a chain reached by -g (or the builtin itself) ends in the builtin's policy.
        if (sp === 0) return this.policy(tableName, start, len);
        chain = this.stackChain[--sp];
        i = this.stackIdx[sp];
        continue;
      }
      const rule: Rule = rules[i++];
      if (!rule.match(p)) continue;
      rule.pkts++;
      rule.bytes += len;
      switch (rule.kind) {
        case T_NONE:
          continue;
        case T_ACCEPT:
          this.decided(tableName, chain, i);
          return V_ACCEPT;
        case T_DROP:
          this.decided(tableName, chain, i);
          return V_DROP;
        case T_RETURN:
          if (sp === 0) return this.policy(tableName, start, len);
          chain = this.stackChain[--sp];
          i = this.stackIdx[sp];
          continue;
        case T_JUMP:
          if (sp === MAX_DEPTH) return V_DROP;
          this.stackChain[sp] = chain;
          this.stackIdx[sp++] = i;
          chain = rule.jump!;
          i = 0;
          continue;
        case T_GOTO:
          chain = rule.jump!;
          i = 0;
          continue;
        case T_EXT: {
          const v = this.runTarget(rule.spec.target as { kind: 'ext'; mod: { name: string }; data: unknown });
          if (v === V_CONTINUE) continue;
          this.decided(tableName, chain, i);
          return v;
        }
      }
    }
  }

  private policy(tableName: TableName, chain: Chain, len: number): number {
    chain.pkts++;
    chain.bytes += len;
    this.decided(tableName, chain, 0);
    return chain.policy === 'DROP' ? V_DROP : V_ACCEPT;
  }

  private decided(table: string, chain: Chain, ruleNum: number): void {
    this.lastTable = table;
    this.lastChain = chain;
    this.lastRuleNum = ruleNum;
  }

  private runTarget(t: { kind: 'ext'; mod: { name: string }; data: unknown }): number {
    const p = this.p;
    switch (t.mod.name) {
      case 'MARK': {
        const d = t.data as XmarkData;
        p.mark = ((p.mark & ~d.mask) ^ d.value) >>> 0;
        return V_CONTINUE;
      }
      case 'CONNMARK': {
        const d = t.data as ConnmarkData;
        if (d.mode === 'set') p.ctMark = ((p.ctMark & ~d.mask) ^ d.value) >>> 0;
        else if (d.mode === 'save') p.ctMark = ((p.ctMark & ~d.ctmask) ^ (p.mark & d.nfmask)) >>> 0;
        else p.mark = ((p.mark & ~d.nfmask) ^ (p.ctMark & d.ctmask)) >>> 0;
        return V_CONTINUE;
      }
      case 'CT': {
        const d = t.data as CtData;
        if (d.notrack) this.untracked = true;
        if (d.zone) this.zone = d.zone;
        return V_CONTINUE;
      }
      case 'REJECT': {
        const d = t.data as RejectData;
        this.lastRejectType = d.icmpType;
        this.lastRejectCode = d.icmpCode;
        return V_REJECT;
      }
      case 'SNAT':
      case 'DNAT':
      case 'MASQUERADE':
      case 'REDIRECT':
        return this.natTarget(t.mod.name, t.data as NatData);
      default:
        // LOG and CHECKSUM: counted by the rule counters, nothing else to do (our checksums are complete).
        return V_CONTINUE;
    }
  }
}
