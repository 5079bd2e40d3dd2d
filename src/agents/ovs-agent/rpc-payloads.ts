// The agent RPC payloads the Open vSwitch agent reads, from the bus catalogue (Neutron's field
// names: plugins/ml2/rpc.py get_device_details, securitygroups_rpc security_group_info_for_devices,
// tunnel_sync, l2population fdb_add/fdb_remove/fdb_update).
import type { DeviceDetails } from '../../bus/neutron-rpc.js';

export type { FdbChgIp, FdbEntries } from '../../bus/neutron-l2pop.js';
export type { DeviceDetails, SecurityGroupInfo } from '../../bus/neutron-rpc.js';

/** get_devices_details_list: one entry per device; an unknown or unbound port is `{ device }` only. */
export type DeviceDetailsEntry = DeviceDetails | { device: string };

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

export const FLOODING_ENTRY: [string, string] = ['00:00:00:00:00:00', '0.0.0.0'];
