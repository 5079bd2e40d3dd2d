// Today's driver: a domain is its memory on the host and a console record of what nova-compute
// did — honest about the guest OS not being emulated yet. Starting a domain takes the guest's
// footprint from the host's memory (memory.ts); when it does not fit, qemu's failure is
// reported as libvirt words it.
import type { Adopted, ComputeDriver, Domain } from './driver.js';
import { LibvirtError } from './driver.js';
import { guestFootprintMb, type HostMemory, QEMU_OVERHEAD_MB } from './memory.js';

export class AccountingDriver implements ComputeDriver {
  private readonly consoles = new Map<string, string[]>();

  constructor(
    readonly hostName: string,
    readonly hostMemory: HostMemory,
    private readonly now: () => Date,
    private readonly overheadMb = QEMU_OVERHEAD_MB,
  ) {}

  private say(d: Domain, line: string): void {
    let c = this.consoles.get(d.instance.uuid);
    if (!c) {
      c = [];
      this.consoles.set(d.instance.uuid, c);
    }
    c.push(`[${this.now().toISOString()}] ${line}`);
  }

  /** qemu maps the guest's RAM when the domain starts; libvirt's error when the host has not got it. */
  private start(d: Domain): void {
    const need = guestFootprintMb(d.instance.flavor.ramMb, this.overheadMb);
    if (!this.hostMemory.allocate(d.instance.uuid, need)) {
      this.say(
        d,
        `qemu-kvm: cannot set up guest memory 'pc.ram': Cannot allocate memory (needs ${need} MB, ${this.hostMemory.availableMb} MB free of ${this.hostMemory.totalMb} MB)`,
      );
      // qemu stamps its stderr with microseconds: 2018-08-31T01:47:23.585048Z
      const t = this.now()
        .toISOString()
        .replace(/\.(\d{3})Z$/, '.$1000Z');
      throw new LibvirtError(
        `internal error: qemu unexpectedly closed the monitor: ${t} qemu-kvm: cannot set up guest memory 'pc.ram': Cannot allocate memory`,
      );
    }
    this.say(
      d,
      `domain ${d.instance.instanceName} started (${need} MB with qemu overhead; host ${this.hostMemory.availableMb} MB free)`,
    );
  }

  spawn(d: Domain): void {
    const i = d.instance;
    const f = i.flavor;
    this.say(
      d,
      `nova-compute on ${this.hostName}: defining domain ${i.instanceName} for server ${i.displayName} (${i.uuid})`,
    );
    this.say(d, `flavor ${f.name}: ${f.vcpus} vCPU, ${f.ramMb} MB RAM, ${f.rootGb} GB root disk`);
    this.say(
      d,
      i.image
        ? `root disk from image ${i.image.name} (${i.image.id}, ${i.image.diskFormat ?? 'raw'})`
        : 'no image',
    );
    for (const p of d.ports)
      this.say(
        d,
        `port ${p.id} ${p.macAddress} on network ${p.networkName} (${p.networkType}${p.segmentationId === null ? '' : ` ${p.segmentationId}`}, MTU ${p.mtu}): ${p.fixedIps.map((x) => x.ipAddress).join(', ')}`,
      );
    this.start(d);
    this.say(
      d,
      'no guest operating system is emulated on this host yet: nothing boots and the serial console stays silent',
    );
  }

  destroy(d: Domain): void {
    this.hostMemory.release(d.instance.uuid);
    this.consoles.delete(d.instance.uuid);
  }

  powerOff(d: Domain): void {
    this.hostMemory.release(d.instance.uuid);
    this.say(d, `domain ${d.instance.instanceName} shut off`);
  }

  powerOn(d: Domain): void {
    this.start(d);
  }

  reboot(d: Domain, type: 'SOFT' | 'HARD'): void {
    this.say(
      d,
      `domain ${d.instance.instanceName} ${type === 'HARD' ? 'reset (hard reboot)' : 'rebooted (ACPI)'}`,
    );
  }

  pause(d: Domain): void {
    this.say(d, `domain ${d.instance.instanceName} paused`);
  }

  unpause(d: Domain): void {
    this.say(d, `domain ${d.instance.instanceName} resumed from pause`);
  }

  suspend(d: Domain): void {
    this.hostMemory.release(d.instance.uuid);
    this.say(d, `domain ${d.instance.instanceName} saved to disk (suspended)`);
  }

  resume(d: Domain): void {
    this.start(d);
  }

  adopt(d: Domain, running: boolean, opts: { paused?: boolean } = {}): Adopted {
    let state = 4;
    if (running) {
      try {
        this.start(d);
        state = opts.paused === true ? 3 : 1;
      } catch {
        state = 4;
      }
    }
    this.say(
      d,
      `nova-compute on ${this.hostName} restarted: domain ${d.instance.instanceName} adopted (${state === 1 ? 'running' : state === 3 ? 'paused' : 'shut off'})`,
    );
    return { powerState: state, started: state !== 4 };
  }

  consoleLog(d: Domain): string[] {
    return this.consoles.get(d.instance.uuid) ?? [];
  }

  memory() {
    return { usedMb: this.hostMemory.usedMb, totalMb: this.hostMemory.totalMb };
  }
}
