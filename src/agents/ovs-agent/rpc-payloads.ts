// The parts of Neutron's agent RPC the Open vSwitch agent reads, with Neutron's field names
// (plugins/ml2/rpc.py get_device_details, api/rpc/handlers/securitygroups_rpc.py
// security_group_info_for_devices, tunnel_sync, l2population fdb_add/fdb_remove). Structural
// subsets: the bus catalogue's full payloads (src/bus/neutron-*.ts) fit them.
import type { FixedIp } from '../common/neutron-payloads.js';

/** get_devices_details_list: one entry per device; an unknown or unbound port is `{ device }` only. */
export interface DeviceDetails {
  device: string;
  port_id: string;
  mac_address: string;
  admin_state_up: boolean;
  network_id: string;
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
  mtu?: number;
  fixed_ips: FixedIp[];
  device_owner: string;
  allowed_address_pairs: { ip_address: string; mac_address?: string | null }[];
  port_security_enabled: boolean;
  security_groups: string[];
}

export type DeviceDetailsEntry = DeviceDetails | { device: string; port_id?: string };

export const hasDetails = (d: DeviceDetailsEntry): d is DeviceDetails => 'network_id' in d && !!d.network_id;

/** A rule as the server sends it (the API's form; the agent converts remote_ip_prefix itself). */
export interface SgRulePayload {
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  [attribute: string]: unknown;
}

/** security_group_info_for_devices' answer. */
export interface SecurityGroupInfo {
  security_groups: Record<string, SgRulePayload[]>;
  sg_member_ips: Record<string, { IPv4: (string | [string, string])[]; IPv6: (string | [string, string])[] }>;
  devices: Record<string, unknown>;
}

/** tunnel_sync's answer: every tunnel endpoint the server knows. */
export interface TunnelSyncReply {
  tunnels: { ip_address: string; host?: string }[];
}

/**
 * l2population's fdb entries (l2pop/rpc_manager): per network, per agent tunneling IP, the
 * [MAC, IP] of each port there; the all-zero entry (FLOODING_ENTRY) asks for flooding to that host.
 */
export interface FdbEntries {
  [networkId: string]: {
    segment_id: number;
    network_type: string;
    ports: Record<string, [string, string][]>;
  };
}

export const FLOODING_ENTRY: [string, string] = ['00:00:00:00:00:00', '0.0.0.0'];
