// A virtual machine as the hypervisor sees it: a domain that can be powered on, shut down
// (ACPI: the guest's init stops its services, udhcpc releases its lease), destroyed (pulled plug)
// and rebooted, with a serial console log and a shell. Each power-on builds a fresh GuestOs.

import type { Tap } from '../kernel/links.js';
import type { LatencyModel } from '../sim/latency.js';
import { Random } from '../sim/random.js';
import type { Scheduler } from '../sim/scheduler.js';
import { parseMac } from '../wire/mac.js';
import { registerApplets } from './applets.js';
import { runBoot } from './boot.js';
import { cirrosRelease } from './cirros.js';
import { ConsoleLog } from './console-log.js';
import { type ConfigDrive, type MetadataClient, noMetadataService } from './datasource.js';
import { kernelStamp } from './kernel-log.js';
import { type Flavor, GuestOs, type NicSpec } from './os.js';
import { BufferIo, type Io, ProcHandle } from './proc.js';
import { Shell, type User } from './shell.js';

const S = 1e9;

/** libvirt's domain states as `virsh list --all` prints them. */
export type PowerState = 'running' | 'in shutdown' | 'shut off';

export interface GuestOptions {
  sched: Scheduler;
  /** Server name (display name). */
  name: string;
  /** Host name a datasource would give (Nova's sanitised name); default: from `name`. */
  hostname?: string;
  /** Nova's integer instance id (→ `i-0000000N`, `instance-0000000N`) or the EC2 id itself. */
  instanceId: number | string;
  uuid: string;
  /** The port's MAC, `fa:16:3e:…`. */
  mac: string | Uint8Array;
  /** The hypervisor's tap for the NIC (null: no network backend). */
  tap: Tap | null;
  /** More NICs (eth1, eth2 …: a server on several networks); CirrOS configures only eth0 at boot. */
  extraNics?: { mac: string | Uint8Array; tap: Tap | null }[];
  flavor: Flavor;
  /** Glance image name: `cirros-0.5.2-x86_64-disk` boots 0.5.2, anything else CirrOS 0.3.4. */
  image?: string;
  /** Seed for the guest's own constants (CPU MHz, SSH host keys); default from the uuid. */
  seed?: number;
  latency?: LatencyModel;
  /** A config drive (Nova `force_config_drive`): the datasource is found locally, no metadata wait. */
  configDrive?: boolean;
  /** HTTP client towards 169.254.169.254 (default: nobody answers). */
  metadata?: MetadataClient;
  availabilityZone?: string;
  launchIndex?: number;
}

/** Nova's hostname sanitisation (nova.utils.sanitize_hostname): lower case, [a-z0-9-], ≤ 63. */
export function sanitizeHostname(name: string): string {
  let h = name
    .toLowerCase()
    .replace(/[ _]/g, '-')
    .replace(/[^a-z0-9.-]/g, '');
  h = h.replace(/^[.-]+|[.-]+$/g, '').slice(0, 63);
  return h === '' ? 'server' : h;
}

function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

export class Guest {
  readonly console = new ConsoleLog();
  state: PowerState = 'shut off';
  /** The running system, or null while powered off. */
  os: GuestOs | null = null;
  readonly name: string;
  readonly hostname: string;
  readonly ec2Id: string;
  readonly mac: Uint8Array;
  private readonly nics: NicSpec[];
  private booted = false;
  private firstBoot = true;
  private bootWaiters: (() => void)[] = [];
  private readonly mhz: number;
  private readonly keySeed: number;

  constructor(readonly opts: GuestOptions) {
    registerApplets();
    this.name = opts.name;
    this.hostname = opts.hostname ?? sanitizeHostname(opts.name);
    this.ec2Id =
      typeof opts.instanceId === 'number'
        ? `i-${opts.instanceId.toString(16).padStart(8, '0')}`
        : opts.instanceId;
    const macOf = (m: string | Uint8Array): Uint8Array => {
      const b = typeof m === 'string' ? parseMac(m) : m;
      if (b === null) throw new Error(`invalid MAC address: ${String(m)}`);
      return b;
    };
    this.mac = macOf(opts.mac);
    this.nics = [
      { mac: this.mac, tap: opts.tap },
      ...(opts.extraNics ?? []).map((n) => ({ mac: macOf(n.mac), tap: n.tap })),
    ];
    const rng = new Random(opts.seed ?? seedOf(opts.uuid));
    this.mhz = 2100 + rng.int(500_000) / 1000;
    this.keySeed = rng.u32();
  }

  /** True once the login prompt is on the console (and until power-off). */
  get isBooted(): boolean {
    return this.booted && this.os !== null;
  }

  /** Power on (`virsh start`): the boot runs on virtual time. No-op when already running. */
  boot(): void {
    if (this.state !== 'shut off') return;
    const o = this.opts;
    const os = new GuestOs(
      o.sched,
      cirrosRelease(o.image),
      o.flavor,
      {
        name: this.name,
        hostname: this.hostname,
        ec2Id: this.ec2Id,
        uuid: o.uuid,
        availabilityZone: o.availabilityZone ?? 'nova',
        launchIndex: o.launchIndex ?? 0,
      },
      this.nics,
      this.console,
      o.latency,
      this.mhz,
      this.keySeed,
    );
    this.os = os;
    this.state = 'running';
    this.booted = false;
    const drive: ConfigDrive | null = o.configDrive
      ? {
          uuid: o.uuid,
          name: this.name,
          hostname: `${this.hostname}.novalocal`,
          availabilityZone: o.availabilityZone ?? 'nova',
          launchIndex: o.launchIndex ?? 0,
        }
      : null;
    runBoot(os, {
      firstBoot: this.firstBoot,
      configDrive: drive,
      metadata: o.metadata ?? noMetadataService,
      onLoginPrompt: () => {
        this.booted = true;
        const w = this.bootWaiters;
        this.bootWaiters = [];
        for (const fn of w) fn();
      },
    });
    this.firstBoot = false;
  }

  /**
   * ACPI shutdown (`virsh shutdown`, Nova's clean power off): busybox init's shutdown sequence,
   * udhcpc's SIGTERM (it releases its lease: -R), then power-off about a second later.
   */
  shutdown(onDone: () => void = () => {}): void {
    const os = this.os;
    if (os === null || this.state !== 'running') {
      onDone();
      return;
    }
    this.state = 'in shutdown';
    os.console.line('');
    os.console.line('The system is going down NOW!');
    os.console.line('Sent SIGTERM to all processes');
    for (const dhcp of [...os.dhcp.values()]) {
      os.console.line(os.release.udhcpcStyle === '1.29' ? 'udhcpc: received SIGTERM' : 'Received SIGTERM');
      dhcp.stop();
    }
    os.after(S, () => {
      os.console.line('Sent SIGKILL to all processes');
      os.console.line('Requesting system poweroff');
      os.after(300e6, () => {
        os.console.line(`${kernelStamp(os.uptime())}Power down.`);
        this.powerOff();
        onDone();
      });
    });
  }

  /** Pulls the plug (`virsh destroy`). */
  destroy(): void {
    if (this.os === null) return;
    this.powerOff();
  }

  /** Soft reboot (shutdown, then power on) or hard (destroy, then power on). */
  reboot(opts: { hard?: boolean } = {}, onDone: () => void = () => {}): void {
    if (opts.hard || this.state !== 'running') {
      this.destroy();
      this.boot();
      onDone();
      return;
    }
    this.shutdown(() => {
      this.boot();
      onDone();
    });
  }

  private powerOff(): void {
    this.os?.halt();
    this.os = null;
    this.booted = false;
    this.state = 'shut off';
  }

  /**
   * Calls `fn` once the login prompt is printed (now if it already is). With `timeout` (virtual
   * ns), `onTimeout` runs instead when the prompt has not come by then (`pocketstack vm exec`
   * waits up to 60 s).
   */
  whenBooted(fn: () => void, opts?: { timeout: number; onTimeout: () => void }): void {
    if (this.isBooted) {
      fn();
      return;
    }
    if (opts === undefined) {
      this.bootWaiters.push(fn);
      return;
    }
    let settled = false;
    const timer = this.opts.sched.schedule(opts.timeout, () => {
      if (settled) return;
      settled = true;
      opts.onTimeout();
    });
    this.bootWaiters.push(() => {
      if (settled) return;
      settled = true;
      this.opts.sched.cancel(timer);
      fn();
    });
  }

  /**
   * Runs a command line in the guest as `user` (default root, like a guest agent's exec), with
   * output to `io`. The handle's `interrupt()` is Ctrl-C. Refused (status 255, message on `io`)
   * when the guest is not running.
   */
  exec(line: string, io: Io, onDone: (code: number) => void, opts: { user?: User } = {}): ProcHandle {
    if (this.os === null || this.state !== 'running') {
      io.err(`error: guest ${this.name} is not running\n`);
      const p = new ProcHandle(onDone);
      p.exit(255);
      return p;
    }
    return new Shell(this.os, opts.user ?? 'root').start(line, io, onDone);
  }

  /** Runs a command and resolves with its output and status (drive the scheduler meanwhile). */
  run(line: string, opts: { user?: User } = {}): Promise<{ code: number; output: string }> {
    const io = new BufferIo();
    return new Promise((resolve) => this.exec(line, io, (code) => resolve({ code, output: io.text }), opts));
  }
}
