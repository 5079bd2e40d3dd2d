// Placement's allocations per host, Nova's quota overrides, its service records and console
// tokens. Rows in, plain objects out.
import type { Db } from './db.js';

export interface AllocationRow {
  instanceUuid: string;
  host: string;
  projectId: string;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
}
export interface HostUsage {
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  instances: number;
}
export interface NovaServiceRow {
  id: number;
  uuid: string;
  host: string;
  binary: string;
  disabled: boolean;
  disabledReason: string | null;
  forcedDown: boolean;
  createdAt: string;
}
export interface ConsoleTokenRow {
  token: string;
  instanceUuid: string;
  consoleType: string;
  host: string | null;
  expiresAt: number;
}

type Raw = Record<string, unknown>;

export class PlacementRepo {
  constructor(private readonly db: Db) {}

  usage(host: string): HostUsage {
    const r = this.db
      .prepare(
        `SELECT COUNT(*) AS n, COALESCE(SUM(vcpus), 0) AS v, COALESCE(SUM(memory_mb), 0) AS m,
                COALESCE(SUM(disk_gb), 0) AS d FROM nova_allocations WHERE host = ?`,
      )
      .get(host) as { n: number; v: number; m: number; d: number };
    return { vcpus: r.v, memoryMb: r.m, diskGb: r.d, instances: r.n };
  }
  allocation(instanceUuid: string): AllocationRow | undefined {
    const r = this.db.prepare('SELECT * FROM nova_allocations WHERE instance_uuid = ?').get(instanceUuid) as
      | Raw
      | undefined;
    return (
      r && {
        instanceUuid: r.instance_uuid as string,
        host: r.host as string,
        projectId: r.project_id as string,
        vcpus: r.vcpus as number,
        memoryMb: r.memory_mb as number,
        diskGb: r.disk_gb as number,
      }
    );
  }
  /** Claims (or moves) an instance's allocation. */
  allocate(a: AllocationRow): void {
    this.db
      .prepare(
        `INSERT INTO nova_allocations (instance_uuid, host, project_id, vcpus, memory_mb, disk_gb) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(instance_uuid) DO UPDATE SET host = excluded.host, vcpus = excluded.vcpus,
           memory_mb = excluded.memory_mb, disk_gb = excluded.disk_gb`,
      )
      .run(a.instanceUuid, a.host, a.projectId, a.vcpus, a.memoryMb, a.diskGb);
  }
  release(instanceUuid: string): void {
    this.db.prepare('DELETE FROM nova_allocations WHERE instance_uuid = ?').run(instanceUuid);
  }

  // --- quotas
  quotaOverrides(projectId: string): Record<string, number> {
    const rows = this.db
      .prepare('SELECT resource, hard_limit FROM nova_quotas WHERE project_id = ?')
      .all(projectId) as { resource: string; hard_limit: number }[];
    return Object.fromEntries(rows.map((r) => [r.resource, r.hard_limit]));
  }
  setQuota(projectId: string, resource: string, limit: number): void {
    this.db
      .prepare(
        `INSERT INTO nova_quotas (project_id, resource, hard_limit) VALUES (?, ?, ?)
         ON CONFLICT(project_id, resource) DO UPDATE SET hard_limit = excluded.hard_limit`,
      )
      .run(projectId, resource, limit);
  }
  deleteQuotas(projectId: string): void {
    this.db.prepare('DELETE FROM nova_quotas WHERE project_id = ?').run(projectId);
  }

  // --- services
  services(): NovaServiceRow[] {
    return (this.db.prepare('SELECT * FROM nova_services ORDER BY id').all() as Raw[]).map((r) => ({
      id: r.id as number,
      uuid: r.uuid as string,
      host: r.host as string,
      binary: r.binary as string,
      disabled: r.disabled === 1,
      disabledReason: (r.disabled_reason as string | null) ?? null,
      forcedDown: r.forced_down === 1,
      createdAt: r.created_at as string,
    }));
  }
  ensureService(host: string, binary: string, uuid: string, createdAt: string): void {
    this.db
      .prepare('INSERT OR IGNORE INTO nova_services (uuid, host, binary, created_at) VALUES (?, ?, ?, ?)')
      .run(uuid, host, binary, createdAt);
  }
  updateService(id: number, disabled: boolean, disabledReason: string | null, forcedDown: boolean): void {
    this.db
      .prepare('UPDATE nova_services SET disabled = ?, disabled_reason = ?, forced_down = ? WHERE id = ?')
      .run(disabled ? 1 : 0, disabledReason, forcedDown ? 1 : 0, id);
  }

  // --- console tokens
  addConsoleToken(t: ConsoleTokenRow): void {
    this.db
      .prepare(
        'INSERT INTO nova_console_tokens (token, instance_uuid, console_type, host, expires_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(t.token, t.instanceUuid, t.consoleType, t.host, t.expiresAt);
  }
  consoleToken(token: string): ConsoleTokenRow | undefined {
    const r = this.db.prepare('SELECT * FROM nova_console_tokens WHERE token = ?').get(token) as
      | Raw
      | undefined;
    return (
      r && {
        token: r.token as string,
        instanceUuid: r.instance_uuid as string,
        consoleType: r.console_type as string,
        host: (r.host as string | null) ?? null,
        expiresAt: r.expires_at as number,
      }
    );
  }
  deleteConsoleToken(token: string): void {
    this.db.prepare('DELETE FROM nova_console_tokens WHERE token = ?').run(token);
  }
  deleteConsoleTokens(instanceUuid: string): void {
    this.db.prepare('DELETE FROM nova_console_tokens WHERE instance_uuid = ?').run(instanceUuid);
  }
  purgeConsoleTokens(now: number): void {
    this.db.prepare('DELETE FROM nova_console_tokens WHERE expires_at <= ?').run(now);
  }
}
