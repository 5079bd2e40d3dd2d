// Instance actions (nova/objects/instance_action.py): each user request on a server is an
// action (create, delete, stop, start, reboot) with the events of the steps the conductor and
// the host took, Success or Error with the traceback — what `openstack server event list/show`
// reads to tell why a build failed.
import type { InstanceActionRepo, InstanceActionRow } from '../../store/index.js';
import { notFound } from '../errors.js';
import type { RequestContext } from '../policy.js';

export interface ActionEvent {
  event: string;
  startTime: string;
  finishTime: string | null;
  result: string | null;
  traceback: string | null;
  host: string | null;
}

export class InstanceActions {
  constructor(
    private readonly repo: InstanceActionRepo,
    private readonly now: () => Date,
  ) {}

  /** Starts the action of a request on an instance. */
  record(ctx: RequestContext, instanceUuid: string, projectId: string, action: string): void {
    this.repo.start({
      instanceUuid,
      action,
      requestId: ctx.requestId,
      userId: ctx.userId,
      projectId,
      startTime: this.now().toISOString(),
    });
  }

  /**
   * Runs one event of the request's action: started now, finished when `fn` settles, with
   * Error (and its traceback) when `fn` throws or `failure` names what went wrong.
   */
  async event<T>(
    requestId: string,
    instanceUuid: string,
    event: string,
    host: string | null,
    fn: () => Promise<T>,
    failure: (r: T) => string | null = () => null,
  ): Promise<T> {
    const action = this.repo.get(instanceUuid, requestId);
    if (!action) return fn();
    const id = this.repo.addEvent(action.id, {
      event,
      startTime: this.now().toISOString(),
      finishTime: null,
      result: null,
      traceback: null,
      host,
    });
    const finish = (traceback: string | null) => {
      const t = this.now().toISOString();
      this.repo.finishEvent(id, t, traceback === null ? 'Success' : 'Error', traceback);
      if (traceback === null) this.repo.touch(action.id, t);
      else this.repo.setMessage(action.id, 'Error', t);
    };
    try {
      const r = await fn();
      finish(failure(r));
      return r;
    } catch (e) {
      finish(
        (e as { traceback?: string }).traceback ??
          `Traceback (most recent call last):\n${String((e as Error).message ?? e)}\n`,
      );
      throw e;
    }
  }

  list(instanceUuid: string): InstanceActionRow[] {
    return this.repo.list(instanceUuid);
  }

  show(instanceUuid: string, requestId: string): InstanceActionRow & { events: ActionEvent[] } {
    const a = this.repo.get(instanceUuid, requestId);
    if (!a)
      throw notFound(
        `Action for request_id ${requestId} on instance ${instanceUuid} not found`,
        'InstanceActionNotFound',
      );
    return { ...a, events: this.repo.events(a.id) };
  }
}
