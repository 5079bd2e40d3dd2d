// Role grants on projects, domains and the system, and GET /v3/role_assignments.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../../services/errors.js';
import type { Grant, Keystone } from '../../services/keystone/index.js';
import type { RequestContext } from '../../services/policy.js';
import { baseUrl } from '../http.js';
import { type Params, q, qBool } from './request-args.js';
import { listLinks, roleView } from './views.js';

export function grantRoutes(
  app: FastifyInstance,
  ks: Keystone,
  auth: (r: FastifyRequest) => RequestContext,
): void {
  const { identity } = ks;
  // ---- grants: /v3/{projects|domains}/{id}/{users|groups}/{id}/roles[/{role}], /v3/system/{users|groups}/{id}/roles
  const grantOf = (p: Params, roleId: string, inherited = false): Grant => ({
    actor: { type: p.actors === 'users' ? 'user' : 'group', id: p.actor },
    scope:
      p.targets === 'system'
        ? { type: 'system' }
        : { type: p.targets === 'projects' ? 'project' : 'domain', id: p.target },
    roleId,
    inherited,
  });
  const checkActors = (p: Params) => {
    if (p.actors !== 'users' && p.actors !== 'groups') throw notFound('The resource could not be found.');
    if (p.targets !== 'projects' && p.targets !== 'domains' && p.targets !== 'system')
      throw notFound('The resource could not be found.');
  };
  const grantPaths = ['/v3/:targets/:target/:actors/:actor/roles/:role'];
  const systemPaths = ['/v3/:targets/:actors/:actor/roles/:role'];
  for (const path of [...grantPaths, ...systemPaths]) {
    const handle =
      (fn: (ctx: RequestContext, g: Grant) => void) =>
      async (request: FastifyRequest, reply: FastifyReply) => {
        const p = request.params as Params;
        if (!p.target && p.targets !== 'system') throw notFound('The resource could not be found.');
        checkActors(p);
        fn(auth(request), grantOf(p, p.role));
        reply.code(204).send();
      };
    app.put(
      path,
      handle((ctx, g) => identity.grant(ctx, g)),
    );
    app.get(
      path,
      handle((ctx, g) => identity.checkGrantExists(ctx, g)),
    );
    app.delete(
      path,
      handle((ctx, g) => identity.revoke(ctx, g)),
    );
  }
  for (const path of ['/v3/:targets/:target/:actors/:actor/roles', '/v3/:targets/:actors/:actor/roles']) {
    app.get(path, async (request) => {
      const p = request.params as Params;
      checkActors(p);
      const g = grantOf(p, '');
      const base = baseUrl(request);
      const roles = identity.listGrantRoles(auth(request), {
        actor: g.actor,
        scope: g.scope,
        inherited: false,
      });
      return { roles: roles.map((r) => roleView(base, r)), links: listLinks(base, request.url) };
    });
  }

  app.get('/v3/role_assignments', async (request) => {
    const ctx = auth(request);
    const base = baseUrl(request);
    const names = qBool(request, 'include_names') ?? false;
    const rows = identity.listAssignments(ctx, {
      userId: q(request, 'user.id'),
      groupId: q(request, 'group.id'),
      roleId: q(request, 'role.id'),
      projectId: q(request, 'scope.project.id'),
      domainId: q(request, 'scope.domain.id'),
      system: q(request, 'scope.system') !== undefined ? true : undefined,
      effective: q(request, 'effective') !== undefined,
    });
    const ref = (id: string, name: () => { name: string; domainId?: string } | undefined) => {
      if (!names) return { id };
      const n = name();
      if (!n) return { id };
      const out: Record<string, unknown> = { id, name: n.name };
      if (n.domainId !== undefined) {
        const d = identity.repo.getDomain(n.domainId);
        out.domain = { id: n.domainId, name: d?.name ?? n.domainId };
      }
      return out;
    };
    const role_assignments = rows.map((a) => {
      const isUser = a.type.startsWith('User');
      const scopeKind = a.type.endsWith('Project')
        ? 'projects'
        : a.type.endsWith('Domain')
          ? 'domains'
          : 'system';
      const scope =
        scopeKind === 'system'
          ? { system: { all: true } }
          : scopeKind === 'projects'
            ? { project: ref(a.targetId, () => identity.repo.getProject(a.targetId)) }
            : { domain: ref(a.targetId, () => identity.repo.getDomain(a.targetId)) };
      if (a.inherited) (scope as Record<string, unknown>)['OS-INHERIT:inherited_to'] = 'projects';
      const actor = isUser
        ? { user: ref(a.actorId, () => identity.repo.getUser(a.actorId)) }
        : { group: ref(a.actorId, () => identity.repo.getGroup(a.actorId)) };
      const role = ref(a.roleId, () => {
        const r = identity.repo.getRole(a.roleId);
        return r && { name: r.name };
      });
      const link =
        scopeKind === 'system'
          ? `${base}/v3/system/${isUser ? 'users' : 'groups'}/${a.actorId}/roles/${a.roleId}`
          : `${base}/v3/${scopeKind}/${a.targetId}/${isUser ? 'users' : 'groups'}/${a.actorId}/roles/${a.roleId}`;
      return { links: { assignment: link }, scope, ...actor, role };
    });
    return { role_assignments, links: listLinks(base, request.url) };
  });
}
