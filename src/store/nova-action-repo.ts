// Nova's instance actions and events. Rows in, plain objects out.
import type { Db } from './db.js';

export interface InstanceActionRow {
  id: number;
  instanceUuid: string;
  action: string;
  requestId: string;
  userId: string;
  projectId: string;
  startTime: string;
  updatedAt: string | null;
  message: string | null;
}
export interface ActionEventRow {
  event: string;
  startTime: string;
  finishTime: string | null;
  result: string | null;
  traceback: string | null;
  host: string | null;
}

type Raw = Record<string, unknown>;
const toAction = (r: Raw): InstanceActionRow => ({
  id: r.id as number,
  instanceUuid: r.instance_uuid as string,
  action: r.action as string,
  requestId: r.request_id as string,
  userId: r.user_id as string,
  projectId: r.project_id as string,
  startTime: r.start_time as string,
  updatedAt: (r.updated_at as string | null) ?? null,
  message: (r.message as string | null) ?? null,
});

export class InstanceActionRepo {
  constructor(private readonly db: Db) {}

  /** The action of a request on an instance, created when it is the first step of it. */
  start(a: Omit<InstanceActionRow, 'id' | 'updatedAt' | 'message'>): InstanceActionRow {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO nova_instance_actions (instance_uuid, action, request_id, user_id, project_id, start_time)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(a.instanceUuid, a.action, a.requestId, a.userId, a.projectId, a.startTime);
    return this.get(a.instanceUuid, a.requestId) as InstanceActionRow;
  }
  get(instanceUuid: string, requestId: string): InstanceActionRow | undefined {
    const r = this.db
      .prepare('SELECT * FROM nova_instance_actions WHERE instance_uuid = ? AND request_id = ?')
      .get(instanceUuid, requestId) as Raw | undefined;
    return r && toAction(r);
  }
  /** Newest first, as Nova lists them. */
  list(instanceUuid: string): InstanceActionRow[] {
    return (
      this.db
        .prepare(
          'SELECT * FROM nova_instance_actions WHERE instance_uuid = ? ORDER BY start_time DESC, id DESC',
        )
        .all(instanceUuid) as Raw[]
    ).map(toAction);
  }
  setMessage(id: number, message: string, updatedAt: string): void {
    this.db
      .prepare('UPDATE nova_instance_actions SET message = ?, updated_at = ? WHERE id = ?')
      .run(message, updatedAt, id);
  }
  touch(id: number, updatedAt: string): void {
    this.db.prepare('UPDATE nova_instance_actions SET updated_at = ? WHERE id = ?').run(updatedAt, id);
  }

  addEvent(actionId: number, e: ActionEventRow): number {
    const r = this.db
      .prepare(
        `INSERT INTO nova_instance_action_events (action_id, event, start_time, finish_time, result, traceback, host)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(actionId, e.event, e.startTime, e.finishTime, e.result, e.traceback, e.host);
    return Number(r.lastInsertRowid);
  }
  finishEvent(id: number, finishTime: string, result: string, traceback: string | null): void {
    this.db
      .prepare(
        'UPDATE nova_instance_action_events SET finish_time = ?, result = ?, traceback = ? WHERE id = ?',
      )
      .run(finishTime, result, traceback, id);
  }
  events(actionId: number): ActionEventRow[] {
    return (
      this.db
        .prepare('SELECT * FROM nova_instance_action_events WHERE action_id = ? ORDER BY start_time, id')
        .all(actionId) as Raw[]
    ).map((r) => ({
      event: r.event as string,
      startTime: r.start_time as string,
      finishTime: (r.finish_time as string | null) ?? null,
      result: (r.result as string | null) ?? null,
      traceback: (r.traceback as string | null) ?? null,
      host: (r.host as string | null) ?? null,
    }));
  }
}
