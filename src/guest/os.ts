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
  /** `hostname`; /etc/hostname of the image says `cirros` until a datasource gives another. */
  hostname = 'cirros';
  /** Files the guest wrote at run time (/etc/resolv.conf …); static files are computed on read. */
  readonly files = new Map<string, string>();
  /** The DHCP client daemon of eth0 (started by S40-network or `udhcpc`). */
  dhcp: Udhcpc | null = null;
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
    readonly mac: Uint8Array,
    readonly tap: Tap | null,
    readonly console: ConsoleLog,
    latency: LatencyModel | undefined,
    /** Seeded per-guest constants (CPU MHz, SSH host key bytes). */
    readonly mhz: number,
    readonly hostKeySeed: number,
  ) {
    this.bootAt = sched.now;
    this.host = new Host(id.name, sched, latency ?? tap?.host.latency);
    this.ns = this.host.root;
    this.ns.lo.mtu = release.loMtu;
    if (tap !== null) {
      this.eth0 = attachNamespaceAsGuest(tap, this.ns, mac, 1500, 'eth0');
    } else {
      // a domain without an interface backend: the NIC exists but nothing is behind it
      this.eth0 = this.host.addExternalDevice('eth0', () => {}, { mac, kind: 'dummy' });
      this.eth0.carrier = false;
    }
    // The guest kernel brings the NIC up only when ifup/udhcpc configures it.
    this.eth0.setUp(false);
    this.eth0.qdisc = 'pfifo_fast';
    this.ns.lo.qdisc = 'noqueue';
    this.ns.lo.txqueuelen = 0;
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

  /** Power-off: every process and timer of this boot stops, the NIC leaves the tap. */
  halt(): void {
    if (!this.alive) return;
    for (const p of [...this.procs]) p.kill();
    this.procs.clear();
    this.dhcp?.kill();
    this.alive = false;
    for (const h of this.timers) this.sched.cancel(h);
    this.timers.clear();
    this.eth0.setUp(false);
    if (this.tap !== null && this.tap.onTransmitToGuest !== null) this.tap.detachGuest();
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
