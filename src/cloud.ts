// One cloud: the database, the services, and their API ports, wired from options. `pocketstack up`
// and the tests start clouds through startCloud(); nothing here parses argv or writes rc files.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type NeutronAgents, startNeutronAgents } from './agents/neutron-agents.js';
import { startLibvirtComputes } from './agents/nova-compute/compute-hosts.js';
import type { NovaCompute } from './agents/nova-compute/index.js';
import { attachSerialConsole } from './agents/nova-compute/libvirt.js';
import { ControlServer } from './api/control.js';
import { glanceApi } from './api/glance/index.js';
import { keystoneApi } from './api/keystone/index.js';
import { neutronApi } from './api/neutron/index.js';
import { novaApi } from './api/nova/index.js';
import { novncProxy } from './api/nova/novncproxy.js';
import { Bus } from './bus/index.js';
import { isServiceError, ServiceError } from './services/errors.js';
import { Glance, loadGlanceConfig } from './services/glance/index.js';
import { generatePassword, Keystone } from './services/keystone/index.js';
import { BatchNotifier } from './services/neutron/batch-notifier.js';
import {
  loadNeutronConfig,
  Neutron,
  type NeutronConfig,
  shippedConfigDir,
} from './services/neutron/index.js';
import {
  type ImageLookup,
  type NetworkApi,
  Nova,
  type NovaNetwork,
  type NovaPort,
} from './services/nova/index.js';
import { internalContext, type RequestContext } from './services/policy.js';
import { allInOne, type Layout } from './sim/layout.js';
import { type Logger, LogRegistry } from './sim/oslo-log.js';
import { type Db, IdentityRepo, openDatabase } from './store/index.js';
import { World } from './world/world.js';

/** packstack's ports; `--port-offset N` adds N to each. */
export const DEFAULT_PORTS = {
  identity: 5000,
  compute: 8774,
  image: 9292,
  network: 9696,
  console: 6080,
  dashboard: 8080,
} as const;
export type PortName = keyof typeof DEFAULT_PORTS;

export interface CloudOptions {
  dataDir: string;
  ephemeral?: boolean;
  bind?: string;
  portOffset?: number;
  tokenLifetimeSeconds?: number;
  /** The hosts (default: packstack's all-in-one). */
  layout?: Layout;
  /** Glance's image_size_cap in bytes (default 1 GiB). */
  imageSizeCap?: number;
  /** Glance's [image_format] require_image_format_match (default true; Debian 12's Glance: false). */
  requireImageFormatMatch?: boolean;
  /** Nova's highest microversion (default 2.91; 2.92+ stops generating key pairs, as real Nova). */
  novaMaxMicroversion?: string;
  /** Pacing of the emulated hosts' clock: 'realtime' (default) or 'manual' (tests step `world.sched`). */
  worldPacing?: 'realtime' | 'manual';
  /** Where neutron/neutron.conf and neutron/plugins/ml2/ml2_conf.ini are read (default: the shipped etc/). */
  configDir?: string;
  /** ML2 binds ports only on hosts with a live Open vSwitch agent (default true: the agents run). */
  neutronRequiresLiveAgent?: boolean;
  /**
   * nova.conf [DEFAULT] vif_plugging_timeout in seconds: a build waits this long for Neutron's
   * network-vif-plugged of each port, then fails (vif_plugging_is_fatal). Default 300, as Nova's;
   * 0 does not wait.
   */
  vifPluggingTimeout?: number;
  /** Concise progress lines for the console (the full story goes to the log files). */
  say?: (line: string) => void;
}

export interface Cloud {
  readonly dataDir: string;
  readonly ephemeral: boolean;
  readonly bind: string;
  readonly ports: Record<PortName, number>;
  readonly endpoints: { identity: string; compute: string; image: string; network: string; console: string };
  readonly credentials: { admin: string; demo: string };
  readonly keystone: Keystone;
  /** The image service (Nova looks images up with getImage). */
  readonly glance: Glance;
  readonly control: ControlServer;
  /** The compute service (servers, flavors, key pairs, scheduler, hosts). */
  readonly nova: Nova;
  /** nova-compute on each compute host. */
  readonly computeAgents: readonly NovaCompute[];
  /** Neutron's agents on the hosts (Open vSwitch everywhere, DHCP and L3 on the network host). */
  readonly neutronAgents: NeutronAgents;
  /** The network service (ML2, IPAM, routers, floating IPs, security groups). */
  readonly neutron: Neutron;
  /** Services and agents meet here. */
  readonly bus: Bus;
  readonly logs: LogRegistry;
  readonly layout: Layout;
  /** The emulated hosts (kernel, Open vSwitch, memory, files) agents act on and host tools read. */
  readonly world: World;
  readonly startedAt: Date;
  /** The database handle, for the services wired in later issues. */
  readonly db: Db;
  stop(): Promise<void>;
}

/** Reads `export OS_PASSWORD=…` back from a keystonerc written by an earlier run. */
function passwordFromRc(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const m = /^\s*export OS_PASSWORD=(?:'([^']*)'|(\S+))$/m.exec(readFileSync(path, 'utf8'));
  return m ? (m[1] ?? m[2]) : undefined;
}

export async function startCloud(opts: CloudOptions): Promise<Cloud> {
  const startedAt = new Date();
  const bind = opts.bind ?? '127.0.0.1';
  const offset = opts.portOffset ?? 0;
  const say = opts.say ?? (() => {});
  const ports = Object.fromEntries(Object.entries(DEFAULT_PORTS).map(([k, v]) => [k, v + offset])) as Record<
    PortName,
    number
  >;
  // Clients must be able to reach what the catalog says: a wildcard bind is advertised as loopback.
  const host = bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind;
  const url = (port: number, path = '') => `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
  const endpoints = {
    identity: url(ports.identity, '/v3'),
    compute: url(ports.compute, '/v2.1'),
    image: url(ports.image),
    network: url(ports.network),
    console: url(ports.console),
  };

  // Neutron's files first: a bad value stops the start (file and line) before anything runs.
  const neutronWarnings: string[] = [];
  const neutronConfig = loadNeutronConfig(opts.configDir ?? shippedConfigDir(), (m) =>
    neutronWarnings.push(m),
  );
  mkdirSync(opts.dataDir, { recursive: true });
  const logs = new LogRegistry(join(opts.dataDir, 'logs'));
  const db = openDatabase(opts.ephemeral ? ':memory:' : join(opts.dataDir, 'state.db'));
  const keystone = new Keystone(db, { tokenLifetimeSeconds: opts.tokenLifetimeSeconds });

  // First start (or a fresh ephemeral cloud): new random passwords, as packstack generates them.
  // Later starts keep the passwords, read back from the keystonerc files of the first start.
  const fresh = !new IdentityRepo(db).getUserByName('default', 'admin');
  const known = {
    admin: fresh ? undefined : passwordFromRc(join(opts.dataDir, 'keystonerc_admin')),
    demo: fresh ? undefined : passwordFromRc(join(opts.dataDir, 'keystonerc_demo')),
  };
  const credentials = { admin: known.admin ?? generatePassword(), demo: known.demo ?? generatePassword() };
  // The projects and catalog are there when this returns; the users (scrypt on the thread pool)
  // are awaited before the ports open, the rest of the cloud being built meanwhile.
  const bootstrapped = keystone.bootstrap({
    region: 'RegionOne',
    adminPassword: known.admin === undefined ? credentials.admin : undefined,
    demoPassword: known.demo === undefined ? credentials.demo : undefined,
    services: [
      {
        type: 'identity',
        name: 'keystone',
        description: 'OpenStack Identity Service',
        url: endpoints.identity,
      },
      { type: 'compute', name: 'nova', description: 'Openstack Compute Service', url: endpoints.compute },
      { type: 'image', name: 'glance', description: 'OpenStack Image Service', url: endpoints.image },
      { type: 'network', name: 'neutron', description: 'Neutron Networking Service', url: endpoints.network },
    ],
  });
  bootstrapped.catch(() => {}); // awaited below; a failure must not surface as an unhandled rejection first
  // The domain and projects are in place (the users follow with their hashes).
  say(fresh ? 'keystone: bootstrapped domain Default, projects admin and demo' : 'keystone: state restored');

  // Image files live in DIR/images; an ephemeral cloud keeps them in a temporary directory.
  const imageDir = opts.ephemeral
    ? mkdtempSync(join(tmpdir(), 'pocketstack-images-'))
    : join(opts.dataDir, 'images');
  const glanceLog = logs.file('glance-api.log');
  const glance = new Glance(db, {
    imageDir,
    imageSizeCap: opts.imageSizeCap,
    requireFormatMatch: opts.requireImageFormatMatch,
    config: loadGlanceConfig(opts.configDir ?? shippedConfigDir(), (m) =>
      glanceLog.logger('oslo_config.cfg').warning(m),
    ),
    log: glanceLog,
  });

  const bus = new Bus();
  const layout = opts.layout ?? allInOne();
  // Each host's Open vSwitch database outlives a restart (conf.db) unless the cloud is ephemeral.
  const world = new World(layout, {
    dataDir: opts.dataDir,
    pacing: opts.worldPacing,
    persistOvsdb: !opts.ephemeral,
    log: (h, file, module) => logs.file(`${h}/${file}`).logger(module),
  });
  world.start();
  // Neutron reads its real files; a bad value stops the start with the file and line.
  const neutronLog = logs.file('neutron-server.log');
  for (const w of neutronWarnings) neutronLog.write('WARNING', 'oslo_config.cfg', w);
  const neutron = new Neutron({
    db,
    bus,
    log: neutronLog.logger('neutron.plugins.ml2.plugin'),
    config: neutronConfig,
    hosts: () => layout.hosts.map((h) => h.name),
    requireLiveAgent: opts.neutronRequiresLiveAgent ?? true,
  });
  neutron.serveRpc();
  const adminProject = new IdentityRepo(db)
    .listProjects()
    .find((p) => p.name === 'admin' && p.domainId === 'default');
  if (adminProject) neutron.bootstrap(adminProject.id);
  const nova = new Nova({
    db,
    bus,
    layout,
    logs,
    images: glanceImages(glance),
    network: novaNetworkApi(neutron),
    novncBaseUrl: url(ports.console, '/vnc_auto.html'),
  });
  const stopNovaNotifier = notifyNova(
    bus,
    nova,
    neutronLog.logger('neutron.notifiers.nova'),
    neutron.config.novaNotifier,
  );
  const neutronAgents = startNeutronAgents({
    hosts: world.hosts.values(),
    bus,
    sched: world.sched,
    configDir: opts.configDir ?? shippedConfigDir(),
    log: (h, file, module) => logs.file(`${h}/${file}`).logger(module),
    wallMs: () => world.wallMs(),
  });
  say(
    `neutron agents: Open vSwitch agent on ${[...neutronAgents.ovs.keys()].join(', ')}; DHCP and L3 agents on ${[...neutronAgents.dhcp.keys()].join(', ')}`,
  );
  const computeAgents: NovaCompute[] = [];

  const identityRoot = url(ports.identity);
  const apis: { name: string; port: number; app: FastifyInstance }[] = [
    {
      name: 'keystone',
      port: ports.identity,
      app: keystoneApi(
        keystone,
        logs.file('keystone.log').logger('keystone.server.flask.request_processing.req'),
      ),
    },
    {
      name: 'nova-api',
      port: ports.compute,
      app: novaApi({
        keystone,
        identityRoot,
        nova,
        maxMicroversion: opts.novaMaxMicroversion,
        log: logs.file('nova-api.log').logger('nova.api.openstack.requestlog'),
      }),
    },
    {
      name: 'nova-novncproxy',
      port: ports.console,
      app: novncProxy(
        nova.consoles,
        logs.file('nova-novncproxy.log').logger('nova.console.websocketproxy'),
        (t, out) => attachSerialConsole(world.host(t.host ?? ''), t.instanceName, out),
      ),
    },
    {
      name: 'glance-api',
      port: ports.image,
      app: glanceApi({
        keystone,
        glance,
        identityRoot,
        log: glanceLog.logger('eventlet.wsgi.server'),
      }),
    },
    {
      name: 'neutron-server',
      port: ports.network,
      app: neutronApi({
        keystone,
        identityRoot,
        log: neutronLog.logger('neutron.wsgi'),
        neutron,
      }),
    },
  ];

  const listening: FastifyInstance[] = [];
  const control = new ControlServer();
  let stopped = false;
  const cloud: Cloud = {
    dataDir: opts.dataDir,
    ephemeral: opts.ephemeral ?? false,
    bind,
    ports,
    endpoints,
    credentials,
    keystone,
    glance,
    neutron,
    control,
    nova,
    computeAgents,
    neutronAgents,
    bus,
    logs,
    layout,
    world,
    startedAt,
    db,
    async stop() {
      if (stopped) return;
      stopped = true;
      await control.close();
      world.stop();
      await Promise.all(listening.map((a) => a.close()));
      for (const a of computeAgents) a.stop();
      neutronAgents.stop();
      stopNovaNotifier();
      nova.close();
      neutron.stop();
      await nova.idle();
      await bus.idle();
      world.close();
      db.close();
      if (opts.ephemeral) rmSync(imageDir, { recursive: true, force: true });
      await logs.close();
    },
  };
  try {
    await bootstrapped;
    for (const a of apis) {
      await a.app.listen({ host: bind, port: a.port });
      listening.push(a.app);
      say(`${a.name}: listening on ${url(a.port)}`);
    }
  } catch (e) {
    await cloud.stop();
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE')
      throw new Error(
        `port ${String((err as { port?: number }).port ?? '')} on ${bind} is already in use (try --port-offset)`,
      );
    throw e;
  }
  computeAgents.push(
    ...(await startLibvirtComputes({
      bus,
      hosts: world.hosts.values(),
      logFor: (h) => logs.file(`${h}/nova-compute.log`),
      vifPluggingTimeoutMs: (opts.vifPluggingTimeout ?? 300) * 1000,
    })),
  );
  say(`nova-compute: running on ${computeAgents.map((a) => a.host.name).join(', ')}`);
  logs
    .file('keystone.log')
    .write('INFO', 'keystone.server', `pocketstack cloud started in ${Date.now() - startedAt.getTime()} ms`);
  return cloud;
}

/**
 * Nova's view of Neutron (nova/network/neutron.py): reads with the caller's context, so a
 * project boots only on networks it may use; binding and provider details with the service's
 * own admin context, as Nova's admin client does.
 */
function novaNetworkApi(neutron: Neutron): NetworkApi {
  const admin = internalContext('req-nova-neutron');
  const orNull = <T>(fn: () => T): T | null => {
    try {
      return fn();
    } catch (e) {
      if (isServiceError(e) && e.status === 404) return null;
      throw e;
    }
  };
  type Doc = Record<string, unknown>;
  const network = (d: Doc): NovaNetwork => {
    const full = neutron.getNetwork(admin, d.id as string) as Doc;
    return {
      id: d.id as string,
      name: (d.name as string) ?? '',
      projectId: d.project_id as string,
      shared: d.shared === true,
      external: d['router:external'] === true,
      mtu: (full.mtu as number) ?? 1500,
      networkType: (full['provider:network_type'] as string) ?? 'vxlan',
      segmentationId: (full['provider:segmentation_id'] as number | null) ?? null,
      physicalNetwork: (full['provider:physical_network'] as string | null) ?? null,
      subnets: ((full.subnets as string[]) ?? []).map((id) => {
        const s = neutron.getSubnet(admin, id) as Doc;
        return {
          id,
          cidr: s.cidr as string,
          gatewayIp: (s.gateway_ip as string | null) ?? null,
          ipVersion: s.ip_version as number,
        };
      }),
    };
  };
  const port = (d: Doc): NovaPort => ({
    id: d.id as string,
    networkId: d.network_id as string,
    macAddress: d.mac_address as string,
    fixedIps: ((d.fixed_ips as Doc[]) ?? []).map((f) => ({
      subnetId: f.subnet_id as string,
      ipAddress: f.ip_address as string,
    })),
    deviceId: (d.device_id as string) ?? '',
    deviceOwner: (d.device_owner as string) ?? '',
    bindingHostId: (d['binding:host_id'] as string) ?? '',
    securityGroups: (d.security_groups as string[]) ?? [],
    projectId: d.project_id as string,
    status: (d.status as string) ?? 'DOWN',
    vifType: (d['binding:vif_type'] as string | undefined) ?? undefined,
  });
  const bind = (id: string, b: { deviceId: string; deviceOwner: string; bindingHostId: string }) =>
    port(
      neutron.updatePort(admin, id, {
        device_id: b.deviceId,
        device_owner: b.deviceOwner,
        'binding:host_id': b.bindingHostId,
      }) as Doc,
    );
  return {
    getNetwork: async (ctx: RequestContext, id) => {
      const d = orNull(() => neutron.getNetwork(ctx, id) as Doc);
      return d ? network(d) : null;
    },
    listNetworks: async (ctx) =>
      (neutron.listNetworks(ctx) as Doc[])
        .filter((d) => d.project_id === ctx.projectId || d.shared === true)
        .map(network),
    getPort: async (ctx, id) => {
      const d = orNull(() => neutron.getPort(ctx, id) as Doc);
      return d ? port(d) : null;
    },
    createPort: async (ctx, b) => {
      const created = neutron.createPort(ctx, {
        network_id: b.networkId,
        device_id: b.deviceId,
        device_owner: b.deviceOwner,
        ...(b.fixedIps ? { fixed_ips: b.fixedIps.map((f) => ({ ip_address: f.ipAddress })) } : {}),
        ...(b.securityGroups ? { security_groups: b.securityGroups } : {}),
      }) as Doc;
      return bind(created.id as string, b);
    },
    updatePortBinding: async (_ctx, id, b) => bind(id, b),
    deletePort: async (_ctx, id) => {
      neutron.deletePort(admin, id);
    },
    listPortsOfDevice: async (_ctx, deviceId) =>
      (neutron.listPorts(admin, { device_id: [deviceId] }) as Doc[]).map(port),
    floatingIpsOfPort: async (_ctx, portId) =>
      (neutron.floatingIpsOfPort(admin, portId) as Doc[]).map((f) => f.floating_ip_address as string),
    listSecurityGroups: async (ctx) =>
      (neutron.listSecurityGroups(ctx, ctx.projectId ? { project_id: [ctx.projectId] } : {}) as Doc[]).map(
        (g) => ({
          id: g.id as string,
          name: g.name as string,
          description: (g.description as string) ?? '',
          projectId: g.project_id as string,
          rules: ((g.security_group_rules as Doc[]) ?? []).map((r) => ({
            id: r.id as string,
            direction: r.direction as string,
            protocol: (r.protocol as string | null) ?? null,
            portMin: (r.port_range_min as number | null) ?? null,
            portMax: (r.port_range_max as number | null) ?? null,
            remoteIpPrefix: (r.remote_ip_prefix as string | null) ?? null,
            remoteGroupId: (r.remote_group_id as string | null) ?? null,
          })),
        }),
      ),
    setPortSecurityGroups: async (_ctx, id, ids) => {
      neutron.updatePort(admin, id, { security_groups: ids });
    },
    resolveSecurityGroups: async (ctx, projectId, names) => {
      const groups = neutron.listSecurityGroups(ctx, { project_id: [projectId] }) as Doc[];
      return names.map((name) => {
        const byId = groups.find((g) => g.id === name);
        const byName = groups.filter((g) => g.name === name);
        if (byId) return byId.id as string;
        if (byName.length === 1) return byName[0].id as string;
        // nova/network/security_group_api.py: unknown (400) or ambiguous (409) names.
        if (byName.length > 1)
          throw new ServiceError(
            'Conflict',
            `Multiple security groups found matching '${name}'. Use an ID to be more specific.`,
          );
        throw new ServiceError('BadRequest', `Security group ${name} not found for project ${projectId}.`);
      });
    },
  };
}

interface NovaEvent {
  name: 'network-vif-plugged' | 'network-vif-unplugged' | 'network-changed' | 'network-vif-deleted';
  server_uuid: string;
  tag: string;
  status?: 'completed' | 'failed';
}

const UUID_LIKE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** _is_compute_port: a uuid-like device_id and a `compute:` owner. */
const isComputePort = (p: { device_id: string; device_owner: string }) =>
  UUID_LIKE.test(p.device_id) && p.device_owner.startsWith('compute:');

/**
 * neutron/notifiers/nova.py, sent to os-server-external-events with Neutron's admin credentials
 * in batches (send_events_interval, batch_notifier.py):
 * - record_port_status_changed (notify_nova_on_port_status_changes): a compute port going from
 *   DOWN/BUILD to ACTIVE (no provisioning block left) or ERROR is network-vif-plugged
 *   ('completed' or 'failed'), one going from ACTIVE to DOWN network-vif-unplugged; every other
 *   change (ACTIVE → BUILD while an agent rewires it) is of no interest to Nova.
 * - send_network_change (notify_nova_on_port_data_changes): a compute port updated through the API,
 *   or a floating IP created, moved or deleted on one, is network-changed (Nova refreshes its
 *   network info cache: `openstack server list` shows the floating IP); a deleted one
 *   network-vif-deleted.
 */
function notifyNova(bus: Bus, nova: Nova, log: Logger, cfg: NeutronConfig['novaNotifier']): () => void {
  const batch = new BatchNotifier<NovaEvent>(cfg.sendEventsInterval * 1000, (events) => {
    const ctx = internalContext(`req-${randomUUID()}`);
    log.debug(`Sending events: ${pyEvents(events)}`);
    for (const e of events) {
      const status = e.status ?? 'completed';
      const { code } = nova.lifecycle.externalEvent(ctx, {
        name: e.name,
        serverUuid: e.server_uuid,
        tag: e.tag,
        status,
      });
      log.info(
        `Nova event matching ['${ctx.requestId}'] response: {'server_uuid': '${e.server_uuid}', 'name': '${e.name}', 'status': '${status}', 'tag': '${e.tag}', 'code': ${code}}`,
      );
    }
  });
  const offs = [
    bus.subscribe('port.status_changed', (e) => {
      if (!cfg.statusChanges || !e.device_id || !isComputePort(e)) return;
      const name =
        e.previous === 'ACTIVE' && e.status === 'DOWN'
          ? 'network-vif-unplugged'
          : ['DOWN', 'BUILD'].includes(e.previous) && ['ACTIVE', 'ERROR'].includes(e.status)
            ? 'network-vif-plugged'
            : null;
      if (name === null) return;
      const status = e.status === 'ERROR' ? 'failed' : 'completed';
      batch.queue({ name, server_uuid: e.device_id, tag: e.port_id, status });
    }),
    bus.subscribe('port.network_change', (e) => {
      if (!cfg.dataChanges) return;
      const event = (p: typeof e.port): NovaEvent | null =>
        p !== null && isComputePort(p)
          ? {
              name: e.action === 'delete_port' ? 'network-vif-deleted' : 'network-changed',
              server_uuid: p.device_id,
              tag: p.id,
            }
          : null;
      batch.queue(event(e.previousPort));
      batch.queue(event(e.port));
    }),
  ];
  return () => {
    for (const off of offs) off();
    batch.stop();
  };
}

/** The batch as Neutron's debug line prints it (a Python list of dicts). */
function pyEvents(events: NovaEvent[]): string {
  const one = (e: NovaEvent) =>
    `{${Object.entries(e)
      .map(([k, v]) => `'${k}': '${v}'`)
      .join(', ')}}`;
  return `[${events.map(one).join(', ')}]`;
}

/** Nova reads images from Glance with the caller's context (Glance's visibility applies). */
function glanceImages(glance: Glance): ImageLookup {
  return {
    getImage: async (ctx, id) => {
      const i = glance.findImage(ctx, id);
      return i
        ? {
            id: i.id,
            name: i.name ?? '',
            status: i.status,
            diskFormat: i.diskFormat,
            containerFormat: i.containerFormat,
            size: i.size,
            minDisk: i.minDisk,
            minRam: i.minRam,
            properties: i.properties,
          }
        : null;
    },
  };
}
