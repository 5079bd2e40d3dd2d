// Neutron's notifications on the bus: one event per change of a resource, carrying the whole
// resource as the API's admin view shows it (with its revision_number), like the
// `<resource>.create.end` / `.update.end` / `.delete.end` notifications neutron-server emits and
// the agents' fan-out topics (port_update, security_groups_rule_updated, routers_updated …)
// that tell agents to resync. Plain data only, so a broker could carry them.

export interface FixedIp {
  subnet_id: string;
  ip_address: string;
}

export interface NeutronNetwork {
  id: string;
  name: string;
  project_id: string;
  tenant_id: string;
  admin_state_up: boolean;
  status: string;
  mtu: number;
  shared: boolean;
  subnets: string[];
  'router:external': boolean;
  'provider:network_type': string;
  'provider:physical_network': string | null;
  'provider:segmentation_id': number | null;
  port_security_enabled: boolean;
  revision_number: number;
  [attribute: string]: unknown;
}

export interface NeutronSubnet {
  id: string;
  name: string;
  project_id: string;
  network_id: string;
  ip_version: number;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: boolean;
  allocation_pools: { start: string; end: string }[];
  dns_nameservers: string[];
  host_routes: { destination: string; nexthop: string }[];
  revision_number: number;
  [attribute: string]: unknown;
}

export interface NeutronPort {
  id: string;
  name: string;
  project_id: string;
  network_id: string;
  mac_address: string;
  admin_state_up: boolean;
  status: string;
  device_id: string;
  device_owner: string;
  fixed_ips: FixedIp[];
  security_groups: string[];
  port_security_enabled: boolean;
  allowed_address_pairs: { ip_address: string; mac_address: string }[];
  'binding:host_id': string;
  'binding:vif_type': string;
  'binding:vif_details': Record<string, unknown>;
  'binding:vnic_type': string;
  'binding:profile': Record<string, unknown>;
  revision_number: number;
  [attribute: string]: unknown;
}

export interface NeutronRouter {
  id: string;
  name: string;
  project_id: string;
  admin_state_up: boolean;
  status: string;
  external_gateway_info: {
    network_id: string;
    enable_snat: boolean;
    external_fixed_ips: FixedIp[];
  } | null;
  routes: { destination: string; nexthop: string }[];
  revision_number: number;
  [attribute: string]: unknown;
}

export interface NeutronFloatingIp {
  id: string;
  project_id: string;
  floating_ip_address: string;
  floating_network_id: string;
  router_id: string | null;
  port_id: string | null;
  fixed_ip_address: string | null;
  status: string;
  revision_number: number;
  [attribute: string]: unknown;
}

export interface NeutronSecurityGroupRule {
  id: string;
  project_id: string;
  security_group_id: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  revision_number: number;
  [attribute: string]: unknown;
}

export interface NeutronSecurityGroup {
  id: string;
  name: string;
  project_id: string;
  stateful: boolean;
  security_group_rules: NeutronSecurityGroupRule[];
  revision_number: number;
  [attribute: string]: unknown;
}

/** The kinds of resource whose changes are published. */
export interface NeutronResources {
  network: NeutronNetwork;
  subnet: NeutronSubnet;
  port: NeutronPort;
  router: NeutronRouter;
  floatingip: NeutronFloatingIp;
  security_group: NeutronSecurityGroup;
  security_group_rule: NeutronSecurityGroupRule;
}
export type NeutronResourceKind = keyof NeutronResources;

/** `{ port: {...} }` — the payload of `port.created` and its kin, as Neutron's notifications nest it. */
export type ResourceEvent<K extends NeutronResourceKind> = { [P in K]: NeutronResources[K] };

/**
 * A port or floating IP changed through the API (Neutron's BEFORE_RESPONSE callback that the
 * Nova notifier's send_network_change receives): for ports `original`/`returned` are the port,
 * for floating IPs the floating IP; `port` is the compute port concerned, if any (the floating
 * IP's port now, or before a disassociation).
 */
export interface NetworkChangeEvent {
  action: 'update_port' | 'delete_port' | 'create_floatingip' | 'update_floatingip' | 'delete_floatingip';
  /** For a floating IP moved from one port to another without a disassociation first: the old port. */
  previousPort: { id: string; device_id: string; device_owner: string } | null;
  port: { id: string; device_id: string; device_owner: string } | null;
}

/** A port's status changed (ACTIVE once the agents lifted its provisioning blocks): Nova's vif-plugged. */
export interface PortStatusEvent {
  port_id: string;
  device_id: string;
  device_owner: string;
  network_id: string;
  host: string;
  previous: string;
  status: string;
  port: NeutronPort;
}

/** A router's interfaces or gateway changed (routers_updated to the L3 agents). */
export interface RouterInterfaceEvent {
  router_id: string;
  port_id: string;
  subnet_id: string;
  network_id: string;
  project_id: string;
}

/** A tunnel endpoint appeared (tunnel_update fan-out after tunnel_sync). */
export interface TunnelUpdateEvent {
  tunnel_ip: string;
  tunnel_type: string;
  host: string;
}

/** An agent's state as report_state left it. */
export interface AgentEvent {
  agent: NeutronAgent;
}

export interface NeutronAgent {
  id: string;
  agent_type: string;
  binary: string;
  host: string;
  topic: string;
  availability_zone: string | null;
  admin_state_up: boolean;
  alive: boolean;
  configurations: Record<string, unknown>;
  created_at: string;
  started_at: string;
  heartbeat_timestamp: string;
  description: string | null;
  resources_synced: boolean | null;
  [attribute: string]: unknown;
}

type Changes<K extends NeutronResourceKind> = {
  [E in `${K}.created` | `${K}.updated` | `${K}.deleted`]: ResourceEvent<K>;
};

declare module './bus.js' {
  interface BusEvents
    extends Changes<'network'>,
      Changes<'subnet'>,
      Changes<'port'>,
      Changes<'router'>,
      Changes<'floatingip'>,
      Changes<'security_group'>,
      Changes<'security_group_rule'> {
    'port.status_changed': PortStatusEvent;
    'port.network_change': NetworkChangeEvent;
    'router.interface_added': RouterInterfaceEvent;
    'router.interface_removed': RouterInterfaceEvent;
    'tunnel.updated': TunnelUpdateEvent;
    'agent.updated': AgentEvent;
  }
}
