// The parts of Neutron's agent RPC payloads the DHCP and L3 agents read, with Neutron's field
// names (neutron/api/rpc/handlers/dhcp_rpc.py get_network_info, l3_rpc.py sync_routers). They are
// structural subsets: the bus catalogue's full resources (src/bus/neutron-*.ts) fit them.

export interface FixedIp {
  subnet_id: string;
  ip_address: string;
}

export interface Route {
  destination: string;
  nexthop: string;
}

export interface Subnet {
  id: string;
  network_id?: string;
  ip_version: number;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp?: boolean;
  dns_nameservers?: string[];
  host_routes?: Route[];
}

export interface Port {
  id: string;
  network_id: string;
  project_id?: string;
  mac_address: string;
  admin_state_up: boolean;
  device_id: string;
  device_owner: string;
  fixed_ips: FixedIp[];
  /** The network's MTU, added by sync_routers (_populate_mtu_and_subnets_for_ports). */
  mtu?: number;
  /** dns_assignment of the dns extension: hostname/fqdn per IP (absent: host-<ip>). */
  dns_assignment?: { hostname: string; ip_address: string; fqdn: string }[];
  extra_dhcp_opts?: { opt_name: string; opt_value: string; ip_version?: number }[];
}

/**
 * get_network_info's answer: the network with its subnets and ports. Real Neutron puts the
 * subnet dicts under `subnets`; the bus catalogue keeps the ids there and the dicts in
 * `subnets_detail` — both are read.
 */
export interface NetworkInfo {
  id: string;
  project_id?: string;
  tenant_id?: string;
  admin_state_up: boolean;
  mtu?: number;
  subnets: (Subnet | string)[];
  subnets_detail?: Subnet[];
  ports: Port[];
}

/** The subnet dicts of a get_network_info answer, whichever field carries them. */
export function networkSubnets(n: NetworkInfo): Subnet[] {
  if (n.subnets_detail !== undefined) return n.subnets_detail;
  return n.subnets.filter((s): s is Subnet => typeof s !== 'string');
}

/** A port of a synced router, with the subnets of its fixed IPs. */
export interface RouterPort extends Port {
  subnets?: Subnet[];
}

export interface FloatingIp {
  id: string;
  floating_ip_address: string;
  fixed_ip_address: string | null;
  port_id: string | null;
  router_id: string | null;
  status: string;
  floating_network_id?: string;
}

/** A router as sync_routers gives it to the L3 agent. */
export interface SyncedRouter {
  id: string;
  name?: string;
  admin_state_up: boolean;
  external_gateway_info?: {
    network_id: string;
    enable_snat?: boolean;
    external_fixed_ips?: FixedIp[];
  } | null;
  routes?: Route[];
  gw_port?: RouterPort | null;
  _interfaces?: RouterPort[];
  _floatingips?: FloatingIp[];
}

/** report_state's agent_state (neutron/db/agents_db.py). */
export interface AgentState {
  binary: string;
  host: string;
  topic: string;
  agent_type: string;
  availability_zone?: string;
  configurations: Record<string, unknown>;
  start_flag?: boolean;
}

/** The prefix length of the subnet an address belongs to, from a list of subnets. */
export function prefixOf(subnets: Subnet[], subnetId: string): number | null {
  const s = subnets.find((x) => x.id === subnetId);
  if (s === undefined) return null;
  return Number(s.cidr.split('/')[1]);
}
