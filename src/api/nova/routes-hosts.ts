// The admin and information calls: os-hypervisors, os-services, os-availability-zone, limits,
// os-quota-sets, os-aggregates.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, notFound } from '../../services/errors.js';
import {
  DEFAULT_AZ,
  hypervisorOf,
  type Nova,
  novaPolicy,
  QUOTA_DEFAULTS,
  type QuotaSet,
  uptimeLine,
} from '../../services/nova/index.js';
import { isAdmin, type RequestContext } from '../../services/policy.js';
import { pyRepr } from '../http.js';
import { mv } from './microversion.js';
import { fail, int, wrapped } from './validate.js';
import { apiTime, hypervisorView } from './views.js';

type Obj = Record<string, unknown>;
type Query = Record<string, string | string[] | undefined>;
const ctxOf = (r: FastifyRequest) => r.ctx as RequestContext;
const q1 = (r: FastifyRequest, k: string) => {
  const v = (r.query as Query)[k];
  return Array.isArray(v) ? v[0] : v;
};

/** The quota_set keys of a microversion: 2.36 dropped the network proxies, 2.57 file injection. */
function quotaBody(q: QuotaSet, minor: number): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(q)) {
    if (minor >= 57 && k.startsWith('injected_file')) continue;
    out[k] = v;
  }
  if (minor < 36)
    Object.assign(out, { fixed_ips: -1, floating_ips: -1, security_group_rules: -1, security_groups: -1 });
  return out;
}

export function hostRoutes(app: FastifyInstance, nova: Nova): void {
  // ---- hypervisors
  const hypervisors = () => nova.hosts.nodes.map((n) => hypervisorOf(nova.hosts, n));
  const findHypervisor = (id: string, minor: number) => {
    const h = hypervisors().find((x) => (minor >= 53 ? x.uuid === id : String(x.id) === id));
    if (!h) {
      // From 2.53 ids are UUIDs and anything else is a 400; before, a non-integer is not found.
      if (minor >= 53 && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id))
        throw badRequest(`Invalid uuid ${id}`);
      throw notFound(`Hypervisor with ID '${id}' could not be found.`);
    }
    return h;
  };
  for (const detail of [false, true])
    app.get(detail ? '/v2.1/os-hypervisors/detail' : '/v2.1/os-hypervisors', async (request) => {
      novaPolicy.enforce(`os_compute_api:os-hypervisors:${detail ? 'list-detail' : 'list'}`, ctxOf(request));
      const match = mv(request) >= 53 ? q1(request, 'hypervisor_hostname_pattern') : undefined;
      const rows = hypervisors().filter((h) => match === undefined || h.hostname.includes(match));
      if (match !== undefined && rows.length === 0)
        throw notFound(`Hypervisor with hostname pattern '${match}' could not be found.`);
      // with_servers (2.53+), or the old /os-hypervisors/{pattern}/servers: the instances on each.
      const withServers = mv(request) >= 53 && /^(true|1|yes)$/i.test(q1(request, 'with_servers') ?? '');
      return {
        hypervisors: rows.map((h) => ({
          ...hypervisorView(h, mv(request), detail),
          ...(withServers ? serversOn(h.hostname) : {}),
        })),
      };
    });
  const serversOn = (host: string) => {
    const list = nova.servers.onHost(host).map((i) => ({ name: i.instanceName, uuid: i.uuid }));
    return list.length ? { servers: list } : {};
  };
  app.get('/v2.1/os-hypervisors/:pattern/servers', async (request) => {
    novaPolicy.enforce('os_compute_api:os-hypervisors:list', ctxOf(request));
    if (mv(request) >= 53) throw notFound('The resource could not be found.');
    const { pattern } = request.params as { pattern: string };
    const rows = hypervisors().filter((h) => h.hostname.includes(pattern));
    if (rows.length === 0) throw notFound(`No hypervisor matching '${pattern}' could be found.`);
    return {
      hypervisors: rows.map((h) => ({ ...hypervisorView(h, mv(request), false), ...serversOn(h.hostname) })),
    };
  });
  app.get('/v2.1/os-hypervisors/statistics', async (request) => {
    novaPolicy.enforce('os_compute_api:os-hypervisors:statistics', ctxOf(request));
    if (mv(request) >= 88) throw notFound('The resource could not be found.');
    const hs = hypervisors();
    const sum = (k: keyof (typeof hs)[number]) => hs.reduce((a, h) => a + (h[k] as number), 0);
    return {
      hypervisor_statistics: {
        count: hs.length,
        vcpus: sum('vcpus'),
        memory_mb: sum('memoryMb'),
        local_gb: sum('localGb'),
        vcpus_used: sum('vcpusUsed'),
        memory_mb_used: sum('memoryMbUsed'),
        local_gb_used: sum('localGbUsed'),
        free_ram_mb: sum('freeRamMb'),
        free_disk_gb: sum('freeDiskGb'),
        current_workload: 0,
        running_vms: sum('runningVms'),
        disk_available_least: sum('freeDiskGb'),
      },
    };
  });
  app.get('/v2.1/os-hypervisors/:id', async (request) => {
    novaPolicy.enforce('os_compute_api:os-hypervisors:show', ctxOf(request));
    const { id } = request.params as { id: string };
    const minor = mv(request);
    const h = findHypervisor(id, minor);
    return {
      hypervisor: hypervisorView(
        h,
        minor,
        true,
        minor >= 88 ? uptimeLine(new Date(), nova.hosts.bootedAt, h.runningVms) : undefined,
      ),
    };
  });
  app.get('/v2.1/os-hypervisors/:id/uptime', async (request) => {
    novaPolicy.enforce('os_compute_api:os-hypervisors:uptime', ctxOf(request));
    const { id } = request.params as { id: string };
    if (mv(request) >= 88) throw notFound('The resource could not be found.');
    const h = findHypervisor(id, mv(request));
    return {
      hypervisor: {
        ...hypervisorView(h, mv(request), false),
        uptime: uptimeLine(new Date(), nova.hosts.bootedAt, h.runningVms),
      },
    };
  });
  app.get('/v2.1/os-aggregates', async (request) => {
    novaPolicy.enforce('os_compute_api:os-aggregates:index', ctxOf(request));
    return { aggregates: [] };
  });

  // ---- services
  const serviceView = (s: ReturnType<typeof nova.hosts.services>[number], minor: number) => {
    const v: Obj = {
      id: minor >= 53 ? s.uuid : s.id,
      binary: s.binary,
      disabled_reason: s.disabledReason,
      host: s.host,
      state: nova.hosts.isUp(s) ? 'up' : 'down',
      status: s.disabled ? 'disabled' : 'enabled',
      updated_at:
        nova.hosts
          .updatedAt(s)
          ?.replace(/\.(\d{3})Z$/, '.$1000')
          .replace(/Z$/, '') ?? null,
      zone: s.binary === 'nova-compute' ? DEFAULT_AZ : 'internal',
    };
    if (minor >= 11) v.forced_down = s.forcedDown;
    return v;
  };
  app.get('/v2.1/os-services', async (request) => {
    novaPolicy.enforce('os_compute_api:os-services:list', ctxOf(request));
    const host = q1(request, 'host');
    const binary = q1(request, 'binary');
    return {
      services: nova.hosts
        .services()
        .filter(
          (s) => (host === undefined || s.host === host) && (binary === undefined || s.binary === binary),
        )
        .map((s) => serviceView(s, mv(request))),
    };
  });

  // 2.53+: PUT /os-services/{uuid} {status, disabled_reason, forced_down}.
  app.put('/v2.1/os-services/:id', async (request) => {
    novaPolicy.enforce('os_compute_api:os-services:update', ctxOf(request));
    const { id } = request.params as { id: string };
    const minor = mv(request);
    const body = (request.body ?? {}) as Obj;
    if (minor < 53) {
      // Before 2.53 the id is an action: enable, disable, disable-log-reason, force-down.
      const host = String(body.host ?? '');
      const binary = String(body.binary ?? '');
      const s = nova.hosts.service(host, binary);
      if (!s) throw notFound(`Service ${binary} on host ${host} could not be found.`);
      const change =
        id === 'enable'
          ? { disabled: false }
          : id === 'disable'
            ? { disabled: true }
            : id === 'disable-log-reason'
              ? { disabled: true, disabledReason: String(body.disabled_reason ?? '') }
              : id === 'force-down' && minor >= 11
                ? { forcedDown: body.forced_down === true }
                : null;
      if (!change) throw notFound('The resource could not be found.');
      const u = nova.hosts.setService(s, change);
      return {
        service: {
          host: u.host,
          binary: u.binary,
          status: u.disabled ? 'disabled' : 'enabled',
          ...(id === 'disable-log-reason' ? { disabled_reason: u.disabledReason } : {}),
          ...(id === 'force-down' ? { forced_down: u.forcedDown } : {}),
        },
      };
    }
    const s = nova.hosts.services().find((x) => x.uuid === id);
    if (!s) throw notFound(`Service ${id} could not be found.`);
    if (body.status !== undefined && body.status !== 'enabled' && body.status !== 'disabled')
      throw fail('status', `${pyRepr(body.status)} is not one of ['enabled', 'disabled']`, body.status);
    const u = nova.hosts.setService(s, {
      disabled: body.status === undefined ? undefined : body.status === 'disabled',
      disabledReason: typeof body.disabled_reason === 'string' ? body.disabled_reason : undefined,
      forcedDown: typeof body.forced_down === 'boolean' ? body.forced_down : undefined,
    });
    return { service: serviceView(u, minor) };
  });

  // ---- availability zones
  app.get('/v2.1/os-availability-zone', async (request) => {
    novaPolicy.enforce('os_compute_api:os-availability-zone:list', ctxOf(request));
    const up = nova.hosts
      .services()
      .some((s) => s.binary === 'nova-compute' && !s.disabled && nova.hosts.isUp(s));
    return { availabilityZoneInfo: [{ zoneName: DEFAULT_AZ, zoneState: { available: up }, hosts: null }] };
  });
  app.get('/v2.1/os-availability-zone/detail', async (request) => {
    novaPolicy.enforce('os_compute_api:os-availability-zone:detail', ctxOf(request));
    const zones = new Map<string, Record<string, Record<string, Obj>>>();
    for (const s of nova.hosts.services()) {
      const zone = s.binary === 'nova-compute' ? DEFAULT_AZ : 'internal';
      const hosts = zones.get(zone) ?? {};
      zones.set(zone, hosts);
      hosts[s.host] ??= {};
      hosts[s.host][s.binary] = {
        available: !s.disabled && nova.hosts.isUp(s),
        active: !s.disabled,
        updated_at: apiTime(nova.hosts.updatedAt(s))?.replace('Z', '.000000') ?? null,
      };
    }
    return {
      availabilityZoneInfo: [...zones].map(([zoneName, hosts]) => ({
        zoneName,
        zoneState: { available: Object.values(hosts).some((h) => Object.values(h).some((b) => b.available)) },
        hosts,
      })),
    };
  });

  // ---- limits and quotas
  app.get('/v2.1/limits', async (request) => {
    const ctx = ctxOf(request);
    let project = ctx.projectId ?? '';
    const other = q1(request, 'tenant_id');
    if (other !== undefined && other !== project) {
      novaPolicy.enforce('os_compute_api:limits:other_project', ctx);
      project = other;
    }
    const abs = nova.quotas.absoluteLimits(ctx, project) as Obj;
    if (mv(request) >= 36)
      for (const k of [
        'maxTotalFloatingIps',
        'maxSecurityGroups',
        'maxSecurityGroupRules',
        'totalFloatingIpsUsed',
        'totalSecurityGroupsUsed',
      ])
        delete abs[k];
    if (mv(request) >= 57) for (const k of ['maxPersonality', 'maxPersonalitySize']) delete abs[k];
    return { limits: { rate: [], absolute: abs } };
  });
  app.get('/v2.1/os-quota-sets/:project', async (request) => {
    const { project } = request.params as { project: string };
    return {
      quota_set: { id: project, ...quotaBody(nova.quotas.show(ctxOf(request), project), mv(request)) },
    };
  });
  app.get('/v2.1/os-quota-sets/:project/defaults', async (request) => {
    const { project } = request.params as { project: string };
    novaPolicy.enforce('os_compute_api:os-quota-sets:defaults', ctxOf(request));
    return { quota_set: { id: project, ...quotaBody({ ...QUOTA_DEFAULTS }, mv(request)) } };
  });
  app.get('/v2.1/os-quota-sets/:project/detail', async (request) => {
    const { project } = request.params as { project: string };
    const q = quotaBody(nova.quotas.show(ctxOf(request), project), mv(request));
    const used = nova.quotas.usage(project);
    const inUse: Record<string, number> = { instances: used.instances, cores: used.cores, ram: used.ram };
    return {
      quota_set: {
        id: project,
        ...Object.fromEntries(
          Object.entries(q).map(([k, v]) => [k, { limit: v, in_use: inUse[k] ?? 0, reserved: 0 }]),
        ),
      },
    };
  });
  app.put('/v2.1/os-quota-sets/:project', async (request) => {
    const { project } = request.params as { project: string };
    const body = wrapped(request.body, 'quota_set');
    const changes: Record<string, number> = {};
    for (const k of Object.keys(body)) {
      if (k === 'force') continue;
      if (!(k in QUOTA_DEFAULTS)) throw badRequest(`Bad key(s) ${k} in quota_set`);
      changes[k] = int(body, k, { min: -1 }) as number;
    }
    if (!isAdmin(ctxOf(request))) novaPolicy.enforce('os_compute_api:os-quota-sets:update', ctxOf(request));
    return { quota_set: quotaBody(nova.quotas.update(ctxOf(request), project, changes), mv(request)) };
  });
  app.delete('/v2.1/os-quota-sets/:project', async (request, reply) => {
    const { project } = request.params as { project: string };
    nova.quotas.reset(ctxOf(request), project);
    reply.code(202).send();
  });
}
