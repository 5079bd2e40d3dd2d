// Nova's flavors, their extra specs and project access. Rows in, plain objects out.
import type { Db } from './db.js';

export interface FlavorRow {
  id: string;
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
  ephemeral: number;
  swap: number;
  rxtxFactor: number;
  isPublic: boolean;
  disabled: boolean;
  description: string | null;
  createdAt: string;
}

type Raw = Record<string, unknown>;
const toFlavor = (r: Raw): FlavorRow => ({
  id: r.id as string,
  name: r.name as string,
  ram: r.ram as number,
  vcpus: r.vcpus as number,
  disk: r.disk as number,
  ephemeral: r.ephemeral as number,
  swap: r.swap as number,
  rxtxFactor: r.rxtx_factor as number,
  isPublic: r.is_public === 1,
  disabled: r.disabled === 1,
  description: (r.description as string | null) ?? null,
  createdAt: r.created_at as string,
});

export class FlavorRepo {
  constructor(private readonly db: Db) {}

  get(id: string): FlavorRow | undefined {
    const r = this.db.prepare('SELECT * FROM nova_flavors WHERE id = ?').get(id) as Raw | undefined;
    return r && toFlavor(r);
  }
  getByName(name: string): FlavorRow | undefined {
    const r = this.db.prepare('SELECT * FROM nova_flavors WHERE name = ?').get(name) as Raw | undefined;
    return r && toFlavor(r);
  }
  /** Ordered as Nova lists them: by flavorid, the default sort key. */
  list(): FlavorRow[] {
    return (this.db.prepare('SELECT * FROM nova_flavors ORDER BY id').all() as Raw[]).map(toFlavor);
  }
  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM nova_flavors').get() as { n: number }).n;
  }
  insert(f: FlavorRow): void {
    this.db
      .prepare(
        `INSERT INTO nova_flavors (id, name, ram, vcpus, disk, ephemeral, swap, rxtx_factor, is_public, disabled,
         description, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        f.id,
        f.name,
        f.ram,
        f.vcpus,
        f.disk,
        f.ephemeral,
        f.swap,
        f.rxtxFactor,
        f.isPublic ? 1 : 0,
        f.disabled ? 1 : 0,
        f.description,
        f.createdAt,
      );
  }
  setDescription(id: string, description: string | null): void {
    this.db.prepare('UPDATE nova_flavors SET description = ? WHERE id = ?').run(description, id);
  }
  delete(id: string): void {
    this.db.prepare('DELETE FROM nova_flavors WHERE id = ?').run(id);
  }

  extraSpecs(id: string): Record<string, string> {
    const rows = this.db
      .prepare('SELECT key, value FROM nova_flavor_extra_specs WHERE flavor_id = ? ORDER BY key')
      .all(id) as { key: string; value: string }[];
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }
  setExtraSpec(id: string, key: string, value: string): void {
    this.db
      .prepare(
        `INSERT INTO nova_flavor_extra_specs (flavor_id, key, value) VALUES (?, ?, ?)
         ON CONFLICT(flavor_id, key) DO UPDATE SET value = excluded.value`,
      )
      .run(id, key, value);
  }
  deleteExtraSpec(id: string, key: string): boolean {
    return (
      this.db.prepare('DELETE FROM nova_flavor_extra_specs WHERE flavor_id = ? AND key = ?').run(id, key)
        .changes > 0
    );
  }

  projects(id: string): string[] {
    return (
      this.db
        .prepare('SELECT project_id FROM nova_flavor_projects WHERE flavor_id = ? ORDER BY project_id')
        .all(id) as { project_id: string }[]
    ).map((r) => r.project_id);
  }
  /** Flavor ids a project was given access to. */
  flavorsOfProject(projectId: string): Set<string> {
    return new Set(
      (
        this.db.prepare('SELECT flavor_id FROM nova_flavor_projects WHERE project_id = ?').all(projectId) as {
          flavor_id: string;
        }[]
      ).map((r) => r.flavor_id),
    );
  }
  addProject(id: string, projectId: string): void {
    this.db
      .prepare('INSERT INTO nova_flavor_projects (flavor_id, project_id) VALUES (?, ?)')
      .run(id, projectId);
  }
  removeProject(id: string, projectId: string): boolean {
    return (
      this.db
        .prepare('DELETE FROM nova_flavor_projects WHERE flavor_id = ? AND project_id = ?')
        .run(id, projectId).changes > 0
    );
  }
}
