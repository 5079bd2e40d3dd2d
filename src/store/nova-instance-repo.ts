// Nova's instances. Deleted instances stay as rows (deleted = 1), as in Nova's database, so the
// integer id that names the libvirt domain (`instance-0000000N`) is never handed out twice.
import type { Db } from './db.js';

export interface InstanceRow {
  /** The integer id behind `instance-%08x`. */
  id: number;
  uuid: string;
  displayName: string;
  hostname: string;
  projectId: string;
  userId: string;
  imageRef: string;
  /** The image as it was at boot (JSON-able), or null for none. */
  image: unknown;
  /** The flavor copied at boot (Nova keeps the instance's own copy). */
  flavor: unknown;
  keyName: string | null;
  keyData: string | null;
  userData: string | null;
  metadata: Record<string, string>;
  availabilityZone: string | null;
  securityGroups: string[];
  requestedNetworks: unknown;
  networkInfo: unknown;
  vmState: string;
  taskState: string | null;
  powerState: number;
  host: string | null;
  node: string | null;
  launchedAt: string | null;
  terminatedAt: string | null;
  reservationId: string;
  launchIndex: number;
  fault: unknown;
  accessIpV4: string | null;
  accessIpV6: string | null;
  configDrive: string;
  description: string | null;
  adminPass: string | null;
  createdAt: string;
  updatedAt: string | null;
  deletedAt: string | null;
  deleted: boolean;
}

type Raw = Record<string, unknown>;
const parse = (v: unknown, fallback: unknown) => (typeof v === 'string' ? JSON.parse(v) : fallback);
const toInstance = (r: Raw): InstanceRow => ({
  id: r.id as number,
  uuid: r.uuid as string,
  displayName: r.display_name as string,
  hostname: r.hostname as string,
  projectId: r.project_id as string,
  userId: r.user_id as string,
  imageRef: r.image_ref as string,
  image: parse(r.image, null),
  flavor: parse(r.flavor, null),
  keyName: (r.key_name as string | null) ?? null,
  keyData: (r.key_data as string | null) ?? null,
  userData: (r.user_data as string | null) ?? null,
  metadata: parse(r.metadata, {}),
  availabilityZone: (r.availability_zone as string | null) ?? null,
  securityGroups: parse(r.security_groups, []),
  requestedNetworks: parse(r.requested_networks, []),
  networkInfo: parse(r.network_info, []),
  vmState: r.vm_state as string,
  taskState: (r.task_state as string | null) ?? null,
  powerState: r.power_state as number,
  host: (r.host as string | null) ?? null,
  node: (r.node as string | null) ?? null,
  launchedAt: (r.launched_at as string | null) ?? null,
  terminatedAt: (r.terminated_at as string | null) ?? null,
  reservationId: r.reservation_id as string,
  launchIndex: r.launch_index as number,
  fault: parse(r.fault, null),
  accessIpV4: (r.access_ip_v4 as string | null) ?? null,
  accessIpV6: (r.access_ip_v6 as string | null) ?? null,
  configDrive: r.config_drive as string,
  description: (r.description as string | null) ?? null,
  adminPass: (r.admin_pass as string | null) ?? null,
  createdAt: r.created_at as string,
  updatedAt: (r.updated_at as string | null) ?? null,
  deletedAt: (r.deleted_at as string | null) ?? null,
  deleted: r.deleted === 1,
});

const columns: [keyof InstanceRow, string, 'json' | 'bool' | 'plain'][] = [
  ['uuid', 'uuid', 'plain'],
  ['displayName', 'display_name', 'plain'],
  ['hostname', 'hostname', 'plain'],
  ['projectId', 'project_id', 'plain'],
  ['userId', 'user_id', 'plain'],
  ['imageRef', 'image_ref', 'plain'],
  ['image', 'image', 'json'],
  ['flavor', 'flavor', 'json'],
  ['keyName', 'key_name', 'plain'],
  ['keyData', 'key_data', 'plain'],
  ['userData', 'user_data', 'plain'],
  ['metadata', 'metadata', 'json'],
  ['availabilityZone', 'availability_zone', 'plain'],
  ['securityGroups', 'security_groups', 'json'],
  ['requestedNetworks', 'requested_networks', 'json'],
  ['networkInfo', 'network_info', 'json'],
  ['vmState', 'vm_state', 'plain'],
  ['taskState', 'task_state', 'plain'],
  ['powerState', 'power_state', 'plain'],
  ['host', 'host', 'plain'],
  ['node', 'node', 'plain'],
  ['launchedAt', 'launched_at', 'plain'],
  ['terminatedAt', 'terminated_at', 'plain'],
  ['reservationId', 'reservation_id', 'plain'],
  ['launchIndex', 'launch_index', 'plain'],
  ['fault', 'fault', 'json'],
  ['accessIpV4', 'access_ip_v4', 'plain'],
  ['accessIpV6', 'access_ip_v6', 'plain'],
  ['configDrive', 'config_drive', 'plain'],
  ['description', 'description', 'plain'],
  ['adminPass', 'admin_pass', 'plain'],
  ['createdAt', 'created_at', 'plain'],
  ['updatedAt', 'updated_at', 'plain'],
  ['deletedAt', 'deleted_at', 'plain'],
  ['deleted', 'deleted', 'bool'],
];
const toSql = (kind: 'json' | 'bool' | 'plain', v: unknown) =>
  kind === 'json'
    ? v === null || v === undefined
      ? null
      : JSON.stringify(v)
    : kind === 'bool'
      ? v
        ? 1
        : 0
      : v;

export class InstanceRepo {
  constructor(private readonly db: Db) {}

  get(uuid: string): InstanceRow | undefined {
    const r = this.db.prepare('SELECT * FROM nova_instances WHERE uuid = ? AND deleted = 0').get(uuid) as
      | Raw
      | undefined;
    return r && toInstance(r);
  }
  /** Every live instance, newest first (Nova's default sort: created_at desc, id desc). */
  list(projectId?: string): InstanceRow[] {
    const rows =
      projectId === undefined
        ? this.db
            .prepare('SELECT * FROM nova_instances WHERE deleted = 0 ORDER BY created_at DESC, id DESC')
            .all()
        : this.db
            .prepare(
              'SELECT * FROM nova_instances WHERE deleted = 0 AND project_id = ? ORDER BY created_at DESC, id DESC',
            )
            .all(projectId);
    return (rows as Raw[]).map(toInstance);
  }
  onHost(host: string): InstanceRow[] {
    return (
      this.db
        .prepare('SELECT * FROM nova_instances WHERE deleted = 0 AND host = ? ORDER BY id')
        .all(host) as Raw[]
    ).map(toInstance);
  }
  /** Live instances of a project: count, vCPUs and RAM from the flavors they carry. */
  usage(projectId: string): { instances: number; cores: number; ram: number } {
    const r = this.db
      .prepare(
        `SELECT COUNT(*) AS n, COALESCE(SUM(json_extract(flavor, '$.vcpus')), 0) AS cores,
                COALESCE(SUM(json_extract(flavor, '$.ramMb')), 0) AS ram
         FROM nova_instances WHERE deleted = 0 AND project_id = ?`,
      )
      .get(projectId) as { n: number; cores: number; ram: number };
    return { instances: r.n, cores: r.cores, ram: r.ram };
  }
  /** Inserts and returns the row with its integer id. */
  insert(i: Omit<InstanceRow, 'id'>): InstanceRow {
    const cols = columns.map((c) => c[1]).join(', ');
    const marks = columns.map(() => '?').join(', ');
    const values = columns.map(([k, , kind]) => toSql(kind, i[k as keyof typeof i]));
    const r = this.db.prepare(`INSERT INTO nova_instances (${cols}) VALUES (${marks})`).run(...values);
    return { ...i, id: Number(r.lastInsertRowid) };
  }
  /** Changes some fields of a live instance; false when it is gone. */
  update(uuid: string, changes: Partial<Omit<InstanceRow, 'id' | 'uuid'>>): boolean {
    const set = columns.filter(([k]) => Object.hasOwn(changes, k));
    if (set.length === 0) return this.get(uuid) !== undefined;
    const sql = `UPDATE nova_instances SET ${set.map((c) => `${c[1]} = ?`).join(', ')} WHERE uuid = ? AND deleted = 0`;
    const values = set.map(([k, , kind]) => toSql(kind, changes[k as keyof typeof changes]));
    return this.db.prepare(sql).run(...values, uuid).changes > 0;
  }
}
