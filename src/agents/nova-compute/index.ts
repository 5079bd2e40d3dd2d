// nova-compute on one emulated host. It serves the compute RPC topic of its host on the bus
// (`build_and_run_instance.<host>` …), keeps the host's domains (one per instance, named
// `instance-0000000N`) and the host's physical memory, writes `logs/<host>/nova-compute.log`,
// and reports its state every report_interval. It never reads the database: what it runs comes
// in the calls, and after a restart it asks the conductor which instances its host should run.
//
// Today a domain is a record with memory and a power state; the data-plane issue gives it
// devices (tap, qbr, qvb/qvo on br-int) and a guest. The build request already carries what
// that needs: the instance, its flavor and image, and the bound Neutron ports with MAC, fixed
// IPs, MTU and segmentation.
import type {
  BuildRequest,
  BuildResult,
  Bus,
  ComputeInstance,
  ComputePort,
  Unsubscribe,
} from '../../bus/index.js';
import type { HostSpec } from '../../sim/layout.js';
import type { LogContext, Logger } from '../../sim/oslo-log.js';
import { guestFootprintMb, HostMemory, QEMU_OVERHEAD_MB } from './memory.js';

export { guestFootprintMb, HostMemory, QEMU_OVERHEAD_MB } from './memory.js';

/** power_state values (nova/compute/power_state.py). */
const RUNNING = 1;
const SHUTDOWN = 4;

export interface Domain {
  instance: ComputeInstance;
  ports: ComputePort[];
  powerState: number;
  /** The console log: what this host did for the instance (the guest writes here from issue 7 on). */
  console: string[];
}

export interface NovaComputeOptions {
  bus: Bus;
  host: HostSpec;
  /** The host's nova-compute.log (logs/<host>/nova-compute.log). */
  log: { logger(module: string): Logger };
  now?: () => Date;
  qemuOverheadMb?: number;
  /**
   * The emulated host's memory (the world's host, which `free` reads); without one the agent
   * models the host's memory from its HostSpec by itself.
   */
  memory?: HostMemory;
  /** report_interval (default 10 s); 0 = only on start and on changes. */
  reportIntervalMs?: number;
}

const PY = '/usr/lib/python3.9/site-packages';

export class NovaCompute {
  readonly host: HostSpec;
  readonly memory: HostMemory;
  private readonly overheadMb: number;
  readonly domains = new Map<string, Domain>();
  private readonly bus: Bus;
  private readonly now: () => Date;
  private readonly manager: Logger;
  private readonly driver: Logger;
  private readonly unsubscribe: Unsubscribe[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(o: NovaComputeOptions) {
    this.bus = o.bus;
    this.host = o.host;
    this.now = o.now ?? (() => new Date());
    this.memory = o.memory ?? new HostMemory(o.host.ramMb, o.host.servicesRamMb);
    this.overheadMb = o.qemuOverheadMb ?? QEMU_OVERHEAD_MB;
    this.manager = o.log.logger('nova.compute.manager');
    this.driver = o.log.logger('nova.virt.libvirt.driver');
    const h = o.host.name;
    this.unsubscribe.push(
      this.bus.serve(`build_and_run_instance.${h}`, (r) => this.build(r)),
      this.bus.serve(`terminate_instance.${h}`, (r) => this.terminate(r.uuid, r.requestId)),
      this.bus.serve(`stop_instance.${h}`, (r) => ({ powerState: this.powerOff(r.uuid, r.requestId) })),
      this.bus.serve(`start_instance.${h}`, (r) => ({ powerState: this.powerOn(r.uuid, r.requestId) })),
      this.bus.serve(`reboot_instance.${h}`, (r) => ({
        powerState: this.reboot(r.uuid, r.type, r.requestId),
      })),
      this.bus.serve(`get_console_output.${h}`, (r) => ({ output: this.consoleOutput(r.uuid, r.length) })),
    );
    const interval = o.reportIntervalMs ?? 10_000;
    if (interval > 0) {
      this.timer = setInterval(() => this.report(), interval);
      this.timer.unref();
    }
  }

  /** init_host: adopt the instances the conductor says live here, then report in. */
  async start(): Promise<void> {
    this.manager.info(`Starting compute node (version 26.2.0-1)`);
    if (this.bus.hasServer('get_host_instances')) {
      const { instances } = await this.bus.call('get_host_instances', { host: this.host.name });
      for (const { request, powerState } of instances) {
        const d = this.define(request);
        if (powerState === RUNNING && this.take(d.instance)) d.powerState = RUNNING;
        else d.powerState = SHUTDOWN;
        this.say(
          d,
          `nova-compute on ${this.host.name} restarted: domain ${d.instance.instanceName} adopted (${d.powerState === RUNNING ? 'running' : 'shut off'})`,
        );
      }
    }
    this.report();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const u of this.unsubscribe) u();
  }

  private report(): void {
    this.bus.publish('compute.report_state', {
      host: this.host.name,
      binary: 'nova-compute',
      at: this.now().toISOString(),
      memoryMbUsed: this.memory.usedMb,
      memoryMbTotal: this.memory.totalMb,
      runningVms: [...this.domains.values()].filter((d) => d.powerState === RUNNING).length,
    });
  }

  private ctx(requestId: string, i?: ComputeInstance): LogContext {
    return { requestId, userId: i?.userId, projectId: i?.projectId };
  }

  private say(d: Domain, line: string): void {
    d.console.push(`[${this.now().toISOString()}] ${line}`);
  }

  /** qemu maps the guest's RAM when the domain starts: false when the host has not got it. */
  private take(i: ComputeInstance): boolean {
    return this.memory.allocate(i.uuid, guestFootprintMb(i.flavor.ramMb, this.overheadMb));
  }

  private define(r: BuildRequest): Domain {
    const d: Domain = { instance: r.instance, ports: r.ports, powerState: SHUTDOWN, console: [] };
    this.domains.set(r.instance.uuid, d);
    return d;
  }

  private build(r: BuildRequest): BuildResult {
    const i = r.instance;
    const ctx = this.ctx(r.requestId, i);
    const tag = `[instance: ${i.uuid}]`;
    const started = this.now().getTime();
    const existing = this.domains.get(i.uuid);
    if (existing?.powerState === RUNNING)
      return { outcome: 'active', powerState: RUNNING, launchedAt: this.now().toISOString() };
    const f = i.flavor;
    this.manager.info(
      `${tag} Attempting claim on node ${this.host.name}: memory ${f.ramMb} MB, disk ${f.rootGb + f.ephemeralGb} GB, vcpus ${f.vcpus} CPU`,
      ctx,
    );
    this.manager.info(`${tag} Claim successful on node ${this.host.name}`, ctx);
    this.driver.info(`${tag} Creating image(s)`, ctx);
    const d = this.define(r);
    this.say(
      d,
      `nova-compute on ${this.host.name}: defining domain ${i.instanceName} for server ${i.displayName} (${i.uuid})`,
    );
    this.say(d, `flavor ${f.name}: ${f.vcpus} vCPU, ${f.ramMb} MB RAM, ${f.rootGb} GB root disk`);
    this.say(
      d,
      i.image
        ? `root disk from image ${i.image.name} (${i.image.id}, ${i.image.diskFormat ?? 'raw'})`
        : 'no image',
    );
    for (const p of r.ports)
      this.say(
        d,
        `port ${p.id} ${p.macAddress} on network ${p.networkName} (${p.networkType}${p.segmentationId === null ? '' : ` ${p.segmentationId}`}, MTU ${p.mtu}): ${p.fixedIps.map((x) => x.ipAddress).join(', ')}`,
      );
    if (!this.take(i)) {
      // qemu cannot mmap the guest RAM: libvirt's error through the driver, then the manager
      // aborts the spawn and asks the conductor to reschedule (nova/compute/manager.py).
      // qemu stamps its stderr with microseconds: 2018-08-31T01:47:23.585048Z
      const qemuTime = this.now()
        .toISOString()
        .replace(/\.(\d{3})Z$/, '.$1000Z');
      const err = `internal error: qemu unexpectedly closed the monitor: ${qemuTime} qemu-kvm: cannot set up guest memory 'pc.ram': Cannot allocate memory`;
      this.say(
        d,
        `qemu-kvm: cannot set up guest memory 'pc.ram': Cannot allocate memory (needs ${guestFootprintMb(f.ramMb, this.overheadMb)} MB, ${this.memory.availableMb} MB free of ${this.memory.totalMb} MB)`,
      );
      this.driver.error(
        `Error launching a defined domain with XML: <domain type='kvm'> (${i.instanceName})`,
        ctx,
      );
      const lines = [
        `${tag} Instance failed to spawn: libvirt.libvirtError: ${err}`,
        `${tag} Traceback (most recent call last):`,
        `${tag}   File "${PY}/nova/compute/manager.py", line 2743, in _build_resources`,
        `${tag}     yield resources`,
        `${tag}   File "${PY}/nova/compute/manager.py", line 2503, in _build_and_run_instance`,
        `${tag}     self.driver.spawn(context, instance, image_meta,`,
        `${tag}   File "${PY}/nova/virt/libvirt/driver.py", line 4338, in spawn`,
        `${tag}     self._create_guest_with_network(`,
        `${tag}   File "${PY}/nova/virt/libvirt/guest.py", line 165, in launch`,
        `${tag}     return self._domain.createWithFlags(flags)`,
        `${tag}   File "/usr/lib64/python3.9/site-packages/libvirt.py", line 1409, in createWithFlags`,
        `${tag}     raise libvirtError('virDomainCreateWithFlags() failed')`,
        `${tag} libvirt.libvirtError: ${err}`,
        tag,
      ];
      for (const l of lines) this.manager.error(l, ctx);
      this.manager.info(`${tag} Terminating instance`, ctx);
      this.driver.info(`${tag} Instance destroyed successfully.`, ctx);
      this.manager.debug(`${tag} Build of instance ${i.uuid} was re-scheduled: ${err}`, ctx);
      this.domains.delete(i.uuid);
      this.report();
      return { outcome: 'reschedule', reason: err, exceptionClass: 'libvirt.libvirtError' };
    }
    d.powerState = RUNNING;
    this.say(
      d,
      `domain ${i.instanceName} started (${guestFootprintMb(f.ramMb, this.overheadMb)} MB with qemu overhead; host ${this.memory.availableMb} MB free)`,
    );
    this.say(
      d,
      'no guest operating system is emulated on this host yet: nothing boots and the serial console stays silent',
    );
    const secs = ((this.now().getTime() - started) / 1000 + 0.01).toFixed(2);
    this.driver.info(`${tag} Instance spawned successfully.`, ctx);
    this.manager.info(`${tag} Took ${secs} seconds to spawn the instance on the hypervisor.`, ctx);
    this.manager.info(`${tag} Took ${secs} seconds to build instance.`, ctx);
    this.report();
    return { outcome: 'active', powerState: RUNNING, launchedAt: this.now().toISOString() };
  }

  private terminate(uuid: string, requestId: string): { ok: true } {
    const d = this.domains.get(uuid);
    const ctx = this.ctx(requestId, d?.instance);
    this.manager.info(`[instance: ${uuid}] Terminating instance`, ctx);
    if (d) {
      this.memory.release(uuid);
      this.domains.delete(uuid);
      this.driver.info(`[instance: ${uuid}] Instance destroyed successfully.`, ctx);
      this.driver.info(
        `[instance: ${uuid}] Deleting instance files /var/lib/nova/instances/${uuid}_del`,
        ctx,
      );
      this.report();
    }
    return { ok: true };
  }

  private mustGet(uuid: string): Domain {
    const d = this.domains.get(uuid);
    if (!d) throw new Error(`Instance ${uuid} could not be found.`);
    return d;
  }

  private powerOff(uuid: string, requestId: string): number {
    const d = this.mustGet(uuid);
    if (d.powerState === RUNNING) {
      this.memory.release(uuid);
      d.powerState = SHUTDOWN;
      this.say(d, `domain ${d.instance.instanceName} shut off`);
      this.driver.info(
        `[instance: ${uuid}] Instance shutdown successfully after 0 seconds.`,
        this.ctx(requestId, d.instance),
      );
      this.report();
    }
    return d.powerState;
  }

  private powerOn(uuid: string, requestId: string): number {
    const d = this.mustGet(uuid);
    const ctx = this.ctx(requestId, d.instance);
    if (d.powerState !== RUNNING) {
      if (!this.take(d.instance)) {
        this.manager.error(
          `[instance: ${uuid}] Setting instance vm_state to ERROR: libvirt.libvirtError: internal error: qemu unexpectedly closed the monitor: qemu-kvm: cannot set up guest memory 'pc.ram': Cannot allocate memory`,
          ctx,
        );
        this.say(
          d,
          `qemu-kvm: cannot set up guest memory 'pc.ram': Cannot allocate memory (power on refused)`,
        );
        return d.powerState;
      }
      d.powerState = RUNNING;
      this.say(d, `domain ${d.instance.instanceName} started`);
      this.driver.info(`[instance: ${uuid}] Instance rebooted successfully.`, ctx);
      this.report();
    }
    return d.powerState;
  }

  private reboot(uuid: string, type: 'SOFT' | 'HARD', requestId: string): number {
    const d = this.mustGet(uuid);
    const ctx = this.ctx(requestId, d.instance);
    this.manager.info(`[instance: ${uuid}] Rebooting instance`, ctx);
    if (d.powerState !== RUNNING) return this.powerOn(uuid, requestId);
    this.say(
      d,
      `domain ${d.instance.instanceName} ${type === 'HARD' ? 'reset (hard reboot)' : 'rebooted (ACPI)'}`,
    );
    this.driver.info(
      `[instance: ${uuid}] Instance ${type === 'HARD' ? 'rebooted' : 'soft rebooted'} successfully.`,
      ctx,
    );
    return d.powerState;
  }

  private consoleOutput(uuid: string, length: number | null): string {
    const d = this.mustGet(uuid);
    const lines = length === null ? d.console : length <= 0 ? [] : d.console.slice(-length);
    return lines.length ? `${lines.join('\n')}\n` : '';
  }
}

/** Starts nova-compute on each compute host of a layout. */
export async function startNovaComputes(
  o: Omit<NovaComputeOptions, 'host' | 'log' | 'memory'> & {
    hosts: HostSpec[];
    logFor: (host: string) => NovaComputeOptions['log'];
    /** The emulated host's memory, when the hosts are emulated (the world's hosts). */
    memoryFor?: (host: string) => HostMemory | undefined;
  },
): Promise<NovaCompute[]> {
  const agents = o.hosts
    .filter((h) => h.roles.includes('compute'))
    .map((h) => new NovaCompute({ ...o, host: h, log: o.logFor(h.name), memory: o.memoryFor?.(h.name) }));
  await Promise.all(agents.map((a) => a.start()));
  return agents;
}
