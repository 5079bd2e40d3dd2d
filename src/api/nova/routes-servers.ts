// /servers: create, list, show, update, delete, actions, consoles, metadata, ips.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, notFound } from '../../services/errors.js';
import {
  instanceNotFound,
  type NetworkRequest,
  type Nova,
  novaPolicy,
  type RequestedNetwork,
  type ServerFilters,
  type VifInfo,
} from '../../services/nova/index.js';
import { isAdmin, type RequestContext } from '../../services/policy.js';
import { baseUrl, pyRepr } from '../http.js';
import { mv } from './microversion.js';
import { bool, fail, int, isUuid, metadata, str, wrapped } from './validate.js';
import { addressesOf, serverBrief, serverView } from './views.js';

type Obj = Record<string, unknown>;
type Query = Record<string, string | string[] | undefined>;
const ctxOf = (r: FastifyRequest) => r.ctx as RequestContext;
const q1 = (r: FastifyRequest, k: string) => {
  const v = (r.query as Query)[k];
  return Array.isArray(v) ? v[0] : v;
};

function parseNetworks(v: unknown, minor: number): NetworkRequest | undefined {
  if (v === undefined) {
    if (minor >= 37) throw fail('networks', "'networks' is a required property", v);
    return undefined;
  }
  if (minor >= 37 && (v === 'auto' || v === 'none')) return v;
  if (!Array.isArray(v))
    throw fail(
      'networks',
      `${pyRepr(v)} is not of type 'array'${minor >= 37 ? `, or is not one of ['auto', 'none']` : ''}`,
      v,
    );
  return v.map((n, i): RequestedNetwork => {
    if (typeof n !== 'object' || n === null || Array.isArray(n))
      throw fail(`networks/${i}`, `${pyRepr(n)} is not of type 'object'`, n);
    const o = n as Obj;
    const uuid = str(o, 'uuid');
    const port = str(o, 'port', { nullable: true });
    const fixedIp = str(o, 'fixed_ip');
    if (uuid !== undefined && !isUuid(uuid) && !port)
      throw badRequest(`Bad networks format: network uuid is not in proper format (${uuid})`);
    if (port && !isUuid(port)) throw fail('port', `${pyRepr(port)} is not a 'uuid'`, port);
    if (fixedIp !== undefined && !/^\d{1,3}(\.\d{1,3}){3}$|:/.test(fixedIp))
      throw fail('fixed_ip', `${pyRepr(fixedIp)} is not a 'ip-address'`, fixedIp);
    if (!uuid && !port) throw badRequest('Bad network format: missing uuid');
    return { networkId: port ? undefined : uuid, portId: port ?? undefined, fixedIp };
  });
}

function parseCreate(body: unknown, minor: number) {
  const s = wrapped(body, 'server');
  const name = str(s, 'name', { required: true, min: 1, max: 255 }) as string;
  const flavorRaw = s.flavorRef;
  if (flavorRaw === undefined) throw fail('flavorRef', "'flavorRef' is a required property", s);
  if (typeof flavorRaw !== 'string' && typeof flavorRaw !== 'number')
    throw fail('flavorRef', `${pyRepr(flavorRaw)} is not of type 'string', 'integer'`, flavorRaw);
  const flavorRef = String(flavorRaw);
  if (flavorRef.length === 0) throw fail('flavorRef', `'' is too short`, flavorRef);
  const imageRef = (str(s, 'imageRef') ?? '') as string;
  const userData = str(s, 'user_data', { max: 65535, nullable: true });
  if (userData && !/^[A-Za-z0-9+/\r\n]*={0,2}[\r\n]*$/.test(userData))
    throw badRequest('User data needs to be valid base 64.');
  const sgs = s.security_groups;
  let securityGroups: string[] | undefined;
  if (sgs !== undefined) {
    if (!Array.isArray(sgs)) throw fail('security_groups', `${pyRepr(sgs)} is not of type 'array'`, sgs);
    securityGroups = sgs.map((g) => {
      if (typeof g !== 'object' || g === null)
        throw fail('security_groups', `${pyRepr(g)} is not of type 'object'`, g);
      return str(g as Obj, 'name', { required: true, min: 1, max: 255 }) as string;
    });
  }
  const minCount = int(s, 'min_count', { min: 1 }) ?? 1;
  const maxCount = int(s, 'max_count', { min: 1 }) ?? minCount;
  if (minCount > maxCount) throw badRequest('min_count must be <= max_count');
  return {
    name,
    imageRef,
    flavorRef,
    networks: parseNetworks(s.networks, minor),
    keyName: str(s, 'key_name', { min: 1, max: 255, nullable: true }),
    securityGroups,
    userData: userData ?? null,
    metadata: s.metadata === undefined ? undefined : metadata(s.metadata),
    availabilityZone: str(s, 'availability_zone', { min: 1, max: 255, nullable: true }),
    minCount,
    maxCount,
    accessIpV4: str(s, 'accessIPv4', { nullable: true }),
    accessIpV6: str(s, 'accessIPv6', { nullable: true }),
    description: minor >= 19 ? str(s, 'description', { max: 255, nullable: true }) : undefined,
    configDrive: bool(s, 'config_drive'),
    adminPass: str(s, 'adminPass'),
  };
}

function filtersOf(request: FastifyRequest, admin: boolean): ServerFilters {
  const f: ServerFilters = {};
  const g = (k: string) => q1(request, k);
  if (g('name') !== undefined) f.name = g('name');
  if (g('status') !== undefined) f.status = g('status');
  if (g('image') !== undefined) f.image = (g('image') as string).split('/').pop();
  if (g('flavor') !== undefined) f.flavor = (g('flavor') as string).split('/').pop();
  if (g('ip') !== undefined) f.ip = g('ip');
  if (g('changes-since') !== undefined) f.changesSince = g('changes-since');
  if (g('reservation_id') !== undefined) f.reservationId = g('reservation_id');
  const at = g('all_tenants');
  if (at !== undefined) f.allTenants = !/^(false|0|no|off)$/i.test(at);
  if (admin) {
    if (g('host') !== undefined) f.host = g('host');
    const p = g('project_id') ?? g('tenant_id');
    if (p !== undefined) f.projectId = p;
  }
  if (g('limit') !== undefined) {
    const n = Number(g('limit'));
    if (!Number.isInteger(n) || n < 0) throw badRequest('limit param must be an integer');
    f.limit = n;
  }
  if (g('marker') !== undefined) f.marker = g('marker');
  if (g('sort_key') !== undefined) f.sortKey = g('sort_key');
  if (g('sort_dir') !== undefined) f.sortDir = g('sort_dir') === 'asc' ? 'asc' : 'desc';
  return f;
}

export function serverRoutes(app: FastifyInstance, nova: Nova): void {
  const view = (r: FastifyRequest, i: Parameters<typeof serverView>[1]) =>
    serverView(baseUrl(r), i, mv(r), { admin: isAdmin(ctxOf(r)) });

  for (const detail of [false, true])
    app.get(detail ? '/v2.1/servers/detail' : '/v2.1/servers', async (request) => {
      const ctx = ctxOf(request);
      const f = filtersOf(request, isAdmin(ctx));
      const rows = nova.servers.list(ctx, f);
      const base = baseUrl(request);
      const body: Obj = { servers: rows.map((i) => (detail ? view(request, i) : serverBrief(base, i))) };
      if (f.limit !== undefined && rows.length === f.limit && rows.length > 0)
        body.servers_links = [
          {
            rel: 'next',
            href: `${base}/v2.1/servers${detail ? '/detail' : ''}?limit=${f.limit}&marker=${rows[rows.length - 1].uuid}`,
          },
        ];
      return body;
    });

  app.post('/v2.1/servers', async (request, reply) => {
    const ctx = ctxOf(request);
    const c = parseCreate(request.body, mv(request));
    const { instances, adminPass } = await nova.servers.create(ctx, c);
    const first = instances[0];
    reply.code(202);
    reply.header('Location', `${baseUrl(request)}/v2.1/servers/${first.uuid}`);
    const b = request.body as { server: Obj; return_reservation_id?: unknown };
    if (b.server.return_reservation_id === true || b.return_reservation_id === true)
      return { reservation_id: first.reservationId };
    return {
      server: {
        id: first.uuid,
        links: serverBrief(baseUrl(request), first).links,
        'OS-DCF:diskConfig': 'MANUAL',
        security_groups: first.securityGroups.map((name) => ({ name })),
        adminPass,
      },
    };
  });

  app.get('/v2.1/servers/:id', async (request) => {
    const { id } = request.params as { id: string };
    return { server: view(request, await nova.servers.show(ctxOf(request), id)) };
  });

  app.put('/v2.1/servers/:id', async (request) => {
    const { id } = request.params as { id: string };
    const s = wrapped(request.body, 'server');
    const name = str(s, 'name', { min: 1, max: 255 });
    const description = mv(request) >= 19 ? str(s, 'description', { max: 255, nullable: true }) : undefined;
    const i = nova.servers.rename(ctxOf(request), id, { name, description });
    return { server: view(request, i) };
  });

  app.delete('/v2.1/servers/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    nova.lifecycle.delete(ctxOf(request), id);
    reply.code(204).send();
  });

  app.post('/v2.1/servers/:id/action', async (request, reply) => {
    const { id } = request.params as { id: string };
    const ctx = ctxOf(request);
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || Object.keys(body).length === 0)
      throw badRequest('Malformed request body');
    const [action, arg] = Object.entries(body as Obj)[0];
    switch (action) {
      case 'os-stop':
      case 'os-start':
        nova.lifecycle.action(ctx, id, action === 'os-stop' ? 'stop' : 'start');
        return reply.code(202).send();
      case 'pause':
      case 'unpause':
      case 'suspend':
      case 'resume':
        nova.lifecycle.action(ctx, id, action);
        return reply.code(202).send();
      case 'reboot': {
        const r = wrapped(body, 'reboot');
        const type = str(r, 'type', { required: true });
        if (type?.toUpperCase() !== 'SOFT' && type?.toUpperCase() !== 'HARD')
          throw fail(
            'type',
            `${pyRepr(type)} is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']`,
            type,
          );
        nova.lifecycle.action(ctx, id, 'reboot', type.toUpperCase() as 'SOFT' | 'HARD');
        return reply.code(202).send();
      }
      case 'os-getConsoleOutput': {
        const a = (arg ?? {}) as Obj;
        let length: number | null = null;
        if (a.length !== undefined && a.length !== null) {
          const n = Number(a.length);
          if (!Number.isInteger(n) || n < -1)
            throw fail('length', `${pyRepr(a.length)} is not of type 'integer', 'string'`, a.length);
          length = n === -1 ? null : n;
        }
        return { output: await nova.lifecycle.consoleOutput(ctx, id, length) };
      }
      case 'addSecurityGroup':
      case 'removeSecurityGroup': {
        const g = wrapped(body, action);
        const name = str(g, 'name', { required: true, min: 1 }) as string;
        await nova.servers.changeSecurityGroup(ctx, id, name, action === 'addSecurityGroup');
        return reply.code(202).send();
      }
      case 'os-getVNCConsole': {
        if (mv(request) >= 6) throw badRequest(`There is no such action: ${action}`);
        const a = wrapped(body, action);
        const type = str(a, 'type', { required: true }) as string;
        if (type !== 'novnc' && type !== 'xvpvnc') throw badRequest('Invalid type specification');
        const c = nova.consoles.create(ctx, id, 'vnc', type);
        return { console: { type: c.type, url: c.url } };
      }
      default:
        throw badRequest(`There is no such action: ${action}`);
    }
  });

  app.post('/v2.1/servers/:id/remote-consoles', async (request) => {
    const { id } = request.params as { id: string };
    if (mv(request) < 6) throw notFound('The resource could not be found.');
    const r = wrapped(request.body, 'remote_console');
    const protocol = str(r, 'protocol', { required: true }) as string;
    const type = str(r, 'type', { required: true }) as string;
    if (!['vnc', 'spice', 'rdp', 'serial', 'mks'].includes(protocol))
      throw fail(
        'protocol',
        `${pyRepr(protocol)} is not one of ['vnc', 'spice', 'rdp', 'serial'${mv(request) >= 8 ? ", 'mks'" : ''}]`,
        protocol,
      );
    return { remote_console: nova.consoles.create(ctxOf(request), id, protocol, type) };
  });

  app.get('/v2.1/servers/:id/ips', async (request) => {
    const { id } = request.params as { id: string };
    const i = await nova.servers.show(ctxOf(request), id);
    const addrs = addressesOf(i.networkInfo as VifInfo[]);
    // /ips shows only version and addr.
    return {
      addresses: Object.fromEntries(
        Object.entries(addrs).map(([k, list]) => [
          k,
          (list as Obj[]).map((a) => ({ version: a.version, addr: a.addr })),
        ]),
      ),
    };
  });

  app.get('/v2.1/servers/:id/os-interface', async (request) => {
    const { id } = request.params as { id: string };
    const ports = await nova.servers.interfaces(ctxOf(request), id);
    return {
      interfaceAttachments: ports.map((p) => ({
        port_state: p.status,
        fixed_ips: p.fixedIps.map((f) => ({ subnet_id: f.subnetId, ip_address: f.ipAddress })),
        port_id: p.id,
        net_id: p.networkId,
        mac_addr: p.macAddress,
        ...(mv(request) >= 70 ? { tag: null } : {}),
      })),
    };
  });

  app.get('/v2.1/servers/:id/metadata', async (request) => {
    const { id } = request.params as { id: string };
    return {
      metadata: nova.servers.get(ctxOf(request), id, 'os_compute_api:server-metadata:index').metadata,
    };
  });
  for (const [method, replace] of [
    ['POST', false],
    ['PUT', true],
  ] as const)
    app.route({
      method,
      url: '/v2.1/servers/:id/metadata',
      handler: async (request) => {
        const { id } = request.params as { id: string };
        const md = metadata((request.body as Obj | undefined)?.metadata);
        return { metadata: nova.servers.setMetadata(ctxOf(request), id, md, replace) };
      },
    });
  app.get('/v2.1/servers/:id/metadata/:key', async (request) => {
    const { id, key } = request.params as { id: string; key: string };
    const md = nova.servers.get(ctxOf(request), id, 'os_compute_api:server-metadata:index').metadata;
    if (!(key in md)) throw notFound('Metadata item was not found');
    return { meta: { [key]: md[key] } };
  });
  app.put('/v2.1/servers/:id/metadata/:key', async (request) => {
    const { id, key } = request.params as { id: string; key: string };
    const meta = metadata((request.body as Obj | undefined)?.meta, 'meta');
    if (Object.keys(meta).length !== 1 || !(key in meta)) throw badRequest('Request body and URI mismatch');
    nova.servers.setMetadata(ctxOf(request), id, meta, false);
    return { meta };
  });
  app.delete('/v2.1/servers/:id/metadata/:key', async (request, reply) => {
    const { id, key } = request.params as { id: string; key: string };
    nova.servers.deleteMetadata(ctxOf(request), id, key);
    reply.code(204).send();
  });

  // Neutron tells Nova about port changes (network-changed, network-vif-plugged …).
  app.post('/v2.1/os-server-external-events', async (request, reply) => {
    const ctx = ctxOf(request);
    novaPolicy.enforce('os_compute_api:os-server-external-events:create', ctx);
    const b = request.body as { events?: Obj[] } | undefined;
    if (!b || !Array.isArray(b.events) || b.events.length === 0)
      throw fail('events', "'events' is a required property", b);
    const events = b.events.map((e) => {
      const name = String(e.name ?? '');
      if (
        !['network-changed', 'network-vif-plugged', 'network-vif-unplugged', 'network-vif-deleted'].includes(
          name,
        )
      )
        throw fail(
          'name',
          `${pyRepr(e.name)} is not one of ['network-changed', 'network-vif-plugged', 'network-vif-unplugged', 'network-vif-deleted', …]`,
          e.name,
        );
      const r = nova.lifecycle.externalEvent(ctx, {
        name,
        serverUuid: String(e.server_uuid ?? ''),
        tag: typeof e.tag === 'string' ? e.tag : null,
        status: typeof e.status === 'string' ? e.status : 'completed',
      });
      return { ...e, status: e.status ?? 'completed', code: r.code };
    });
    // 404 when no event named a known server, 207 when some did not (os-server-external-events).
    if (events.every((e) => e.code === 404)) throw instanceNotFound(String(b.events[0].server_uuid));
    if (events.some((e) => e.code !== 200)) reply.code(207);
    return { events };
  });
}
