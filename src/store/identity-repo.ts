// Keystone's identity, resource and assignment tables. Rows in, plain objects out.
import type { Db } from './db.js';

export interface DomainRow {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
  tags: string[];
  options: Record<string, unknown>;
}
export interface ProjectRow {
  id: string;
  name: string;
  domainId: string;
  description: string;
  enabled: boolean;
  parentId: string | null;
  tags: string[];
  options: Record<string, unknown>;
}
export interface UserRow {
  id: string;
  name: string;
  domainId: string;
  enabled: boolean;
  defaultProjectId: string | null;
  passwordHash: string | null;
  description: string | null;
  email: string | null;
  options: Record<string, unknown>;
  createdAt: string;
}
export interface GroupRow {
  id: string;
  name: string;
  domainId: string;
  description: string;
}
export interface RoleRow {
  id: string;
  name: string;
  domainId: string | null;
  description: string | null;
  options: Record<string, unknown>;
}
export type AssignmentType =
  | 'UserProject'
  | 'UserDomain'
  | 'GroupProject'
  | 'GroupDomain'
  | 'UserSystem'
  | 'GroupSystem';
export interface AssignmentRow {
  type: AssignmentType;
  actorId: string;
  targetId: string;
  roleId: string;
  inherited: boolean;
}

type Raw = Record<string, unknown>;
const bool = (v: unknown) => v === 1 || v === true;
const json = <T>(v: unknown, fallback: T): T => (typeof v === 'string' ? (JSON.parse(v) as T) : fallback);

const toDomain = (r: Raw): DomainRow => ({
  id: r.id as string,
  name: r.name as string,
  description: r.description as string,
  enabled: bool(r.enabled),
  tags: json(r.tags, []),
  options: json(r.options, {}),
});
const toProject = (r: Raw): ProjectRow => ({
  id: r.id as string,
  name: r.name as string,
  domainId: r.domain_id as string,
  description: r.description as string,
  enabled: bool(r.enabled),
  parentId: (r.parent_id as string | null) ?? null,
  tags: json(r.tags, []),
  options: json(r.options, {}),
});
const toUser = (r: Raw): UserRow => ({
  id: r.id as string,
  name: r.name as string,
  domainId: r.domain_id as string,
  enabled: bool(r.enabled),
  defaultProjectId: (r.default_project_id as string | null) ?? null,
  passwordHash: (r.password_hash as string | null) ?? null,
  description: (r.description as string | null) ?? null,
  email: (r.email as string | null) ?? null,
  options: json(r.options, {}),
  createdAt: r.created_at as string,
});
const toRole = (r: Raw): RoleRow => ({
  id: r.id as string,
  name: r.name as string,
  domainId: (r.domain_id as string | null) ?? null,
  description: (r.description as string | null) ?? null,
  options: json(r.options, {}),
});
const toGroup = (r: Raw): GroupRow => ({
  id: r.id as string,
  name: r.name as string,
  domainId: r.domain_id as string,
  description: r.description as string,
});
const toAssignment = (r: Raw): AssignmentRow => ({
  type: r.type as AssignmentType,
  actorId: r.actor_id as string,
  targetId: r.target_id as string,
  roleId: r.role_id as string,
  inherited: bool(r.inherited),
});

/** Is this a UNIQUE/PRIMARY KEY violation from SQLite? Services turn it into a 409. */
export function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: string })?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export class IdentityRepo {
  constructor(private readonly db: Db) {}

  // --- domains
  getDomain(id: string): DomainRow | undefined {
    const r = this.db.prepare('SELECT * FROM domains WHERE id = ?').get(id) as Raw | undefined;
    return r && toDomain(r);
  }
  getDomainByName(name: string): DomainRow | undefined {
    const r = this.db.prepare('SELECT * FROM domains WHERE name = ?').get(name) as Raw | undefined;
    return r && toDomain(r);
  }
  listDomains(): DomainRow[] {
    return (this.db.prepare('SELECT * FROM domains ORDER BY name').all() as Raw[]).map(toDomain);
  }
  insertDomain(d: DomainRow): void {
    this.db
      .prepare(
        'INSERT INTO domains (id, name, description, enabled, tags, options) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(d.id, d.name, d.description, d.enabled ? 1 : 0, JSON.stringify(d.tags), JSON.stringify(d.options));
  }
  updateDomain(d: DomainRow): void {
    this.db
      .prepare(
        'UPDATE domains SET name = ?, description = ?, enabled = ?, tags = ?, options = ? WHERE id = ?',
      )
      .run(d.name, d.description, d.enabled ? 1 : 0, JSON.stringify(d.tags), JSON.stringify(d.options), d.id);
  }
  deleteDomain(id: string): void {
    this.db.prepare('DELETE FROM domains WHERE id = ?').run(id);
  }

  // --- projects
  getProject(id: string): ProjectRow | undefined {
    const r = this.db.prepare('SELECT * FROM projects WHERE id = ?').get(id) as Raw | undefined;
    return r && toProject(r);
  }
  listProjects(): ProjectRow[] {
    return (this.db.prepare('SELECT * FROM projects ORDER BY name, id').all() as Raw[]).map(toProject);
  }
  insertProject(p: ProjectRow): void {
    this.db
      .prepare(
        'INSERT INTO projects (id, name, domain_id, description, enabled, parent_id, tags, options) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        p.id,
        p.name,
        p.domainId,
        p.description,
        p.enabled ? 1 : 0,
        p.parentId,
        JSON.stringify(p.tags),
        JSON.stringify(p.options),
      );
  }
  updateProject(p: ProjectRow): void {
    this.db
      .prepare(
        'UPDATE projects SET name = ?, description = ?, enabled = ?, tags = ?, options = ? WHERE id = ?',
      )
      .run(p.name, p.description, p.enabled ? 1 : 0, JSON.stringify(p.tags), JSON.stringify(p.options), p.id);
  }
  deleteProject(id: string): void {
    this.db.prepare('DELETE FROM role_assignments WHERE target_id = ?').run(id);
    this.db.prepare('DELETE FROM projects WHERE id = ?').run(id);
  }

  // --- users
  getUser(id: string): UserRow | undefined {
    const r = this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as Raw | undefined;
    return r && toUser(r);
  }
  getUserByName(domainId: string, name: string): UserRow | undefined {
    const r = this.db.prepare('SELECT * FROM users WHERE domain_id = ? AND name = ?').get(domainId, name) as
      | Raw
      | undefined;
    return r && toUser(r);
  }
  listUsers(): UserRow[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY name, id').all() as Raw[]).map(toUser);
  }
  insertUser(u: UserRow): void {
    this.db
      .prepare(
        `INSERT INTO users (id, name, domain_id, enabled, default_project_id, password_hash, description, email, options, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        u.id,
        u.name,
        u.domainId,
        u.enabled ? 1 : 0,
        u.defaultProjectId,
        u.passwordHash,
        u.description,
        u.email,
        JSON.stringify(u.options),
        u.createdAt,
      );
  }
  updateUser(u: UserRow): void {
    this.db
      .prepare(
        `UPDATE users SET name = ?, enabled = ?, default_project_id = ?, password_hash = ?, description = ?, email = ?, options = ?
         WHERE id = ?`,
      )
      .run(
        u.name,
        u.enabled ? 1 : 0,
        u.defaultProjectId,
        u.passwordHash,
        u.description,
        u.email,
        JSON.stringify(u.options),
        u.id,
      );
  }
  deleteUser(id: string): void {
    this.db.prepare("DELETE FROM role_assignments WHERE actor_id = ? AND type LIKE 'User%'").run(id);
    this.db.prepare('DELETE FROM users WHERE id = ?').run(id);
  }

  // --- groups
  getGroup(id: string): GroupRow | undefined {
    const r = this.db.prepare('SELECT * FROM groups WHERE id = ?').get(id) as Raw | undefined;
    return r && toGroup(r);
  }
  listGroups(): GroupRow[] {
    return (this.db.prepare('SELECT * FROM groups ORDER BY name, id').all() as Raw[]).map(toGroup);
  }
  insertGroup(g: GroupRow): void {
    this.db
      .prepare('INSERT INTO groups (id, name, domain_id, description) VALUES (?, ?, ?, ?)')
      .run(g.id, g.name, g.domainId, g.description);
  }
  updateGroup(g: GroupRow): void {
    this.db
      .prepare('UPDATE groups SET name = ?, description = ? WHERE id = ?')
      .run(g.name, g.description, g.id);
  }
  deleteGroup(id: string): void {
    this.db.prepare("DELETE FROM role_assignments WHERE actor_id = ? AND type LIKE 'Group%'").run(id);
    this.db.prepare('DELETE FROM groups WHERE id = ?').run(id);
  }
  groupMembers(groupId: string): string[] {
    return (
      this.db.prepare('SELECT user_id FROM group_members WHERE group_id = ?').all(groupId) as Raw[]
    ).map((r) => r.user_id as string);
  }
  userGroups(userId: string): string[] {
    return (this.db.prepare('SELECT group_id FROM group_members WHERE user_id = ?').all(userId) as Raw[]).map(
      (r) => r.group_id as string,
    );
  }
  addGroupMember(groupId: string, userId: string): void {
    this.db
      .prepare('INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?, ?)')
      .run(groupId, userId);
  }
  removeGroupMember(groupId: string, userId: string): boolean {
    return (
      this.db.prepare('DELETE FROM group_members WHERE group_id = ? AND user_id = ?').run(groupId, userId)
        .changes > 0
    );
  }

  // --- roles
  getRole(id: string): RoleRow | undefined {
    const r = this.db.prepare('SELECT * FROM roles WHERE id = ?').get(id) as Raw | undefined;
    return r && toRole(r);
  }
  getRoleByName(name: string): RoleRow | undefined {
    const r = this.db.prepare('SELECT * FROM roles WHERE name = ? AND domain_id IS NULL').get(name) as
      | Raw
      | undefined;
    return r && toRole(r);
  }
  listRoles(): RoleRow[] {
    return (this.db.prepare('SELECT * FROM roles ORDER BY name').all() as Raw[]).map(toRole);
  }
  insertRole(r: RoleRow): void {
    this.db
      .prepare('INSERT INTO roles (id, name, domain_id, description, options) VALUES (?, ?, ?, ?, ?)')
      .run(r.id, r.name, r.domainId, r.description, JSON.stringify(r.options));
  }
  updateRole(r: RoleRow): void {
    this.db
      .prepare('UPDATE roles SET name = ?, description = ?, options = ? WHERE id = ?')
      .run(r.name, r.description, JSON.stringify(r.options), r.id);
  }
  deleteRole(id: string): void {
    this.db.prepare('DELETE FROM roles WHERE id = ?').run(id);
  }
  impliedRoles(): { prior: string; implied: string }[] {
    return (this.db.prepare('SELECT prior_role_id, implied_role_id FROM implied_roles').all() as Raw[]).map(
      (r) => ({ prior: r.prior_role_id as string, implied: r.implied_role_id as string }),
    );
  }
  addImpliedRole(prior: string, implied: string): void {
    this.db
      .prepare('INSERT OR IGNORE INTO implied_roles (prior_role_id, implied_role_id) VALUES (?, ?)')
      .run(prior, implied);
  }

  // --- assignments
  listAssignments(): AssignmentRow[] {
    return (this.db.prepare('SELECT * FROM role_assignments ORDER BY rowid').all() as Raw[]).map(
      toAssignment,
    );
  }
  assignmentsOfActors(actorIds: string[]): AssignmentRow[] {
    if (actorIds.length === 0) return [];
    const marks = actorIds.map(() => '?').join(', ');
    return (
      this.db
        .prepare(`SELECT * FROM role_assignments WHERE actor_id IN (${marks}) ORDER BY rowid`)
        .all(...actorIds) as Raw[]
    ).map(toAssignment);
  }
  addAssignment(a: AssignmentRow): void {
    this.db
      .prepare(
        'INSERT OR IGNORE INTO role_assignments (type, actor_id, target_id, role_id, inherited) VALUES (?, ?, ?, ?, ?)',
      )
      .run(a.type, a.actorId, a.targetId, a.roleId, a.inherited ? 1 : 0);
  }
  hasAssignment(a: AssignmentRow): boolean {
    return (
      this.db
        .prepare(
          'SELECT 1 FROM role_assignments WHERE type = ? AND actor_id = ? AND target_id = ? AND role_id = ? AND inherited = ?',
        )
        .get(a.type, a.actorId, a.targetId, a.roleId, a.inherited ? 1 : 0) !== undefined
    );
  }
  removeAssignment(a: AssignmentRow): boolean {
    return (
      this.db
        .prepare(
          'DELETE FROM role_assignments WHERE type = ? AND actor_id = ? AND target_id = ? AND role_id = ? AND inherited = ?',
        )
        .run(a.type, a.actorId, a.targetId, a.roleId, a.inherited ? 1 : 0).changes > 0
    );
  }
}
