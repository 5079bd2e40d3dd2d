// The IPv4 stack of a namespace: ip_rcv → PREROUTING → route input → local delivery (INPUT,
// reassembly, ICMP/UDP) or forwarding (TTL, FORWARD, POSTROUTING, fragmentation, neighbour
// output); local output (route, OUTPUT, POSTROUTING, fragmentation or EMSGSIZE). ICMP errors are
// generated where Linux generates them (icmp_send's rules: never about an ICMP error, a
// broadcast, or a non-first fragment).
//
// Frames inside the stack are Ethernet frames with the IPv4 header at offset 14. A frame from a
// device is never modified: forwarding copies it first (a flooded frame is shared).

import { HOP } from '../sim/latency.js';
import { readU16, writeU16 } from '../wire/byte-order.js';
import { internetChecksum } from '../wire/checksum.js';
import { ETH_HEADER_LEN, ETHERTYPE_IPV4 } from '../wire/ethernet.js';
import {
  checkIcmp,
  ICMP_DEST_UNREACHABLE,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_HEADER_LEN,
  ICMP_TIME_EXCEEDED,
  icmpIsError,
  icmpQuote,
  TIME_EXCEEDED_TTL,
  UNREACH_FRAG_NEEDED,
  UNREACH_HOST,
  UNREACH_NET,
  UNREACH_PORT,
  UNREACH_PROTOCOL,
} from '../wire/icmp.js';
import {
  checkIpv4,
  fillIpv4Checksum,
  IP_PROTO_ICMP,
  IP_PROTO_UDP,
  ipv4DecrementTtl,
  ipv4DontFrag,
  ipv4Dst,
  ipv4FragOffset,
  ipv4HeaderLen,
  ipv4IsFragment,
  ipv4Protocol,
  ipv4Src,
  ipv4TotalLen,
  ipv4Ttl,
} from '../wire/ipv4.js';
import { ipToString, writeIp } from '../wire/ipv4-address.js';
import type { NetDevice } from './device.js';
import { fragmentIpv4, Reassembler } from './fragment.js';
import type { Namespace } from './netns.js';
import type { NfHook } from './nf-hooks.js';
import type { Route } from './routes.js';
import type { Trace } from './trace.js';

const L3 = ETH_HEADER_LEN;
/** net.ipv4.route.mtu_expires: 600 s. */
export const PMTU_EXPIRES_NS = 600e9;

/** Result of a local send: 'ok', or the errno a Linux socket would return. */
export type OutputResult = 'ok' | 'ENETUNREACH' | 'EMSGSIZE' | 'EPERM';

/** Where a destination goes, from `route()`. */
export interface RouteResult {
  kind: 'local' | 'unicast' | 'broadcast';
  dev: NetDevice;
  nextHop: number;
  src: number;
  route: Route | null;
}

export class Ipv4Stack {
  readonly reasm: Reassembler;
  /** The backlog frames wait in before the stack handles them, in order (FifoQueue). */
  fifoAt = 0;
  /** MTU reported with the last EMSGSIZE (ping prints it). */
  lastMtu = 0;
  private readonly deliverEv: (dev: NetDevice, frame: Uint8Array, trace: Trace | null) => void;
  private readonly forwardEv: (dev: NetDevice, frame: Uint8Array, trace: Trace | null) => void;

  constructor(readonly ns: Namespace) {
    this.reasm = new Reassembler(ns);
    this.deliverEv = (dev, frame, trace) => this.localDeliver(dev, frame, trace);
    this.forwardEv = (dev, frame, trace) => this.forward(dev, frame, trace);
  }

  private get host() {
    return this.ns.host;
  }

  // ── input ───────────────────────────────────────────────────────────────────

  receive(dev: NetDevice, frame: Uint8Array, trace: Trace | null): void {
    const ns = this.ns;
    ns.stats.inReceives++;
    if (dev.kind !== 'loopback' && (frame[0] & 1) === 0 && !sameMac(frame, dev.mac)) {
      // PACKET_OTHERHOST: seen only because the device is promiscuous or the bridge flooded it.
      if (trace !== null) dev.traceStep(trace, 'drop', 'not addressed to this host (PACKET_OTHERHOST)');
      return;
    }
    if (checkIpv4(frame, L3, frame.length - L3) !== null) {
      ns.stats.inHdrErrors++;
      if (trace !== null) dev.traceStep(trace, 'drop', 'bad IPv4 header');
      return;
    }
    if (ns.netfilter !== null) {
      if (ipv4IsFragment(frame, L3)) {
        // nf_defrag_ipv4: conntrack and NAT see whole datagrams; a forwarded one is fragmented
        // again on output.
        const whole = this.reasm.add(frame, trace);
        if (whole === null) return;
        frame = whole;
      } else {
        frame = frame.slice(0, L3 + ipv4TotalLen(frame, L3)); // NAT may rewrite: take a private copy
      }
      if (!this.hook('PREROUTING', frame, dev, null, trace)) return;
    }
    const dst = ipv4Dst(frame, L3);
    if (dev.kind !== 'loopback' && ns.localAddressOwner(ipv4Src(frame, L3)) !== null) {
      if (trace !== null) dev.traceStep(trace, 'drop', `martian source ${ipToString(ipv4Src(frame, L3))}`);
      return;
    }
    const sched = this.host.sched;
    if (ns.localAddressOwner(dst) !== null || ns.isBroadcast(dst) || dst >>> 28 === 0xe) {
      sched.schedule(
        this.host.latency.fifoDelayOf(HOP.stack, this, sched.now),
        this.deliverEv,
        dev,
        frame,
        trace,
      );
      return;
    }
    if (!ns.ipForward) {
      ns.stats.inAddrErrors++;
      if (trace !== null) dev.traceStep(trace, 'drop', `not for us (${ipToString(dst)}) and ip_forward=0`);
      return;
    }
    sched.schedule(
      this.host.latency.fifoDelayOf(HOP.stack, this, sched.now),
      this.forwardEv,
      dev,
      frame,
      trace,
    );
  }

  private localDeliver(dev: NetDevice, frame: Uint8Array, trace: Trace | null): void {
    const ns = this.ns;
    if (ns.netfilter !== null && !this.hook('INPUT', frame, dev, null, trace)) return;
    if (ipv4IsFragment(frame, L3)) {
      const whole = this.reasm.add(frame, trace);
      if (whole === null) return;
      frame = whole;
    }
    ns.stats.inDelivers++;
    const proto = ipv4Protocol(frame, L3);
    const l4 = L3 + ipv4HeaderLen(frame, L3);
    const l4len = ipv4TotalLen(frame, L3) - (l4 - L3);
    const broadcast = (frame[0] & 1) === 1 || ns.localAddressOwner(ipv4Dst(frame, L3)) === null;
    if (proto === IP_PROTO_ICMP) {
      if (checkIcmp(frame, l4, l4len) !== null) {
        if (trace !== null) dev.traceStep(trace, 'drop', 'bad ICMP checksum');
        return;
      }
      this.icmpReceive(dev, frame, l4, l4len, broadcast, trace);
    } else if (proto === IP_PROTO_UDP) {
      if (!ns.udpDeliver(dev, frame, l4, l4len, trace) && !broadcast) {
        if (trace !== null)
          dev.traceStep(trace, 'deliver', `no UDP socket on port ${readU16(frame, l4 + 2)}`);
        this.icmpSend(frame, ICMP_DEST_UNREACHABLE, UNREACH_PORT, 0, trace);
      }
    } else if (!broadcast) {
      if (trace !== null) dev.traceStep(trace, 'deliver', `no handler for IP protocol ${proto}`);
      this.icmpSend(frame, ICMP_DEST_UNREACHABLE, UNREACH_PROTOCOL, 0, trace);
    }
  }

  private icmpReceive(
    dev: NetDevice,
    frame: Uint8Array,
    l4: number,
    l4len: number,
    broadcast: boolean,
    trace: Trace | null,
  ): void {
    const type = frame[l4];
    if (type === ICMP_ECHO_REQUEST) {
      if (broadcast && this.ns.getSysctl('net.ipv4.icmp_echo_ignore_broadcasts') === '1') return;
      if (trace !== null) dev.traceStep(trace, 'reply', `echo reply to ${ipToString(ipv4Src(frame, L3))}`);
      this.echoReply(frame, l4, l4len, trace);
      return;
    }
    if (type === ICMP_ECHO_REPLY) {
      const sock = this.ns.pingSockets.get(readU16(frame, l4 + 4));
      if (trace !== null)
        dev.traceStep(
          trace,
          'deliver',
          sock ? `echo reply to ping socket ${sock.id}` : 'echo reply: no socket',
        );
      sock?.deliverReply(frame, l4, l4len);
      return;
    }
    if (icmpIsError(type) && l4len >= ICMP_HEADER_LEN + 20) {
      // The quoted header tells whose packet it was: a ping socket (echo id) or a UDP socket.
      const q = l4 + ICMP_HEADER_LEN;
      const qhl = (frame[q] & 0x0f) << 2;
      const qproto = frame[q + 9];
      if (trace !== null) dev.traceStep(trace, 'deliver', `ICMP error type ${type} code ${frame[l4 + 1]}`);
      if (type === ICMP_DEST_UNREACHABLE && frame[l4 + 1] === UNREACH_FRAG_NEEDED) {
        // ip_rt_update_pmtu: remember the smaller MTU toward the quoted destination
        const mtu = readU16(frame, l4 + 6);
        if (mtu >= 68) {
          this.ns.pmtu.set(ipv4Dst(frame, q), { mtu, expires: this.host.sched.now + PMTU_EXPIRES_NS });
        }
      }
      if (
        qproto === IP_PROTO_ICMP &&
        l4len >= ICMP_HEADER_LEN + qhl + 8 &&
        frame[q + qhl] === ICMP_ECHO_REQUEST
      ) {
        this.ns.pingSockets.get(readU16(frame, q + qhl + 4))?.deliverError(frame, l4);
      } else if (qproto === IP_PROTO_UDP && l4len >= ICMP_HEADER_LEN + qhl + 4) {
        this.ns.udpError(frame, l4, q, qhl);
      }
    }
  }

  private echoReply(req: Uint8Array, l4: number, l4len: number, trace: Trace | null): void {
    const ns = this.ns;
    const dst = ipv4Src(req, L3);
    const reqDst = ipv4Dst(req, L3);
    const frame = new Uint8Array(L3 + 20 + l4len);
    frame.set(req.subarray(l4, l4 + l4len), L3 + 20);
    frame[L3 + 20] = ICMP_ECHO_REPLY;
    writeU16(frame, L3 + 22, 0);
    writeU16(frame, L3 + 22, internetChecksum(frame, L3 + 20, l4len));
    const src = ns.localAddressOwner(reqDst) !== null ? reqDst : 0;
    this.writeHeader(frame, src, dst, IP_PROTO_ICMP, 64, false, req[L3 + 1], 20 + l4len);
    this.output(frame, trace);
  }

  // ── forwarding ──────────────────────────────────────────────────────────────

  private forward(inDev: NetDevice, frame: Uint8Array, trace: Trace | null): void {
    const ns = this.ns;
    if ((frame[0] & 1) === 1) return; // link-layer broadcast is never forwarded
    if (ipv4Ttl(frame, L3) <= 1) {
      if (trace !== null) inDev.traceStep(trace, 'drop', 'TTL exceeded in transit');
      this.icmpSend(frame, ICMP_TIME_EXCEEDED, TIME_EXCEEDED_TTL, 0, trace);
      return;
    }
    const dst = ipv4Dst(frame, L3);
    const r = ns.routes.lookup(dst);
    if (r === null) {
      ns.stats.outNoRoutes++;
      if (trace !== null) inDev.traceStep(trace, 'route', `no route to ${ipToString(dst)}: net unreachable`);
      this.icmpSend(frame, ICMP_DEST_UNREACHABLE, UNREACH_NET, 0, trace);
      return;
    }
    const total = ipv4TotalLen(frame, L3);
    if (total > r.dev.mtu && ipv4DontFrag(frame, L3)) {
      ns.stats.fragFails++;
      if (trace !== null)
        inDev.traceStep(
          trace,
          'drop',
          `${total} bytes > MTU ${r.dev.mtu} of ${r.dev.name} with DF: fragmentation needed`,
        );
      this.icmpSend(frame, ICMP_DEST_UNREACHABLE, UNREACH_FRAG_NEEDED, r.dev.mtu, trace);
      return;
    }
    if (trace !== null)
      inDev.traceStep(trace, 'route', `forward ${ipToString(dst)} via ${describeNextHop(r, dst)}`);
    // With netfilter the frame is already a private copy (taken before PREROUTING); keeping the same
    // object lets netfilter carry the packet's conntrack entry and mark from hook to hook.
    const copy = ns.netfilter !== null ? frame : frame.slice(0, L3 + total);
    if (ns.netfilter !== null && !this.hook('FORWARD', copy, inDev, r.dev, trace)) return;
    ipv4DecrementTtl(copy, L3);
    ns.stats.forwDatagrams++;
    this.finish(copy, r.dev, r.via !== 0 ? r.via : dst, ns.isBroadcast(dst), inDev, trace, true);
  }

  // ── output ──────────────────────────────────────────────────────────────────

  /**
   * Route lookup for a locally generated packet (ip_route_output). `oif` restricts it to a device
   * (SO_BINDTODEVICE). null = network unreachable.
   */
  route(dst: number, oif: NetDevice | null = null): RouteResult | null {
    const ns = this.ns;
    if (ns.localAddressOwner(dst) !== null || dst >>> 24 === 127) {
      return {
        kind: 'local',
        dev: ns.lo,
        nextHop: dst,
        src: dst >>> 24 === 127 ? 0x7f000001 : dst,
        route: null,
      };
    }
    if (dst === 0xffffffff) {
      const dev = oif ?? ns.routes.lookup(dst)?.dev ?? null;
      if (dev === null) return null;
      return { kind: 'broadcast', dev, nextHop: dst, src: ns.sourceFor(dev, dst), route: null };
    }
    let r = ns.routes.lookup(dst);
    if (oif !== null && (r === null || r.dev !== oif)) {
      // bound to a device: only routes through it count; else the destination is taken as on-link
      r = ns.routes.routes.find((x) => x.dev === oif && (dst & x.mask) >>> 0 === x.dst) ?? null;
      if (r === null) {
        if (!oif.adminUp) return null;
        return { kind: 'unicast', dev: oif, nextHop: dst, src: ns.sourceFor(oif, dst), route: null };
      }
    }
    if (r === null) return null;
    const kind = ns.isBroadcast(dst) ? 'broadcast' : 'unicast';
    return {
      kind,
      dev: r.dev,
      nextHop: r.via !== 0 ? r.via : dst,
      src: r.src !== 0 ? r.src : ns.sourceFor(r.dev, dst),
      route: r,
    };
  }

  /**
   * The MTU toward `dst`: the device's, lowered by a learned path MTU (from ICMP fragmentation
   * needed, kept ip_rt_mtu_expires = 10 min, what `ip route get` shows as `cache expires … mtu N`).
   */
  pathMtu(dst: number, dev: NetDevice): number {
    const p = this.ns.pmtu.get(dst);
    if (p === undefined) return dev.mtu;
    if (p.expires <= this.host.sched.now) {
      this.ns.pmtu.delete(dst);
      return dev.mtu;
    }
    return Math.min(p.mtu, dev.mtu);
  }

  /** Fills an IPv4 header at offset 14 (id from the namespace's counter, checksum computed). */
  writeHeader(
    frame: Uint8Array,
    src: number,
    dst: number,
    proto: number,
    ttl: number,
    df: boolean,
    tos: number,
    totalLen: number,
  ): void {
    writeU16(frame, 12, ETHERTYPE_IPV4);
    frame[L3] = 0x45;
    frame[L3 + 1] = tos;
    writeU16(frame, L3 + 2, totalLen);
    writeU16(frame, L3 + 4, this.nextId());
    writeU16(frame, L3 + 6, df ? 0x4000 : 0);
    frame[L3 + 8] = ttl;
    frame[L3 + 9] = proto;
    writeIp(frame, L3 + 12, src);
    writeIp(frame, L3 + 16, dst);
    fillIpv4Checksum(frame, L3);
  }

  private idCounter = 0;
  private nextId(): number {
    if (this.idCounter === 0) this.idCounter = 1 + this.host.sched.int(0xfffe);
    this.idCounter = (this.idCounter + 1) & 0xffff;
    return this.idCounter;
  }

  /**
   * Sends a locally generated packet (IPv4 header at 14, source 0 = choose from the route):
   * OUTPUT, POSTROUTING, fragmentation (or EMSGSIZE with DF), neighbour output.
   * `oif` binds to a device; `dstMac` skips ARP (dnsmasq answering a client without an address).
   */
  output(
    frame: Uint8Array,
    trace: Trace | null,
    oif: NetDevice | null = null,
    dstMac: Uint8Array | null = null,
  ): OutputResult {
    const ns = this.ns;
    ns.stats.outRequests++;
    let dst = ipv4Dst(frame, L3);
    let rr = this.route(dst, oif);
    if (rr === null) {
      ns.stats.outNoRoutes++;
      if (trace !== null)
        trace.add(
          this.host.sched.now,
          this.host.name,
          ns.name,
          '-',
          'route',
          `no route to ${ipToString(dst)}`,
        );
      return 'ENETUNREACH';
    }
    if (ipv4Src(frame, L3) === 0 && rr.src !== 0) {
      writeIp(frame, L3 + 12, rr.src);
      fillIpv4Checksum(frame, L3);
      if (ipv4Protocol(frame, L3) === IP_PROTO_UDP) fixUdpChecksum(frame);
    }
    if (trace !== null)
      rr.dev.traceStep(
        trace,
        'route',
        `output ${ipToString(dst)} ${rr.kind} via ${rr.route ? describeNextHop(rr.route, dst) : rr.dev.name}`,
      );
    if (ns.netfilter !== null) {
      if (!this.hook('OUTPUT', frame, null, rr.dev, trace)) return 'EPERM';
      const nd = ipv4Dst(frame, L3);
      if (nd !== dst) {
        dst = nd;
        rr = this.route(dst, oif);
        if (rr === null) return 'ENETUNREACH';
      }
    }
    if (rr.kind === 'local') {
      frame.fill(0, 0, 12);
      this.finish(frame, ns.lo, dst, false, null, trace, false);
      return 'ok';
    }
    const total = ipv4TotalLen(frame, L3);
    const mtu = this.pathMtu(dst, rr.dev);
    if (total > mtu && ipv4DontFrag(frame, L3)) {
      this.lastMtu = mtu;
      ns.stats.fragFails++;
      return 'EMSGSIZE';
    }
    this.finish(frame, rr.dev, rr.nextHop, rr.kind === 'broadcast', null, trace, false, dstMac, mtu);
    return 'ok';
  }

  /** POSTROUTING, fragmentation, then the link: ip_output → ip_finish_output2. */
  private finish(
    frame: Uint8Array,
    dev: NetDevice,
    nextHop: number,
    broadcast: boolean,
    inDev: NetDevice | null,
    trace: Trace | null,
    forwarded: boolean,
    dstMac: Uint8Array | null = null,
    mtu = dev.mtu,
  ): void {
    const ns = this.ns;
    if (ns.netfilter !== null && !this.hook('POSTROUTING', frame, inDev, dev, trace)) return;
    writeU16(frame, 12, ETHERTYPE_IPV4);
    frame.set(dev.mac, 6);
    const total = ipv4TotalLen(frame, L3);
    if (total > mtu) {
      const frags = fragmentIpv4(frame, L3, mtu);
      ns.stats.fragOKs++;
      ns.stats.fragCreates += frags.length;
      if (trace !== null)
        dev.traceStep(trace, 'fragment', `${total} bytes into ${frags.length} fragments for MTU ${mtu}`);
      for (const f of frags) this.linkOutput(f, dev, nextHop, broadcast, trace, dstMac);
      return;
    }
    if (forwarded && trace !== null) dev.traceStep(trace, 'route', `ttl now ${ipv4Ttl(frame, L3)}`);
    this.linkOutput(frame, dev, nextHop, broadcast, trace, dstMac);
  }

  private linkOutput(
    frame: Uint8Array,
    dev: NetDevice,
    nextHop: number,
    broadcast: boolean,
    trace: Trace | null,
    dstMac: Uint8Array | null,
  ): void {
    if (dev.kind === 'loopback') {
      dev.transmit(frame, trace);
    } else if (broadcast) {
      frame.fill(0xff, 0, 6);
      dev.transmit(frame, trace);
    } else if (nextHop >>> 28 === 0xe) {
      // RFC 1112 multicast MAC: 01:00:5e + low 23 bits
      frame[0] = 0x01;
      frame[1] = 0x00;
      frame[2] = 0x5e;
      frame[3] = (nextHop >>> 16) & 0x7f;
      frame[4] = (nextHop >>> 8) & 0xff;
      frame[5] = nextHop & 0xff;
      dev.transmit(frame, trace);
    } else if (dstMac !== null) {
      frame.set(dstMac, 0);
      dev.transmit(frame, trace);
    } else {
      this.ns.neigh.output(nextHop, dev, frame, trace);
    }
  }

  // ── ICMP errors ─────────────────────────────────────────────────────────────

  /** A packet whose next hop did not answer ARP: ICMP host unreachable to its sender. */
  hostUnreachable(frame: Uint8Array, trace: Trace | null): void {
    this.icmpSend(frame, ICMP_DEST_UNREACHABLE, UNREACH_HOST, 0, trace);
  }

  /**
   * icmp_send: an error about `orig` (IPv4 at 14) to its source. `info` is the next-hop MTU for
   * fragmentation-needed. Nothing is sent about ICMP errors, broadcasts or later fragments.
   */
  icmpSend(orig: Uint8Array, type: number, code: number, info: number, trace: Trace | null): void {
    const ns = this.ns;
    const osrc = ipv4Src(orig, L3);
    const odst = ipv4Dst(orig, L3);
    if (osrc === 0 || osrc === 0xffffffff || osrc >>> 28 === 0xe) return;
    if (odst >>> 28 === 0xe || ns.isBroadcast(odst)) return;
    if (ipv4FragOffset(orig, L3) !== 0) return;
    if (ipv4Protocol(orig, L3) === IP_PROTO_ICMP) {
      const l4 = L3 + ipv4HeaderLen(orig, L3);
      if (l4 >= orig.length || icmpIsError(orig[l4])) return;
    }
    const quote = icmpQuote(orig, L3);
    const frame = new Uint8Array(L3 + 20 + ICMP_HEADER_LEN + quote.length);
    const o = L3 + 20;
    frame[o] = type;
    frame[o + 1] = code;
    writeU16(frame, o + 6, type === ICMP_DEST_UNREACHABLE && code === UNREACH_FRAG_NEEDED ? info : 0);
    frame.set(quote, o + ICMP_HEADER_LEN);
    writeU16(frame, o + 2, internetChecksum(frame, o, ICMP_HEADER_LEN + quote.length));
    // A packet that was for us answers from the address it was sent to; otherwise the route back chooses.
    const src = ns.localAddressOwner(odst) !== null ? odst : 0;
    this.writeHeader(frame, src, osrc, IP_PROTO_ICMP, 64, false, 0xc0, 20 + ICMP_HEADER_LEN + quote.length);
    if (trace !== null)
      trace.add(
        this.host.sched.now,
        this.host.name,
        ns.name,
        '-',
        'icmp-error',
        `type ${type} code ${code} to ${ipToString(osrc)}`,
      );
    this.output(frame, trace);
  }

  /** Runs a netfilter hook on the IPv4 packet at 14; false when it was dropped or stolen. */
  private hook(
    hook: NfHook,
    frame: Uint8Array,
    inDev: NetDevice | null,
    outDev: NetDevice | null,
    trace: Trace | null,
  ): boolean {
    const pkt = this.ns.nfPacket;
    pkt.hook = hook;
    pkt.frame = frame;
    pkt.l3 = L3;
    pkt.inDev = inDev;
    pkt.outDev = outDev;
    pkt.physIn = null;
    pkt.physOut = null;
    pkt.bridged = false;
    pkt.trace = trace;
    const nf = this.ns.netfilter!;
    const v = nf.run(pkt);
    if (trace !== null) {
      const why = nf.explain ? `: ${nf.explain()}` : '';
      const dev = (inDev ?? outDev)?.name ?? '-';
      trace.add(this.host.sched.now, this.host.name, this.ns.name, dev, 'netfilter', `${hook} ${v}${why}`);
    }
    return v === 'ACCEPT';
  }
}

function sameMac(frame: Uint8Array, mac: Uint8Array): boolean {
  return (
    frame[0] === mac[0] &&
    frame[1] === mac[1] &&
    frame[2] === mac[2] &&
    frame[3] === mac[3] &&
    frame[4] === mac[4] &&
    frame[5] === mac[5]
  );
}

function describeNextHop(r: Route, dst: number): string {
  return r.via !== 0
    ? `${ipToString(r.via)} dev ${r.dev.name}`
    : `${ipToString(dst)} dev ${r.dev.name} (connected)`;
}

/** Recomputes the UDP checksum of the datagram at 14 + IHL after the source address was chosen. */
function fixUdpChecksum(frame: Uint8Array): void {
  const l4 = L3 + ipv4HeaderLen(frame, L3);
  if (readU16(frame, l4 + 6) === 0) return; // sent without checksum
  writeU16(frame, l4 + 6, 0);
  const ulen = readU16(frame, l4 + 4);
  let sum = 0;
  const src = ipv4Src(frame, L3);
  const dst = ipv4Dst(frame, L3);
  sum = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + IP_PROTO_UDP + ulen;
  const c = internetChecksum(frame, l4, ulen, sum);
  writeU16(frame, l4 + 6, c === 0 ? 0xffff : c);
}
