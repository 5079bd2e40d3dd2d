// nova-conductor's build path (nova/conductor/manager.py schedule_and_build_instances and
// build_instances): ask the scheduler for a host and its alternates, allocate the ports bound
// to that host, cast the build to the host's nova-compute over the bus, and when the host cannot
// spawn the instance, clean up and retry on the next alternate until [scheduler] max_attempts is
// used up — then the instance goes ERROR with MaxRetriesExceeded, as the seed saw it.
import type { BuildResult, Bus, ComputeFlavor, ComputeImage, ComputeInstance } from '../../bus/index.js';
import { NoServer } from '../../bus/index.js';
import type { Logger } from '../../sim/oslo-log.js';
import type { InstanceRepo, InstanceRow } from '../../store/index.js';
import { isServiceError } from '../errors.js';
import type { RequestContext } from '../policy.js';
import type { InstanceActions } from './instance-actions.js';
import { type InstanceNetworking, type NetworkRequest, PortBindingFailed, type VifInfo } from './ports.js';
import { NoValidHost, type Scheduler, type SchedulingSpec } from './scheduler.js';
import { POWER, TASK, VM } from './states.js';

export interface ConductorLogs {
  conductor: Logger;
  scheduler: Logger;
}

export interface BuildJob {
  ctx: RequestContext;
  uuid: string;
  requested: NetworkRequest;
  securityGroupIds: string[];
  forcedHost: string | null;
}

const PY = '/usr/lib/python3.9/site-packages/nova';

/** The `details` Nova stores with a fault: the tail of the traceback where it was raised. */
function faultDetails(where: string, line: number, fn: string, raise: string): string {
  return `Traceback (most recent call last):\n  File "${PY}/${where}", line ${line}, in ${fn}\n    ${raise}\n`;
}

export class Conductor {
  /** Builds in flight, so tests and shutdown can wait for them. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly bus: Bus,
    private readonly repo: InstanceRepo,
    private readonly scheduler: Scheduler,
    private readonly networking: InstanceNetworking,
    private readonly logs: ConductorLogs,
    private readonly actions: InstanceActions,
    private readonly now: () => Date,
  ) {}

  /** Starts a build in the background (the API has already answered 202). */
  start(job: BuildJob): void {
    const p = this.build(job)
      .catch((e) => this.logs.conductor.error(`Unexpected build failure: ${(e as Error).stack ?? e}`))
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  static computeInstance(i: InstanceRow): ComputeInstance {
    return {
      uuid: i.uuid,
      instanceName: instanceName(i.id),
      displayName: i.displayName,
      hostname: i.hostname,
      projectId: i.projectId,
      userId: i.userId,
      flavor: i.flavor as ComputeFlavor,
      image: i.image as ComputeImage | null,
      keyName: i.keyName,
      keyData: i.keyData,
      userData: i.userData,
      metadata: i.metadata,
      availabilityZone: i.availabilityZone ?? 'nova',
    };
  }

  private async build(job: BuildJob): Promise<void> {
    const { ctx, uuid } = job;
    const logCtx = { requestId: ctx.requestId, userId: ctx.userId, projectId: ctx.projectId ?? undefined };
    let inst = this.repo.get(uuid);
    if (!inst) return;
    const flavor = inst.flavor as ComputeFlavor;
    const spec: SchedulingSpec = {
      instanceUuid: uuid,
      projectId: inst.projectId,
      resources: { vcpus: flavor.vcpus, memoryMb: flavor.ramMb, diskGb: flavor.rootGb + flavor.ephemeralGb },
      forcedHost: job.forcedHost,
      requestId: ctx.requestId,
    };
    let hosts: string[];
    try {
      const d = await this.actions.event(
        ctx.requestId,
        uuid,
        'conductor_schedule_and_build_instances',
        null,
        async () => this.scheduler.selectDestinations(spec),
      );
      hosts = [d.host, ...d.alternates];
    } catch (e) {
      if (!(e instanceof NoValidHost)) throw e;
      this.fail(
        inst,
        e.message,
        faultDetails(
          'conductor/manager.py',
          1580,
          'schedule_and_build_instances',
          'host_lists = self._schedule_instances(context, request_specs[0],',
        ),
        'NoValidHost',
        logCtx,
      );
      return;
    }
    const tried: string[] = [];
    while (hosts.length > 0) {
      const host = hosts.shift() as string;
      tried.push(host);
      if (tried.length > 1 && !this.scheduler.claimAlternate(host, spec)) continue;
      inst = this.repo.get(uuid);
      if (!inst || inst.taskState === TASK.DELETING) return this.scheduler.release(uuid);
      this.repo.update(uuid, {
        host,
        node: host,
        taskState: TASK.NETWORKING,
        updatedAt: this.now().toISOString(),
      });
      let vifs: VifInfo[];
      try {
        vifs = await this.networking.allocate(ctx, {
          instanceUuid: uuid,
          projectId: inst.projectId,
          host,
          requested: job.requested,
          securityGroups: job.securityGroupIds,
        });
      } catch (e) {
        if (e instanceof PortBindingFailed) {
          // nova-compute's _build_and_run_instance: a failed binding is rescheduled to another host.
          this.scheduler.release(uuid);
          this.repo.update(uuid, { host: null, node: null, taskState: TASK.SCHEDULING });
          this.logs.conductor.error(
            `[instance: ${uuid}] Error from last host: ${host} (node ${host}): ['Traceback (most recent call last):\\n', 'nova.exception.RescheduledException: Build of instance ${uuid} was re-scheduled: ${e.message}\\n']`,
            logCtx,
          );
          if (tried.length >= this.scheduler.attempts) break;
          continue;
        }
        // Nova does not reschedule a network failure: the build is aborted.
        this.scheduler.release(uuid);
        const why = isServiceError(e) ? e.message : String(e);
        this.logs.conductor.error(
          `[instance: ${uuid}] Instance failed network setup after 1 attempt(s): ${why}`,
          logCtx,
        );
        this.fail(
          inst,
          `Build of instance ${uuid} aborted: Failed to allocate the network(s), not rescheduling.`,
          faultDetails(
            'compute/manager.py',
            2494,
            '_build_resources',
            'raise exception.BuildAbortException(',
          ),
          'BuildAbortException',
          logCtx,
        );
        return;
      }
      if (!this.repo.update(uuid, { networkInfo: vifs, taskState: TASK.SPAWNING })) {
        await this.networking.deallocate(ctx, vifs);
        return this.scheduler.release(uuid);
      }
      inst = this.repo.get(uuid) as InstanceRow;
      const request = {
        requestId: ctx.requestId,
        instance: Conductor.computeInstance(inst),
        ports: vifs.map((v) => v.port),
        attempt: tried.length,
      };
      const result = await this.actions.event(
        ctx.requestId,
        uuid,
        'compute__do_build_and_run_instance',
        host,
        () =>
          this.bus.call(`build_and_run_instance.${host}`, request).catch(
            (e): BuildResult => ({
              outcome: 'reschedule',
              reason:
                e instanceof NoServer
                  ? `Timed out waiting for a reply to message ID ${ctx.requestId.slice(4, 36).replaceAll('-', '')}`
                  : String((e as Error).message ?? e),
              exceptionClass: 'oslo_messaging.exceptions.MessagingTimeout',
            }),
          ),
        (r) =>
          r.outcome === 'reschedule'
            ? `${faultDetails('compute/manager.py', 2441, '_build_and_run_instance', 'raise exception.RescheduledException(')}nova.exception.RescheduledException: Build of instance ${uuid} was re-scheduled: ${r.reason}\n`
            : r.outcome === 'abort'
              ? `${faultDetails('compute/manager.py', 2494, '_build_resources', 'raise exception.BuildAbortException(')}nova.exception.BuildAbortException: Build of instance ${uuid} aborted: ${r.reason}\n`
              : null,
      );
      const now = this.now().toISOString();
      if (result.outcome === 'active') {
        const cur = this.repo.get(uuid);
        if (!cur || cur.taskState === TASK.DELETING) {
          // Deleted while the host was spawning it: the guest must not outlive its record.
          await this.bus
            .call(`terminate_instance.${host}`, { requestId: ctx.requestId, uuid })
            .catch(() => {});
          return;
        }
        this.repo.update(uuid, {
          vmState: VM.ACTIVE,
          taskState: null,
          powerState: result.powerState,
          launchedAt: result.launchedAt,
          updatedAt: now,
        });
        return;
      }
      if (result.outcome === 'abort') {
        await this.networking.deallocate(ctx, vifs);
        this.fail(
          inst,
          `Build of instance ${uuid} aborted: ${result.reason}`,
          faultDetails(
            'compute/manager.py',
            2494,
            '_build_resources',
            'raise exception.BuildAbortException(',
          ),
          'BuildAbortException',
          logCtx,
        );
        return;
      }
      // The host failed the build: nova-compute cleans up its networking and asks to reschedule.
      await this.networking.deallocate(ctx, vifs);
      this.scheduler.release(uuid);
      this.repo.update(uuid, {
        host: null,
        node: null,
        networkInfo: [],
        taskState: TASK.SCHEDULING,
        updatedAt: now,
      });
      this.logs.conductor.error(
        `[instance: ${uuid}] Error from last host: ${host} (node ${host}): ['Traceback (most recent call last):\\n', '  File "${PY}/compute/manager.py", line 2441, in _build_and_run_instance\\n    raise exception.RescheduledException(\\n', 'nova.exception.RescheduledException: Build of instance ${uuid} was re-scheduled: ${result.reason}\\n']`,
        logCtx,
      );
      if (tried.length >= this.scheduler.attempts) break;
    }
    inst = this.repo.get(uuid);
    if (!inst) return;
    const msg = `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${uuid}.`;
    this.fail(
      inst,
      msg,
      faultDetails(
        'conductor/manager.py',
        706,
        'build_instances',
        'raise exception.MaxRetriesExceeded(reason=msg)',
      ),
      'MaxRetriesExceeded',
      logCtx,
    );
  }

  /** ERROR, no host, NOSTATE, and the fault the API shows; logged as the conductor does. */
  private fail(
    inst: InstanceRow,
    message: string,
    details: string,
    exceptionClass: string,
    logCtx: { requestId?: string; userId?: string; projectId?: string },
  ): void {
    const now = this.now();
    this.logs.conductor.warning(
      `Failed to compute_task_build_instances: ${message}: nova.exception.${exceptionClass}: ${message}`,
      logCtx,
    );
    this.logs.conductor.warning(`[instance: ${inst.uuid}] Setting instance to ERROR state.`, logCtx);
    this.scheduler.release(inst.uuid);
    this.repo.update(inst.uuid, {
      vmState: VM.ERROR,
      taskState: null,
      powerState: POWER.NOSTATE,
      host: null,
      node: null,
      networkInfo: [],
      fault: {
        code: 500,
        message,
        details: `${details}nova.exception.${exceptionClass}: ${message}\n`,
        created: now.toISOString().replace(/\.\d+Z$/, 'Z'),
      },
      updatedAt: now.toISOString(),
    });
  }
}

/** libvirt's domain name of an instance: its integer id in eight hex digits. */
export const instanceName = (id: number) => `instance-${id.toString(16).padStart(8, '0')}`;
