// Neutron: the ML2 core plugin (type drivers from ml2_conf.ini, the openvswitch mechanism
// driver), IPAM, the router and QoS service plugins, security groups, quotas and agents, over
// one database and the bus. The HTTP routes and Nova call the same methods with a
// RequestContext and get the same answers and errors.
import type { Bus, Unsubscribe } from '../../bus/bus.js';
import '../../bus/neutron-events.js';
import '../../bus/neutron-rpc.js';
import '../../bus/neutron-l2pop.js';
import type { Logger } from '../../sim/oslo-log.js';
import type { Db } from '../../store/db.js';
import { type Doc, type DocTable, NeutronRepo } from '../../store/neutron-repo.js';
import { SettingsRepo } from '../../store/settings-repo.js';
import { internalContext, isAdmin, type RequestContext } from '../policy.js';
import { Agents } from './agents.js';
import { loadNeutronConfig, type NeutronConfig } from './config.js';
import { type Filters, type NeutronCore, touch, tx, visibleAttributes } from './core.js';
import { neutronErrors } from './errors.js';
import { EXTENSIONS, type Extension, QOS_EXTENSIONS } from './extensions.js';
import { FloatingIps } from './floating-ips.js';
import { poolCapacity } from './ipam.js';
import { L2Population, tunnelIpOf } from './ml2/mech-l2population.js';
import { type MechanismDriver, openvswitchMechanism } from './ml2/mech-openvswitch.js';
import { loadTypeDrivers } from './ml2/type-drivers.js';
import { Networks } from './networks.js';
import { Ports } from './ports.js';
import { ProvisioningBlocks } from './provisioning-blocks.js';
import { QOS_RULE_TYPES, Qos } from './qos.js';
import { type QuotaSet, Quotas } from './quotas.js';
import { type InterfaceInfo, RouterInterfaces } from './router-interfaces.js';
import { Routers } from './routers.js';
import { serveAgentRpc } from './rpc.js';
import { SecurityGroups } from './security-groups.js';
import { Subnets } from './subnets.js';

export { ConfigError } from '../../sim/oslo-config.js';
export type { Doc as NeutronDoc } from '../../store/neutron-repo.js';
export { loadNeutronConfig, type NeutronConfig, shippedConfigDir } from './config.js';
export type { Filters } from './core.js';
export type { InterfaceInfo } from './router-interfaces.js';

export interface NeutronOptions {
  db: Db;
  bus: Bus;
  /** neutron-server.log's logger for the service's own lines. */
  log: Logger;
  config?: NeutronConfig;
  /** The cloud's host names (binding targets until agents run). */
  hosts: () => readonly string[];
  /**
   * ML2's rule: bind only on a host with a live Open vSwitch agent (`binding_failed`
   * otherwise). Off until pocketstack's agents run; then any host of the layout binds.
   */
  requireLiveAgent?: boolean;
  now?: () => Date;
}

export class Neutron {
  readonly config: NeutronConfig;
  private readonly core: NeutronCore;
  private readonly quotas: Quotas;
  private readonly networks: Networks;
  private readonly subnets: Subnets;
  private readonly ports: Ports;
  private readonly provisioning: ProvisioningBlocks;
  private readonly securityGroups: SecurityGroups;
  private readonly routers: Routers;
  private readonly routerInterfaces: RouterInterfaces;
  private readonly floatingIps: FloatingIps;
  private readonly qos: Qos;
  private readonly agents: Agents;
  private readonly mechanisms: MechanismDriver[];
  private stopRpc: Unsubscribe | null = null;

  constructor(o: NeutronOptions) {
    this.config = o.config ?? loadNeutronConfig(undefined, (m) => o.log.warning(m));
    this.core = {
      repo: new NeutronRepo(o.db),
      config: this.config,
      bus: o.bus,
      log: o.log,
      now: o.now ?? (() => new Date()),
      outbox: null,
    };
    const typeDrivers = loadTypeDrivers(this.config);
    this.quotas = new Quotas(this.core);
    this.agents = new Agents(this.core);
    this.mechanisms = this.config.ml2.mechanismDrivers
      .filter((m) => m === 'openvswitch')
      .map(() =>
        openvswitchMechanism({
          requireLiveAgent: o.requireLiveAgent ?? false,
          hosts: o.hosts,
          agentsOn: (host) => this.agents.all().filter((a) => a.host === host),
          firewallDriver: this.config.firewallDriver,
        }),
      );
    this.networks = new Networks(this.core, typeDrivers, this.quotas);
    this.subnets = new Subnets(this.core, this.networks, this.quotas);
    this.securityGroups = new SecurityGroups(this.core, this.quotas);
    this.provisioning = new ProvisioningBlocks(
      this.core,
      this.agents,
      () => this.mechanisms,
      (portId, host) => this.ports.setStatus(portId, 'ACTIVE', host),
    );
    this.ports = new Ports(
      this.core,
      this.networks,
      this.securityGroups,
      this.quotas,
      () => this.mechanisms,
      () => this.provisioning,
    );
    if (this.config.ml2.mechanismDrivers.includes('l2population')) {
      const l2pop = new L2Population(this.core, (host) => tunnelIpOf(this.agents.all(), host));
      this.ports.statusHooks.push((p, previous, status) => l2pop.statusChanged(p, previous, status));
      this.ports.wiredHooks.push((p, host, refresh) => l2pop.portWired(p, host, refresh));
      this.ports.updateHooks.push((original, p) => l2pop.portUpdated(original, p));
    }
    this.routers = new Routers(this.core, this.networks, this.subnets, this.ports, this.quotas);
    this.routerInterfaces = new RouterInterfaces(this.core, this.routers, this.subnets, this.ports);
    this.floatingIps = new FloatingIps(this.core, this.networks, this.ports, this.routers, this.quotas);
    this.qos = new Qos(this.core);
    o.log.info(
      `ML2: type drivers ${[...typeDrivers.keys()].join(', ')}; tenant network types ${this.config.ml2.tenantNetworkTypes.join(', ')}; mechanism drivers ${this.config.ml2.mechanismDrivers.join(', ')}; extension drivers ${this.config.ml2.extensionDrivers.join(', ')}`,
    );
  }

  /** Serves the agents' RPC on the bus (report_state, get_devices_details_list …). */
  serveRpc(): void {
    this.stopRpc ??= serveAgentRpc(this.core.bus, {
      core: this.core,
      ports: this.ports,
      agents: this.agents,
      floatingIps: this.floatingIps,
      provisioning: this.provisioning,
    });
  }

  stop(): void {
    this.stopRpc?.();
    this.stopRpc = null;
  }

  /**
   * packstack's demo provisioning, once per cloud: the external flat network `public` on physnet
   * `extnet` with `public_subnet` 172.24.4.0/24 (gateway .1, no DHCP), owned by admin.
   */
  bootstrap(adminProjectId: string): void {
    const settings = new SettingsRepo(this.core.repo.db);
    if (settings.get('neutron_bootstrapped')) return;
    const ctx: RequestContext = { ...internalContext('req-bootstrap'), projectId: adminProjectId };
    const net = this.networks.create(ctx, {
      name: 'public',
      admin_state_up: true,
      'router:external': true,
      'provider:network_type': 'flat',
      'provider:physical_network': 'extnet',
      shared: false,
    });
    this.subnets.create(ctx, {
      name: 'public_subnet',
      network_id: net.id,
      ip_version: 4,
      cidr: '172.24.4.0/24',
      gateway_ip: '172.24.4.1',
      enable_dhcp: false,
    });
    settings.set('neutron_bootstrapped', new Date().toISOString());
  }

  private v = (kind: string, ctx: RequestContext) => (d: Doc) => visibleAttributes(kind, ctx, d);

  // --- networks
  createNetwork = (ctx: RequestContext, body: unknown) =>
    this.v('network', ctx)(this.networks.create(ctx, body));
  getNetwork = (ctx: RequestContext, id: string) =>
    readView(this.v('network', ctx)(this.networks.get(ctx, id)));
  listNetworks = (ctx: RequestContext, filters: Filters = {}) =>
    this.networks.list(ctx, filters).map((d) => readView(this.v('network', ctx)(d)));
  updateNetwork = (ctx: RequestContext, id: string, body: unknown) =>
    this.v('network', ctx)(this.networks.update(ctx, id, body));
  deleteNetwork = (ctx: RequestContext, id: string) =>
    this.networks.delete(
      ctx,
      id,
      (s) => this.subnets.remove(s, (p, sid) => this.ports.removeSubnetAddress(p, sid)),
      (p) => this.ports.remove(p),
    );

  // --- subnets
  createSubnet = (ctx: RequestContext, body: unknown) => this.subnets.create(ctx, body);
  getSubnet = (ctx: RequestContext, id: string) => this.subnets.find(ctx, id);
  listSubnets = (ctx: RequestContext, filters: Filters = {}) => this.subnets.list(ctx, filters);
  updateSubnet = (ctx: RequestContext, id: string, body: unknown) => this.subnets.update(ctx, id, body);
  deleteSubnet = (ctx: RequestContext, id: string) =>
    this.subnets.delete(ctx, id, (p, sid) => this.ports.removeSubnetAddress(p, sid));

  // --- ports
  createPort = (ctx: RequestContext, body: unknown) => this.v('port', ctx)(this.ports.create(ctx, body));
  getPort = (ctx: RequestContext, id: string) => this.v('port', ctx)(this.ports.find(ctx, id));
  listPorts = (ctx: RequestContext, filters: Filters = {}) =>
    this.ports.list(ctx, filters).map(this.v('port', ctx));
  updatePort = (ctx: RequestContext, id: string, body: unknown) =>
    this.v('port', ctx)(this.ports.update(ctx, id, body));
  deletePort = (ctx: RequestContext, id: string) =>
    this.ports.delete(ctx, id, (portId) => this.floatingIps.disassociatePort(portId));

  // --- routers
  createRouter = (ctx: RequestContext, body: unknown) =>
    this.v('router', ctx)(this.routers.create(ctx, body));
  getRouter = (ctx: RequestContext, id: string) => this.v('router', ctx)(this.routers.find(ctx, id));
  listRouters = (ctx: RequestContext, filters: Filters = {}) =>
    this.routers.list(ctx, filters).map(this.v('router', ctx));
  updateRouter = (ctx: RequestContext, id: string, body: unknown) =>
    this.v('router', ctx)(this.routers.update(ctx, id, body));
  deleteRouter = (ctx: RequestContext, id: string) => this.routers.delete(ctx, id);
  addExtraRoutes = (ctx: RequestContext, id: string, body: unknown) =>
    this.v('router', ctx)(this.routers.changeRoutes(ctx, id, body, true));
  removeExtraRoutes = (ctx: RequestContext, id: string, body: unknown) =>
    this.v('router', ctx)(this.routers.changeRoutes(ctx, id, body, false));
  addRouterInterface = (ctx: RequestContext, id: string, body: unknown): InterfaceInfo =>
    this.routerInterfaces.add(ctx, id, body);
  removeRouterInterface = (ctx: RequestContext, id: string, body: unknown): InterfaceInfo =>
    this.routerInterfaces.remove(ctx, id, body);

  // --- floating IPs
  createFloatingIp = (ctx: RequestContext, body: unknown) => this.floatingIps.create(ctx, body);
  getFloatingIp = (ctx: RequestContext, id: string) => this.floatingIps.get(ctx, id);
  listFloatingIps = (ctx: RequestContext, filters: Filters = {}) => this.floatingIps.list(ctx, filters);
  /** The floating IPs associated with a port (Nova's `addresses`, floating). */
  floatingIpsOfPort = (ctx: RequestContext, portId: string) =>
    this.floatingIps.list(ctx, { port_id: [portId] });
  updateFloatingIp = (ctx: RequestContext, id: string, body: unknown) =>
    this.floatingIps.update(ctx, id, body);
  deleteFloatingIp = (ctx: RequestContext, id: string) => this.floatingIps.delete(ctx, id);

  // --- security groups
  createSecurityGroup = (ctx: RequestContext, body: unknown) => this.securityGroups.create(ctx, body);
  getSecurityGroup = (ctx: RequestContext, id: string) => this.securityGroups.get(ctx, id);
  listSecurityGroups = (ctx: RequestContext, filters: Filters = {}) => this.securityGroups.list(ctx, filters);
  updateSecurityGroup = (ctx: RequestContext, id: string, body: unknown) =>
    this.securityGroups.update(ctx, id, body);
  deleteSecurityGroup = (ctx: RequestContext, id: string) => this.securityGroups.delete(ctx, id);
  createSecurityGroupRule = (ctx: RequestContext, body: unknown) => this.securityGroups.createRule(ctx, body);
  getSecurityGroupRule = (ctx: RequestContext, id: string) => this.securityGroups.findRule(ctx, id);
  listSecurityGroupRules = (ctx: RequestContext, filters: Filters = {}) =>
    this.securityGroups.listRules(ctx, filters);
  deleteSecurityGroupRule = (ctx: RequestContext, id: string) => this.securityGroups.deleteRule(ctx, id);

  // --- QoS
  createQosPolicy = (ctx: RequestContext, body: unknown) => this.qos.createPolicy(ctx, body);
  getQosPolicy = (ctx: RequestContext, id: string) => this.qos.getPolicy(ctx, id);
  listQosPolicies = (ctx: RequestContext, filters: Filters = {}) => this.qos.listPolicies(ctx, filters);
  updateQosPolicy = (ctx: RequestContext, id: string, body: unknown) => this.qos.updatePolicy(ctx, id, body);
  deleteQosPolicy = (ctx: RequestContext, id: string) => this.qos.deletePolicy(ctx, id);
  createBandwidthLimitRule = (ctx: RequestContext, policyId: string, body: unknown) =>
    this.qos.createRule(ctx, policyId, body);
  getBandwidthLimitRule = (ctx: RequestContext, policyId: string, id: string) =>
    this.qos.getRule(ctx, policyId, id);
  listBandwidthLimitRules = (ctx: RequestContext, policyId: string) => this.qos.listRules(ctx, policyId);
  updateBandwidthLimitRule = (ctx: RequestContext, policyId: string, id: string, body: unknown) =>
    this.qos.updateRule(ctx, policyId, id, body);
  deleteBandwidthLimitRule = (ctx: RequestContext, policyId: string, id: string) =>
    this.qos.deleteRule(ctx, policyId, id);
  qosRuleTypes = () => (this.qosEnabled() ? QOS_RULE_TYPES.map((type) => ({ type })) : []);

  // --- quotas
  showQuota = (ctx: RequestContext, projectId: string): QuotaSet => this.quotas.show(ctx, projectId);
  defaultQuota = (ctx: RequestContext, projectId: string): QuotaSet => this.quotas.defaults(ctx, projectId);
  quotaDetails = (ctx: RequestContext, projectId: string) => this.quotas.details(ctx, projectId);
  listQuotas = (ctx: RequestContext) => this.quotas.list(ctx);
  updateQuota = (ctx: RequestContext, projectId: string, body: unknown) =>
    this.quotas.update(ctx, projectId, body);
  resetQuota = (ctx: RequestContext, projectId: string) => this.quotas.reset(ctx, projectId);

  // --- agents, availability zones, extensions, IP availability
  listAgents = (ctx: RequestContext, filters: Filters = {}) => this.agents.list(ctx, filters);
  getAgent = (ctx: RequestContext, id: string) => this.agents.find(ctx, id);
  updateAgent = (ctx: RequestContext, id: string, body: unknown) => this.agents.update(ctx, id, body);
  deleteAgent = (ctx: RequestContext, id: string) => this.agents.delete(ctx, id);
  availabilityZones = () => this.agents.availabilityZones();

  /** Runs several creates as one: all of them or none (bulk POST). */
  atomically<T>(fn: () => T): T {
    return tx(this.core, fn);
  }

  // --- tags (standard-attr-tag), for any resource with standard attributes
  private taggable(collection: string): { find: (ctx: RequestContext, id: string) => Doc; kind: string } {
    const m: Record<string, { find: (ctx: RequestContext, id: string) => Doc; kind: string }> = {
      networks: { find: (c, id) => this.networks.find(c, id), kind: 'network' },
      subnets: { find: (c, id) => this.subnets.find(c, id), kind: 'subnet' },
      ports: { find: (c, id) => this.ports.find(c, id), kind: 'port' },
      routers: { find: (c, id) => this.routers.find(c, id), kind: 'router' },
      floatingips: { find: (c, id) => this.floatingIps.find(c, id), kind: 'floatingip' },
      'security-groups': { find: (c, id) => this.securityGroups.find(c, id), kind: 'security_group' },
      policies: { find: (c, id) => this.qos.findPolicy(c, id), kind: 'policy' },
    };
    const t = m[collection];
    if (!t) throw neutronErrors.httpNotFound();
    return t;
  }

  getTags(ctx: RequestContext, collection: string, id: string): string[] {
    return (this.taggable(collection).find(ctx, id).tags as string[] | undefined) ?? [];
  }

  /** Replaces the tags (PUT …/tags), or changes them with fn. */
  setTags(ctx: RequestContext, collection: string, id: string, fn: (tags: string[]) => string[]): string[] {
    const t = this.taggable(collection);
    const doc = t.find(ctx, id);
    if (!isAdmin(ctx) && doc.project_id !== ctx.projectId)
      throw neutronErrors.policyNotAuthorized(`rule:update_${t.kind}:tags`);
    for (const tag of fn([]))
      if (typeof tag !== 'string' || tag.length > 255 || tag.includes(',') || tag.includes('/'))
        throw neutronErrors.invalidAttribute('tags', `'${String(tag)}' is not a valid tag`);
    return tx(this.core, () => {
      const table = tableOf(this.core.repo, t.kind);
      const fresh = table.get(id) as Doc;
      fresh.tags = [...new Set(fn((fresh.tags as string[] | undefined) ?? []))];
      touch(this.core, fresh);
      table.update(fresh);
      return fresh.tags as string[];
    });
  }

  private qosEnabled = () => this.config.ml2.extensionDrivers.includes('qos');

  extensions(): Extension[] {
    return [
      ...EXTENSIONS.filter(
        (e) =>
          (e.alias !== 'port-security' || this.config.ml2.extensionDrivers.includes('port_security')) &&
          (!e.alias.startsWith('security-group') || this.config.enableSecurityGroup),
      ),
      ...(this.qosEnabled() ? QOS_EXTENSIONS : []),
    ];
  }

  /** network-ip-availabilities (admin only; others see an empty list, as Neutron filters). */
  ipAvailabilities(ctx: RequestContext, filters: Filters = {}): Doc[] {
    if (!isAdmin(ctx)) return [];
    const repo = this.core.repo;
    return this.networks.list(ctx, filters).map((n) => {
      const subnets = repo.subnets.list({ network_id: n.id }).map((s) => ({
        subnet_id: s.id,
        ip_version: s.ip_version,
        cidr: s.cidr,
        subnet_name: s.name,
        used_ips: repo.countAllocations(s.id),
        total_ips: Number(poolCapacity(s)),
      }));
      return {
        network_id: n.id,
        network_name: n.name,
        tenant_id: n.tenant_id,
        project_id: n.project_id,
        total_ips: subnets.reduce((a, s) => a + s.total_ips, 0),
        used_ips: subnets.reduce((a, s) => a + s.used_ips, 0),
        subnet_ip_availability: subnets,
      } as unknown as Doc;
    });
  }

  ipAvailability(ctx: RequestContext, networkId: string): Doc {
    const found = this.ipAvailabilities(ctx, { id: [networkId] })[0];
    if (!found) throw neutronErrors.networkNotFound(networkId);
    return found;
  }
}

/** A real neutron-server shows `is_default` in a network's create answer only, not in reads. */
function readView(d: Doc): Doc {
  const { is_default: _, ...rest } = d;
  return rest as Doc;
}

function tableOf(repo: NeutronRepo, kind: string): DocTable<Doc> {
  const tables: Record<string, DocTable<Doc>> = {
    network: repo.networks,
    subnet: repo.subnets,
    port: repo.ports,
    router: repo.routers,
    floatingip: repo.floatingips,
    security_group: repo.securityGroups,
    policy: repo.qosPolicies,
  };
  return tables[kind];
}
