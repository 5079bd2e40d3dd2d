// A network namespace: its devices (with a loopback of its own), IPv4 addresses, routing table,
// neighbour table, sysctls, netfilter hooks and sockets. `ip netns add X` makes one; the host's
// root namespace is the one with the empty name.

import { ETHERTYPE_ARP, ETHERTYPE_IPV4 } from '../wire/ethernet.js';
import { ipToString, parseCidr, prefixMask } from '../wire/ipv4-address.js';
import type { IfAddress, NetDevice } from './device.js';
import type { Host } from './host.js';
import { Ipv4Stack } from './ipv4.js';
import { Loopback } from './links.js';
import { NeighTable } from './neigh.js';
import { Netfilter } from './netfilter/index.js';
import type { NetfilterHooks, NfPacket } from './nf-hooks.js';
import { makeRoute, type Route, type RouteSpec, RouteTable } from './routes.js';
import {
  type PingHandler,
  PingSocket,
  type UdpHandler,
  type UdpRawHandler,
  UdpSocket,
  type UdpTable,
  udpDeliver,
  udpError,
} from './sockets.js';
import type { Trace } from './trace.js';

function sendReject(ns: Namespace, frame: Uint8Array, typeCode: number): void {
  ns.ip.icmpSend(frame, typeCode >> 8, typeCode & 0xff, 0, null);
}

/** sysctls with their Linux defaults (those that matter to the data plane). */
const SYSCTL_DEFAULTS: Record<string, string> = {
  'net.ipv4.ip_forward': '0',
  // br_netfilter is loaded on Neutron hosts, which makes this default to 1.
  'net.bridge.bridge-nf-call-iptables': '1',
  'net.ipv4.icmp_echo_ignore_broadcasts': '1',
  'net.ipv4.ip_default_ttl': '64',
  'net.ipv4.conf.all.proxy_arp': '0',
  'net.ipv4.conf.all.arp_ignore': '0',
};

/** Per-namespace IP counters (a subset of /proc/net/snmp). */
export interface IpStats {
  inReceives: number;
  inHdrErrors: number;
  inAddrErrors: number;
  inDelivers: number;
  forwDatagrams: number;
  outRequests: number;
  outNoRoutes: number;
  reasmOKs: number;
  reasmFails: number;
  fragOKs: number;
  fragCreates: number;
  fragFails: number;
  inDiscards: number;
}

export class Namespace {
  readonly devices = new Map<string, NetDevice>();
  readonly lo: Loopback;
  readonly routes = new RouteTable();
  readonly neigh: NeighTable;
  readonly ip: Ipv4Stack;
  readonly sysctl = new Map<string, string>(Object.entries(SYSCTL_DEFAULTS));
  /** iptables/conntrack of this namespace, or null when nothing is configured (free fast path). */
  netfilter: NetfilterHooks | null = null;
  /**
   * The one NfPacket handed to every hook call of this namespace (refilled each time: no
   * allocation). Safe because a hook never calls back into the stack synchronously (REJECT replies
   * are scheduled).
   */
  readonly nfPacket: NfPacket = {
    hook: 'PREROUTING',
    frame: new Uint8Array(0),
    l3: 14,
    inDev: null,
    outDev: null,
    physIn: null,
    physOut: null,
    bridged: false,
    trace: null,
  };
  /** Hot copies of sysctls. */
  ipForward = false;
  bridgeNfCallIptables = true;
  readonly stats: IpStats = {
    inReceives: 0,
    inHdrErrors: 0,
    inAddrErrors: 0,
    inDelivers: 0,
    forwDatagrams: 0,
    outRequests: 0,
    outNoRoutes: 0,
    reasmOKs: 0,
    reasmFails: 0,
    fragOKs: 0,
    fragCreates: 0,
    fragFails: 0,
    inDiscards: 0,
  };
  /** Broadcast addresses of up interfaces, rebuilt when addresses or states change. */
  private bcastAddrs = new Set<number>();
  /** address → device, for "is this one of ours" on the hot path. */
  private readonly localAddrs = new Map<number, NetDevice>();
  readonly udp: UdpTable = new Map();
  /** Learned path MTUs by destination (the route cache's exceptions). */
  readonly pmtu = new Map<number, { mtu: number; expires: number }>();
  readonly pingSockets = new Map<number, PingSocket>();
  /** Per-namespace state of optional subsystems (e.g. the VXLAN UDP port), keyed by subsystem. */
  readonly extensions = new Map<string, unknown>();
  /** Namespace ids this namespace assigned to others (`link-netnsid`, `ip netns list-id`). */
  private readonly nsids = new Map<Namespace, number>();

  constructor(
    readonly host: Host,
    /** '' for the root namespace. */
    readonly name: string,
  ) {
    this.neigh = new NeighTable(this);
    this.ip = new Ipv4Stack(this);
    this.lo = new Loopback(host, this);
    this.devices.set('lo', this.lo);
    // Every namespace's lo carries 127.0.0.1/8 and is up once the namespace is in use by Neutron's
    // ip_lib (it runs `ip link set lo up` when it creates a namespace).
    this.lo.adminUp = true;
    this.addAddress(this.lo, '127.0.0.1/8', { scope: 'host' });
  }

  get isRoot(): boolean {
    return this.name === '';
  }

  /** Device by name in this namespace. */
  dev(name: string): NetDevice | undefined {
    return this.devices.get(name);
  }

  /** Like `dev` but throws `Cannot find device "X"` as iproute2 does. */
  requireDev(name: string): NetDevice {
    const d = this.devices.get(name);
    if (d === undefined) throw new Error(`Cannot find device "${name}"`);
    return d;
  }

  // ── devices ─────────────────────────────────────────────────────────────────

  attach(dev: NetDevice): void {
    if (this.devices.has(dev.name)) throw new Error(`RTNETLINK answers: File exists (${dev.name})`);
    this.devices.set(dev.name, dev);
  }

  detach(dev: NetDevice): void {
    if (this.devices.get(dev.name) !== dev) return;
    this.devices.delete(dev.name);
    for (const a of dev.addresses) this.localAddrs.delete(a.address);
    this.routes.removeWhere((r) => r.dev === dev);
    this.neigh.flushDev(dev);
    this.rebuildBroadcasts();
  }

  /** Called by a device when its admin state changed: Linux flushes routes through a downed device. */
  deviceStateChanged(dev: NetDevice): void {
    if (dev.netns !== this) return;
    if (!dev.adminUp) {
      this.routes.removeWhere((r) => r.dev === dev);
      this.neigh.flushDev(dev);
    } else {
      for (const a of dev.addresses) this.addConnectedRoute(dev, a);
    }
    this.rebuildBroadcasts();
  }

  // ── addresses ───────────────────────────────────────────────────────────────

  /**
   * `ip addr add CIDR dev DEV [brd +]`: adds the address and, for a prefix shorter than 32, the
   * connected route `proto kernel scope link src ADDR` (once the device is up).
   */
  addAddress(
    dev: NetDevice,
    cidr: string,
    opts: { scope?: IfAddress['scope']; broadcast?: number } = {},
  ): IfAddress {
    if (dev.netns !== this) throw new Error(`${dev.name} is not in namespace ${this.name || 'root'}`);
    const c = parseCidr(cidr);
    if (c === null) throw new Error(`Error: any valid prefix is expected rather than "${cidr}".`);
    if (dev.addresses.some((a) => a.address === c.address && a.prefixLen === c.prefixLen)) {
      throw new Error('RTNETLINK answers: File exists');
    }
    // iproute2 with `brd +` (what Neutron's ip_lib passes): network | ~mask; a /32 shows its own address.
    const broadcast =
      opts.broadcast ??
      (c.prefixLen === 32 ? c.address : c.prefixLen === 31 ? 0 : (c.network | ~c.mask) >>> 0);
    const a: IfAddress = {
      address: c.address,
      prefixLen: c.prefixLen,
      broadcast,
      scope: opts.scope ?? (c.address >>> 24 === 127 ? 'host' : 'global'),
      label: dev.name,
      secondary: dev.addresses.some(
        (x) => x.prefixLen === c.prefixLen && ((x.address ^ c.address) & c.mask) === 0,
      ),
    };
    dev.addresses.push(a);
    this.localAddrs.set(a.address, dev);
    if (dev.adminUp) this.addConnectedRoute(dev, a);
    this.rebuildBroadcasts();
    return a;
  }

  /** `ip addr del`. */
  removeAddress(dev: NetDevice, cidr: string): boolean {
    const c = parseCidr(cidr);
    if (c === null) return false;
    const i = dev.addresses.findIndex((a) => a.address === c.address && a.prefixLen === c.prefixLen);
    if (i < 0) return false;
    const [a] = dev.addresses.splice(i, 1);
    // Linux promotes the next secondary of the subnet when a primary goes (promote_secondaries=1 on Debian).
    if (!a.secondary) {
      const next = dev.addresses.find(
        (x) => x.secondary && x.prefixLen === a.prefixLen && ((x.address ^ a.address) & c.mask) === 0,
      );
      if (next) next.secondary = false;
    }
    if (!dev.addresses.some((x) => x.address === a.address)) this.localAddrs.delete(a.address);
    this.routes.removeWhere((r) => r.dev === dev && r.proto === 'kernel' && r.src === a.address);
    // fib_sync_down_addr: routes preferring the address as their source go with it.
    if (!this.localAddrs.has(a.address)) this.routes.removeWhere((r) => r.src === a.address);
    // fib_disable_ip: with the device's last IPv4 address gone, every route through it goes too
    // (why `ifconfig eth0 NEWADDR` loses the default route).
    if (dev.addresses.length === 0) this.routes.removeWhere((r) => r.dev === dev);
    // the subnet stays connected through the promoted (or any remaining) address
    if (dev.adminUp) for (const x of dev.addresses) if (!x.secondary) this.addConnectedRoute(dev, x);
    this.rebuildBroadcasts();
    return true;
  }

  private addConnectedRoute(dev: NetDevice, a: IfAddress): void {
    if (a.prefixLen === 32 || dev.kind === 'loopback') return;
    const mask = prefixMask(a.prefixLen);
    const network = (a.address & mask) >>> 0;
    if (this.routes.routes.some((r) => r.dst === network && r.prefixLen === a.prefixLen && r.dev === dev))
      return;
    this.routes.add(
      makeRoute({
        dst: { network, prefixLen: a.prefixLen },
        dev,
        proto: 'kernel',
        scope: 'link',
        src: a.address,
      }),
    );
  }

  /** The device owning a local address, or null. */
  localAddressOwner(addr: number): NetDevice | null {
    return this.localAddrs.get(addr) ?? null;
  }

  /** True when `addr` is a broadcast address of one of our up interfaces (or 255.255.255.255). */
  isBroadcast(addr: number): boolean {
    return addr === 0xffffffff || this.bcastAddrs.has(addr);
  }

  private rebuildBroadcasts(): void {
    const s = new Set<number>();
    for (const d of this.devices.values()) {
      if (!d.adminUp) continue;
      for (const a of d.addresses) if (a.prefixLen < 31 && a.broadcast !== 0) s.add(a.broadcast);
    }
    this.bcastAddrs = s;
  }

  /** Linux's inet_select_addr: an address of `dev` on the target's subnet, else its first, else any. */
  sourceFor(dev: NetDevice, target: number): number {
    for (const a of dev.addresses) {
      const m = prefixMask(a.prefixLen);
      if (((a.address ^ target) & m) === 0 && a.scope !== 'host') return a.address;
    }
    for (const a of dev.addresses) if (a.scope !== 'host') return a.address;
    for (const d of this.devices.values())
      for (const a of d.addresses) if (a.scope === 'global') return a.address;
    return 0;
  }

  /** arp_ignore: 0 answers for any local address, 1 only for addresses on the receiving interface. */
  arpAnswersOn(dev: NetDevice, addr: number): boolean {
    if (this.sysctlNum(`net.ipv4.conf.${dev.name}.arp_ignore`, 'net.ipv4.conf.all.arp_ignore') === 0)
      return true;
    return dev.addresses.some((a) => a.address === addr);
  }

  /** Proxy ARP answers when we route `addr` through another interface (arp_process's proxy case). */
  proxyArpFor(addr: number, inDev: NetDevice): boolean {
    const r = this.routes.lookup(addr);
    return r !== null && r.dev !== inDev;
  }

  // ── netfilter ───────────────────────────────────────────────────────────────

  /**
   * The namespace's iptables/ipset/conntrack, created on first use (before that the hooks cost
   * nothing). REJECT answers are sent by this namespace's stack a moment later (never from inside
   * the hook: netfilter is not re-entrant).
   */
  iptables(): Netfilter {
    if (this.netfilter instanceof Netfilter) return this.netfilter;
    const sched = this.host.sched;
    const nf = new Netfilter({
      clock: sched,
      random: () => sched.rng.u32(),
      addressOf: (ifName) => {
        const d = this.devices.get(ifName);
        const a = d?.addresses.find((x) => x.scope !== 'host');
        return a === undefined ? null : a.address;
      },
      onReject: (pkt, type, code) => {
        if (type < 0) return; // tcp-reset: no TCP in this stack yet
        const copy = pkt.frame.slice(0, pkt.l3 + ((pkt.frame[pkt.l3 + 2] << 8) | pkt.frame[pkt.l3 + 3]));
        sched.schedule(0, sendReject, this, copy, type * 256 + code);
      },
    });
    this.netfilter = nf;
    return nf;
  }

  // ── routes ──────────────────────────────────────────────────────────────────

  /** `ip route add`. */
  addRoute(spec: RouteSpec): Route {
    return this.routes.add(makeRoute(spec));
  }

  // ── sysctl ──────────────────────────────────────────────────────────────────

  setSysctl(key: string, value: string): void {
    this.sysctl.set(key, value);
    if (key === 'net.ipv4.ip_forward' || key === 'net.ipv4.conf.all.forwarding')
      this.ipForward = value.trim() === '1';
    if (key === 'net.bridge.bridge-nf-call-iptables') this.bridgeNfCallIptables = value.trim() === '1';
    const m = /^net\.ipv4\.conf\.([^.]+)\.proxy_arp$/.exec(key);
    if (m !== null) {
      const d = this.devices.get(m[1]);
      if (d !== undefined) d.proxyArp = value.trim() === '1';
    }
    const v6 = /^net\.ipv6\.conf\.([^.]+)\.disable_ipv6$/.exec(key);
    if (v6 !== null) {
      const d = this.devices.get(v6[1]);
      if (d !== undefined) d.ipv6Disabled = value.trim() === '1';
    }
  }

  getSysctl(key: string): string | undefined {
    return this.sysctl.get(key);
  }

  private sysctlNum(key: string, fallback: string): number {
    return Number(this.sysctl.get(key) ?? this.sysctl.get(fallback) ?? '0');
  }

  /** The id this namespace uses for `other` (allocated on first use, from 0, as Linux's peernet2id_alloc). */
  nsidOf(other: Namespace): number {
    let id = this.nsids.get(other);
    if (id === undefined) {
      id = this.nsids.size;
      this.nsids.set(other, id);
    }
    return id;
  }

  /** The id assigned to `other` if any (for `ip netns list` suffixes), else null. */
  peekNsid(other: Namespace): number | null {
    return this.nsids.get(other) ?? null;
  }

  // ── sockets ─────────────────────────────────────────────────────────────────

  /**
   * Binds a UDP socket (addr 0 = INADDR_ANY). With `dev`, it is bound to that device
   * (SO_BINDTODEVICE, as dnsmasq binds per interface) and receives broadcasts arriving there.
   */
  bindUdp(addr: number, port: number, onDatagram: UdpHandler, opts: { dev?: NetDevice } = {}): UdpSocket {
    return UdpSocket.bind(this, addr, port, onDatagram, opts.dev ?? null);
  }

  /** A UDP socket whose handler gets (frame, l4, dev, trace) with no allocation: tunnel endpoints (VXLAN 4789). */
  bindUdpRaw(addr: number, port: number, onFrame: UdpRawHandler, opts: { dev?: NetDevice } = {}): UdpSocket {
    return UdpSocket.bindRaw(this, addr, port, onFrame, opts.dev ?? null);
  }

  /** Local delivery of a UDP datagram (false: no socket, the caller sends port unreachable). */
  udpDeliver(dev: NetDevice, frame: Uint8Array, l4: number, l4len: number, trace: Trace | null): boolean {
    return udpDeliver(this, dev, frame, l4, l4len, trace);
  }

  /** An ICMP error quoting a UDP datagram we sent. */
  udpError(frame: Uint8Array, l4: number, q: number, qhl: number): void {
    udpError(this, frame, l4, q, qhl);
  }

  /** Opens an ICMP echo socket (Linux ping socket) with identifier `id` (random when omitted). */
  openPing(onEvent: PingHandler, id?: number): PingSocket {
    return PingSocket.open(this, onEvent, id);
  }

  // ── frames ──────────────────────────────────────────────────────────────────

  /** A frame received on one of our devices (not enslaved): dispatch by EtherType. */
  receive(dev: NetDevice, frame: Uint8Array, trace: Trace | null): void {
    if (frame.length < 14) {
      dev.rxErrors++;
      return;
    }
    const type = (frame[12] << 8) | frame[13];
    if (type === ETHERTYPE_IPV4) {
      this.ip.receive(dev, frame, trace);
    } else if (type === ETHERTYPE_ARP) {
      this.neigh.receiveArp(dev, frame, trace);
    } else if (trace !== null) {
      dev.traceStep(trace, 'drop', `no handler for ethertype 0x${type.toString(16).padStart(4, '0')}`);
    }
  }

  /**
   * Gratuitous ARP for one of our addresses (`arping -U -I DEV ADDR`, what the L3 agent sends
   * when a floating IP is added): a broadcast request with sender = target = ADDR.
   */
  sendGratuitousArp(dev: NetDevice, addr: number): void {
    this.neigh.sendArp(dev, 1, null, addr, addr);
  }

  /** Called by the neighbour table when a queued packet's next hop could not be resolved. */
  unreachableFromNeigh(frame: Uint8Array, dev: NetDevice, trace: Trace | null): void {
    if (trace !== null) dev.traceStep(trace, 'neigh', 'resolution FAILED: host unreachable');
    this.ip.hostUnreachable(frame, trace);
  }

  describeAddr(addr: number): string {
    return ipToString(addr);
  }
}
