// Nova's libvirt driver on an emulated host (nova/virt/libvirt/driver.py): spawn plugs the VIFs as
// os-vif's ovs hybrid plug does (vif-plug.ts), defines the domain `instance-0000000N` with the XML
// Nova writes (domain-xml.ts), and starts it — libvirt creates the taps (fe:16:3e:… MAC, the
// network's MTU) in the qbr bridges, and qemu maps the guest's RAM from the host's memory (the
// kernel's HostMemory, which `free` reads): when it does not fit, qemu's error as libvirt reports
// it. The domain runs a CirrOS guest (src/guest) on the taps: its console is the console log,
// power actions act on it. Destroy leaves nothing on the host. After a restart of pocketstack,
// adopt rebuilds the same devices and domain from what the conductor says (same names).
import { Guest } from '../../guest/index.js';
import type { LinuxBridge } from '../../kernel/bridge.js';
import type { Host } from '../../kernel/host.js';
import type { Tap } from '../../kernel/links.js';
import type { Vswitchd } from '../../ovs/vswitchd.js';
import type { Scheduler } from '../../sim/scheduler.js';
import { parseMac } from '../../wire/mac.js';
import { domainDefinition } from './domain-xml.js';
import {
  type Adopted,
  type ComputeDriver,
  LibvirtError,
  type Domain as NovaDomain,
  POWER_RUNNING,
  POWER_SHUTDOWN,
} from './driver.js';
import { Libvirt, type LibvirtDomain } from './libvirt.js';
import { guestFootprintMb, type HostMemory, QEMU_OVERHEAD_MB } from './memory.js';
import { plugHybrid, tapMac, unplugHybrid, vifNames } from './vif-plug.js';

export interface LibvirtDriverOptions {
  host: Host;
  ovs: Vswitchd;
  memory: HostMemory;
  sched: Scheduler;
  now: () => Date;
  overheadMb?: number;
  /** How long a clean shutdown may take before the domain is destroyed (Nova's shutdown_timeout, 60 s). */
  shutdownTimeoutMs?: number;
}

/** power_state PAUSED (nova/compute/power_state.py). */
const POWER_PAUSED = 3;

export const NOVA_PACKAGE_VERSION = '26.2.0-1.el9';

export class LibvirtDriver implements ComputeDriver {
  readonly libvirt = new Libvirt();
  /** Taps of stopped domains, by name. */
  private readonly stoppedTaps = new Map<string, Tap>();
  /** The guest side of the taps of paused domains, by tap name. */
  private readonly frozen = new Map<string, NonNullable<Tap['onTransmitToGuest']>>();
  private readonly overheadMb: number;

  constructor(private readonly o: LibvirtDriverOptions) {
    this.overheadMb = o.overheadMb ?? QEMU_OVERHEAD_MB;
  }

  /** The libvirt domain of an instance, if defined. */
  domainOf(d: NovaDomain): LibvirtDomain | undefined {
    return this.libvirt.byName(d.instance.instanceName);
  }

  private mustDomain(d: NovaDomain): LibvirtDomain {
    const dom = this.domainOf(d);
    if (!dom)
      throw new LibvirtError(`Domain not found: no domain with matching name '${d.instance.instanceName}'`);
    return dom;
  }

  /** qemu maps `pc.ram` when the domain starts; libvirt's error when the host has not got it. */
  private claimMemory(d: NovaDomain): void {
    const need = guestFootprintMb(d.instance.flavor.ramMb, this.overheadMb);
    if (this.o.memory.allocate(d.instance.uuid, need)) return;
    // qemu stamps its stderr with microseconds: 2018-08-31T01:47:23.585048Z
    const t = this.o
      .now()
      .toISOString()
      .replace(/\.(\d{3})Z$/, '.$1000Z');
    throw new LibvirtError(
      `internal error: qemu unexpectedly closed the monitor: ${t} qemu-kvm: cannot set up guest memory 'pc.ram': Cannot allocate memory`,
    );
  }

  /**
   * libvirt's taps for the domain's interfaces, in their qbr bridges. A stopped domain has none
   * (qemu's exit closes them); its next start brings them back with the same name and MAC (the
   * guest's virtio NIC stays bound to the same Tap object).
   */
  private ensureTaps(d: NovaDomain): Tap[] {
    const h = this.o.host;
    return d.ports.map((p) => {
      const n = vifNames(p.id);
      let tap = h.device(n.tap) as Tap | undefined;
      const kept = this.stoppedTaps.get(n.tap);
      if (tap === undefined && kept !== undefined) {
        h.register(kept);
        tap = kept;
      }
      this.stoppedTaps.delete(n.tap);
      if (tap === undefined) {
        // libvirt's fe:16:3e:… (virNetDevTapCreateInBridgePort): a high first byte, so that the
        // bridge, which takes the lowest port MAC as its own, seldom takes the tap's
        tap = h.addTap(n.tap, { mac: parseMac(tapMac(p.macAddress)) ?? undefined, mtu: p.mtu });
      }
      const qbr = h.device(n.qbr) as LinuxBridge | undefined;
      if (qbr !== undefined && tap.master === null) qbr.addPort(tap);
      tap.setUp(true);
      return tap;
    });
  }

  /** The domain stopped: its taps go (kept aside for the next start). */
  private closeTaps(d: NovaDomain): void {
    for (const p of d.ports) {
      const name = vifNames(p.id).tap;
      this.frozen.delete(name);
      const tap = this.o.host.device(name) as Tap | undefined;
      if (tap === undefined) continue;
      tap.destroy();
      this.stoppedTaps.set(name, tap);
    }
  }

  private define(d: NovaDomain): LibvirtDomain {
    const existing = this.domainOf(d);
    if (existing) return existing;
    for (const p of d.ports) plugHybrid(this.o.host, this.o.ovs, p, d.instance.uuid);
    const taps = this.ensureTaps(d);
    const i = d.instance;
    const guest = new Guest({
      sched: this.o.sched,
      name: i.displayName,
      hostname: i.hostname,
      instanceId: Number.parseInt(i.instanceName.slice('instance-'.length), 16),
      uuid: i.uuid,
      mac: d.ports[0]?.macAddress ?? tapMac('fa:16:3e:00:00:00'),
      tap: taps[0] ?? null,
      extraNics: d.ports.slice(1).map((p, k) => ({ mac: p.macAddress, tap: taps[k + 1] })),
      flavor: { ram: i.flavor.ramMb, vcpus: i.flavor.vcpus, disk: i.flavor.rootGb },
      image: i.image?.name,
      // Nova's force_config_drive: the datasource is local until a metadata service exists
      configDrive: true,
      availabilityZone: i.availabilityZone,
    });
    const def = domainDefinition({
      instance: i,
      ports: d.ports,
      createdAt: this.o.now(),
      novaVersion: NOVA_PACKAGE_VERSION,
    });
    return this.libvirt.define(def, guest);
  }

  private startDomain(d: NovaDomain, dom: LibvirtDomain, paused = false): void {
    this.claimMemory(d);
    this.ensureTaps(d);
    dom.start({ paused });
  }

  /** With `paused`, the guest boots on `unpause` (once Neutron said the VIFs are plugged). */
  spawn(d: NovaDomain, opts: { paused?: boolean } = {}): void {
    const dom = this.define(d);
    this.startDomain(d, dom, opts.paused === true);
  }

  destroy(d: NovaDomain): void {
    this.domainOf(d)?.stop();
    const h = this.o.host;
    for (const p of d.ports) {
      const name = vifNames(p.id).tap;
      h.device(name)?.destroy();
      this.stoppedTaps.delete(name);
      this.frozen.delete(name);
      unplugHybrid(h, this.o.ovs, p.id);
    }
    this.libvirt.undefine(d.instance.instanceName);
    this.o.memory.release(d.instance.uuid);
  }

  /** Nova's clean shutdown: ACPI, then (after shutdown_timeout) the plug pulled. */
  powerOff(d: NovaDomain): Promise<void> {
    const dom = this.mustDomain(d);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        dom.stop();
        this.closeTaps(d);
        this.o.memory.release(d.instance.uuid);
        resolve();
      };
      const timer = setTimeout(done, this.o.shutdownTimeoutMs ?? 60_000);
      dom.guest.shutdown(done);
    });
  }

  powerOn(d: NovaDomain): void {
    const dom = this.define(d);
    if (dom.active) return;
    this.startDomain(d, dom);
  }

  reboot(d: NovaDomain, type: 'SOFT' | 'HARD'): void {
    const dom = this.mustDomain(d);
    dom.resume();
    this.thaw(d);
    dom.guest.reboot({ hard: type === 'HARD' });
  }

  /**
   * `virsh suspend`: the vCPUs stop, so nothing reads the taps any more — frames towards the guest
   * are dropped at the tap (TX dropped) until it runs again; the tap itself stays up.
   */
  pause(d: NovaDomain): void {
    const dom = this.mustDomain(d);
    if (dom.paused) return;
    dom.paused = true;
    for (const p of d.ports) {
      const tap = this.o.host.device(vifNames(p.id).tap) as Tap | undefined;
      if (tap?.onTransmitToGuest) {
        this.frozen.set(tap.name, tap.onTransmitToGuest);
        tap.onTransmitToGuest = null;
      }
    }
  }

  unpause(d: NovaDomain): void {
    this.mustDomain(d).resume();
    this.thaw(d);
  }

  private thaw(d: NovaDomain): void {
    for (const p of d.ports) {
      const name = vifNames(p.id).tap;
      const receiver = this.frozen.get(name);
      const tap = this.o.host.device(name) as Tap | undefined;
      if (receiver && tap && tap.onTransmitToGuest === null) tap.onTransmitToGuest = receiver;
      this.frozen.delete(name);
    }
  }

  /** Managed save: the guest's memory leaves the host. */
  suspend(d: NovaDomain): void {
    const dom = this.mustDomain(d);
    dom.stop();
    this.closeTaps(d);
    dom.managedSave = true;
    this.o.memory.release(d.instance.uuid);
  }

  resume(d: NovaDomain): void {
    const dom = this.mustDomain(d);
    this.startDomain(d, dom);
    dom.managedSave = false;
  }

  adopt(d: NovaDomain, running: boolean, opts: { paused?: boolean } = {}): Adopted {
    const dom = this.define(d);
    if (dom.active) return { powerState: dom.paused ? POWER_PAUSED : POWER_RUNNING, started: false };
    if (!running) return { powerState: POWER_SHUTDOWN, started: false };
    try {
      this.startDomain(d, dom, opts.paused === true);
      return { powerState: opts.paused === true ? POWER_PAUSED : POWER_RUNNING, started: true };
    } catch (e) {
      if (e instanceof LibvirtError) return { powerState: POWER_SHUTDOWN, started: false };
      throw e;
    }
  }

  consoleLog(d: NovaDomain): string[] {
    const text = this.domainOf(d)?.guest.console.text ?? '';
    if (text === '') return [];
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines;
  }

  memory() {
    return { usedMb: this.o.memory.usedMb, totalMb: this.o.memory.totalMb };
  }
}
