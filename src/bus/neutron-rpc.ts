// The calls Neutron's agents make to neutron-server, named as in Neutron's agent RPC
// (neutron/api/rpc/handlers/*, plugins/ml2/rpc.py, db/agents_db.py, l3_rpc.py, dhcp_rpc.py,
// securitygroups_rpc.py). Requests and answers are plain data; the field names are Neutron's.
import type {
  FixedIp,
  NeutronAgent,
  NeutronFloatingIp,
  NeutronNetwork,
  NeutronPort,
  NeutronRouter,
  NeutronSecurityGroupRule,
  NeutronSubnet,
} from './neutron-events.js';

/** What report_state carries every report_interval (30 s): agents_db's agent_state. */
export interface AgentState {
  binary: string;
  host: string;
  topic: string;
  agent_type: string;
  configurations: Record<string, unknown>;
  availability_zone?: string;
  start_flag?: boolean;
  resource_versions?: Record<string, string>;
  description?: string;
}

/** ML2's get_device_details answer for a port bound to the asking host. */
export interface DeviceDetails {
  device: string;
  port_id: string;
  mac_address: string;
  admin_state_up: boolean;
  network_id: string;
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
  mtu: number;
  fixed_ips: FixedIp[];
  device_owner: string;
  allowed_address_pairs: { ip_address: string; mac_address: string }[];
  port_security_enabled: boolean;
  security_groups: string[];
  qos_policy_id: string | null;
  network_qos_policy_id: string | null;
  profile: Record<string, unknown>;
}

/** Security group info for the firewall driver (securitygroups_rpc security_group_info_for_devices). */
export interface SecurityGroupInfo {
  /** sg id → its rules. */
  security_groups: Record<string, NeutronSecurityGroupRule[]>;
  /** sg id → member addresses by ethertype, for remote_group_id rules (the ipsets). */
  sg_member_ips: Record<string, { IPv4: string[]; IPv6: string[] }>;
  /** port id → the port (with its security groups and fixed IPs). */
  devices: Record<string, NeutronPort>;
}

/** A router as the L3 agent syncs it (l3_rpc sync_routers): with its ports and floating IPs. */
export interface SyncedRouter extends NeutronRouter {
  gw_port: (NeutronPort & { subnets: NeutronSubnet[] }) | null;
  _interfaces: (NeutronPort & { subnets: NeutronSubnet[] })[];
  _floatingips: NeutronFloatingIp[];
}

/** A network as the DHCP agent needs it: with its subnets and ports. */
export interface DhcpNetwork extends NeutronNetwork {
  subnets_detail: NeutronSubnet[];
  ports: NeutronPort[];
}

declare module './bus.js' {
  interface BusCalls {
    report_state: {
      request: { agent_state: AgentState; time: string };
      response: { status: 'new' | 'alive' | 'revived'; agent: NeutronAgent };
    };
    get_devices_details_list: {
      request: { agent_id: string; host: string; devices: string[] };
      /** Unknown devices, or ports bound elsewhere, come back as `{ device }` only. */
      response: (DeviceDetails | { device: string })[];
    };
    update_device_up: {
      /**
       * refresh_tunnels: the agent's first loop of a run, Open vSwitch lost its flows, or a
       * tunnelled network of the port has no tunnel yet — l2population then casts the network's
       * fdb entries to this host again (update_port_up's refresh_tunnels).
       */
      request: { agent_id: string; host: string; device: string; refresh_tunnels?: boolean };
      response: { device: string; exists: boolean };
    };
    update_device_down: {
      request: { agent_id: string; host: string; device: string };
      response: { device: string; exists: boolean };
    };
    security_group_info_for_devices: {
      request: { devices: string[] };
      response: SecurityGroupInfo;
    };
    tunnel_sync: {
      request: { tunnel_ip: string; tunnel_type: string; host: string };
      response: { tunnels: { ip_address: string; host: string }[] };
    };
    get_active_networks_info: {
      request: { host: string };
      response: string[];
    };
    get_network_info: {
      request: { host: string; network_id: string };
      response: DhcpNetwork | null;
    };
    sync_routers: {
      request: { host: string; router_ids?: string[] };
      response: SyncedRouter[];
    };
    /** The DHCP agent's own port on a network (dhcp_rpc create_dhcp_port); null if the network is gone. */
    create_dhcp_port: {
      request: {
        host: string;
        port: {
          network_id: string;
          device_id: string;
          name?: string;
          admin_state_up?: boolean;
          project_id?: string;
          fixed_ips?: { subnet_id: string; ip_address?: string }[];
        };
      };
      response: NeutronPort | null;
    };
    /** New subnets for the DHCP port (dhcp_rpc update_dhcp_port). */
    update_dhcp_port: {
      request: {
        host: string;
        port_id: string;
        port: { network_id: string; fixed_ips: { subnet_id: string; ip_address?: string }[] };
      };
      response: NeutronPort;
    };
    /**
     * The DHCP agent's dnsmasq serves these ports now (dhcp_rpc dhcp_ready_on_ports): their DHCP
     * provisioning blocks are complete. Sent in batches of at most 64, every 0.1 s.
     */
    dhcp_ready_on_ports: {
      request: { host: string; port_ids: string[] };
      response: null;
    };
    release_dhcp_port: {
      request: { network_id: string; device_id: string; host: string };
      response: { released: boolean };
    };
    update_floatingip_statuses: {
      request: { router_id: string; fip_statuses: Record<string, string> };
      response: { updated: string[] };
    };
  }
}
