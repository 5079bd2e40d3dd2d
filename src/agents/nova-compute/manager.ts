// nova-compute's manager on one emulated host (nova/compute/manager.py). It serves the compute
// RPC topic of its host on the bus (`build_and_run_instance.<host>` …), keeps the host's domains
// (one per instance, `instance-0000000N`), writes `logs/<host>/nova-compute.log` with Nova's
// lines, and reports its state every report_interval. It never reads the database: what it runs
// comes in the calls, and after a restart it asks the conductor which instances its host should
// run. What exists on the host is the driver's business (driver.ts).
import type { BuildRequest, BuildResult, Bus, ComputeInstance, Unsubscribe } from '../../bus/index.js';
import type { HostSpec } from '../../sim/layout.js';
import type { LogContext, Logger } from '../../sim/oslo-log.js';
import { AccountingDriver } from './accounting-driver.js';
import {
  type ComputeDriver,
  type Domain,
  LibvirtError,
  POWER_PAUSED,
  POWER_RUNNING,
  POWER_SHUTDOWN,
} from './driver.js';
import { HostMemory, QEMU_OVERHEAD_MB } from './memory.js';

export interface NovaComputeOptions {
  bus: Bus;
  host: HostSpec;
  /** The host's nova-compute.log (logs/<host>/nova-compute.log). */
  log: { logger(module: string): Logger };
  now?: () => Date;
  /** The hypervisor side; default: AccountingDriver over `memory`. */
  driver?: ComputeDriver;
  /** The emulated host's memory (which `free` reads); default: modelled from the HostSpec. */
  memory?: HostMemory;
  qemuOverheadMb?: number;
  /** report_interval (default 10 s); 0 = only on start and on changes. */
  reportIntervalMs?: number;
  /**
   * [DEFAULT] vif_plugging_timeout: wait this long for Neutron's network-vif-plugged of every
   * port (bus event `compute.vif_plugged`) before a build counts as done, failing it when they do
   * not come (vif_plugging_is_fatal). Nova's default is 300 s; 0 (the default here until the
   * agents plug VIFs) does not wait.
   */
  vifPluggingTimeoutMs?: number;
}

const PY = '/usr/lib/python3.9/site-packages';

export class NovaCompute {
  readonly host: HostSpec;
  readonly driver: ComputeDriver;
  readonly domains = new Map<string, Domain>();
  private readonly bus: Bus;
  private readonly now: () => Date;
  private readonly manager: Logger;
  private readonly virt: Logger;
  private readonly unsubscribe: Unsubscribe[] = [];
  private readonly vifTimeoutMs: number;
  /**
   * Ports whose network-vif-plugged arrived, per instance that expects them (from before its
   * spawn or adoption until its wait ends: they may come before the wait starts).
   */
  private readonly plugged = new Map<string, Set<string>>();
  private readonly vifWaiters = new Map<string, { check: () => void; done: () => void }>();
  private timer: NodeJS.Timeout | null = null;

  constructor(o: NovaComputeOptions) {
    this.bus = o.bus;
    this.host = o.host;
    this.now = o.now ?? (() => new Date());
    this.driver =
      o.driver ??
      new AccountingDriver(
        o.host.name,
        o.memory ?? new HostMemory(o.host.ramMb, o.host.servicesRamMb),
        this.now,
        o.qemuOverheadMb ?? QEMU_OVERHEAD_MB,
      );
    this.vifTimeoutMs = o.vifPluggingTimeoutMs ?? 0;
    this.manager = o.log.logger('nova.compute.manager');
    this.virt = o.log.logger('nova.virt.libvirt.driver');
    const h = o.host.name;
    this.unsubscribe.push(
      this.bus.serve(`build_and_run_instance.${h}`, (r) => this.build(r)),
      this.bus.serve(`terminate_instance.${h}`, (r) => this.terminate(r.uuid, r.requestId)),
      this.bus.serve(`stop_instance.${h}`, (r) => this.powerOff(r.uuid, r.requestId)),
      this.bus.serve(`start_instance.${h}`, (r) => this.powerOn(r.uuid, r.requestId)),
      this.bus.serve(`reboot_instance.${h}`, (r) => this.reboot(r.uuid, r.type, r.requestId)),
      this.bus.serve(`pause_instance.${h}`, (r) => this.transition(r.uuid, r.requestId, 'pause')),
      this.bus.serve(`unpause_instance.${h}`, (r) => this.transition(r.uuid, r.requestId, 'unpause')),
      this.bus.serve(`suspend_instance.${h}`, (r) => this.transition(r.uuid, r.requestId, 'suspend')),
      this.bus.serve(`resume_instance.${h}`, (r) => this.transition(r.uuid, r.requestId, 'resume')),
      this.bus.serve(`get_console_output.${h}`, (r) => ({ output: this.consoleOutput(r.uuid, r.length) })),
      this.bus.subscribe('compute.vif_plugged', (e) => {
        if (e.host === h) this.vifPlugged(e.uuid, e.portId);
      }),
    );
    const interval = o.reportIntervalMs ?? 10_000;
    if (interval > 0) {
      this.timer = setInterval(() => this.report(), interval);
      this.timer.unref();
    }
  }

  /** init_host: adopt the instances the conductor says live here, then report in. */
  async start(): Promise<void> {
    this.manager.info('Starting compute node (version 26.2.0-1)');
    if (this.bus.hasServer('get_host_instances')) {
      const { instances } = await this.bus.call('get_host_instances', { host: this.host.name });
      for (const { request, powerState } of instances) {
        const d: Domain = { instance: request.instance, ports: request.ports, powerState: POWER_SHUTDOWN };
        this.domains.set(d.instance.uuid, d);
        // resume_guests_state_on_host_boot with [workarounds]
        // wait_for_vif_plugged_event_during_hard_reboot = normal: a guest that was running comes
        // back created paused and runs once Neutron says its ports are wired again, so it does
        // not send its DHCPDISCOVERs into a port the agent has not tagged yet (Zed's default, not
        // waiting, leaves that to chance on a real host's reboot).
        const resume = powerState === POWER_RUNNING;
        if (resume)
          this.manager.info(
            `[instance: ${d.instance.uuid}] Rebooting instance after nova-compute restart.`,
            this.ctx('req-init-host', d.instance),
          );
        const wait = resume && this.vifTimeoutMs > 0 && d.ports.length > 0;
        if (wait) this.plugged.set(d.instance.uuid, new Set());
        const adopted = await this.driver.adopt(d, resume, { paused: wait });
        d.powerState = adopted.powerState;
        if (wait && adopted.started) void this.resumeWhenWired(d);
        else this.plugged.delete(d.instance.uuid);
      }
    }
    this.report();
  }

  stop(): void {
    // Builds still waiting for their VIFs end now (as when nova-compute stops).
    for (const w of [...this.vifWaiters.values()]) w.done();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const u of this.unsubscribe) u();
  }

  private report(): void {
    const m = this.driver.memory();
    this.bus.publish('compute.report_state', {
      host: this.host.name,
      binary: 'nova-compute',
      at: this.now().toISOString(),
      memoryMbUsed: m.usedMb,
      memoryMbTotal: m.totalMb,
      runningVms: [...this.domains.values()].filter((d) => d.powerState === POWER_RUNNING).length,
    });
  }

  private ctx(requestId: string, i?: ComputeInstance): LogContext {
    return { requestId, userId: i?.userId, projectId: i?.projectId };
  }

  private vifPlugged(uuid: string, portId: string): void {
    const s = this.plugged.get(uuid);
    if (!s) {
      // An agent rewiring a running guest's port (ACTIVE → BUILD → ACTIVE) sends one nobody waits for.
      const d = this.domains.get(uuid);
      if (d)
        this.manager.debug(
          `[instance: ${uuid}] Received unexpected event network-vif-plugged-${portId} for instance with vm_state ${d.powerState === POWER_RUNNING ? 'active' : 'stopped'} and task_state None.`,
        );
      return;
    }
    s.add(portId);
    this.vifWaiters.get(uuid)?.check();
  }

  /** An adopted guest, created paused, runs once its ports are plugged (or is stopped when they are not). */
  private async resumeWhenWired(d: Domain): Promise<void> {
    const uuid = d.instance.uuid;
    const tag = `[instance: ${uuid}]`;
    const ctx = this.ctx('req-init-host', d.instance);
    const missing = await this.waitForVifs(d);
    this.plugged.delete(uuid);
    if (this.domains.get(uuid) !== d || d.powerState !== POWER_PAUSED) return;
    if (missing.length > 0) {
      const secs = (this.vifTimeoutMs / 1000).toFixed(2);
      this.virt.warning(
        `${tag} Timeout waiting for [${missing.map((p) => `('network-vif-plugged', '${p}')`).join(', ')}] for instance with vm_state active and task_state None. Event states are: ${missing.map((p) => `network-vif-plugged-${p}: timed out after ${secs} seconds`).join(', ')}: eventlet.timeout.Timeout: ${secs} seconds`,
        ctx,
      );
      // vif_plugging_is_fatal: _cleanup_failed_start powers the guest off, and _init_instance
      // puts the instance in ERROR.
      await this.driver.powerOff(d);
      d.powerState = POWER_SHUTDOWN;
      this.manager.warning(`${tag} Failed to resume instance`, ctx);
      this.bus.publish('compute.instance_error', { host: this.host.name, uuid });
      this.bus.publish('compute.instance_power_state', {
        host: this.host.name,
        uuid,
        powerState: POWER_SHUTDOWN,
      });
    } else {
      await this.driver.unpause(d);
      d.powerState = POWER_RUNNING;
      this.virt.info(`${tag} Instance rebooted successfully.`, ctx);
    }
    this.report();
  }

  /** Waits for network-vif-plugged of every port; the ports still missing when the time is up. */
  private waitForVifs(d: Domain): Promise<string[]> {
    const missing = () =>
      d.ports.map((p) => p.id).filter((id) => !this.plugged.get(d.instance.uuid)?.has(id));
    if (this.vifTimeoutMs <= 0 || missing().length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.vifWaiters.delete(d.instance.uuid);
        resolve(missing());
      };
      const timer = setTimeout(done, this.vifTimeoutMs);
      this.vifWaiters.set(d.instance.uuid, {
        check: () => {
          if (missing().length === 0) done();
        },
        done,
      });
    });
  }

  private async build(r: BuildRequest): Promise<BuildResult> {
    const i = r.instance;
    const ctx = this.ctx(r.requestId, i);
    const tag = `[instance: ${i.uuid}]`;
    const started = this.now().getTime();
    const existing = this.domains.get(i.uuid);
    if (existing?.powerState === POWER_RUNNING)
      return { outcome: 'active', powerState: POWER_RUNNING, launchedAt: this.now().toISOString() };
    const f = i.flavor;
    this.manager.info(
      `${tag} Attempting claim on node ${this.host.name}: memory ${f.ramMb} MB, disk ${f.rootGb + f.ephemeralGb} GB, vcpus ${f.vcpus} CPU`,
      ctx,
    );
    this.manager.info(`${tag} Claim successful on node ${this.host.name}`, ctx);
    this.virt.info(`${tag} Creating image(s)`, ctx);
    const d: Domain = { instance: i, ports: r.ports, powerState: POWER_SHUTDOWN };
    this.domains.set(i.uuid, d);
    // Nova registers the network-vif-plugged events it expects before plugging the VIFs.
    if (this.vifTimeoutMs > 0) this.plugged.set(i.uuid, new Set());
    try {
      await this.driver.spawn(d, { paused: this.vifTimeoutMs > 0 });
    } catch (e) {
      if (!(e instanceof LibvirtError)) throw e;
      // libvirt's error through the driver, then the manager aborts the spawn and asks the
      // conductor to reschedule (nova/compute/manager.py _build_and_run_instance).
      this.virt.error(
        `Error launching a defined domain with XML: <domain type='kvm'> (${i.instanceName})`,
        ctx,
      );
      const lines = [
        `${tag} Instance failed to spawn: libvirt.libvirtError: ${e.message}`,
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
        `${tag} libvirt.libvirtError: ${e.message}`,
        tag,
      ];
      for (const l of lines) this.manager.error(l, ctx);
      await this.destroy(d, r.requestId);
      this.manager.debug(`${tag} Build of instance ${i.uuid} was re-scheduled: ${e.message}`, ctx);
      this.report();
      return { outcome: 'reschedule', reason: e.message, exceptionClass: 'libvirt.libvirtError' };
    }
    const missing = await this.waitForVifs(d);
    if (missing.length > 0) {
      const secs = (this.vifTimeoutMs / 1000).toFixed(2);
      this.virt.warning(
        `${tag} Timeout waiting for [${missing.map((p) => `('network-vif-plugged', '${p}')`).join(', ')}] for instance with vm_state building and task_state spawning. Event states are: ${missing.map((p) => `network-vif-plugged-${p}: timed out after ${secs} seconds`).join(', ')}: eventlet.timeout.Timeout: ${secs} seconds`,
        ctx,
      );
      this.manager.error(
        `${tag} Instance failed to spawn: nova.exception.VirtualInterfaceCreateException: Virtual Interface creation failed`,
        ctx,
      );
      await this.destroy(d, r.requestId);
      this.manager.error(
        `${tag} Failed to allocate network(s): nova.exception.VirtualInterfaceCreateException: Virtual Interface creation failed`,
        ctx,
      );
      this.report();
      return { outcome: 'abort', reason: 'Failed to allocate the network(s), not rescheduling.' };
    }
    this.plugged.delete(i.uuid);
    // the VIFs are plugged: the guest may run (created paused while Nova waited for them)
    if (this.vifTimeoutMs > 0) await this.driver.unpause(d);
    d.powerState = POWER_RUNNING;
    const secs = ((this.now().getTime() - started) / 1000 + 0.01).toFixed(2);
    this.virt.info(`${tag} Instance spawned successfully.`, ctx);
    this.manager.info(`${tag} Took ${secs} seconds to spawn the instance on the hypervisor.`, ctx);
    this.manager.info(`${tag} Took ${secs} seconds to build instance.`, ctx);
    this.report();
    return { outcome: 'active', powerState: POWER_RUNNING, launchedAt: this.now().toISOString() };
  }

  private async destroy(d: Domain, requestId: string): Promise<void> {
    const tag = `[instance: ${d.instance.uuid}]`;
    const ctx = this.ctx(requestId, d.instance);
    this.manager.info(`${tag} Terminating instance`, ctx);
    await this.driver.destroy(d);
    this.domains.delete(d.instance.uuid);
    this.plugged.delete(d.instance.uuid);
    this.virt.info(`${tag} Instance destroyed successfully.`, ctx);
  }

  private async terminate(uuid: string, requestId: string): Promise<{ ok: true }> {
    const d = this.domains.get(uuid);
    if (d) {
      await this.destroy(d, requestId);
      this.virt.info(
        `[instance: ${uuid}] Deleting instance files /var/lib/nova/instances/${uuid}_del`,
        this.ctx(requestId, d.instance),
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

  private async powerOff(uuid: string, requestId: string): Promise<{ powerState: number }> {
    const d = this.mustGet(uuid);
    if (d.powerState === POWER_RUNNING) {
      await this.driver.powerOff(d);
      d.powerState = POWER_SHUTDOWN;
      this.virt.info(
        `[instance: ${uuid}] Instance shutdown successfully after 0 seconds.`,
        this.ctx(requestId, d.instance),
      );
      this.report();
    }
    return { powerState: d.powerState };
  }

  private async powerOn(uuid: string, requestId: string): Promise<{ powerState: number }> {
    const d = this.mustGet(uuid);
    const ctx = this.ctx(requestId, d.instance);
    if (d.powerState !== POWER_RUNNING) {
      try {
        await this.driver.powerOn(d);
      } catch (e) {
        if (!(e instanceof LibvirtError)) throw e;
        this.manager.error(`[instance: ${uuid}] Failed to power on: libvirt.libvirtError: ${e.message}`, ctx);
        return { powerState: d.powerState };
      }
      d.powerState = POWER_RUNNING;
      this.virt.info(`[instance: ${uuid}] Instance rebooted successfully.`, ctx);
      this.report();
    }
    return { powerState: d.powerState };
  }

  private async reboot(
    uuid: string,
    type: 'SOFT' | 'HARD',
    requestId: string,
  ): Promise<{ powerState: number }> {
    const d = this.mustGet(uuid);
    const ctx = this.ctx(requestId, d.instance);
    this.manager.info(`[instance: ${uuid}] Rebooting instance`, ctx);
    if (d.powerState !== POWER_RUNNING) return this.powerOn(uuid, requestId);
    await this.driver.reboot(d, type);
    this.virt.info(
      `[instance: ${uuid}] Instance ${type === 'HARD' ? 'rebooted' : 'soft rebooted'} successfully.`,
      ctx,
    );
    return { powerState: d.powerState };
  }

  /** pause/unpause/suspend/resume: the driver acts; the power state it leaves is reported back. */
  private async transition(
    uuid: string,
    requestId: string,
    what: 'pause' | 'unpause' | 'suspend' | 'resume',
  ): Promise<{ powerState: number }> {
    const d = this.mustGet(uuid);
    const ctx = this.ctx(requestId, d.instance);
    const from = {
      pause: POWER_RUNNING,
      unpause: POWER_PAUSED,
      suspend: POWER_RUNNING,
      resume: POWER_SHUTDOWN,
    }[what];
    if (d.powerState !== from) return { powerState: d.powerState };
    try {
      await this.driver[what](d);
    } catch (e) {
      if (!(e instanceof LibvirtError)) throw e;
      this.manager.error(`[instance: ${uuid}] Failed to ${what}: libvirt.libvirtError: ${e.message}`, ctx);
      return { powerState: d.powerState };
    }
    d.powerState = {
      pause: POWER_PAUSED,
      unpause: POWER_RUNNING,
      suspend: POWER_SHUTDOWN,
      resume: POWER_RUNNING,
    }[what];
    this.report();
    return { powerState: d.powerState };
  }

  private consoleOutput(uuid: string, length: number | null): string {
    const all = this.driver.consoleLog(this.mustGet(uuid));
    const lines = length === null ? all : length <= 0 ? [] : all.slice(-length);
    return lines.length ? `${lines.join('\n')}\n` : '';
  }
}
