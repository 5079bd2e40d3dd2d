// Sockets inside a namespace: UDP (the DHCP server, the metadata proxy, VXLAN's UDP 4789 tunnel
// socket) and ICMP echo ("ping sockets", what `ping` uses): the API host tools and agents use to
// talk through the simulated stack.

import { readU16, writeU16 } from '../wire/byte-order.js';
import { internetChecksum } from '../wire/checksum.js';
import { ICMP_ECHO_REQUEST, ICMP_HEADER_LEN } from '../wire/icmp.js';
import { IP_PROTO_ICMP, IP_PROTO_UDP, ipv4Dst, ipv4HeaderLen, ipv4Src, ipv4Ttl } from '../wire/ipv4.js';
import { ipToString } from '../wire/ipv4-address.js';
import { checkUdp, udpChecksum } from '../wire/udp.js';
import type { NetDevice } from './device.js';
import type { OutputResult } from './ipv4.js';
import type { Namespace } from './netns.js';
import type { Trace } from './trace.js';

const L3 = 14;

/** A received datagram. `payload` is a view into the frame: copy it to keep it past the callback. */
export interface UdpDatagram {
  src: number;
  srcPort: number;
  dst: number;
  dstPort: number;
  /** Device it arrived on. */
  dev: NetDevice;
  payload: Uint8Array;
  ttl: number;
  /** The whole frame (Ethernet at 0), e.g. for a DHCP server that needs the client's MAC. */
  frame: Uint8Array;
}

export type UdpHandler = (d: UdpDatagram, trace: Trace | null) => void;
/** Low-level receive without allocation (tunnel endpoints): UDP header at `l4`. */
export type UdpRawHandler = (frame: Uint8Array, l4: number, dev: NetDevice, trace: Trace | null) => void;
/** An ICMP error about a datagram this socket sent. */
export type UdpErrorHandler = (e: {
  from: number;
  type: number;
  code: number;
  dst: number;
  dstPort: number;
}) => void;

export type UdpTable = Map<number, UdpSocket[]>;

export interface UdpSendOptions {
  /** Source address; default from the route. */
  src?: number;
  ttl?: number;
  tos?: number;
  /** Don't-fragment bit; default: set when the datagram fits the path MTU (IP_PMTUDISC_WANT). */
  df?: boolean;
  /** Send out this device (SO_BINDTODEVICE); default the socket's bound device. */
  dev?: NetDevice;
  /** Destination MAC, skipping ARP (dnsmasq answering a client that has no address yet). */
  dstMac?: Uint8Array;
  /** Compute the UDP checksum (default true; VXLAN sends 0). */
  checksum?: boolean;
  /** UDP source port; default the socket's port. */
  srcPort?: number;
  trace?: Trace | null;
}

export class UdpSocket {
  onError: UdpErrorHandler | null = null;
  private closed = false;

  private constructor(
    readonly ns: Namespace,
    readonly addr: number,
    readonly port: number,
    readonly dev: NetDevice | null,
    private readonly handler: UdpHandler | null,
    private readonly raw: UdpRawHandler | null,
  ) {}

  static bind(
    ns: Namespace,
    addr: number,
    port: number,
    h: UdpHandler | null,
    dev: NetDevice | null,
    raw: UdpRawHandler | null = null,
  ): UdpSocket {
    if (!(port > 0 && port < 65536)) throw new Error(`invalid port ${port}`);
    if (addr !== 0 && ns.localAddressOwner(addr) === null && addr !== 0xffffffff) {
      throw new Error(`bind: Cannot assign requested address (${ipToString(addr)})`);
    }
    const list = ns.udp.get(port) ?? [];
    if (list.some((s) => s.addr === addr && s.dev === dev))
      throw new Error(`bind: Address already in use (port ${port})`);
    const s = new UdpSocket(ns, addr, port, dev, h, raw);
    list.push(s);
    ns.udp.set(port, list);
    return s;
  }

  static bindRaw(
    ns: Namespace,
    addr: number,
    port: number,
    raw: UdpRawHandler,
    dev: NetDevice | null = null,
  ): UdpSocket {
    return UdpSocket.bind(ns, addr, port, null, dev, raw);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const list = this.ns.udp.get(this.port);
    if (!list) return;
    const rest = list.filter((s) => s !== this);
    if (rest.length) this.ns.udp.set(this.port, rest);
    else this.ns.udp.delete(this.port);
  }

  /** sendto(): builds the datagram and hands it to the namespace's IP output. */
  send(dst: number, dstPort: number, payload: Uint8Array, opts: UdpSendOptions = {}): OutputResult {
    const ns = this.ns;
    const oif = opts.dev ?? this.dev;
    const rr = ns.ip.route(dst, oif);
    if (rr === null) return 'ENETUNREACH';
    const src = opts.src ?? (this.addr !== 0 && this.addr !== 0xffffffff ? this.addr : rr.src);
    const ulen = 8 + payload.length;
    const frame = new Uint8Array(L3 + 20 + ulen);
    const l4 = L3 + 20;
    writeU16(frame, l4, opts.srcPort ?? this.port);
    writeU16(frame, l4 + 2, dstPort);
    writeU16(frame, l4 + 4, ulen);
    frame.set(payload, l4 + 8);
    if (opts.checksum !== false) writeU16(frame, l4 + 6, udpChecksum(frame, l4, ulen, src, dst));
    const df = opts.df ?? 20 + ulen <= ns.ip.pathMtu(dst, rr.dev);
    ns.ip.writeHeader(frame, src, dst, IP_PROTO_UDP, opts.ttl ?? 64, df, opts.tos ?? 0, 20 + ulen);
    return ns.ip.output(frame, opts.trace ?? null, oif, opts.dstMac ?? null);
  }

  /** Delivery from the stack. */
  deliver(frame: Uint8Array, l4: number, dev: NetDevice, trace: Trace | null): void {
    if (this.raw !== null) {
      this.raw(frame, l4, dev, trace);
      return;
    }
    const ulen = readU16(frame, l4 + 4);
    this.handler!(
      {
        src: ipv4Src(frame, L3),
        srcPort: readU16(frame, l4),
        dst: ipv4Dst(frame, L3),
        dstPort: readU16(frame, l4 + 2),
        dev,
        payload: frame.subarray(l4 + 8, l4 + ulen),
        ttl: ipv4Ttl(frame, L3),
        frame,
      },
      trace,
    );
  }
}

/**
 * udp_rcv: checks the datagram and gives it to the matching sockets: for unicast the most specific
 * one (bound address, then bound device, then wildcard); broadcasts go to every socket on the port
 * whose device (if bound) is the receiving one. False when no socket took it.
 */
export function udpDeliver(
  ns: Namespace,
  dev: NetDevice,
  frame: Uint8Array,
  l4: number,
  l4len: number,
  trace: Trace | null,
): boolean {
  const src = ipv4Src(frame, L3);
  const dst = ipv4Dst(frame, L3);
  if (checkUdp(frame, l4, l4len, src, dst) !== null) {
    if (trace !== null) dev.traceStep(trace, 'drop', 'bad UDP length or checksum');
    return true; // counted as an error, no port unreachable
  }
  const list = ns.udp.get(readU16(frame, l4 + 2));
  if (list === undefined) return false;
  const unicast = ns.localAddressOwner(dst) !== null;
  if (unicast) {
    let best: UdpSocket | null = null;
    let bestScore = -1;
    for (const s of list) {
      if (s.dev !== null && s.dev !== dev) continue;
      if (s.addr !== 0 && s.addr !== dst) continue;
      const score = (s.addr !== 0 ? 2 : 0) + (s.dev !== null ? 1 : 0);
      if (score > bestScore) {
        best = s;
        bestScore = score;
      }
    }
    if (best === null) return false;
    if (trace !== null) dev.traceStep(trace, 'deliver', `UDP ${ipToString(dst)}:${best.port}`);
    best.deliver(frame, l4, dev, trace);
    return true;
  }
  let any = false;
  for (const s of list) {
    if (s.dev !== null && s.dev !== dev) continue;
    any = true;
    if (trace !== null) dev.traceStep(trace, 'deliver', `UDP broadcast to port ${s.port}`);
    s.deliver(frame, l4, dev, trace);
  }
  return any;
}

/** An ICMP error quoting a UDP datagram: tell the socket that sent it (by source port). */
export function udpError(ns: Namespace, frame: Uint8Array, l4: number, q: number, qhl: number): void {
  const sport = readU16(frame, q + qhl);
  const list = ns.udp.get(sport);
  if (!list) return;
  const e = {
    from: ipv4Src(frame, L3),
    type: frame[l4],
    code: frame[l4 + 1],
    dst: ipv4Dst(frame, q),
    dstPort: readU16(frame, q + qhl + 2),
  };
  for (const s of list) s.onError?.(e);
}

// ── ping ──────────────────────────────────────────────────────────────────────

export type PingEvent =
  | {
      kind: 'reply';
      seq: number;
      from: number;
      ttl: number;
      /** ICMP bytes (header + data), what ping prints as "N bytes from". */
      bytes: number;
      /** Round-trip time in ns (virtual). */
      rtt: number;
    }
  | {
      kind: 'error';
      seq: number;
      /** Who sent the ICMP error. */
      from: number;
      type: number;
      code: number;
      /** Next-hop MTU for fragmentation needed, else 0. */
      mtu: number;
    };

export type PingHandler = (e: PingEvent) => void;

export interface PingSendOptions {
  /** ICMP data bytes (ping -s), default 56. */
  size?: number;
  ttl?: number;
  /** true = ping -M do, false = -M dont; default -M want (DF while the packet fits the path MTU). */
  df?: boolean;
  tos?: number;
  src?: number;
  /** ping -I DEV */
  dev?: NetDevice;
  trace?: Trace | null;
}

export class PingSocket {
  private readonly sentAt = new Map<number, number>();

  private constructor(
    readonly ns: Namespace,
    readonly id: number,
    readonly onEvent: PingHandler,
  ) {}

  static open(ns: Namespace, onEvent: PingHandler, id?: number): PingSocket {
    let ident = id ?? ns.host.sched.int(0x10000);
    if (id === undefined) while (ns.pingSockets.has(ident)) ident = (ident + 1) & 0xffff;
    if (ns.pingSockets.has(ident)) throw new Error(`ping socket id ${ident} in use`);
    const s = new PingSocket(ns, ident, onEvent);
    ns.pingSockets.set(ident, s);
    return s;
  }

  close(): void {
    if (this.ns.pingSockets.get(this.id) === this) this.ns.pingSockets.delete(this.id);
  }

  /**
   * Sends echo request `seq` to `dst`. Returns the errno ping would print: ENETUNREACH
   * ("connect: Network is unreachable"), EMSGSIZE ("local error: message too long, mtu=N", the MTU
   * is in `ns.ip.lastMtu`), EPERM (dropped by an OUTPUT rule).
   */
  send(dst: number, seq: number, opts: PingSendOptions = {}): OutputResult {
    const ns = this.ns;
    const size = opts.size ?? 56;
    const icmpLen = ICMP_HEADER_LEN + size;
    const frame = new Uint8Array(L3 + 20 + icmpLen);
    const o = L3 + 20;
    frame[o] = ICMP_ECHO_REQUEST;
    writeU16(frame, o + 4, this.id);
    writeU16(frame, o + 6, seq & 0xffff);
    // iputils ping: a struct timeval (16 bytes on 64-bit, little-endian), then each byte its own offset
    const now = ns.host.sched.now;
    const d = o + ICMP_HEADER_LEN;
    for (let i = 0; i < size; i++) frame[d + i] = i & 0xff;
    if (size >= 16) {
      const sec = Math.floor(now / 1e9);
      const usec = Math.floor((now % 1e9) / 1e3);
      frame.fill(0, d, d + 16);
      for (let i = 0; i < 4; i++) {
        frame[d + i] = (sec >>> (8 * i)) & 0xff;
        frame[d + 8 + i] = (usec >>> (8 * i)) & 0xff;
      }
    }
    writeU16(frame, o + 2, internetChecksum(frame, o, icmpLen));
    const rr = ns.ip.route(dst, opts.dev ?? null);
    const src = opts.src ?? rr?.src ?? 0;
    ns.ip.writeHeader(
      frame,
      src,
      dst,
      IP_PROTO_ICMP,
      opts.ttl ?? 64,
      // IP_PMTUDISC_WANT (ping's default): DF while the packet fits the path MTU, else
      // fragmented locally; -M do / -M dont force it
      opts.df ?? (rr === null || 20 + icmpLen <= ns.ip.pathMtu(dst, rr.dev)),
      opts.tos ?? 0,
      20 + icmpLen,
    );
    this.sentAt.set(seq & 0xffff, now);
    return ns.ip.output(frame, opts.trace ?? null, opts.dev ?? null);
  }

  deliverReply(frame: Uint8Array, l4: number, l4len: number): void {
    const seq = readU16(frame, l4 + 6);
    const sent = this.sentAt.get(seq);
    this.onEvent({
      kind: 'reply',
      seq,
      from: ipv4Src(frame, L3),
      ttl: ipv4Ttl(frame, L3),
      bytes: l4len,
      rtt: sent === undefined ? 0 : this.ns.host.sched.now - sent,
    });
  }

  deliverError(frame: Uint8Array, l4: number): void {
    const q = l4 + ICMP_HEADER_LEN;
    const qhl = ipv4HeaderLen(frame, q);
    this.onEvent({
      kind: 'error',
      seq: readU16(frame, q + qhl + 6),
      from: ipv4Src(frame, L3),
      type: frame[l4],
      code: frame[l4 + 1],
      mtu: frame[l4] === 3 && frame[l4 + 1] === 4 ? readU16(frame, l4 + 6) : 0,
    });
  }
}
