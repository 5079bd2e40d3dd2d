// The neighbour (ARP) table of a namespace (net/core/neighbour.c + net/ipv4/arp.c).
//
// States and timers follow Linux's defaults (net.ipv4.neigh.default.*):
//   INCOMPLETE  resolving: a broadcast request every retrans_time (1 s), mcast_solicit (3) times;
//               packets wait in a queue (unres_qlen 101); when no reply came the entry becomes
//               FAILED and every queued packet gets ICMP host unreachable to its sender.
//   REACHABLE   confirmed by a reply; after reachable_time (random 15–45 s) it reads as STALE.
//   STALE       still used; the first use starts DELAY (delay_first_probe_time 5 s), then PROBE
//               (unicast requests, ucast_solicit 3, every 1 s); no answer → FAILED.
//   PERMANENT   `ip neigh add ... nud permanent`.
// A request for one of our addresses creates/refreshes the sender's entry as STALE
// (neigh_event_ns); gratuitous ARP and unsolicited replies update an existing entry but create
// none (arp_accept=0).

import type { TimerHandle } from '../sim/scheduler.js';
import { ARP_REPLY, ARP_REQUEST, arpOp, arpSenderIp, arpTargetIp, checkArp } from '../wire/arp.js';
import { writeU16 } from '../wire/byte-order.js';
import { ETHERTYPE_ARP } from '../wire/ethernet.js';
import { ipToString, writeIp } from '../wire/ipv4-address.js';
import { macToString } from '../wire/mac.js';
import type { NetDevice } from './device.js';
import type { Namespace } from './netns.js';
import type { Trace } from './trace.js';

export type NeighState = 'INCOMPLETE' | 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE' | 'FAILED' | 'PERMANENT';

const S = 1e9;
export const RETRANS_TIME = 1 * S;
export const MCAST_SOLICIT = 3;
export const UCAST_SOLICIT = 3;
export const DELAY_FIRST_PROBE = 5 * S;
export const BASE_REACHABLE = 30 * S;
export const UNRES_QLEN = 101;

interface Queued {
  frame: Uint8Array;
  trace: Trace | null;
}

export class NeighEntry {
  mac: Uint8Array | null = null;
  /** Stored state; REACHABLE decays to STALE lazily (see `state`). */
  nud: NeighState = 'INCOMPLETE';
  confirmed = 0;
  reachableTime = BASE_REACHABLE;
  probes = 0;
  timer: TimerHandle = -1;
  queue: Queued[] | null = null;

  constructor(
    readonly ip: number,
    readonly dev: NetDevice,
  ) {}
}

function onTimer(table: NeighTable, e: NeighEntry): void {
  table.timerFired(e);
}

export class NeighTable {
  private readonly entries = new Map<number, NeighEntry>();

  constructor(private readonly ns: Namespace) {}

  private key(ip: number, dev: NetDevice): number {
    return dev.ifindex * 4294967296 + ip;
  }

  get(ip: number, dev: NetDevice): NeighEntry | undefined {
    return this.entries.get(this.key(ip, dev));
  }

  /** The state `ip neigh` shows now. */
  state(e: NeighEntry): NeighState {
    if (e.nud === 'REACHABLE' && this.ns.host.sched.now - e.confirmed >= e.reachableTime) e.nud = 'STALE';
    return e.nud;
  }

  /** All entries, for `ip neigh show`. */
  list(): NeighEntry[] {
    return [...this.entries.values()];
  }

  /** `ip neigh replace IP lladdr MAC dev DEV nud permanent|reachable`. */
  set(
    ip: number,
    dev: NetDevice,
    mac: Uint8Array,
    nud: 'PERMANENT' | 'REACHABLE' | 'STALE' = 'PERMANENT',
  ): void {
    const e = this.ensure(ip, dev);
    e.mac = mac.slice();
    this.setState(e, nud);
    this.flushQueue(e);
  }

  delete(ip: number, dev: NetDevice): boolean {
    const e = this.get(ip, dev);
    if (e === undefined) return false;
    this.cancelTimer(e);
    this.entries.delete(this.key(ip, dev));
    return true;
  }

  /** Drops every entry on `dev` (device down or moved). */
  flushDev(dev: NetDevice): void {
    for (const e of this.entries.values()) if (e.dev === dev) this.delete(e.ip, dev);
  }

  /**
   * neigh_output: sends an IPv4 frame (Ethernet header at 0, destination MAC still to fill) to
   * next hop `ip` out of `dev`, resolving first when needed.
   */
  output(ip: number, dev: NetDevice, frame: Uint8Array, trace: Trace | null): void {
    let e = this.entries.get(this.key(ip, dev));
    if (e !== undefined && e.mac !== null) {
      const st = e.nud;
      if (st === 'REACHABLE' || st === 'PERMANENT' || st === 'DELAY' || st === 'PROBE') {
        if (st === 'REACHABLE' && this.ns.host.sched.now - e.confirmed >= e.reachableTime) this.startDelay(e);
        this.send(e, frame, trace);
        return;
      }
      if (st === 'STALE') {
        this.startDelay(e);
        this.send(e, frame, trace);
        return;
      }
    }
    if (e === undefined) e = this.ensure(ip, dev);
    if (e.nud !== 'INCOMPLETE') {
      // FAILED (or a STALE entry without address): resolve again from scratch.
      e.nud = 'INCOMPLETE';
      e.probes = 0;
      this.cancelTimer(e);
    }
    if (e.queue === null) e.queue = [];
    if (e.queue.length >= UNRES_QLEN) e.queue.shift();
    e.queue.push({ frame, trace });
    if (trace !== null) dev.traceStep(trace, 'neigh', `${ipToString(ip)} INCOMPLETE: queued, resolving`);
    if (e.timer === -1) this.solicit(e);
  }

  private send(e: NeighEntry, frame: Uint8Array, trace: Trace | null): void {
    frame.set(e.mac!, 0);
    if (trace !== null)
      e.dev.traceStep(trace, 'neigh', `${ipToString(e.ip)} lladdr ${macToString(e.mac!)} ${e.nud}`);
    e.dev.transmit(frame, trace);
  }

  private ensure(ip: number, dev: NetDevice): NeighEntry {
    const k = this.key(ip, dev);
    let e = this.entries.get(k);
    if (e === undefined) {
      e = new NeighEntry(ip, dev);
      this.entries.set(k, e);
    }
    return e;
  }

  private setState(e: NeighEntry, nud: NeighState): void {
    this.cancelTimer(e);
    e.nud = nud;
    e.probes = 0;
    if (nud === 'REACHABLE') {
      e.confirmed = this.ns.host.sched.now;
      // neigh_rand_reach_time: uniform in [base/2, 3*base/2)
      e.reachableTime = BASE_REACHABLE / 2 + this.ns.host.sched.int(BASE_REACHABLE);
    }
  }

  private startDelay(e: NeighEntry): void {
    this.cancelTimer(e);
    e.nud = 'DELAY';
    e.timer = this.ns.host.sched.schedule(DELAY_FIRST_PROBE, onTimer, this, e);
  }

  private cancelTimer(e: NeighEntry): void {
    if (e.timer !== -1) this.ns.host.sched.cancel(e.timer);
    e.timer = -1;
  }

  private solicit(e: NeighEntry): void {
    e.probes++;
    // a traced packet waiting for resolution traces its ARP requests too
    const trace = e.queue !== null && e.queue.length > 0 ? e.queue[0].trace : null;
    this.sendArp(e.dev, ARP_REQUEST, e.nud === 'PROBE' ? e.mac : null, e.ip, null, trace);
    e.timer = this.ns.host.sched.schedule(RETRANS_TIME, onTimer, this, e);
  }

  timerFired(e: NeighEntry): void {
    e.timer = -1;
    if (e.nud === 'DELAY') {
      e.nud = 'PROBE';
      e.probes = 0;
      this.solicit(e);
      return;
    }
    const limit = e.nud === 'PROBE' ? UCAST_SOLICIT : MCAST_SOLICIT;
    if (e.nud === 'INCOMPLETE' || e.nud === 'PROBE') {
      if (e.probes < limit) {
        this.solicit(e);
        return;
      }
      e.nud = 'FAILED';
      e.mac = null;
      const q = e.queue;
      e.queue = null;
      // arp_error_report: every packet that waited gets ICMP host unreachable (to a local sender too).
      if (q !== null) for (const p of q) this.ns.unreachableFromNeigh(p.frame, e.dev, p.trace);
    }
  }

  private flushQueue(e: NeighEntry): void {
    const q = e.queue;
    if (q === null || e.mac === null) return;
    e.queue = null;
    for (const p of q) this.send(e, p.frame, p.trace);
  }

  /** arp_rcv / arp_process for a frame received on `dev` (ARP payload at offset 14). */
  receiveArp(dev: NetDevice, frame: Uint8Array, trace: Trace | null): void {
    const off = 14;
    if (checkArp(frame, off) !== null) return;
    const op = arpOp(frame, off);
    const sip = arpSenderIp(frame, off);
    const tip = arpTargetIp(frame, off);
    const sha = frame.subarray(off + 8, off + 14);
    if ((sha[0] & 1) === 1) return; // multicast sender hardware address: arp_process drops it
    const ns = this.ns;
    const targetIsOurs = ns.localAddressOwner(tip) !== null && ns.arpAnswersOn(dev, tip);
    if (op === ARP_REQUEST && sip === 0) {
      // Duplicate address detection probe: answer if it is ours, learn nothing.
      if (targetIsOurs) this.sendArp(dev, ARP_REPLY, sha, sip, tip);
      return;
    }
    const existing = this.get(sip, dev);
    if (op === ARP_REQUEST && targetIsOurs) {
      const e = existing ?? this.ensure(sip, dev);
      if (e.nud !== 'PERMANENT') {
        const changed = e.mac === null || !sameMac(e.mac, sha);
        if (changed || e.nud === 'INCOMPLETE' || e.nud === 'FAILED') {
          e.mac = sha.slice();
          this.setState(e, 'STALE');
          this.flushQueue(e);
        }
      }
      if (trace !== null)
        dev.traceStep(trace, 'reply', `ARP reply: ${ipToString(tip)} is-at ${dev.macString}`);
      this.sendArp(dev, ARP_REPLY, sha, sip, tip, trace);
      return;
    }
    if (op === ARP_REQUEST && sip !== tip && dev.proxyArp && ns.proxyArpFor(tip, dev)) {
      if (trace !== null) dev.traceStep(trace, 'reply', `proxy ARP reply for ${ipToString(tip)}`);
      this.sendArp(dev, ARP_REPLY, sha, sip, tip, trace);
      return;
    }
    if (existing !== undefined && existing.nud !== 'PERMANENT') {
      // A reply to our request confirms (REACHABLE); gratuitous ARP or an overheard request only
      // refreshes the address (STALE).
      const isReplyToUs = op === ARP_REPLY && ns.localAddressOwner(tip) !== null && frame[0] !== 0xff;
      existing.mac = sha.slice();
      this.setState(existing, isReplyToUs ? 'REACHABLE' : 'STALE');
      if (trace !== null)
        dev.traceStep(trace, 'neigh', `${ipToString(sip)} lladdr ${macToString(sha)} ${existing.nud}`);
      this.flushQueue(existing);
    }
  }

  /** Emits an ARP request (to broadcast, or unicast to `dstMac` when probing) or reply. */
  sendArp(
    dev: NetDevice,
    op: number,
    dstMac: Uint8Array | null,
    targetIp: number,
    senderIp: number | null,
    trace: Trace | null = null,
  ): void {
    const f = new Uint8Array(42);
    if (dstMac === null) f.fill(0xff, 0, 6);
    else f.set(dstMac, 0);
    f.set(dev.mac, 6);
    writeU16(f, 12, ETHERTYPE_ARP);
    writeU16(f, 14, 1);
    writeU16(f, 16, 0x0800);
    f[18] = 6;
    f[19] = 4;
    writeU16(f, 20, op);
    f.set(dev.mac, 22);
    // A request's sender address is ours (the source for that target); a reply's is the address
    // asked about, and its target is the asker (hardware and protocol address).
    writeIp(f, 28, senderIp ?? this.ns.sourceFor(dev, targetIp));
    if (op === ARP_REPLY && dstMac !== null) f.set(dstMac, 32);
    writeIp(f, 38, targetIp);
    dev.transmit(f, trace);
  }
}

function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3] && a[4] === b[4] && a[5] === b[5];
}
