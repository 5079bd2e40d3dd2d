// Keystone's resource collections: domains, projects, users, groups, roles, regions, services,
// endpoints, and the user/group sub-resources.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Keystone } from '../../services/keystone/index.js';
import type { RequestContext } from '../../services/policy.js';
import { baseUrl } from '../http.js';
import { collection } from './collection.js';
import { type Body, type Params, pick, q, qBool } from './request-args.js';
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
  userView,
} from './views.js';

type Item = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const orEmpty = (patch: Item, key: string) => {
  if (Object.hasOwn(patch, key) && patch[key] === null) patch[key] = '';
  return patch;
};

export function resourceRoutes(
  app: FastifyInstance,
  ks: Keystone,
  auth: (r: FastifyRequest) => RequestContext,
): void {
  const { identity, catalog } = ks;

  collection(app, {
    path: '/v3/domains',
    member: 'domain',
    plural: 'domains',
    auth,
    view: domainView,
    list: (ctx, r) => identity.listDomains(ctx, { name: q(r, 'name'), enabled: qBool(r, 'enabled') }),
    get: (ctx, id) => identity.getDomain(ctx, id),
    create: {
      schema: schema.domainCreate,
      run: (ctx, d) =>
        identity.createDomain(ctx, {
          name: d.name as string,
          description: str(d.description),
          enabled: d.enabled as boolean | undefined,
          tags: d.tags as string[] | undefined,
        }),
    },
    update: {
      schema: schema.domainUpdate,
      run: (ctx, id, d) =>
        identity.updateDomain(
          ctx,
          id,
          orEmpty(pick(d, ['name', 'description', 'enabled', 'tags']), 'description'),
        ),
    },
    remove: (ctx, id) => identity.deleteDomain(ctx, id),
  });

  collection(app, {
    path: '/v3/projects',
    member: 'project',
    plural: 'projects',
    auth,
    view: projectView,
    list: (ctx, r) =>
      identity.listProjects(ctx, {
        name: q(r, 'name'),
        domainId: q(r, 'domain_id'),
        enabled: qBool(r, 'enabled'),
        parentId: q(r, 'parent_id'),
      }),
    get: (ctx, id) => identity.getProject(ctx, id),
    create: {
      schema: schema.projectCreate,
      run: (ctx, p) =>
        identity.createProject(ctx, {
          name: p.name as string,
          domainId: str(p.domain_id),
          description: str(p.description),
          enabled: p.enabled as boolean | undefined,
          parentId: str(p.parent_id),
          tags: p.tags as string[] | undefined,
        }),
    },
    update: {
      schema: schema.projectUpdate,
      run: (ctx, id, p) =>
        identity.updateProject(
          ctx,
          id,
          orEmpty(pick(p, ['name', 'description', 'enabled', 'tags']), 'description'),
        ),
    },
    remove: (ctx, id) => identity.deleteProject(ctx, id),
  });

  collection(app, {
    path: '/v3/users',
    member: 'user',
    plural: 'users',
    auth,
    view: userView,
    list: (ctx, r) =>
      identity.listUsers(ctx, {
        name: q(r, 'name'),
        domainId: q(r, 'domain_id'),
        enabled: qBool(r, 'enabled'),
      }),
    get: (ctx, id) => identity.getUser(ctx, id),
    create: {
      schema: schema.userCreate,
      run: (ctx, u) =>
        identity.createUser(ctx, {
          name: u.name as string,
          domainId: str(u.domain_id),
          password: u.password as string | null | undefined,
          enabled: u.enabled as boolean | undefined,
          defaultProjectId: u.default_project_id as string | null | undefined,
          description: u.description as string | null | undefined,
          email: u.email as string | null | undefined,
        }),
    },
    update: {
      schema: schema.userUpdate,
      run: (ctx, id, u) => {
        const patch = pick(u, ['name', 'enabled', 'default_project_id', 'description', 'email'], {
          default_project_id: 'defaultProjectId',
        });
        if (typeof u.password === 'string') patch.password = u.password;
        return identity.updateUser(ctx, id, patch);
      },
    },
    remove: (ctx, id) => identity.deleteUser(ctx, id),
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

  collection(app, {
    path: '/v3/groups',
    member: 'group',
    plural: 'groups',
    auth,
    view: groupView,
    list: (ctx, r) => identity.listGroups(ctx, { name: q(r, 'name'), domainId: q(r, 'domain_id') }),
    get: (ctx, id) => identity.getGroup(ctx, id),
    create: {
      schema: schema.groupCreate,
      run: (ctx, g) =>
        identity.createGroup(ctx, {
          name: g.name as string,
          domainId: str(g.domain_id),
          description: str(g.description),
        }),
    },
    update: {
      schema: schema.groupUpdate,
      run: (ctx, id, g) =>
        identity.updateGroup(ctx, id, orEmpty(pick(g, ['name', 'description']), 'description')),
    },
    remove: (ctx, id) => identity.deleteGroup(ctx, id),
  });
  app.get('/v3/groups/:id/users', async (request) => {
    const base = baseUrl(request);
    const list = identity.listUsersInGroup(auth(request), (request.params as Params).id);
    return { users: list.map((u) => userView(base, u)), links: listLinks(base, request.url) };
  });
  const membership =
    (fn: (ctx: RequestContext, group: string, user: string) => void) =>
    async (request: FastifyRequest, reply: { code(n: number): { send(): unknown } }) => {
      const p = request.params as Params;
      fn(auth(request), p.gid, p.uid);
      reply.code(204).send();
    };
  app.put(
    '/v3/groups/:gid/users/:uid',
    membership((c, g, u) => identity.addUserToGroup(c, g, u)),
  );
  app.head(
    '/v3/groups/:gid/users/:uid',
    membership((c, g, u) => identity.checkUserInGroup(c, g, u)),
  );
  app.delete(
    '/v3/groups/:gid/users/:uid',
    membership((c, g, u) => identity.removeUserFromGroup(c, g, u)),
  );

  collection(app, {
    path: '/v3/roles',
    member: 'role',
    plural: 'roles',
    auth,
    view: roleView,
    list: (ctx, r) => identity.listRoles(ctx, { name: q(r, 'name') }),
    get: (ctx, id) => identity.getRole(ctx, id),
    create: {
      schema: schema.roleCreate,
      run: (ctx, r) =>
        identity.createRole(ctx, {
          name: r.name as string,
          description: r.description as string | null | undefined,
          options: r.options as Item | undefined,
        }),
    },
    update: {
      schema: schema.roleUpdate,
      run: (ctx, id, r) => identity.updateRole(ctx, id, pick(r, ['name', 'description'])),
    },
    remove: (ctx, id) => identity.deleteRole(ctx, id),
  });

  collection(app, {
    path: '/v3/regions',
    member: 'region',
    plural: 'regions',
    auth,
    view: regionView,
    list: (ctx) => catalog.listRegions(ctx),
    get: (ctx, id) => catalog.getRegion(ctx, id),
    create: {
      schema: schema.regionCreate,
      run: (ctx, r) =>
        catalog.createRegion(ctx, {
          id: str(r.id),
          description: str(r.description),
          parentRegionId: r.parent_region_id as string | null | undefined,
        }),
    },
    remove: (ctx, id) => catalog.deleteRegion(ctx, id),
  });

  collection(app, {
    path: '/v3/services',
    member: 'service',
    plural: 'services',
    auth,
    view: serviceView,
    list: (ctx, r) => catalog.listServices(ctx, { type: q(r, 'type'), name: q(r, 'name') }),
    get: (ctx, id) => catalog.getService(ctx, id),
    create: {
      schema: schema.serviceCreate,
      run: (ctx, s) =>
        catalog.createService(ctx, {
          type: s.type as string,
          name: str(s.name),
          description: s.description as string | null | undefined,
          enabled: s.enabled as boolean | undefined,
        }),
    },
    update: {
      schema: schema.serviceUpdate,
      run: (ctx, id, s) =>
        catalog.updateService(ctx, id, pick(s, ['type', 'name', 'description', 'enabled'])),
    },
    remove: (ctx, id) => catalog.deleteService(ctx, id),
  });

  collection(app, {
    path: '/v3/endpoints',
    member: 'endpoint',
    plural: 'endpoints',
    auth,
    view: endpointView,
    list: (ctx, r) =>
      catalog.listEndpoints(ctx, {
        serviceId: q(r, 'service_id'),
        interface: q(r, 'interface'),
        regionId: q(r, 'region_id'),
      }),
    get: (ctx, id) => catalog.getEndpoint(ctx, id),
    create: {
      schema: schema.endpointCreate,
      run: (ctx, e) =>
        catalog.createEndpoint(ctx, {
          serviceId: e.service_id as string,
          interface: e.interface as 'public' | 'internal' | 'admin',
          regionId:
            (e.region_id as string | null | undefined) ?? (e.region as string | null | undefined) ?? null,
          url: e.url as string,
          enabled: e.enabled as boolean | undefined,
        }),
    },
    update: {
      schema: schema.endpointUpdate,
      run: (ctx, id, e) =>
        catalog.updateEndpoint(
          ctx,
          id,
          pick(e, ['service_id', 'interface', 'region_id', 'url', 'enabled'], {
            service_id: 'serviceId',
            region_id: 'regionId',
          }),
        ),
    },
    remove: (ctx, id) => catalog.deleteEndpoint(ctx, id),
  });
}
