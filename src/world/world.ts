// The emulated world of a running cloud: one kernel Host per HostSpec of the layout, joined by
// one underlay segment (the data network), each with an Open vSwitch (ovs-vswitchd and its
// database), modelled RAM, and the files the host tools can read. One Scheduler owns time for
// all of them: paced by the wall clock in the server (RealtimeDriver), stepped by hand in tests.
//
// A host starts as a fresh packstack host before Neutron's agents run: `lo`, its NIC `eth1` on
// the data network carrying the layout's underlay IP (the seed's host had one NIC on
// 192.168.136.0/24; the tunnels and everything else use it), a default route via the data
// network's first address, and an OVS with no bridges: br-int, br-tun and br-ex come when the
// agents (later issues) set the host up. Agents take the pieces they need from a WorldHost:
// `kernel` (devices, namespaces), `vswitchd`, `memory`, `files`.
import { join } from 'node:path';
import { Host } from '../kernel/host.js';
import { HostMemory } from '../kernel/memory.js';
import { type Nic, UnderlaySegment } from '../kernel/underlay.js';
import { HostFiles, normalize } from '../kernel/vfs.js';
import { Vswitchd } from '../ovs/vswitchd.js';
import type { HostRole, HostSpec, Layout } from '../sim/layout.js';
import type { Logger } from '../sim/oslo-log.js';
import { RealtimeDriver } from '../sim/pacing.js';
import { NS_PER_MS, Scheduler } from '../sim/scheduler.js';
import { ipToString, parseCidr } from '../wire/ipv4-address.js';
import { CONF_DB_PATH, ConfDb } from './conf-db.js';
import { hostLogNames, hostLogResolver } from './host-logs.js';

export interface WorldOptions {
  /** Seed of the scheduler (MACs, jitter, ids): same seed, same world. Default 1. */
  seed?: number;
  /** 'realtime': virtual time follows the wall clock once started (the server). 'manual': tests step `sched`. */
  pacing?: 'realtime' | 'manual';
  /** Virtual seconds per wall second under realtime pacing. */
  speed?: number;
  /** Wall-clock time (ms since the epoch) of virtual time 0; default: when the world is created. */
  epochMs?: number;
  /** The cloud's data dir: logs are DIR/logs (/var/log/nova and /var/log/neutron of each host map
   *  into it) and files the host tools write (tcpdump -w) go to DIR/hosts/<host>/<path>. */
  dataDir?: string;
  /**
   * Keep each host's Open vSwitch database in DIR/hosts/<host>/etc/openvswitch/conf.db (read back
   * when the world is built, saved after changes and by `close()`), as conf.db survives a reboot.
   * Needs `dataDir`; an ephemeral cloud leaves it off.
   */
  persistOvsdb?: boolean;
  /** Warnings about a host (a damaged conf.db) go to DIR/logs/<host>/<file>. */
  log?: (host: string, file: string, module: string) => Logger;
}

/** The underlay NIC's name on every host. */
export const UNDERLAY_NIC = 'eth1';

export class WorldHost {
  readonly kernel: Host;
  readonly vswitchd: Vswitchd;
  readonly memory: HostMemory;
  readonly files = new HostFiles();
  /** The NIC on the data network (eth1) carrying `spec.underlayIp`. */
  readonly nic: Nic;
  /** The saved Open vSwitch database (persistOvsdb), or null. */
  readonly confDb: ConfDb | null = null;
  /** What later layers keep on the host (nova-compute's libvirt domains …), by name. */
  private readonly parts = new Map<string, unknown>();

  constructor(
    readonly spec: HostSpec,
    readonly world: World,
    private readonly dataDir: string | undefined,
    underlay: UnderlaySegment,
    prefixLen: number,
    gateway: number | null,
  ) {
    const h = new Host(spec.name, world.sched);
    this.kernel = h;
    this.nic = h.addNic(UNDERLAY_NIC, underlay);
    h.root.addAddress(this.nic, `${spec.underlayIp}/${prefixLen}`);
    this.nic.setUp(true);
    if (gateway !== null) h.root.addRoute({ dst: 'default', via: gateway, dev: this.nic, proto: 'static' });
    this.vswitchd = new Vswitchd(h);
    const confPath = world.persistOvsdb ? this.diskPath(CONF_DB_PATH) : undefined;
    if (confPath !== undefined) {
      const log = world.log?.(spec.name, 'ovsdb-server.log', 'ovsdb_server');
      this.confDb = new ConfDb(confPath, this.vswitchd, (m) => log?.warning(m));
      this.confDb.load();
    }
    this.memory = new HostMemory(spec.ramMb, spec.servicesRamMb);
    this.files.register('/etc/hostname', `${spec.name}\n`);
  }

  get name(): string {
    return this.spec.name;
  }

  hasRole(role: HostRole): boolean {
    return this.spec.roles.includes(role);
  }

  /**
   * Keeps a piece of host state a higher layer owns under `key` (nova-compute puts its libvirt
   * there, so that `virsh`, a host tool, finds it without the world knowing libvirt).
   */
  attach<T>(key: string, value: T): T {
    this.parts.set(key, value);
    return value;
  }

  /** The piece attached under `key`, if any. */
  part<T>(key: string): T | undefined {
    return this.parts.get(key) as T | undefined;
  }

  /**
   * Where a file the host writes (`tcpdump -w FILE`) lives on the real disk: DIR/hosts/<host>/<path>,
   * a relative path being relative to root's home. Undefined when the world has no data dir.
   */
  diskPath(path: string): string | undefined {
    if (this.dataDir === undefined) return undefined;
    return join(this.dataDir, 'hosts', this.name, normalize(path.startsWith('/') ? path : `/root/${path}`));
  }
}

export class World {
  readonly sched: Scheduler;
  readonly underlay: UnderlaySegment;
  readonly hosts = new Map<string, WorldHost>();
  /** Wall-clock ms at virtual time 0. */
  readonly epochMs: number;
  private readonly driver: RealtimeDriver | null;
  readonly persistOvsdb: boolean;
  readonly log: WorldOptions['log'];

  constructor(
    readonly layout: Layout,
    opts: WorldOptions = {},
  ) {
    this.persistOvsdb = (opts.persistOvsdb ?? false) && opts.dataDir !== undefined;
    this.log = opts.log;
    this.sched = new Scheduler({ seed: opts.seed ?? 1 });
    this.epochMs = opts.epochMs ?? Date.now();
    this.driver =
      (opts.pacing ?? 'realtime') === 'realtime'
        ? new RealtimeDriver(this.sched, { speed: opts.speed })
        : null;
    const cidr = parseCidr(layout.underlayCidr);
    if (cidr === null) throw new Error(`invalid underlay network ${layout.underlayCidr}`);
    this.underlay = new UnderlaySegment('data', layout.underlayCidr);
    // The data network's router, when it is not one of the hosts: the first address (VMware's and
    // libvirt's NAT networks put their gateway there).
    const first = (cidr.network + 1) >>> 0;
    const taken = new Set(layout.hosts.map((h) => h.underlayIp));
    const gateway = cidr.prefixLen < 31 && !taken.has(ipToString(first)) ? first : null;
    for (const spec of layout.hosts) {
      const host = new WorldHost(spec, this, opts.dataDir, this.underlay, cidr.prefixLen, gateway);
      if (opts.dataDir !== undefined) {
        const resolve = hostLogResolver(join(opts.dataDir, 'logs'), spec);
        const logDir = join(opts.dataDir, 'logs');
        host.files.mount(
          '/var/log/nova',
          (name) => resolve('nova', name),
          () => hostLogNames(logDir, spec, 'nova'),
        );
        host.files.mount(
          '/var/log/neutron',
          (name) => resolve('neutron', name),
          () => hostLogNames(logDir, spec, 'neutron'),
        );
      }
      this.hosts.set(spec.name, host);
    }
  }

  host(name: string): WorldHost | undefined {
    return this.hosts.get(name);
  }

  /** Starts realtime pacing (no-op under manual pacing). */
  start(): void {
    this.driver?.start();
  }

  stop(): void {
    this.driver?.stop();
  }

  /** Saves what must outlive the process (each host's conf.db); later changes are not saved. */
  close(): void {
    for (const h of this.hosts.values()) h.confDb?.close();
  }

  /** Brings virtual time up to the wall clock before outside work is injected (realtime pacing). */
  sync(): void {
    this.driver?.sync();
  }

  /** Wall-clock milliseconds of a virtual time (default: now), for timestamps tools print. */
  wallMs(ns = this.sched.now): number {
    return this.epochMs + ns / NS_PER_MS;
  }
}
