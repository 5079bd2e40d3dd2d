// Network devices, modelled on Linux's `struct net_device` as `ip link` shows it (Mininet's
// Node/Link/Intf idea: a device is a small object with ports and counters; topology is data).
//
// ─── The device model, for the layers above (OVS, guests, host tools) ─────────────────────────────
//
// Frames are Ethernet frames as bytes (Uint8Array, no FCS). A frame handed to a device is
// immutable from then on: whoever needs to change it (TTL, VLAN push, NAT) copies first, because a
// flooded frame is shared by every port it was flooded to.
//
// Two directions, as in the kernel:
//   dev.transmit(frame, trace)  egress (dev_queue_xmit): the namespace stack or the device's master
//                               sends the frame out of `dev`. Counts TX, feeds captures, then hands
//                               it to the device's link (`xmit`): a veth schedules it on its peer,
//                               a tap gives it to the guest, a NIC puts it on the underlay segment,
//                               an ExternalDevice calls its owner's `onTransmit`.
//   dev.receive(frame, trace)   ingress (netif_receive_skb): the frame arrived from the link.
//                               Counts RX, feeds captures, then — like Linux's rx_handler — gives it
//                               to `dev.master.handleFrame(dev, frame, trace)` when the device is
//                               enslaved (Linux bridge port, OVS port), else to the IPv4/ARP stack of
//                               the device's namespace.
//
// Masters (Linux's rx_handler): anything implementing `DeviceMaster` can enslave a device with
// `dev.setMaster(master)`. The Linux bridge (bridge.ts) is one; an OVS bridge is another: the OVS
// layer implements DeviceMaster with name 'ovs-system' (what `ip link` prints as `master
// ovs-system` for every OVS port), plugs a veth end such as qvo with `qvo.setMaster(ovs)`, and
// sends frames out of it with `qvo.transmit(frame, trace)`.
//
// Devices whose transmit another layer handles: `host.addExternalDevice(name, kind, onTransmit)`
// creates an `ExternalDevice` (OVS internal ports: br-int itself, qr-/qg- ports, the DHCP
// agent's tap). The stack transmits through it like any device; the owner gets every frame in
// `onTransmit(dev, frame, trace)` (that is the frame entering the OVS bridge from that port) and
// delivers frames towards the stack with `dev.receive(frame, trace)`. Move it into a namespace with
// `dev.moveTo(ns)` like any device.
//
// VXLAN tunnel ports (OVS br-tun): encapsulate with `vxlanSend(host.root, { local, remote, vni,
// df: true }, inner, trace)` (vxlan.ts; routed and ARPed by the root namespace's stack out of the
// host's NIC) and receive with `vxlanPortOf(host.root).listenAll((inner, vni, outerSrc, trace) =>
// …)`, which binds UDP 4789 in the root namespace like vxlan_sys_4789.
//
// Hop latency: links (veth, tap, underlay, loopback) and bridges schedule the next hop on the
// scheduler with a delay from the latency model; `receive`/`transmit` themselves are synchronous.
// The delay keeps each queue's order (`latency.fifoDelayOf(HOP.…, queue, now)`, the receiving
// device being the queue): jitter varies the latency, never reorders a link, as on Linux. An OVS
// bridge schedules its output with `HOP.ovs` the same way.
//
// Tracing: every frame travels with a `trace: Trace | null` argument; when non-null each device
// appends what it did (trace.ts). When it is null, the cost is that one check.
//
// Capture: `dev.capture(fn)` calls `fn(timeNs, frame, 'rx' | 'tx', dev)` for every frame (tcpdump,
// pcap). Returns an unsubscribe function.

import { macToString } from '../wire/mac.js';
import type { Host } from './host.js';
import type { Namespace } from './netns.js';
import type { Trace } from './trace.js';

/** Linux IFNAMSIZ is 16 including the NUL: names are at most 15 characters. */
export const IFNAMSIZ = 16;

/** The `rtnl_link_ops` kind `ip -d link` prints ('physical' = a NIC without one). */
export type DeviceKind =
  | 'loopback'
  | 'dummy'
  | 'tun'
  | 'veth'
  | 'bridge'
  | 'physical'
  | 'openvswitch'
  | 'vxlan';

export type Direction = 'rx' | 'tx';
export type CaptureFn = (time: number, frame: Uint8Array, dir: Direction, dev: NetDevice) => void;

/** Something that takes over a device's received frames (Linux's rx_handler): a bridge, an OVS datapath. */
export interface DeviceMaster {
  /** Shown by `ip link` as `master <name>` ('ovs-system' for OVS ports, the bridge name for a Linux bridge). */
  readonly name: string;
  /** A frame received on `port` (already counted on the port). */
  handleFrame(port: NetDevice, frame: Uint8Array, trace: Trace | null): void;
  /** `port` stops being enslaved (released, moved to another namespace, deleted). */
  releasePort?(port: NetDevice): void;
  /** `port` went up or down, or gained or lost carrier (NETDEV_CHANGE). */
  portStateChanged?(port: NetDevice): void;
}

/** An IPv4 address on an interface, as `ip addr` shows it. */
export interface IfAddress {
  address: number;
  prefixLen: number;
  /** Broadcast address (0 when none, e.g. /32 and /31 get their own address as Linux prints `brd`). */
  broadcast: number;
  scope: 'global' | 'link' | 'host';
  /** Label (the device name, or `dev:alias`). */
  label: string;
  /** IFA_F_SECONDARY: another address of the device already covers this subnet (`ip addr` prints `secondary`). */
  secondary: boolean;
}

let nextCaptureId = 1;

export abstract class NetDevice {
  abstract readonly kind: DeviceKind;
  readonly ifindex: number;
  /** When the last frame handed to this device arrives (links deliver in order: FifoQueue). */
  fifoAt = 0;
  name: string;
  /** Hardware address, 6 bytes. */
  mac: Uint8Array;
  mtu: number;
  /** `ip link set up`. */
  adminUp = false;
  /** Lower layer up (carrier). Veths have carrier when their peer is up; a tap when a guest holds it. */
  carrier = true;
  promisc = false;
  /** net.ipv4.conf.DEV.proxy_arp */
  proxyArp = false;
  /** net.ipv6.conf.DEV.disable_ipv6 (os-vif sets it on qbr: no fe80:: address is shown). */
  ipv6Disabled = false;
  /** Namespace the device currently belongs to. */
  netns: Namespace;
  /** Bridge or OVS datapath that owns it, or null. */
  master: DeviceMaster | null = null;
  /** IPv4 addresses in the order added (`ip addr add`). Use Namespace.addAddress to change them. */
  readonly addresses: IfAddress[] = [];
  /** qdisc `ip link` prints. */
  qdisc = 'noqueue';
  txqueuelen = 1000;

  rxPackets = 0;
  rxBytes = 0;
  rxErrors = 0;
  rxDropped = 0;
  rxMulticast = 0;
  txPackets = 0;
  txBytes = 0;
  txErrors = 0;
  txDropped = 0;

  private captures: { id: number; fn: CaptureFn }[] | null = null;

  constructor(
    readonly host: Host,
    name: string,
    netns: Namespace,
    mac: Uint8Array,
    mtu: number,
  ) {
    checkDeviceName(name);
    this.ifindex = host.allocIfindex();
    this.name = name;
    this.netns = netns;
    this.mac = mac;
    this.mtu = mtu;
  }

  get macString(): string {
    return macToString(this.mac);
  }

  /** Flags as `ip link` prints them inside `<...>`. */
  get flags(): string[] {
    const f: string[] = [];
    if (this.kind === 'loopback') f.push('LOOPBACK');
    else f.push('BROADCAST', 'MULTICAST');
    if (this.promisc) f.push('PROMISC');
    if (this.adminUp) {
      f.push('UP');
      if (this.carrier) f.push('LOWER_UP');
      else f.unshift('NO-CARRIER');
    }
    return f;
  }

  /** `state ...` of `ip link`: UNKNOWN for devices without operstate reporting (lo, tun, OVS internal). */
  get operstate(): 'UP' | 'DOWN' | 'UNKNOWN' | 'LOWERLAYERDOWN' {
    if (!this.adminUp) return 'DOWN';
    if (!this.carrier) return this.kind === 'veth' ? 'LOWERLAYERDOWN' : 'DOWN';
    if (this.kind === 'loopback' || this.kind === 'openvswitch' || this.kind === 'dummy') return 'UNKNOWN';
    return 'UP';
  }

  /** True when the device passes traffic (IFF_UP and carrier). */
  get running(): boolean {
    return this.adminUp && this.carrier;
  }

  /** `ip link set dev X up|down`. */
  setUp(up: boolean): void {
    if (this.adminUp === up) return;
    this.adminUp = up;
    this.onAdminChange();
    this.netns.deviceStateChanged(this);
    this.master?.portStateChanged?.(this);
  }

  /** Carrier change (a veth peer going up/down, a guest attaching to a tap). */
  setCarrier(on: boolean): void {
    if (this.carrier === on) return;
    this.carrier = on;
    this.master?.portStateChanged?.(this);
  }

  /** Device-specific reaction to admin state changes (veth peers' carrier, bridge port state). */
  protected onAdminChange(): void {}

  setMtu(mtu: number): void {
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new Error(`invalid MTU ${mtu}`);
    this.mtu = mtu;
  }

  setMac(mac: Uint8Array): void {
    if (mac.length !== 6) throw new Error('MAC must be 6 bytes');
    this.mac = mac;
  }

  setPromisc(on: boolean): void {
    this.promisc = on;
  }

  /** `ip link set dev X master M` / `nomaster`. Releasing calls the old master's releasePort. */
  setMaster(master: DeviceMaster | null): void {
    if (this.master === master) return;
    const old = this.master;
    this.master = master;
    if (old?.releasePort) old.releasePort(this);
  }

  /** `ip link set dev X netns NS`: like Linux, the device goes down and loses its addresses and master. */
  moveTo(ns: Namespace): void {
    if (ns.host !== this.host) throw new Error('cannot move a device to another host');
    if (ns === this.netns) return;
    if (this.kind === 'loopback') throw new Error('cannot move lo');
    if (ns.devices.has(this.name))
      throw new Error(`RTNETLINK answers: File exists (${this.name} in ${ns.name})`);
    // dev_change_net_namespace: the old namespace assigns the new one an id (peernet2id_alloc);
    // that is why `ip netns` on a Neutron node shows `(id: N)` after the agents moved qr-/tap ports.
    this.netns.nsidOf(ns);
    this.setMaster(null);
    this.setUp(false);
    this.netns.detach(this);
    this.addresses.length = 0;
    this.netns = ns;
    ns.attach(this);
  }

  /** `ip link set dev X name Y`. */
  rename(name: string): void {
    checkDeviceName(name);
    if (this.netns.devices.has(name)) throw new Error(`RTNETLINK answers: File exists (${name})`);
    this.netns.devices.delete(this.name);
    this.name = name;
    this.netns.devices.set(name, this);
  }

  /** `ip link del`. Veths take their peer with them. */
  destroy(): void {
    this.setMaster(null);
    this.adminUp = false;
    this.netns.detach(this);
    this.host.forgetDevice(this);
  }

  /** Taps the device: `fn` sees every frame received and transmitted. Returns the unsubscribe function. */
  capture(fn: CaptureFn): () => void {
    const id = nextCaptureId++;
    if (this.captures === null) this.captures = [];
    this.captures.push({ id, fn });
    return () => {
      if (this.captures === null) return;
      this.captures = this.captures.filter((c) => c.id !== id);
      if (this.captures.length === 0) this.captures = null;
    };
  }

  /** Egress: send a frame out of this device (dev_queue_xmit). */
  transmit(frame: Uint8Array, trace: Trace | null): void {
    if (!this.adminUp) {
      // Linux refuses to queue on a down device; the caller's packet is dropped and counted here.
      this.txDropped++;
      if (trace !== null) this.traceStep(trace, 'drop', 'device is down');
      return;
    }
    this.txPackets++;
    this.txBytes += frame.length;
    if (this.captures !== null) this.runCaptures(frame, 'tx');
    if (trace !== null) this.traceStep(trace, 'tx', `${frame.length} bytes`);
    this.xmit(frame, trace);
  }

  /** The link behind the device: where a transmitted frame goes. */
  protected abstract xmit(frame: Uint8Array, trace: Trace | null): void;

  /** Ingress: a frame arrived from the link (netif_receive_skb). */
  receive(frame: Uint8Array, trace: Trace | null): void {
    if (!this.adminUp) {
      this.rxDropped++;
      if (trace !== null) this.traceStep(trace, 'drop', 'device is down');
      return;
    }
    this.rxPackets++;
    this.rxBytes += frame.length;
    if ((frame[0] & 1) === 1) this.rxMulticast++;
    if (this.captures !== null) this.runCaptures(frame, 'rx');
    if (trace !== null) this.traceStep(trace, 'rx', `${frame.length} bytes`);
    const master = this.master;
    if (master !== null) master.handleFrame(this, frame, trace);
    else this.netns.receive(this, frame, trace);
  }

  /** Appends a step for this device to a trace. */
  traceStep(
    trace: Trace,
    action: Parameters<Trace['add']>[4],
    why: string,
    detail?: Record<string, string | number | boolean>,
  ): void {
    trace.add(this.host.sched.now, this.host.name, this.netns.name, this.name, action, why, detail);
  }

  private runCaptures(frame: Uint8Array, dir: Direction): void {
    const now = this.host.sched.now;
    for (const c of this.captures!) c.fn(now, frame, dir, this);
  }
}

/**
 * Linux's is_skb_forwardable(): a frame fits a device when it is at most MTU + Ethernet header +
 * one VLAN tag (the 4 bytes are allowed whether or not the frame is tagged).
 */
export function fitsMtu(dev: NetDevice, frame: Uint8Array): boolean {
  return frame.length <= dev.mtu + 18;
}

export function checkDeviceName(name: string): void {
  if (name.length === 0 || name.length >= IFNAMSIZ) {
    throw new Error(
      `Error: argument "${name}" is wrong: "name" not a valid ifname (at most ${IFNAMSIZ - 1} chars)`,
    );
  }
  if (/[\s/:]/.test(name) || name === '.' || name === '..') {
    throw new Error(`Error: argument "${name}" is wrong: "name" not a valid ifname`);
  }
}
