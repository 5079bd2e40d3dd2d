// Keystone v3 routes: thin handlers over services/keystone.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, notFound } from '../../services/errors.js';
import { type Grant, type Keystone, TokenInvalid } from '../../services/keystone/index.js';
import type { RequestContext } from '../../services/policy.js';
import { authenticate } from '../auth.js';
import { baseUrl, header } from '../http.js';
import * as schema from './schemas.js';
import {
  domainView,
  endpointView,
  groupView,
  listLinks,
  projectView,
  regionView,
  roleView,
  serviceView,
  tokenView,
  userView,
} from './views.js';

type Body = Record<string, Record<string, unknown>>;
type Params = Record<string, string>;
type Query = Record<string, string | string[] | undefined>;

const q = (request: FastifyRequest, key: string): string | undefined => {
  const v = (request.query as Query)[key];
  return Array.isArray(v) ? v[0] : v;
};
const qBool = (request: FastifyRequest, key: string): boolean | undefined => {
  const v = q(request, key);
  if (v === undefined) return undefined;
  return !['false', '0', 'no', 'off'].includes(v.toLowerCase());
};
const has = (o: Record<string, unknown>, k: string) => Object.hasOwn(o, k);

export const keystoneVersion = (base: string) => ({
  id: 'v3.14',
  status: 'stable',
  updated: '2020-04-07T00:00:00Z',
  links: [{ rel: 'self', href: `${base}/v3/` }],
  'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
});

export function keystoneRoutes(app: FastifyInstance, ks: Keystone): void {
  const { identity, catalog, tokens } = ks;
  const auth = (r: FastifyRequest): RequestContext => authenticate(tokens, r);

  // ---- version discovery
  app.get('/', async (request, reply) => {
    const base = baseUrl(request);
    reply.code(300).header('Location', `${base}/v3/`);
    return { versions: { values: [keystoneVersion(base)] } };
  });
  for (const path of ['/v3', '/v3/'])
    app.get(path, async (request) => ({ version: keystoneVersion(baseUrl(request)) }));

  // ---- tokens
  app.post('/v3/auth/tokens', async (request, reply) => {
    const body = request.body as { auth?: unknown } | undefined;
    if (body === undefined || typeof body !== 'object' || body === null)
      throw badRequest(
        'Expecting to find auth in request body. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.',
      );
    const data = await tokens.issue(body.auth);
    reply.code(201).header('X-Subject-Token', data.id);
    return tokenView(data, q(request, 'nocatalog') !== undefined ? null : tokens.catalogFor(data));
  });
  const subject = (request: FastifyRequest) => {
    const ctx = auth(request);
    const id = header(request, 'x-subject-token');
    if (!id) throw notFound('Could not find token: None.');
    try {
      const data = tokens.validate(id);
      tokens.checkValidatePolicy(ctx, data);
      return data;
    } catch (e) {
      if (e instanceof TokenInvalid) throw notFound(e.message);
      throw e;
    }
  };
  app.get('/v3/auth/tokens', async (request, reply) => {
    const data = subject(request);
    reply.header('X-Subject-Token', data.id);
    return tokenView(data, q(request, 'nocatalog') !== undefined ? null : tokens.catalogFor(data));
  });
  // HEAD /v3/auth/tokens comes from the GET route (Fastify answers HEAD with the GET's headers).
  app.delete('/v3/auth/tokens', async (request, reply) => {
    const ctx = auth(request);
    const id = header(request, 'x-subject-token');
    if (!id) throw notFound('Could not find token: None.');
    try {
      tokens.revoke(ctx, id);
    } catch (e) {
      if (e instanceof TokenInvalid) throw notFound(e.message);
      throw e;
    }
    reply.code(204).send();
  });
  app.get('/v3/auth/catalog', async (request) => {
    const ctx = auth(request);
    const data = tokens.validate(ctx.token);
    return { catalog: tokens.catalogFor(data), links: listLinks(baseUrl(request), '/v3/auth/catalog') };
  });
  app.get('/v3/auth/projects', async (request) => {
    const ctx = auth(request);
    const base = baseUrl(request);
    return {
      projects: identity
        .projectsOfUser(ctx.userId)
        .filter((p) => p.enabled)
        .map((p) => projectView(base, p)),
      links: listLinks(base, '/v3/auth/projects'),
    };
  });
  app.get('/v3/auth/domains', async (request) => {
    const ctx = auth(request);
    const base = baseUrl(request);
    const ids = new Set(
      identity
        .effectiveAssignments(ctx.userId)
        .filter((a) => a.type.endsWith('Domain'))
        .map((a) => a.targetId),
    );
    return {
      domains: identity.repo
        .listDomains()
        .filter((d) => ids.has(d.id))
        .map((d) => domainView(base, d)),
      links: listLinks(base, '/v3/auth/domains'),
    };
  });
  app.get('/v3/auth/system', async (request) => {
    const ctx = auth(request);
    const system = identity.rolesOn(ctx.userId, { type: 'system' }).length > 0 ? [{ all: true }] : [];
    return { system, links: listLinks(baseUrl(request), '/v3/auth/system') };
  });

  // ---- domains
  app.get('/v3/domains', async (request) => {
    const base = baseUrl(request);
    const list = identity.listDomains(auth(request), {
      name: q(request, 'name'),
      enabled: qBool(request, 'enabled'),
    });
    return { domains: list.map((d) => domainView(base, d)), links: listLinks(base, request.url) };
  });
  app.get('/v3/domains/:id', async (request) => ({
    domain: domainView(baseUrl(request), identity.getDomain(auth(request), (request.params as Params).id)),
  }));
  app.post('/v3/domains', { schema: { body: schema.domainCreate } }, async (request, reply) => {
    const d = (request.body as Body).domain;
    const row = identity.createDomain(auth(request), {
      name: d.name as string,
      description: (d.description as string | null) ?? undefined,
      enabled: d.enabled as boolean | undefined,
      tags: d.tags as string[] | undefined,
    });
    reply.code(201);
    return { domain: domainView(baseUrl(request), row) };
  });
  app.patch('/v3/domains/:id', { schema: { body: schema.domainUpdate } }, async (request) => {
    const d = (request.body as Body).domain;
    const patch: Record<string, unknown> = {};
    for (const k of ['name', 'description', 'enabled', 'tags']) if (has(d, k)) patch[k] = d[k] ?? '';
    return {
      domain: domainView(
        baseUrl(request),
        identity.updateDomain(auth(request), (request.params as Params).id, patch),
      ),
    };
  });
  app.delete('/v3/domains/:id', async (request, reply) => {
    identity.deleteDomain(auth(request), (request.params as Params).id);
    reply.code(204).send();
  });

  // ---- projects
  app.get('/v3/projects', async (request) => {
    const base = baseUrl(request);
    const list = identity.listProjects(auth(request), {
      name: q(request, 'name'),
      domainId: q(request, 'domain_id'),
      enabled: qBool(request, 'enabled'),
      parentId: q(request, 'parent_id'),
    });
    return { projects: list.map((p) => projectView(base, p)), links: listLinks(base, request.url) };
  });
  app.get('/v3/projects/:id', async (request) => ({
    project: projectView(baseUrl(request), identity.getProject(auth(request), (request.params as Params).id)),
  }));
  app.post('/v3/projects', { schema: { body: schema.projectCreate } }, async (request, reply) => {
    const p = (request.body as Body).project;
    const row = identity.createProject(auth(request), {
      name: p.name as string,
      domainId: (p.domain_id as string | undefined) ?? undefined,
      description: (p.description as string | null) ?? undefined,
      enabled: p.enabled as boolean | undefined,
      parentId: (p.parent_id as string | null) ?? undefined,
      tags: p.tags as string[] | undefined,
    });
    reply.code(201);
    return { project: projectView(baseUrl(request), row) };
  });
  app.patch('/v3/projects/:id', { schema: { body: schema.projectUpdate } }, async (request) => {
    const p = (request.body as Body).project;
    const patch: Record<string, unknown> = {};
    for (const k of ['name', 'description', 'enabled', 'tags']) if (has(p, k)) patch[k] = p[k] ?? '';
    return {
      project: projectView(
        baseUrl(request),
        identity.updateProject(auth(request), (request.params as Params).id, patch),
      ),
    };
  });
  app.delete('/v3/projects/:id', async (request, reply) => {
    identity.deleteProject(auth(request), (request.params as Params).id);
    reply.code(204).send();
  });

  // ---- users
  app.get('/v3/users', async (request) => {
    const base = baseUrl(request);
    const list = identity.listUsers(auth(request), {
      name: q(request, 'name'),
      domainId: q(request, 'domain_id'),
      enabled: qBool(request, 'enabled'),
    });
    return { users: list.map((u) => userView(base, u)), links: listLinks(base, request.url) };
  });
  app.get('/v3/users/:id', async (request) => ({
    user: userView(baseUrl(request), identity.getUser(auth(request), (request.params as Params).id)),
  }));
  app.post('/v3/users', { schema: { body: schema.userCreate } }, async (request, reply) => {
    const u = (request.body as Body).user;
    const row = await identity.createUser(auth(request), {
      name: u.name as string,
      domainId: u.domain_id as string | undefined,
      password: u.password as string | null | undefined,
      enabled: u.enabled as boolean | undefined,
      defaultProjectId: u.default_project_id as string | null | undefined,
      description: u.description as string | null | undefined,
      email: u.email as string | null | undefined,
    });
    reply.code(201);
    return { user: userView(baseUrl(request), row) };
  });
  app.patch('/v3/users/:id', { schema: { body: schema.userUpdate } }, async (request) => {
    const u = (request.body as Body).user;
    const patch: Parameters<typeof identity.updateUser>[2] = {};
    if (has(u, 'name')) patch.name = u.name as string;
    if (has(u, 'enabled')) patch.enabled = u.enabled as boolean;
    if (typeof u.password === 'string') patch.password = u.password;
    if (has(u, 'default_project_id')) patch.defaultProjectId = u.default_project_id as string | null;
    if (has(u, 'description')) patch.description = u.description as string | null;
    if (has(u, 'email')) patch.email = u.email as string | null;
    return {
      user: userView(
        baseUrl(request),
        await identity.updateUser(auth(request), (request.params as Params).id, patch),
      ),
    };
  });
  app.delete('/v3/users/:id', async (request, reply) => {
    identity.deleteUser(auth(request), (request.params as Params).id);
    reply.code(204).send();
  });
  app.post('/v3/users/:id/password', { schema: { body: schema.passwordChange } }, async (request, reply) => {
    const u = (request.body as Body).user;
    await identity.changePassword(
      auth(request),
      (request.params as Params).id,
      u.original_password as string,
      u.password as string,
    );
    reply.code(204).send();
  });
  app.get('/v3/users/:id/projects', async (request) => {
    const base = baseUrl(request);
    const list = identity.listUserProjects(auth(request), (request.params as Params).id);
    return { projects: list.map((p) => projectView(base, p)), links: listLinks(base, request.url) };
  });
  app.get('/v3/users/:id/groups', async (request) => {
    const base = baseUrl(request);
    const list = identity.listGroupsForUser(auth(request), (request.params as Params).id);
    return { groups: list.map((g) => groupView(base, g)), links: listLinks(base, request.url) };
  });

  // ---- groups
  app.get('/v3/groups', async (request) => {
    const base = baseUrl(request);
    const list = identity.listGroups(auth(request), {
      name: q(request, 'name'),
      domainId: q(request, 'domain_id'),
    });
    return { groups: list.map((g) => groupView(base, g)), links: listLinks(base, request.url) };
  });
  app.get('/v3/groups/:id', async (request) => ({
    group: groupView(baseUrl(request), identity.getGroup(auth(request), (request.params as Params).id)),
  }));
  app.post('/v3/groups', { schema: { body: schema.groupCreate } }, async (request, reply) => {
    const g = (request.body as Body).group;
    const row = identity.createGroup(auth(request), {
      name: g.name as string,
      domainId: g.domain_id as string | undefined,
      description: (g.description as string | null) ?? undefined,
    });
    reply.code(201);
    return { group: groupView(baseUrl(request), row) };
  });
  app.patch('/v3/groups/:id', { schema: { body: schema.groupUpdate } }, async (request) => {
    const g = (request.body as Body).group;
    const patch: { name?: string; description?: string } = {};
    if (has(g, 'name')) patch.name = g.name as string;
    if (has(g, 'description')) patch.description = (g.description as string | null) ?? '';
    return {
      group: groupView(
        baseUrl(request),
        identity.updateGroup(auth(request), (request.params as Params).id, patch),
      ),
    };
  });
  app.delete('/v3/groups/:id', async (request, reply) => {
    identity.deleteGroup(auth(request), (request.params as Params).id);
    reply.code(204).send();
  });
  app.get('/v3/groups/:id/users', async (request) => {
    const base = baseUrl(request);
    const list = identity.listUsersInGroup(auth(request), (request.params as Params).id);
    return { users: list.map((u) => userView(base, u)), links: listLinks(base, request.url) };
  });
  app.put('/v3/groups/:gid/users/:uid', async (request, reply) => {
    const p = request.params as Params;
    identity.addUserToGroup(auth(request), p.gid, p.uid);
    reply.code(204).send();
  });
  app.head('/v3/groups/:gid/users/:uid', async (request, reply) => {
    const p = request.params as Params;
    identity.checkUserInGroup(auth(request), p.gid, p.uid);
    reply.code(204).send();
  });
  app.delete('/v3/groups/:gid/users/:uid', async (request, reply) => {
    const p = request.params as Params;
    identity.removeUserFromGroup(auth(request), p.gid, p.uid);
    reply.code(204).send();
  });

  // ---- roles
  app.get('/v3/roles', async (request) => {
    const base = baseUrl(request);
    const list = identity.listRoles(auth(request), { name: q(request, 'name') });
    return { roles: list.map((r) => roleView(base, r)), links: listLinks(base, request.url) };
  });
  app.get('/v3/roles/:id', async (request) => ({
    role: roleView(baseUrl(request), identity.getRole(auth(request), (request.params as Params).id)),
  }));
  app.post('/v3/roles', { schema: { body: schema.roleCreate } }, async (request, reply) => {
    const r = (request.body as Body).role;
    const row = identity.createRole(auth(request), {
      name: r.name as string,
      description: r.description as string | null | undefined,
      options: r.options as Record<string, unknown> | undefined,
    });
    reply.code(201);
    return { role: roleView(baseUrl(request), row) };
  });
  app.patch('/v3/roles/:id', { schema: { body: schema.roleUpdate } }, async (request) => {
    const r = (request.body as Body).role;
    const patch: { name?: string; description?: string | null } = {};
    if (has(r, 'name')) patch.name = r.name as string;
    if (has(r, 'description')) patch.description = r.description as string | null;
    return {
      role: roleView(
        baseUrl(request),
        identity.updateRole(auth(request), (request.params as Params).id, patch),
      ),
    };
  });
  app.delete('/v3/roles/:id', async (request, reply) => {
    identity.deleteRole(auth(request), (request.params as Params).id);
    reply.code(204).send();
  });

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

  // ---- catalog
  app.get('/v3/regions', async (request) => {
    const base = baseUrl(request);
    return {
      regions: catalog.listRegions(auth(request)).map((r) => regionView(base, r)),
      links: listLinks(base, request.url),
    };
  });
  app.get('/v3/regions/:id', async (request) => ({
    region: regionView(baseUrl(request), catalog.getRegion(auth(request), (request.params as Params).id)),
  }));
  app.post('/v3/regions', { schema: { body: schema.regionCreate } }, async (request, reply) => {
    const r = (request.body as Body).region;
    const row = catalog.createRegion(auth(request), {
      id: r.id as string | undefined,
      description: (r.description as string | null) ?? undefined,
      parentRegionId: r.parent_region_id as string | null | undefined,
    });
    reply.code(201);
    return { region: regionView(baseUrl(request), row) };
  });
  app.delete('/v3/regions/:id', async (request, reply) => {
    catalog.deleteRegion(auth(request), (request.params as Params).id);
    reply.code(204).send();
  });
  app.get('/v3/services', async (request) => {
    const base = baseUrl(request);
    const list = catalog.listServices(auth(request), { type: q(request, 'type'), name: q(request, 'name') });
    return { services: list.map((s) => serviceView(base, s)), links: listLinks(base, request.url) };
  });
  app.get('/v3/services/:id', async (request) => ({
    service: serviceView(baseUrl(request), catalog.getService(auth(request), (request.params as Params).id)),
  }));
  app.post('/v3/services', { schema: { body: schema.serviceCreate } }, async (request, reply) => {
    const s = (request.body as Body).service;
    const row = catalog.createService(auth(request), {
      type: s.type as string,
      name: s.name as string | undefined,
      description: s.description as string | null | undefined,
      enabled: s.enabled as boolean | undefined,
    });
    reply.code(201);
    return { service: serviceView(baseUrl(request), row) };
  });
  app.patch('/v3/services/:id', { schema: { body: schema.serviceUpdate } }, async (request) => {
    const s = (request.body as Body).service;
    const patch: Record<string, unknown> = {};
    for (const k of ['type', 'name', 'description', 'enabled']) if (has(s, k)) patch[k] = s[k];
    return {
      service: serviceView(
        baseUrl(request),
        catalog.updateService(auth(request), (request.params as Params).id, patch),
      ),
    };
  });
  app.delete('/v3/services/:id', async (request, reply) => {
    catalog.deleteService(auth(request), (request.params as Params).id);
    reply.code(204).send();
  });
  app.get('/v3/endpoints', async (request) => {
    const base = baseUrl(request);
    const list = catalog.listEndpoints(auth(request), {
      serviceId: q(request, 'service_id'),
      interface: q(request, 'interface'),
      regionId: q(request, 'region_id'),
    });
    return { endpoints: list.map((e) => endpointView(base, e)), links: listLinks(base, request.url) };
  });
  app.get('/v3/endpoints/:id', async (request) => ({
    endpoint: endpointView(
      baseUrl(request),
      catalog.getEndpoint(auth(request), (request.params as Params).id),
    ),
  }));
  app.post('/v3/endpoints', { schema: { body: schema.endpointCreate } }, async (request, reply) => {
    const e = (request.body as Body).endpoint;
    const row = catalog.createEndpoint(auth(request), {
      serviceId: e.service_id as string,
      interface: e.interface as 'public' | 'internal' | 'admin',
      regionId: (e.region_id as string | null | undefined) ?? (e.region as string | null | undefined) ?? null,
      url: e.url as string,
      enabled: e.enabled as boolean | undefined,
    });
    reply.code(201);
    return { endpoint: endpointView(baseUrl(request), row) };
  });
  app.patch('/v3/endpoints/:id', { schema: { body: schema.endpointUpdate } }, async (request) => {
    const e = (request.body as Body).endpoint;
    const patch: Record<string, unknown> = {};
    const map: Record<string, string> = {
      service_id: 'serviceId',
      interface: 'interface',
      region_id: 'regionId',
      url: 'url',
      enabled: 'enabled',
    };
    for (const [k, v] of Object.entries(map)) if (has(e, k)) patch[v] = e[k];
    return {
      endpoint: endpointView(
        baseUrl(request),
        catalog.updateEndpoint(auth(request), (request.params as Params).id, patch),
      ),
    };
  });
  app.delete('/v3/endpoints/:id', async (request, reply) => {
    catalog.deleteEndpoint(auth(request), (request.params as Params).id);
    reply.code(204).send();
  });
}
