// What happens to a server after it is built (nova/compute/api.py → compute RPC): delete, the
// power actions with Nova's state checks, the console log, and power states the host reports.
// The instance's host carries each of them out over the bus.
import type { Bus } from '../../bus/index.js';
import type { Logger } from '../../sim/oslo-log.js';
import type { InstanceRepo, PlacementRepo } from '../../store/index.js';
import { conflict, ServiceError } from '../errors.js';
import type { RequestContext } from '../policy.js';
import type { InstanceActions } from './instance-actions.js';
import type { InstanceNetworking, VifInfo } from './ports.js';
import type { Instance, Servers } from './servers.js';
import { POWER, TASK, VM } from './states.js';

export type PowerAction = 'stop' | 'start' | 'reboot' | 'pause' | 'unpause' | 'suspend' | 'resume';

type PowerRpc =
  | 'stop_instance'
  | 'start_instance'
  | 'pause_instance'
  | 'unpause_instance'
  | 'suspend_instance'
  | 'resume_instance';

// nova/compute/api.py check_instance_state for each action, and the task state while it runs.
const POWER_ACTIONS: Record<PowerAction, { from: string[]; task: string; rpc: PowerRpc }> = {
  stop: {
    from: [VM.ACTIVE, VM.PAUSED, VM.SUSPENDED, VM.ERROR],
    task: TASK.POWERING_OFF,
    rpc: 'stop_instance',
  },
  start: { from: [VM.STOPPED], task: TASK.POWERING_ON, rpc: 'start_instance' },
  reboot: {
    from: [VM.ACTIVE, VM.STOPPED, VM.PAUSED, VM.SUSPENDED, VM.ERROR],
    task: TASK.REBOOT_STARTED,
    rpc: 'start_instance',
  },
  pause: { from: [VM.ACTIVE], task: TASK.PAUSING, rpc: 'pause_instance' },
  unpause: { from: [VM.PAUSED], task: TASK.UNPAUSING, rpc: 'unpause_instance' },
  suspend: { from: [VM.ACTIVE], task: TASK.SUSPENDING, rpc: 'suspend_instance' },
  resume: { from: [VM.SUSPENDED], task: TASK.RESUMING, rpc: 'resume_instance' },
};

/** The vm_state an action leaves, from the power state the host reports. */
function vmStateOf(action: PowerAction, power: number): string {
  if (power === POWER.RUNNING) return VM.ACTIVE;
  if (power === POWER.PAUSED) return VM.PAUSED;
  if (action === 'suspend') return VM.SUSPENDED;
  if (action === 'resume') return VM.SUSPENDED;
  return VM.STOPPED;
}

export class ServerLifecycle {
  constructor(
    private readonly servers: Pick<Servers, 'get'>,
    private readonly refresh: (ctx: RequestContext, uuid: string) => void,
    private readonly repo: InstanceRepo,
    private readonly placement: PlacementRepo,
    private readonly networking: InstanceNetworking,
    private readonly bus: Bus,
    private readonly actions: InstanceActions,
    private readonly log: Logger,
    private readonly now: () => Date,
  ) {}

  delete(ctx: RequestContext, id: string): void {
    const i = this.servers.get(ctx, id, 'os_compute_api:servers:delete');
    this.repo.update(i.uuid, { taskState: TASK.DELETING, updatedAt: this.now().toISOString() });
    this.actions.record(ctx, i.uuid, i.projectId, 'delete');
    this.conductorTask(this.terminate(ctx, i));
  }

  private conductorTask(p: Promise<void>): void {
    p.catch((e) => this.log.error(`Unexpected error: ${(e as Error).stack ?? e}`));
  }

  private async terminate(ctx: RequestContext, i: Instance): Promise<void> {
    const logCtx = { requestId: ctx.requestId, userId: ctx.userId, projectId: ctx.projectId ?? undefined };
    const host = i.host;
    if (host)
      await this.actions
        .event(ctx.requestId, i.uuid, 'compute_terminate_instance', host, () =>
          this.bus.call(`terminate_instance.${host}`, { requestId: ctx.requestId, uuid: i.uuid }),
        )
        .catch((e) => {
          this.log.warning(
            `[instance: ${i.uuid}] Could not reach ${i.host} to terminate: ${(e as Error).message}`,
            logCtx,
          );
        });
    const current = this.repo.get(i.uuid);
    await this.networking.deallocate(ctx, (current?.networkInfo ?? i.networkInfo) as VifInfo[]);
    this.placement.release(i.uuid);
    this.placement.deleteConsoleTokens(i.uuid);
    const now = this.now().toISOString();
    this.repo.update(i.uuid, {
      vmState: VM.DELETED,
      taskState: null,
      powerState: POWER.NOSTATE,
      terminatedAt: now,
      deletedAt: now,
      updatedAt: now,
      deleted: true,
    });
  }

  /** os-stop, os-start, reboot: state checks as Nova's check_instance_state, then the host acts. */
  /** os-stop, os-start, reboot, pause, unpause, suspend, resume: Nova's state checks, then the host acts. */
  action(ctx: RequestContext, id: string, action: PowerAction, rebootType: 'SOFT' | 'HARD' = 'SOFT'): void {
    const i = this.servers.get(ctx, id, `os_compute_api:servers:${action}`);
    const spec = POWER_ACTIONS[action];
    if (!spec.from.includes(i.vmState) || (i.vmState === VM.ERROR && !i.host))
      throw conflict(
        `Cannot '${action}' instance ${i.uuid} while it is in vm_state ${i.vmState}`,
        'InstanceInvalidState',
      );
    if (i.taskState !== null)
      throw conflict(
        `Cannot '${action}' instance ${i.uuid} while it is in task_state ${i.taskState}`,
        'InstanceInvalidState',
      );
    if (!i.host) throw conflict(`Instance ${i.uuid} is not ready`, 'InstanceNotReady');
    const host = i.host;
    const task = action === 'reboot' && rebootType === 'HARD' ? TASK.REBOOT_STARTED_HARD : spec.task;
    this.repo.update(i.uuid, { taskState: task, updatedAt: this.now().toISOString() });
    const ref = { requestId: ctx.requestId, uuid: i.uuid };
    this.actions.record(ctx, i.uuid, i.projectId, action);
    const call = this.actions.event(ctx.requestId, i.uuid, `compute_${action}_instance`, host, () =>
      action === 'reboot'
        ? this.bus.call(`reboot_instance.${host}`, { ...ref, type: rebootType })
        : this.bus.call(`${spec.rpc}.${host}`, ref),
    );
    this.conductorTask(
      call.then(
        (r) => {
          this.repo.update(i.uuid, {
            taskState: null,
            powerState: r.powerState,
            vmState: vmStateOf(action, r.powerState),
            updatedAt: this.now().toISOString(),
          });
        },
        (e) => {
          this.log.error(`[instance: ${i.uuid}] ${action} failed on ${host}: ${(e as Error).message}`);
          this.repo.update(i.uuid, { taskState: null, updatedAt: this.now().toISOString() });
        },
      ),
    );
  }

  async consoleOutput(ctx: RequestContext, id: string, length: number | null): Promise<string> {
    const i = this.servers.get(ctx, id, 'os_compute_api:os-console-output');
    if (!i.host) throw conflict(`Instance ${i.uuid} is not ready`, 'InstanceNotReady');
    try {
      const r = await this.bus.call(`get_console_output.${i.host}`, {
        requestId: ctx.requestId,
        uuid: i.uuid,
        length,
      });
      return r.output;
    } catch {
      throw new ServiceError(
        'NotImplemented',
        'Unable to get console output: the compute host does not answer.',
        undefined,
        501,
      );
    }
  }

  /** The instance's power state as its host reported it (stopped from inside the guest …). */
  powerChanged(uuid: string, host: string, powerState: number): void {
    const i = this.repo.get(uuid);
    if (!i || i.host !== host || i.taskState !== null) return;
    if (i.vmState === VM.ACTIVE && powerState === POWER.SHUTDOWN)
      this.repo.update(uuid, { vmState: VM.STOPPED, powerState, updatedAt: this.now().toISOString() });
    else if (i.powerState !== powerState) this.repo.update(uuid, { powerState });
  }

  /** nova-compute's _set_instance_obj_error_state: vm_state ERROR, no task (no fault is recorded). */
  errorState(uuid: string, host: string): void {
    const i = this.repo.get(uuid);
    if (!i || i.host !== host) return;
    this.repo.update(uuid, { vmState: VM.ERROR, taskState: null, updatedAt: this.now().toISOString() });
  }

  /**
   * An event from Neutron (os-server-external-events): `network-changed` and
   * `network-vif-deleted` refresh the server's network info; `network-vif-plugged` goes to the server's host, where nova-compute waits
   * for it before a build counts as done. 404 for a server that is not there.
   */
  externalEvent(
    ctx: RequestContext,
    e: { name: string; serverUuid: string; tag: string | null; status: string },
  ): { code: number } {
    const i = this.repo.get(e.serverUuid);
    if (!i) return { code: 404 };
    if (!i.host) return { code: 422 };
    // network-vif-deleted: the port is gone from the instance's cache (the re-read drops it).
    if (e.name === 'network-changed' || e.name === 'network-vif-deleted') this.refresh(ctx, i.uuid);
    else if (e.name === 'network-vif-plugged' && e.tag && e.status === 'completed')
      this.bus.publish('compute.vif_plugged', { host: i.host, uuid: i.uuid, portId: e.tag });
    return { code: 200 };
  }
}
