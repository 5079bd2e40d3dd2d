// The Network API v2.0 routes: thin handlers over services/neutron. Each collection gets list,
// show, create (one or bulk), update and delete from one table; the odd ones (router
// interfaces, quotas, tags, extensions) follow.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ServiceError } from '../../services/errors.js';
import { neutronErrors } from '../../services/neutron/errors.js';
import type { Neutron } from '../../services/neutron/index.js';
import type { RequestContext } from '../../services/policy.js';
import { baseUrl } from '../http.js';
import { createBodies, listAnswer, queryOf, selectFields, updateBody } from './collection.js';

type Params = Record<string, string>;
type Item = Record<string, unknown>;

interface Collection {
  path: string;
  collection: string;
  resource: string;
  list: (ctx: RequestContext, filters: Record<string, string[]>) => unknown[];
  get: (ctx: RequestContext, id: string) => unknown;
  create?: (ctx: RequestContext, body: unknown) => unknown;
  update?: (ctx: RequestContext, id: string, body: unknown) => unknown;
  remove?: (ctx: RequestContext, id: string) => void;
}

const V = '/v2.0';
const ctxOf = (r: FastifyRequest) => r.ctx as RequestContext;

export function neutronRoutes(app: FastifyInstance, n: Neutron): void {
  const collections: Collection[] = [
    {
      path: 'networks',
      collection: 'networks',
      resource: 'network',
      list: n.listNetworks,
      get: n.getNetwork,
      create: n.createNetwork,
      update: n.updateNetwork,
      remove: n.deleteNetwork,
    },
    {
      path: 'subnets',
      collection: 'subnets',
      resource: 'subnet',
      list: n.listSubnets,
      get: n.getSubnet,
      create: n.createSubnet,
      update: n.updateSubnet,
      remove: n.deleteSubnet,
    },
    {
      path: 'ports',
      collection: 'ports',
      resource: 'port',
      list: n.listPorts,
      get: n.getPort,
      create: n.createPort,
      update: n.updatePort,
      remove: n.deletePort,
    },
    {
      path: 'routers',
      collection: 'routers',
      resource: 'router',
      list: n.listRouters,
      get: n.getRouter,
      create: n.createRouter,
      update: n.updateRouter,
      remove: n.deleteRouter,
    },
    {
      path: 'floatingips',
      collection: 'floatingips',
      resource: 'floatingip',
      list: n.listFloatingIps,
      get: n.getFloatingIp,
      create: n.createFloatingIp,
      update: n.updateFloatingIp,
      remove: n.deleteFloatingIp,
    },
    {
      path: 'security-groups',
      collection: 'security_groups',
      resource: 'security_group',
      list: n.listSecurityGroups,
      get: n.getSecurityGroup,
      create: n.createSecurityGroup,
      update: n.updateSecurityGroup,
      remove: n.deleteSecurityGroup,
    },
    {
      path: 'security-group-rules',
      collection: 'security_group_rules',
      resource: 'security_group_rule',
      list: n.listSecurityGroupRules,
      get: n.getSecurityGroupRule,
      create: n.createSecurityGroupRule,
      remove: n.deleteSecurityGroupRule,
    },
    {
      path: 'qos/policies',
      collection: 'policies',
      resource: 'policy',
      list: n.listQosPolicies,
      get: n.getQosPolicy,
      create: n.createQosPolicy,
      update: n.updateQosPolicy,
      remove: n.deleteQosPolicy,
    },
    {
      path: 'agents',
      collection: 'agents',
      resource: 'agent',
      list: n.listAgents,
      get: n.getAgent,
      update: n.updateAgent,
      remove: n.deleteAgent,
    },
    {
      path: 'network-ip-availabilities',
      collection: 'network_ip_availabilities',
      resource: 'network_ip_availability',
      list: (ctx, f) => n.ipAvailabilities(ctx, f),
      get: (ctx, id) => n.ipAvailability(ctx, id),
    },
  ];

  // enable_security_group = False removes the extension and its resources (sg_rpc).
  const securityGroups = n.config.enableSecurityGroup;
  for (const c of collections) {
    if (!securityGroups && c.path.startsWith('security-group')) continue;
    const base = `${V}/${c.path}`;
    app.get(base, async (request) => {
      const q = queryOf(request);
      return listAnswer(request, c.collection, c.list(ctxOf(request), q) as Item[], q);
    });
    app.get(`${base}/:id`, async (request) => {
      const q = queryOf(request);
      const item = c.get(ctxOf(request), (request.params as Params).id) as Item;
      return { [c.resource]: selectFields(item, q.fields) };
    });
    const create = c.create;
    if (create)
      app.post(base, async (request, reply) => {
        const ctx = ctxOf(request);
        const { items, bulk } = createBodies(request.body, c.resource, c.collection);
        reply.code(201);
        if (!bulk) return { [c.resource]: create(ctx, items[0]) };
        return { [c.collection]: n.atomically(() => items.map((i) => create(ctx, i))) };
      });
    const update = c.update;
    if (update)
      app.put(`${base}/:id`, async (request) => {
        const id = (request.params as Params).id;
        checkRevision(request, () => c.get(ctxOf(request), id));
        return { [c.resource]: update(ctxOf(request), id, updateBody(request.body, c.resource)) };
      });
    const remove = c.remove;
    if (remove)
      app.delete(`${base}/:id`, async (request, reply) => {
        checkRevision(request, () => c.get(ctxOf(request), (request.params as Params).id));
        remove(ctxOf(request), (request.params as Params).id);
        reply.code(204);
        return reply.send();
      });
  }

  // --- router interfaces
  app.put(`${V}/routers/:id/add_router_interface`, async (request) =>
    n.addRouterInterface(ctxOf(request), (request.params as Params).id, request.body),
  );
  app.put(`${V}/routers/:id/remove_router_interface`, async (request) =>
    n.removeRouterInterface(ctxOf(request), (request.params as Params).id, request.body),
  );

  app.put(`${V}/routers/:id/add_extraroutes`, async (request) => ({
    router: n.addExtraRoutes(ctxOf(request), (request.params as Params).id, request.body),
  }));
  app.put(`${V}/routers/:id/remove_extraroutes`, async (request) => ({
    router: n.removeExtraRoutes(ctxOf(request), (request.params as Params).id, request.body),
  }));

  // --- QoS bandwidth limit rules and rule types
  const rules = `${V}/qos/policies/:policy/bandwidth_limit_rules`;
  app.get(rules, async (request) => {
    const q = queryOf(request);
    const items = n.listBandwidthLimitRules(ctxOf(request), (request.params as Params).policy) as Item[];
    return listAnswer(request, 'bandwidth_limit_rules', items, q);
  });
  app.get(`${rules}/:id`, async (request) => {
    const p = request.params as Params;
    return { bandwidth_limit_rule: n.getBandwidthLimitRule(ctxOf(request), p.policy, p.id) };
  });
  app.post(rules, async (request, reply) => {
    const p = request.params as Params;
    const body = createBodies(request.body, 'bandwidth_limit_rule', 'bandwidth_limit_rules').items[0];
    reply.code(201);
    return { bandwidth_limit_rule: n.createBandwidthLimitRule(ctxOf(request), p.policy, body) };
  });
  app.put(`${rules}/:id`, async (request) => {
    const p = request.params as Params;
    const body = updateBody(request.body, 'bandwidth_limit_rule');
    return { bandwidth_limit_rule: n.updateBandwidthLimitRule(ctxOf(request), p.policy, p.id, body) };
  });
  app.delete(`${rules}/:id`, async (request, reply) => {
    const p = request.params as Params;
    n.deleteBandwidthLimitRule(ctxOf(request), p.policy, p.id);
    reply.code(204);
    return reply.send();
  });
  app.get(`${V}/qos/rule-types`, async () => ({ rule_types: n.qosRuleTypes() }));

  // --- quotas
  app.get(`${V}/quotas`, async (request) => ({ quotas: n.listQuotas(ctxOf(request)) }));
  app.get(`${V}/quotas/:project`, async (request) => ({
    quota: n.showQuota(ctxOf(request), (request.params as Params).project),
  }));
  app.get(`${V}/quotas/:project/details`, async (request) => ({
    quota: n.quotaDetails(ctxOf(request), (request.params as Params).project),
  }));
  app.get(`${V}/quotas/:project/default`, async (request) => ({
    quota: n.defaultQuota(ctxOf(request), (request.params as Params).project),
  }));
  app.put(`${V}/quotas/:project`, async (request) => ({
    quota: n.updateQuota(
      ctxOf(request),
      (request.params as Params).project,
      updateBody(request.body, 'quota'),
    ),
  }));
  app.delete(`${V}/quotas/:project`, async (request, reply) => {
    n.resetQuota(ctxOf(request), (request.params as Params).project);
    reply.code(204);
    return reply.send();
  });

  // --- tags
  const tagged = `${V}/:collection/:id/tags`;
  const tagsOf = (request: FastifyRequest) => request.params as Params;
  app.get(tagged, async (request) => {
    const p = tagsOf(request);
    return { tags: n.getTags(ctxOf(request), p.collection, p.id) };
  });
  app.put(tagged, async (request) => {
    const p = tagsOf(request);
    const body = request.body as { tags?: unknown } | undefined;
    if (!body || !Array.isArray(body.tags))
      throw neutronErrors.httpBadRequest("Invalid tags body: 'tags' is required");
    return { tags: n.setTags(ctxOf(request), p.collection, p.id, () => body.tags as string[]) };
  });
  app.delete(tagged, async (request, reply) => {
    const p = tagsOf(request);
    n.setTags(ctxOf(request), p.collection, p.id, () => []);
    reply.code(204);
    return reply.send();
  });
  app.get(`${tagged}/:tag`, async (request, reply) => {
    const p = tagsOf(request);
    if (!n.getTags(ctxOf(request), p.collection, p.id).includes(p.tag))
      throw neutronErrors.tagNotFound(p.tag, p.id);
    reply.code(204);
    return reply.send();
  });
  app.put(`${tagged}/:tag`, async (request, reply) => {
    const p = tagsOf(request);
    n.setTags(ctxOf(request), p.collection, p.id, (t) => [...t, p.tag]);
    reply.code(201);
    return reply.send();
  });
  app.delete(`${tagged}/:tag`, async (request, reply) => {
    const p = tagsOf(request);
    if (!n.getTags(ctxOf(request), p.collection, p.id).includes(p.tag))
      throw neutronErrors.tagNotFound(p.tag, p.id);
    n.setTags(ctxOf(request), p.collection, p.id, (t) => t.filter((x) => x !== p.tag));
    reply.code(204);
    return reply.send();
  });

  // --- extensions and availability zones
  app.get(`${V}/extensions`, async () => ({ extensions: n.extensions() }));
  app.get(`${V}/extensions/:alias`, async (request) => {
    const alias = (request.params as Params).alias;
    const e = n.extensions().find((x) => x.alias === alias);
    if (!e) throw neutronErrors.extensionNotFound(alias);
    return { extension: e };
  });
  app.get(`${V}/availability_zones`, async (request) => {
    const q = queryOf(request);
    return listAnswer(request, 'availability_zones', n.availabilityZones(), q);
  });
  for (const p of [V, `${V}/`])
    app.get(p, async (request) => ({
      resources: collections.map((c) => ({
        name: c.resource,
        collection: c.collection,
        links: [{ rel: 'self', href: `${baseUrl(request)}${V}/${c.path}` }],
      })),
    }));
}

/**
 * revision-if-match: `If-Match: revision_number=N` makes a PUT or DELETE conditional on the
 * resource's revision (412 RevisionNumberConstraintFailed otherwise).
 */
function checkRevision(request: FastifyRequest, current: () => unknown): void {
  const h = request.headers['if-match'];
  const m = /revision_number=(\d+)/.exec(Array.isArray(h) ? h[0] : (h ?? ''));
  if (!m) return;
  const now = (current() as { revision_number?: number }).revision_number;
  if (now !== Number(m[1]))
    throw new ServiceError(
      'Conflict',
      `Constrained to ${m[1]}, but current revision is ${now}`,
      'RevisionNumberConstraintFailed',
      412,
    );
}
