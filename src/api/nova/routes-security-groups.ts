// Nova's os-security-groups proxy to Neutron (deprecated, gone from 2.36): `openstack server
// add security group` at 2.1 finds the group through it, and `nova list-secgroup` lists a
// server's groups. Shapes from nova/api/openstack/compute/security_groups.py.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound } from '../../services/errors.js';
import type { Nova, NovaSecurityGroup } from '../../services/nova/index.js';
import type { RequestContext } from '../../services/policy.js';
import { mv } from './microversion.js';

const ctxOf = (r: FastifyRequest) => r.ctx as RequestContext;

function groupView(g: NovaSecurityGroup, all: NovaSecurityGroup[]) {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    tenant_id: g.projectId,
    // Nova shows the ingress rules only, in its nova-network words.
    rules: g.rules
      .filter((r) => r.direction === 'ingress')
      .map((r) => {
        const remote = r.remoteGroupId ? all.find((x) => x.id === r.remoteGroupId) : undefined;
        return {
          id: r.id,
          parent_group_id: g.id,
          ip_protocol: r.protocol,
          from_port: r.protocol === null ? null : (r.portMin ?? (r.protocol === 'icmp' ? -1 : 1)),
          to_port: r.protocol === null ? null : (r.portMax ?? (r.protocol === 'icmp' ? -1 : 65535)),
          ip_range: r.remoteIpPrefix ? { cidr: r.remoteIpPrefix } : {},
          group: remote ? { name: remote.name, tenant_id: remote.projectId } : {},
        };
      }),
  };
}

export function securityGroupRoutes(app: FastifyInstance, nova: Nova): void {
  const proxy = (r: FastifyRequest) => {
    if (mv(r) >= 36) throw notFound('The resource could not be found.');
  };
  app.get('/v2.1/os-security-groups', async (request) => {
    proxy(request);
    const all = await nova.network.listSecurityGroups(ctxOf(request));
    return { security_groups: all.map((g) => groupView(g, all)) };
  });
  app.get('/v2.1/os-security-groups/:id', async (request) => {
    proxy(request);
    const { id } = request.params as { id: string };
    const all = await nova.network.listSecurityGroups(ctxOf(request));
    const g = all.find((x) => x.id === id);
    if (!g) throw notFound(`Security group ${id} not found.`);
    return { security_group: groupView(g, all) };
  });
  app.get('/v2.1/servers/:id/os-security-groups', async (request) => {
    const { id } = request.params as { id: string };
    const ctx = ctxOf(request);
    const i = nova.servers.get(ctx, id);
    const all = await nova.network.listSecurityGroups(ctx);
    const ports = await nova.servers.interfaces(ctx, i.uuid);
    const ids = new Set(ports.flatMap((p) => p.securityGroups));
    return { security_groups: all.filter((g) => ids.has(g.id)).map((g) => groupView(g, all)) };
  });
}
