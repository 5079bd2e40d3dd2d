// One running instance of the guest's operating system: what exists between power-on and power-off.
// The guest is a tiny host of its own (a kernel-layer Host with its root namespace), so its IPv4
// stack — ARP, ICMP echo and errors, UDP, fragmentation and reassembly, routing, TTL 64 — is the
// same code the emulated hypervisors run; eth0 is a virtio NIC behind the hypervisor's tap.
// A reboot builds a new GuestOs: addresses, routes, ARP cache and processes start from nothing.

import { Host } from '../kernel/host.js';
import type { ExternalDevice, Tap } from '../kernel/links.js';
import type { Namespace } from '../kernel/netns.js';
import { attachNamespaceAsGuest } from '../kernel/tap-guest.js';
import type { LatencyModel } from '../sim/latency.js';
import type { Scheduler, TimerHandle } from '../sim/scheduler.js';
import type { CirrosRelease } from './cirros.js';
import type { ConsoleLog } from './console-log.js';
import type { Udhcpc } from './dhcp-client.js';

export interface Flavor {
  /** MB */
  ram: number;
  vcpus: number;
  /** GB */
  disk: number;
}

/** What the datasource found (cirros-ds): shown by the status block, applied by cirros-apply. */
export interface Datasource {
  name: 'ec2' | 'configdrive';
  mode: 'net' | 'local';
  items: Record<string, string>;
}

/** A virtio NIC: its MAC and the hypervisor's tap behind it (null: no backend). */
export interface NicSpec {
  mac: Uint8Array;
  tap: Tap | null;
}

export interface GuestIdentity {
  /** Server name (display name). */
  name: string;
  /** What a datasource gives as local-hostname. */
  hostname: string;
  /** EC2 id `i-0000000N`. */
  ec2Id: string;
  uuid: string;
  availabilityZone: string;
  launchIndex: number;
}

function runIfAlive(os: GuestOs, fn: () => void): void {
  if (os.alive) fn();
}

export class GuestOs {
  readonly host: Host;
  readonly ns: Namespace;
  readonly eth0: ExternalDevice;
  readonly nics: ExternalDevice[];
  /** `hostname`; /etc/hostname of the image says `cirros` until a datasource gives another. */
  hostname = 'cirros';
  /** Files the guest wrote at run time (/etc/resolv.conf …); static files are computed on read. */
  readonly files = new Map<string, string>();
  /** The DHCP client daemons by interface (S40-network's on eth0, others started by `udhcpc`). */
  readonly dhcp = new Map<string, Udhcpc>();
  datasource: Datasource | null = null;
  alive = true;
  /** Virtual time (ns) of power-on. */
  readonly bootAt: number;
  /** Runs (or ran) the interrupt handlers of foreground processes at power-off. */
  readonly procs = new Set<{ kill(): void }>();
  private readonly timers = new Set<TimerHandle>();

  constructor(
    readonly sched: Scheduler,
    readonly release: CirrosRelease,
    readonly flavor: Flavor,
    readonly id: GuestIdentity,
    /** The virtio NICs in PCI order: eth0, eth1 … (the first is the one CirrOS configures). */
    readonly nicSpecs: NicSpec[],
    readonly console: ConsoleLog,
    latency: LatencyModel | undefined,
    /** Seeded per-guest constants (CPU MHz, SSH host key bytes). */
    readonly mhz: number,
    readonly hostKeySeed: number,
  ) {
    this.bootAt = sched.now;
    const anyTap = nicSpecs.find((n) => n.tap !== null)?.tap;
    this.host = new Host(id.name, sched, latency ?? anyTap?.host.latency);
    this.ns = this.host.root;
    this.ns.lo.mtu = release.loMtu;
    this.ns.lo.qdisc = 'noqueue';
    this.ns.lo.txqueuelen = 0;
    this.nics = nicSpecs.map((n, i) => {
      const name = `eth${i}`;
      let dev: ExternalDevice;
      if (n.tap !== null) {
        dev = attachNamespaceAsGuest(n.tap, this.ns, n.mac, 1500, name);
      } else {
        // a NIC without a backend: it exists, nothing is behind it
        dev = this.host.addExternalDevice(name, () => {}, { mac: n.mac, kind: 'dummy' });
        dev.carrier = false;
      }
      // the guest kernel brings a NIC up only when ifup/udhcpc configures it
      dev.setUp(false);
      dev.qdisc = 'pfifo_fast';
      return dev;
    });
    if (this.nics.length === 0) throw new Error('a guest needs at least one NIC');
    this.eth0 = this.nics[0];
  }

  /** Seconds since power-on, as /proc/uptime. */
  uptime(): number {
    return (this.sched.now - this.bootAt) / 1e9;
  }

  /** `up 4.58`: /proc/uptime's first field as the scripts print it. */
  uptimeText(): string {
    return this.uptime().toFixed(2);
  }

  /** Runs `fn` after `delay` ns unless the guest was powered off meanwhile. */
  after(delay: number, fn: () => void): TimerHandle {
    const h = this.sched.schedule(
      delay,
      (os: GuestOs, f: () => void) => {
        os.timers.delete(h);
        runIfAlive(os, f);
      },
      this,
      fn,
    );
    this.timers.add(h);
    return h;
  }

  cancel(h: TimerHandle): void {
    this.sched.cancel(h);
    this.timers.delete(h);
  }

  /** Power-off: every process and timer of this boot stops, the NICs leave their taps. */
  halt(): void {
    if (!this.alive) return;
    for (const p of [...this.procs]) p.kill();
    this.procs.clear();
    for (const c of [...this.dhcp.values()]) c.kill();
    this.alive = false;
    for (const h of this.timers) this.sched.cancel(h);
    this.timers.clear();
    for (const [i, dev] of this.nics.entries()) {
      dev.setUp(false);
      const tap = this.nicSpecs[i].tap;
      if (tap !== null && tap.onTransmitToGuest !== null) tap.detachGuest();
    }
  }

  /** The nameservers of /etc/resolv.conf. */
  nameservers(): string[] {
    const text = this.files.get('/etc/resolv.conf') ?? '';
    return text
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((t) => t[0] === 'nameserver' && t[1])
      .map((t) => t[1]);
  }
}
