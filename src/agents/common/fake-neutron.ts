// A neutron-server stand-in for the network-node agents' tests and benchmark: an in-memory model
// (networks, subnets, ports, routers, floating IPs; sequential IPAM from .2) serving the agents'
// RPC on a Bus and publishing Neutron's notifications, with the payload shapes of the bus
// catalogue (src/bus/neutron-rpc.ts).
import { Bus } from '../../bus/bus.js';
import { ip, ipToString, parseCidr } from '../../wire/ipv4-address.js';
import type { AgentBus } from './agent-bus.js';
import type { FloatingIp, Port, Subnet, SyncedRouter } from './neutron-payloads.js';

interface Net {
  id: string;
  project_id: string;
  admin_state_up: boolean;
  mtu: number;
  external: boolean;
  subnets: string[];
}

/** The bus as the fake server uses it (string-named, whatever the catalogue declares). */
interface LooseBus {
  serve(method: string, handler: (request: never) => unknown): () => void;
  publish(topic: string, payload: unknown): void;
  idle(): Promise<void>;
}

/** A neutron-server stand-in: the model plus the agents' RPC over a Bus. */
export class FakeNeutron {
  readonly bus = new Bus();
  readonly nets = new Map<string, Net>();
  readonly subnets = new Map<string, Subnet & { allocation_pools: { start: string; end: string }[] }>();
  readonly ports = new Map<string, Port>();
  readonly routers = new Map<string, SyncedRouter & { gw_port_id: string | null }>();
  readonly fips = new Map<string, FloatingIp>();
  readonly reports: { agent_state: Record<string, unknown> }[] = [];
  readonly fipStatusCalls: Record<string, string>[] = [];
  /** The ports the DHCP agent reported ready (dhcp_ready_on_ports), one entry per call. */
  readonly dhcpReadyCalls: string[][] = [];
  readonly calls: string[] = [];
  private n = 0;

  constructor() {
    const b = this.loose;
    // Requests are read as loosely as the Python server reads its dicts.
    // biome-ignore lint/suspicious/noExplicitAny: RPC payloads of many shapes
    type Req = any;
    const serve = (m: string, h: (r: Req) => unknown) =>
      b.serve(m, (r: Req) => {
        this.calls.push(m);
        return h(r);
      });
    serve('report_state', (r) => {
      this.reports.push(r);
      return { status: this.reports.length === 1 ? 'new' : 'alive' };
    });
    serve('get_active_networks_info', () =>
      [...this.nets.values()]
        .filter((n) => n.subnets.some((s) => this.subnets.get(s)?.enable_dhcp))
        .map((n) => n.id),
    );
    serve('get_network_info', (r) => this.networkInfo(r.network_id));
    serve('create_dhcp_port', (r) => {
      const p = r.port;
      if (!this.nets.has(p.network_id)) return null;
      return this.createPort(p.network_id, {
        device_id: p.device_id,
        device_owner: 'network:dhcp',
        fixed_ips: p.fixed_ips,
      });
    });
    serve('update_dhcp_port', (r) => {
      const port = this.ports.get(r.port_id)!;
      port.fixed_ips = r.port.fixed_ips.map((f: { subnet_id: string; ip_address?: string }) => ({
        subnet_id: f.subnet_id,
        ip_address: f.ip_address ?? this.allocate(f.subnet_id),
      }));
      return port;
    });
    serve('dhcp_ready_on_ports', (r) => {
      this.dhcpReadyCalls.push(r.port_ids);
      return null;
    });
    serve('release_dhcp_port', (r) => {
      for (const p of this.ports.values())
        if (p.device_id === r.device_id && p.network_id === r.network_id) this.ports.delete(p.id);
      return null;
    });
    serve('sync_routers', (r) =>
      [...this.routers.values()]
        .filter((x) => !r.router_ids || r.router_ids.includes(x.id))
        .map((x) => this.syncedRouter(x.id)),
    );
    serve('update_floatingip_statuses', (r) => {
      this.fipStatusCalls.push(r.fip_statuses);
      for (const [id, st] of Object.entries(r.fip_statuses as Record<string, string>)) {
        const f = this.fips.get(id);
        if (f) f.status = st;
      }
      return { updated: Object.keys(r.fip_statuses) };
    });
  }

  get loose(): LooseBus {
    return this.bus as unknown as LooseBus;
  }

  /** The bus as an agent sees it. */
  get agentBus(): AgentBus {
    return this.bus as unknown as AgentBus;
  }

  private id(kind: number): string {
    const n = (++this.n).toString(16).padStart(8, '0');
    return `${n}-${kind.toString(16).padStart(4, '0')}-4${n.slice(0, 3)}-8${n.slice(3, 6)}-${n}${n.slice(0, 4)}`;
  }

  private mac(): string {
    const n = ++this.n;
    return `fa:16:3e:${(n >> 16).toString(16).padStart(2, '0')}:${((n >> 8) & 255).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`;
  }

  createNetwork(opts: { external?: boolean; mtu?: number } = {}): string {
    const id = this.id(1);
    this.nets.set(id, {
      id,
      project_id: 'p1',
      admin_state_up: true,
      mtu: opts.mtu ?? (opts.external ? 1500 : 1450),
      external: opts.external ?? false,
      subnets: [],
    });
    this.loose.publish('network.created', { network: { id } });
    return id;
  }

  createSubnet(networkId: string, cidr: string, opts: Partial<Subnet> = {}): string {
    const id = this.id(2);
    const c = parseCidr(cidr)!;
    const first = ipToString(c.network + 1);
    this.subnets.set(id, {
      id,
      network_id: networkId,
      ip_version: 4,
      cidr,
      gateway_ip: first,
      enable_dhcp: true,
      dns_nameservers: [],
      host_routes: [],
      allocation_pools: [{ start: ipToString(c.network + 2), end: ipToString((c.network | ~c.mask) - 1) }],
      ...opts,
    });
    this.nets.get(networkId)!.subnets.push(id);
    this.loose.publish('subnet.created', { subnet: this.subnets.get(id) });
    return id;
  }

  private allocate(subnetId: string, wanted?: string): string {
    const s = this.subnets.get(subnetId)!;
    if (wanted) return wanted;
    const used = new Set(
      [...this.ports.values()]
        .flatMap((p) => p.fixed_ips.map((f) => f.ip_address))
        .concat(s.gateway_ip ?? []),
    );
    for (let a = ip(s.allocation_pools[0].start); a <= ip(s.allocation_pools[0].end); a++)
      if (!used.has(ipToString(a))) return ipToString(a);
    throw new Error('pool exhausted');
  }

  createPort(
    networkId: string,
    opts: Omit<Partial<Port>, 'fixed_ips'> & {
      fixed_ips?: { subnet_id: string; ip_address?: string }[];
    } = {},
  ): Port {
    const net = this.nets.get(networkId)!;
    const wanted: { subnet_id: string; ip_address?: string }[] =
      opts.fixed_ips ?? net.subnets.map((subnet_id) => ({ subnet_id }));
    const fixed = wanted.map((f) => ({
      subnet_id: f.subnet_id,
      ip_address: this.allocate(f.subnet_id, f.ip_address),
    }));
    const port: Port = {
      id: opts.id ?? this.id(3),
      network_id: networkId,
      project_id: 'p1',
      mac_address: opts.mac_address ?? this.mac(),
      admin_state_up: true,
      device_id: opts.device_id ?? '',
      device_owner: opts.device_owner ?? 'compute:nova',
      fixed_ips: fixed,
    };
    this.ports.set(port.id, port);
    this.loose.publish('port.created', { port });
    return port;
  }

  deletePort(id: string): void {
    const port = this.ports.get(id)!;
    this.ports.delete(id);
    this.loose.publish('port.deleted', { port });
  }

  networkInfo(id: string) {
    const n = this.nets.get(id);
    if (!n) return null;
    return {
      id: n.id,
      project_id: n.project_id,
      tenant_id: n.project_id,
      admin_state_up: n.admin_state_up,
      mtu: n.mtu,
      subnets: n.subnets.map((s) => this.subnets.get(s)!),
      ports: [...this.ports.values()].filter((p) => p.network_id === id),
    };
  }

  createRouter(): string {
    const id = this.id(4);
    this.routers.set(id, {
      id,
      admin_state_up: true,
      routes: [],
      gw_port_id: null,
      external_gateway_info: null,
    });
    this.loose.publish('router.created', { router: { id } });
    return id;
  }

  addInterface(routerId: string, subnetId: string): Port {
    const s = this.subnets.get(subnetId)!;
    const port = this.createPort(s.network_id!, {
      device_id: routerId,
      device_owner: 'network:router_interface',
      fixed_ips: [{ subnet_id: subnetId, ip_address: s.gateway_ip! }],
    });
    this.loose.publish('router.interface_added', {
      router_id: routerId,
      port_id: port.id,
      subnet_id: subnetId,
    });
    return port;
  }

  removeInterface(routerId: string, portId: string): void {
    this.deletePort(portId);
    this.loose.publish('router.interface_removed', { router_id: routerId, port_id: portId });
  }

  setGateway(routerId: string, extNetworkId: string): Port {
    const r = this.routers.get(routerId)!;
    const port = this.createPort(extNetworkId, {
      device_id: routerId,
      device_owner: 'network:router_gateway',
    });
    r.gw_port_id = port.id;
    r.external_gateway_info = {
      network_id: extNetworkId,
      enable_snat: true,
      external_fixed_ips: port.fixed_ips,
    };
    this.loose.publish('router.updated', { router: { id: routerId } });
    return port;
  }

  deleteRouter(routerId: string): void {
    for (const p of [...this.ports.values()]) if (p.device_id === routerId) this.ports.delete(p.id);
    this.routers.delete(routerId);
    this.loose.publish('router.deleted', { router: { id: routerId } });
  }

  /** A floating IP on the external network, associated with `port` through `routerId`. */
  createFloatingIp(extNetworkId: string, routerId: string, port: Port): FloatingIp {
    const fport = this.createPort(extNetworkId, { device_owner: 'network:floatingip' });
    const fip: FloatingIp = {
      id: this.id(5),
      floating_ip_address: fport.fixed_ips[0].ip_address,
      floating_network_id: extNetworkId,
      fixed_ip_address: port.fixed_ips[0].ip_address,
      port_id: port.id,
      router_id: routerId,
      status: 'DOWN',
    };
    this.fips.set(fip.id, fip);
    this.loose.publish('floatingip.updated', { floatingip: fip });
    return fip;
  }

  disassociate(fipId: string): void {
    const f = this.fips.get(fipId)!;
    const old = f.router_id;
    Object.assign(f, { port_id: null, fixed_ip_address: null, router_id: null });
    this.loose.publish('floatingip.updated', { floatingip: { ...f, router_id: old } });
  }

  private withSubnets(p: Port) {
    return {
      ...p,
      mtu: this.nets.get(p.network_id)!.mtu,
      subnets: p.fixed_ips.map((f) => this.subnets.get(f.subnet_id)!),
    };
  }

  syncedRouter(id: string): SyncedRouter {
    const r = this.routers.get(id)!;
    const ifaces = [...this.ports.values()].filter(
      (p) => p.device_id === id && p.device_owner === 'network:router_interface',
    );
    const gw = r.gw_port_id ? this.ports.get(r.gw_port_id) : undefined;
    return {
      id,
      admin_state_up: r.admin_state_up,
      external_gateway_info: r.external_gateway_info,
      routes: r.routes,
      gw_port: gw ? this.withSubnets(gw) : null,
      _interfaces: ifaces.map((p) => this.withSubnets(p)),
      _floatingips: [...this.fips.values()].filter((f) => f.router_id === id && f.port_id !== null),
    };
  }
}
