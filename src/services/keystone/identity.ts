// Keystone's identity, resource and assignment managers: domains, projects, users, groups,
// roles and the grants between them. Messages are Keystone's own (keystone/exception.py).
import { randomUUID } from 'node:crypto';
import {
  type AssignmentRow,
  type AssignmentType,
  type DomainRow,
  type GroupRow,
  type IdentityRepo,
  isUniqueViolation,
  type ProjectRow,
  type RoleRow,
  type UserRow,
} from '../../store/index.js';
import { conflict, forbidden, notFound, unauthorized } from '../errors.js';
import type { RequestContext } from '../policy.js';
import { hashPassword, verifyPassword } from './password.js';
import { keystonePolicy } from './policy.js';

export const newId = () => randomUUID().replaceAll('-', '');
export const DEFAULT_DOMAIN_ID = 'default';

export interface Grant {
  actor: { type: 'user' | 'group'; id: string };
  scope: { type: 'project' | 'domain'; id: string } | { type: 'system' };
  roleId: string;
  inherited: boolean;
}

const typeOf = (g: Grant): AssignmentType =>
  `${g.actor.type === 'user' ? 'User' : 'Group'}${g.scope.type === 'project' ? 'Project' : g.scope.type === 'domain' ? 'Domain' : 'System'}` as AssignmentType;
const rowOf = (g: Grant): AssignmentRow => ({
  type: typeOf(g),
  actorId: g.actor.id,
  targetId: g.scope.type === 'system' ? 'system' : g.scope.id,
  roleId: g.roleId,
  inherited: g.inherited,
});

export interface AssignmentFilter {
  userId?: string;
  groupId?: string;
  roleId?: string;
  projectId?: string;
  domainId?: string;
  system?: boolean;
  effective?: boolean;
}

/** Listeners told about changes that can invalidate issued tokens (role removed, user disabled …). */
export type IdentityChange =
  | { kind: 'user-disabled' | 'user-deleted' | 'password-changed'; userId: string }
  | {
      kind: 'grants-changed' | 'project-changed';
    };

export class Identity {
  private readonly listeners: ((c: IdentityChange) => void)[] = [];
  constructor(
    readonly repo: IdentityRepo,
    private readonly now: () => Date = () => new Date(),
  ) {}

  onChange(fn: (c: IdentityChange) => void): void {
    this.listeners.push(fn);
  }
  private changed(c: IdentityChange): void {
    for (const fn of this.listeners) fn(c);
  }

  // ---------- domains
  domain(id: string): DomainRow {
    const d = this.repo.getDomain(id);
    if (!d) throw notFound(`Could not find domain: ${id}.`);
    return d;
  }
  /** A domain reference as the auth API takes it: {id} or {name}. */
  resolveDomainRef(ref: { id?: unknown; name?: unknown } | undefined, failure: () => Error): DomainRow {
    if (!ref) throw failure();
    const d =
      typeof ref.id === 'string'
        ? this.repo.getDomain(ref.id)
        : typeof ref.name === 'string'
          ? this.repo.getDomainByName(ref.name)
          : undefined;
    if (!d) throw failure();
    return d;
  }
  listDomains(ctx: RequestContext, filter: { name?: string; enabled?: boolean } = {}): DomainRow[] {
    keystonePolicy.enforce('identity:list_domains', ctx);
    return this.repo
      .listDomains()
      .filter(
        (d) =>
          (filter.name === undefined || d.name === filter.name) &&
          (filter.enabled === undefined || d.enabled === filter.enabled),
      );
  }
  getDomain(ctx: RequestContext, id: string): DomainRow {
    const d = this.domain(id);
    keystonePolicy.enforce('identity:get_domain', ctx, { domain_id: id });
    return d;
  }
  createDomain(
    ctx: RequestContext,
    input: { name: string; description?: string; enabled?: boolean; tags?: string[] },
  ): DomainRow {
    keystonePolicy.enforce('identity:create_domain', ctx);
    const d: DomainRow = {
      id: newId(),
      name: input.name,
      description: input.description ?? '',
      enabled: input.enabled ?? true,
      tags: input.tags ?? [],
      options: {},
    };
    this.unique(
      () => this.repo.insertDomain(d),
      `Conflict occurred attempting to store domain - Duplicate entry found with name ${d.name}.`,
    );
    return d;
  }
  updateDomain(
    ctx: RequestContext,
    id: string,
    patch: Partial<Pick<DomainRow, 'name' | 'description' | 'enabled' | 'tags'>>,
  ): DomainRow {
    keystonePolicy.enforce('identity:update_domain', ctx);
    const d = { ...this.domain(id), ...patch };
    this.unique(
      () => this.repo.updateDomain(d),
      `Conflict occurred attempting to store domain - Duplicate entry found with name ${d.name}.`,
    );
    return d;
  }
  deleteDomain(ctx: RequestContext, id: string): void {
    keystonePolicy.enforce('identity:delete_domain', ctx);
    const d = this.domain(id);
    if (d.enabled) throw forbiddenAction('Cannot delete a domain that is enabled, please disable it first.');
    if (
      this.repo.listProjects().some((p) => p.domainId === id) ||
      this.repo.listUsers().some((u) => u.domainId === id)
    )
      throw conflict(`Cannot delete domain ${id} while it holds projects or users.`);
    this.repo.deleteDomain(id);
  }

  // ---------- projects
  project(id: string): ProjectRow {
    const p = this.repo.getProject(id);
    if (!p) throw notFound(`Could not find project: ${id}.`);
    return p;
  }
  listProjects(
    ctx: RequestContext,
    filter: { name?: string; domainId?: string; enabled?: boolean; parentId?: string } = {},
  ): ProjectRow[] {
    keystonePolicy.enforce('identity:list_projects', ctx);
    return this.repo
      .listProjects()
      .filter(
        (p) =>
          (filter.name === undefined || p.name === filter.name) &&
          (filter.domainId === undefined || p.domainId === filter.domainId) &&
          (filter.parentId === undefined || p.parentId === filter.parentId) &&
          (filter.enabled === undefined || p.enabled === filter.enabled),
      );
  }
  getProject(ctx: RequestContext, id: string): ProjectRow {
    // Keystone checks policy before existence only for admins; a member asking for a project it
    // is not in gets 403 whether or not it exists. We answer 404 first for missing ids, as the
    // OSC name-or-id lookup needs the 404 to fall back to ?name=.
    const p = this.project(id);
    keystonePolicy.enforce('identity:get_project', ctx, { project_id: id });
    return p;
  }
  createProject(
    ctx: RequestContext,
    input: {
      name: string;
      domainId?: string;
      description?: string;
      enabled?: boolean;
      parentId?: string;
      tags?: string[];
    },
  ): ProjectRow {
    keystonePolicy.enforce('identity:create_project', ctx);
    const domainId = input.domainId ?? DEFAULT_DOMAIN_ID;
    if (!this.repo.getDomain(domainId)) throw notFound(`Could not find domain: ${domainId}.`);
    if (input.parentId !== undefined && input.parentId !== domainId && !this.repo.getProject(input.parentId))
      throw notFound(`Could not find project: ${input.parentId}.`);
    const p: ProjectRow = {
      id: newId(),
      name: input.name,
      domainId,
      description: input.description ?? '',
      enabled: input.enabled ?? true,
      parentId: input.parentId ?? domainId,
      tags: input.tags ?? [],
      options: {},
    };
    this.unique(
      () => this.repo.insertProject(p),
      `Conflict occurred attempting to store project - it is not permitted to have two projects with either the same name or same id in the same domain: name is ${p.name}, project id ${p.id}.`,
    );
    return p;
  }
  updateProject(
    ctx: RequestContext,
    id: string,
    patch: Partial<Pick<ProjectRow, 'name' | 'description' | 'enabled' | 'tags'>>,
  ): ProjectRow {
    keystonePolicy.enforce('identity:update_project', ctx);
    const p = { ...this.project(id), ...patch };
    this.unique(
      () => this.repo.updateProject(p),
      `Conflict occurred attempting to store project - it is not permitted to have two projects with either the same name or same id in the same domain: name is ${p.name}, project id ${p.id}.`,
    );
    this.changed({ kind: 'project-changed' });
    return p;
  }
  deleteProject(ctx: RequestContext, id: string): void {
    keystonePolicy.enforce('identity:delete_project', ctx);
    this.project(id);
    if (this.repo.listProjects().some((p) => p.parentId === id))
      throw forbiddenAction(`Cannot delete the project ${id} since it is not a leaf in the hierarchy.`);
    this.repo.deleteProject(id);
    this.changed({ kind: 'project-changed' });
  }
  /** Projects where the user has a role, directly or through a group (GET /v3/users/{id}/projects, /v3/auth/projects). */
  projectsOfUser(userId: string): ProjectRow[] {
    const ids = new Set(
      this.effectiveAssignments(userId)
        .filter((a) => a.type === 'UserProject' || a.type === 'GroupProject')
        .map((a) => a.targetId),
    );
    return this.repo.listProjects().filter((p) => ids.has(p.id));
  }
  listUserProjects(ctx: RequestContext, userId: string): ProjectRow[] {
    keystonePolicy.enforce('identity:list_user_projects', ctx, { user_id: userId });
    this.user(userId);
    return this.projectsOfUser(userId);
  }

  // ---------- users
  user(id: string): UserRow {
    const u = this.repo.getUser(id);
    if (!u) throw notFound(`Could not find user: ${id}.`);
    return u;
  }
  listUsers(
    ctx: RequestContext,
    filter: { name?: string; domainId?: string; enabled?: boolean } = {},
  ): UserRow[] {
    keystonePolicy.enforce('identity:list_users', ctx);
    return this.repo
      .listUsers()
      .filter(
        (u) =>
          (filter.name === undefined || u.name === filter.name) &&
          (filter.domainId === undefined || u.domainId === filter.domainId) &&
          (filter.enabled === undefined || u.enabled === filter.enabled),
      );
  }
  getUser(ctx: RequestContext, id: string): UserRow {
    const u = this.user(id);
    keystonePolicy.enforce('identity:get_user', ctx, { user_id: id });
    return u;
  }
  async createUser(
    ctx: RequestContext,
    input: {
      name: string;
      domainId?: string;
      password?: string | null;
      enabled?: boolean;
      defaultProjectId?: string | null;
      description?: string | null;
      email?: string | null;
    },
  ): Promise<UserRow> {
    keystonePolicy.enforce('identity:create_user', ctx);
    const domainId = input.domainId ?? DEFAULT_DOMAIN_ID;
    if (!this.repo.getDomain(domainId)) throw notFound(`Could not find domain: ${domainId}.`);
    if (input.defaultProjectId && !this.repo.getProject(input.defaultProjectId))
      throw notFound(`Could not find project: ${input.defaultProjectId}.`);
    const u: UserRow = {
      id: newId(),
      name: input.name,
      domainId,
      enabled: input.enabled ?? true,
      defaultProjectId: input.defaultProjectId ?? null,
      passwordHash: input.password ? await hashPassword(input.password) : null,
      description: input.description ?? null,
      email: input.email ?? null,
      options: {},
      createdAt: this.now().toISOString(),
    };
    this.unique(
      () => this.repo.insertUser(u),
      `Conflict occurred attempting to store user - Duplicate entry found with name ${u.name} at domain ID ${domainId}.`,
    );
    return u;
  }
  async updateUser(
    ctx: RequestContext,
    id: string,
    patch: {
      name?: string;
      enabled?: boolean;
      password?: string;
      defaultProjectId?: string | null;
      description?: string | null;
      email?: string | null;
    },
  ): Promise<UserRow> {
    keystonePolicy.enforce('identity:update_user', ctx, { user_id: id });
    const old = this.user(id);
    const u: UserRow = {
      ...old,
      name: patch.name ?? old.name,
      enabled: patch.enabled ?? old.enabled,
      defaultProjectId: patch.defaultProjectId === undefined ? old.defaultProjectId : patch.defaultProjectId,
      description: patch.description === undefined ? old.description : patch.description,
      email: patch.email === undefined ? old.email : patch.email,
      passwordHash: patch.password !== undefined ? await hashPassword(patch.password) : old.passwordHash,
    };
    this.unique(
      () => this.repo.updateUser(u),
      `Conflict occurred attempting to store user - Duplicate entry found with name ${u.name} at domain ID ${u.domainId}.`,
    );
    if (old.enabled && !u.enabled) this.changed({ kind: 'user-disabled', userId: id });
    if (patch.password !== undefined) this.changed({ kind: 'password-changed', userId: id });
    return u;
  }
  /** `openstack user password set`: the user changes its own password, proving the old one. */
  async changePassword(ctx: RequestContext, id: string, original: string, password: string): Promise<void> {
    keystonePolicy.enforce('identity:change_password', ctx, { user_id: id });
    const u = this.user(id);
    if (!u.passwordHash || !(await verifyPassword(original, u.passwordHash))) throw unauthorized();
    this.repo.updateUser({ ...u, passwordHash: await hashPassword(password) });
    this.changed({ kind: 'password-changed', userId: id });
  }
  deleteUser(ctx: RequestContext, id: string): void {
    keystonePolicy.enforce('identity:delete_user', ctx);
    this.user(id);
    this.repo.deleteUser(id);
    this.changed({ kind: 'user-deleted', userId: id });
  }
  /** Password check at login; every failure is the same 401, as Keystone words it. */
  async authenticate(userId: string, password: string): Promise<UserRow> {
    const u = this.repo.getUser(userId);
    if (!u || !u.passwordHash || !(await verifyPassword(password, u.passwordHash))) throw unauthorized();
    if (!u.enabled || !this.repo.getDomain(u.domainId)?.enabled) throw unauthorized();
    return u;
  }

  // ---------- groups
  group(id: string): GroupRow {
    const g = this.repo.getGroup(id);
    if (!g) throw notFound(`Could not find group: ${id}.`);
    return g;
  }
  listGroups(ctx: RequestContext, filter: { name?: string; domainId?: string } = {}): GroupRow[] {
    keystonePolicy.enforce('identity:list_groups', ctx);
    return this.repo
      .listGroups()
      .filter(
        (g) =>
          (filter.name === undefined || g.name === filter.name) &&
          (filter.domainId === undefined || g.domainId === filter.domainId),
      );
  }
  getGroup(ctx: RequestContext, id: string): GroupRow {
    keystonePolicy.enforce('identity:get_group', ctx);
    return this.group(id);
  }
  createGroup(
    ctx: RequestContext,
    input: { name: string; domainId?: string; description?: string },
  ): GroupRow {
    keystonePolicy.enforce('identity:create_group', ctx);
    const domainId = input.domainId ?? DEFAULT_DOMAIN_ID;
    if (!this.repo.getDomain(domainId)) throw notFound(`Could not find domain: ${domainId}.`);
    const g: GroupRow = { id: newId(), name: input.name, domainId, description: input.description ?? '' };
    this.unique(
      () => this.repo.insertGroup(g),
      `Conflict occurred attempting to store group - Duplicate entry found with name ${g.name} at domain ID ${domainId}.`,
    );
    return g;
  }
  updateGroup(ctx: RequestContext, id: string, patch: { name?: string; description?: string }): GroupRow {
    keystonePolicy.enforce('identity:update_group', ctx);
    const g = { ...this.group(id), ...patch };
    this.unique(
      () => this.repo.updateGroup(g),
      `Conflict occurred attempting to store group - Duplicate entry found with name ${g.name} at domain ID ${g.domainId}.`,
    );
    return g;
  }
  deleteGroup(ctx: RequestContext, id: string): void {
    keystonePolicy.enforce('identity:delete_group', ctx);
    this.group(id);
    this.repo.deleteGroup(id);
    this.changed({ kind: 'grants-changed' });
  }
  addUserToGroup(ctx: RequestContext, groupId: string, userId: string): void {
    keystonePolicy.enforce('identity:add_user_to_group', ctx);
    this.group(groupId);
    this.user(userId);
    this.repo.addGroupMember(groupId, userId);
    this.changed({ kind: 'grants-changed' });
  }
  removeUserFromGroup(ctx: RequestContext, groupId: string, userId: string): void {
    keystonePolicy.enforce('identity:remove_user_from_group', ctx);
    this.group(groupId);
    this.user(userId);
    if (!this.repo.removeGroupMember(groupId, userId))
      throw notFound(`Could not find user: ${userId} in group ${groupId}.`);
    this.changed({ kind: 'grants-changed' });
  }
  checkUserInGroup(ctx: RequestContext, groupId: string, userId: string): void {
    keystonePolicy.enforce('identity:check_user_in_group', ctx);
    this.group(groupId);
    this.user(userId);
    if (!this.repo.groupMembers(groupId).includes(userId))
      throw notFound(`User '${userId}' not found in group '${groupId}'`);
  }
  listUsersInGroup(ctx: RequestContext, groupId: string): UserRow[] {
    keystonePolicy.enforce('identity:list_users_in_group', ctx);
    this.group(groupId);
    return this.repo.groupMembers(groupId).map((id) => this.user(id));
  }
  listGroupsForUser(ctx: RequestContext, userId: string): GroupRow[] {
    keystonePolicy.enforce('identity:list_groups_for_user', ctx, { user_id: userId });
    this.user(userId);
    return this.repo.userGroups(userId).map((id) => this.group(id));
  }

  // ---------- roles
  role(id: string): RoleRow {
    const r = this.repo.getRole(id);
    if (!r) throw notFound(`Could not find role: ${id}.`);
    return r;
  }
  listRoles(ctx: RequestContext, filter: { name?: string } = {}): RoleRow[] {
    keystonePolicy.enforce('identity:list_roles', ctx);
    return this.repo.listRoles().filter((r) => filter.name === undefined || r.name === filter.name);
  }
  getRole(ctx: RequestContext, id: string): RoleRow {
    const r = this.role(id);
    keystonePolicy.enforce('identity:get_role', ctx);
    return r;
  }
  createRole(
    ctx: RequestContext,
    input: { name: string; description?: string | null; options?: Record<string, unknown> },
  ): RoleRow {
    keystonePolicy.enforce('identity:create_role', ctx);
    const r: RoleRow = {
      id: newId(),
      name: input.name,
      domainId: null,
      description: input.description ?? null,
      options: input.options ?? {},
    };
    this.unique(
      () => this.repo.insertRole(r),
      `Conflict occurred attempting to store role - Duplicate entry found with name ${r.name}.`,
    );
    return r;
  }
  updateRole(
    ctx: RequestContext,
    id: string,
    patch: { name?: string; description?: string | null },
  ): RoleRow {
    keystonePolicy.enforce('identity:update_role', ctx);
    const old = this.role(id);
    if (old.options.immutable === true)
      throw forbiddenAction(`Role ${id} is immutable and cannot be modified.`);
    const r = { ...old, ...patch };
    this.unique(
      () => this.repo.updateRole(r),
      `Conflict occurred attempting to store role - Duplicate entry found with name ${r.name}.`,
    );
    return r;
  }
  deleteRole(ctx: RequestContext, id: string): void {
    keystonePolicy.enforce('identity:delete_role', ctx);
    const r = this.role(id);
    if (r.options.immutable === true)
      throw forbiddenAction(`Role ${id} is immutable and cannot be modified.`);
    this.repo.deleteRole(id);
    this.changed({ kind: 'grants-changed' });
  }
  /** A role with every role it implies, transitively (admin ⇒ member ⇒ reader). */
  expandImplied(roleIds: Iterable<string>): string[] {
    const implied = this.repo.impliedRoles();
    const out = new Set<string>();
    const stack = [...roleIds];
    while (stack.length) {
      const id = stack.pop()!;
      if (out.has(id)) continue;
      out.add(id);
      for (const i of implied) if (i.prior === id) stack.push(i.implied);
    }
    return [...out];
  }

  // ---------- assignments
  private checkGrant(g: Grant): void {
    this.role(g.roleId);
    if (g.actor.type === 'user') this.user(g.actor.id);
    else this.group(g.actor.id);
    if (g.scope.type === 'project') this.project(g.scope.id);
    else if (g.scope.type === 'domain') this.domain(g.scope.id);
  }
  grant(ctx: RequestContext, g: Grant): void {
    keystonePolicy.enforce('identity:create_grant', ctx);
    this.checkGrant(g);
    this.repo.addAssignment(rowOf(g));
    this.changed({ kind: 'grants-changed' });
  }
  checkGrantExists(ctx: RequestContext, g: Grant): void {
    keystonePolicy.enforce('identity:check_grant', ctx);
    this.checkGrant(g);
    if (!this.repo.hasAssignment(rowOf(g)))
      throw notFound(
        `Could not find role assignment with role: ${g.roleId}, user or group: ${g.actor.id}, project, domain, or system: ${g.scope.type === 'system' ? 'system' : g.scope.id}.`,
      );
  }
  revoke(ctx: RequestContext, g: Grant): void {
    keystonePolicy.enforce('identity:revoke_grant', ctx);
    this.checkGrant(g);
    if (!this.repo.removeAssignment(rowOf(g)))
      throw notFound(
        `Could not find role assignment with role: ${g.roleId}, user or group: ${g.actor.id}, project, domain, or system: ${g.scope.type === 'system' ? 'system' : g.scope.id}.`,
      );
    this.changed({ kind: 'grants-changed' });
  }
  listGrantRoles(ctx: RequestContext, g: Omit<Grant, 'roleId'>): RoleRow[] {
    keystonePolicy.enforce('identity:list_grants', ctx);
    const target = g.scope.type === 'system' ? 'system' : g.scope.id;
    const type = typeOf({ ...g, roleId: '' });
    return this.repo
      .assignmentsOfActors([g.actor.id])
      .filter((a) => a.type === type && a.targetId === target && a.inherited === g.inherited)
      .map((a) => this.role(a.roleId));
  }
  /** Assignments that apply to a user: its own and its groups'. */
  effectiveAssignments(userId: string): AssignmentRow[] {
    return this.repo.assignmentsOfActors([userId, ...this.repo.userGroups(userId)]);
  }
  /** Role ids a user holds on a scope, implied roles included; empty = no access. */
  rolesOn(userId: string, scope: { type: 'project' | 'domain'; id: string } | { type: 'system' }): string[] {
    const project = scope.type === 'project' ? this.repo.getProject(scope.id) : undefined;
    const direct = this.effectiveAssignments(userId).filter((a) => {
      if (scope.type === 'system') return a.type.endsWith('System');
      if (scope.type === 'domain')
        return a.type.endsWith('Domain') && a.targetId === scope.id && !a.inherited;
      if (a.type.endsWith('Project')) return a.targetId === scope.id && !a.inherited;
      // Roles inherited from the project's domain (OS-INHERIT) apply to its projects.
      return a.type.endsWith('Domain') && a.inherited && a.targetId === project?.domainId;
    });
    return this.expandImplied(direct.map((a) => a.roleId));
  }
  listAssignments(ctx: RequestContext, f: AssignmentFilter): AssignmentRow[] {
    keystonePolicy.enforce('identity:list_role_assignments', ctx);
    let rows = this.repo.listAssignments();
    if (f.effective) {
      // Group grants become one grant per member; implied roles are added.
      const expanded: AssignmentRow[] = [];
      for (const a of rows) {
        const users = a.type.startsWith('Group') ? this.repo.groupMembers(a.actorId) : [a.actorId];
        const type = a.type.replace('Group', 'User') as AssignmentType;
        for (const u of users)
          for (const r of this.expandImplied([a.roleId]))
            expanded.push({ ...a, type, actorId: u, roleId: r });
      }
      const seen = new Set<string>();
      rows = expanded.filter((a) => {
        const k = `${a.type}/${a.actorId}/${a.targetId}/${a.roleId}/${a.inherited}`;
        return seen.has(k) ? false : (seen.add(k), true);
      });
    }
    return rows.filter(
      (a) =>
        (f.userId === undefined || (a.type.startsWith('User') && a.actorId === f.userId)) &&
        (f.groupId === undefined || (a.type.startsWith('Group') && a.actorId === f.groupId)) &&
        (f.roleId === undefined || a.roleId === f.roleId) &&
        (f.projectId === undefined || (a.type.endsWith('Project') && a.targetId === f.projectId)) &&
        (f.domainId === undefined || (a.type.endsWith('Domain') && a.targetId === f.domainId)) &&
        (f.system === undefined || a.type.endsWith('System') === f.system),
    );
  }

  private unique(write: () => void, message: string): void {
    try {
      write();
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict(message);
      throw e;
    }
  }
}

// Keystone answers these with 403 ForbiddenAction.
function forbiddenAction(message: string) {
  return forbidden(message);
}
