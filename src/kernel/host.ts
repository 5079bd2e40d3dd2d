// A host: a name, a root namespace, named namespaces (`ip netns`), a host-wide interface index
// counter, and the devices it owns. Hosts of one cloud share one scheduler and latency model,
// and their NICs meet on underlay segments.
//
// Creating topology is one call each, as with `ip link`:
//   const h = new Host('compute1', sched);
//   const ns = h.addNamespace('qrouter-…');
//   const [a, b] = h.addVeth('qvb1', 'qvo1');          // both in the root namespace
//   const br = h.addBridge('qbr1', { ageing: 0 });       // os-vif's hub-like qbr
//   br.addPort(a);
//   b.moveTo(ns);                                        // ip link set qvo1 netns …
//   ns.addAddress(b, '10.0.0.1/24'); b.setUp(true);

import { LatencyModel } from '../sim/latency.js';
import type { Scheduler } from '../sim/scheduler.js';
import { DEFAULT_AGEING_NS, LinuxBridge } from './bridge.js';
import type { NetDevice } from './device.js';
import { Dummy, ExternalDevice, type ExternalTransmit, Tap, Veth } from './links.js';
import { Namespace } from './netns.js';
import { Nic, type UnderlaySegment } from './underlay.js';
import { VxlanDevice } from './vxlan.js';

export interface DeviceOptions {
  /** Namespace to create the device in (default: root). */
  netns?: Namespace;
  mac?: Uint8Array;
  mtu?: number;
}

export class Host {
  readonly root: Namespace;
  /** Named namespaces, most recently created last (`ip netns` prints them newest first). */
  readonly namespaces = new Map<string, Namespace>();
  readonly latency: LatencyModel;
  /** Every device on the host, by ifindex. */
  readonly devices = new Map<number, NetDevice>();
  // ifindex 1 is every namespace's lo; other devices count up host-wide from 2.
  private nextIfindex = 2;
  private creatingLo = false;

  constructor(
    readonly name: string,
    readonly sched: Scheduler,
    latency?: LatencyModel,
  ) {
    this.latency = latency ?? new LatencyModel(sched.rng);
    this.root = this.makeNamespace('');
  }

  private makeNamespace(name: string): Namespace {
    this.creatingLo = true;
    try {
      return new Namespace(this, name);
    } finally {
      this.creatingLo = false;
    }
  }

  /** Called by NetDevice's constructor. */
  allocIfindex(): number {
    return this.creatingLo ? 1 : this.nextIfindex++;
  }

  register<T extends NetDevice>(dev: T): T {
    if (dev.ifindex !== 1) this.devices.set(dev.ifindex, dev);
    dev.netns.attach(dev);
    return dev;
  }

  forgetDevice(dev: NetDevice): void {
    this.devices.delete(dev.ifindex);
  }

  // ── namespaces ──────────────────────────────────────────────────────────────

  /** `ip netns add NAME`. */
  addNamespace(name: string): Namespace {
    if (name === '' || name.includes('/')) throw new Error(`Invalid netns name "${name}"`);
    if (this.namespaces.has(name))
      throw new Error(`Cannot create namespace file "/var/run/netns/${name}": File exists`);
    const ns = this.makeNamespace(name);
    this.namespaces.set(name, ns);
    return ns;
  }

  /** `ip netns del NAME`: its devices are destroyed (veth peers elsewhere go with them; physical ones would return to root). */
  delNamespace(name: string): void {
    const ns = this.namespaces.get(name);
    if (ns === undefined)
      throw new Error(`Cannot remove namespace file "/var/run/netns/${name}": No such file or directory`);
    for (const d of [...ns.devices.values()]) {
      if (d.kind === 'loopback') continue;
      if (d.kind === 'physical') d.moveTo(this.root);
      else d.destroy();
    }
    this.namespaces.delete(name);
  }

  /** Namespace by name ('' or undefined = root). */
  netns(name?: string): Namespace {
    if (!name) return this.root;
    const ns = this.namespaces.get(name);
    if (ns === undefined)
      throw new Error(`Cannot open network namespace "${name}": No such file or directory`);
    return ns;
  }

  // ── devices ─────────────────────────────────────────────────────────────────

  private ns(opts?: DeviceOptions): Namespace {
    return opts?.netns ?? this.root;
  }

  private checkFree(ns: Namespace, name: string): void {
    if (ns.devices.has(name)) throw new Error('RTNETLINK answers: File exists');
  }

  /** `ip link add A type veth peer name B [netns NS]`. Both ends start down with MTU 1500. */
  addVeth(nameA: string, nameB: string, opts: DeviceOptions & { peerNetns?: Namespace } = {}): [Veth, Veth] {
    const nsA = this.ns(opts);
    const nsB = opts.peerNetns ?? nsA;
    this.checkFree(nsA, nameA);
    this.checkFree(nsB, nameB);
    if (nsA === nsB && nameA === nameB) throw new Error('RTNETLINK answers: File exists');
    const [a, b] = Veth.pair(
      this,
      [nameA, nsA, opts.mac ?? this.sched.rng.mac()],
      [nameB, nsB, this.sched.rng.mac()],
    );
    if (opts.mtu) a.mtu = b.mtu = opts.mtu;
    this.register(a);
    this.register(b);
    return [a, b];
  }

  /** `ip link add NAME type bridge` (or `brctl addbr`); `ageing` in seconds (default 300). */
  addBridge(name: string, opts: DeviceOptions & { ageing?: number } = {}): LinuxBridge {
    const ns = this.ns(opts);
    this.checkFree(ns, name);
    const br = new LinuxBridge(
      this,
      name,
      ns,
      opts.ageing === undefined ? DEFAULT_AGEING_NS : opts.ageing * 1e9,
    );
    if (opts.mac) br.setMac(opts.mac);
    return this.register(br);
  }

  /** `ip tuntap add NAME mode tap` (libvirt's tap for a guest NIC). */
  addTap(name: string, opts: DeviceOptions = {}): Tap {
    const ns = this.ns(opts);
    this.checkFree(ns, name);
    const t = new Tap(this, name, ns, opts.mac ?? this.sched.rng.mac());
    if (opts.mtu) t.mtu = opts.mtu;
    return this.register(t);
  }

  /** `ip link add NAME type dummy`. */
  addDummy(name: string, opts: DeviceOptions = {}): Dummy {
    const ns = this.ns(opts);
    this.checkFree(ns, name);
    return this.register(new Dummy(this, name, ns, opts.mac ?? this.sched.rng.mac(), opts.mtu ?? 1500));
  }

  /** A physical NIC plugged into an underlay segment. */
  addNic(name: string, segment: UnderlaySegment | null, opts: DeviceOptions = {}): Nic {
    const ns = this.ns(opts);
    this.checkFree(ns, name);
    const nic = new Nic(this, name, ns, opts.mac ?? this.sched.rng.mac());
    if (opts.mtu) nic.mtu = opts.mtu;
    this.register(nic);
    if (segment !== null) nic.plug(segment);
    return nic;
  }

  /**
   * A device whose transmit another layer handles (OVS internal port: kind 'openvswitch').
   * `onTransmit` receives every frame the stack sends through it.
   */
  addExternalDevice(
    name: string,
    onTransmit: ExternalTransmit,
    opts: DeviceOptions & { kind?: 'openvswitch' | 'dummy' } = {},
  ): ExternalDevice {
    const ns = this.ns(opts);
    this.checkFree(ns, name);
    return this.register(
      new ExternalDevice(
        this,
        name,
        ns,
        opts.mac ?? this.sched.rng.mac(),
        opts.mtu ?? 1500,
        opts.kind ?? 'openvswitch',
        onTransmit,
      ),
    );
  }

  /**
   * `ip link add NAME type vxlan id VNI local LOCAL [remote R] dstport 4789`: MTU 1450; the outer
   * packets use the root namespace's stack. Extra flood remotes = `bridge fdb append 00:00:00:00:00:00 dst R`.
   */
  addVxlan(
    name: string,
    vni: number,
    local: number,
    remotes: number[],
    opts: DeviceOptions & { dstPort?: number } = {},
  ): VxlanDevice {
    const ns = this.ns(opts);
    this.checkFree(ns, name);
    const dev = new VxlanDevice(
      this,
      name,
      ns,
      opts.mac ?? this.sched.rng.mac(),
      vni,
      local,
      remotes,
      this.root,
      opts.dstPort,
    );
    if (opts.mtu) dev.mtu = opts.mtu;
    return this.register(dev);
  }

  /** Finds a device by name in a namespace (root by default). */
  device(name: string, netns?: Namespace): NetDevice | undefined {
    return (netns ?? this.root).devices.get(name);
  }

  /** `sysctl -w` in the root namespace. */
  setSysctl(key: string, value: string): void {
    this.root.setSysctl(key, value);
  }
}
