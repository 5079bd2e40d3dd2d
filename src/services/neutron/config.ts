// The options neutron-server reads from neutron.conf and plugins/ml2/ml2_conf.ini, with Zed's
// defaults (neutron/conf/common.py, quota.py, plugins/ml2/config.py, drivers/type_*.py). The
// files pocketstack ships in etc/neutron are packstack's; `--config-dir` points at others.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type ConfigSchema, type ConfigValues, loadConfig, opt } from '../../sim/oslo-config.js';

// Options neutron.conf may hold that pocketstack accepts without acting on them (they matter to a
// real deployment's plumbing, not to what a user sees): declared so they are not "unknown".
const plumbing = (names: string[]) => Object.fromEntries(names.map((n) => [n, opt.str(null)]));

export const neutronConfSchema: ConfigSchema = {
  DEFAULT: {
    global_physnet_mtu: opt.int(1500, { min: 68 }),
    base_mac: opt.str('fa:16:3e:00:00:00'),
    agent_down_time: opt.int(75, { min: 1 }),
    allow_overlapping_ips: opt.bool(true),
    max_fixed_ips_per_port: opt.int(5, { min: 1 }),
    dhcp_agents_per_network: opt.int(1, { min: 1 }),
    default_availability_zones: opt.list([]),
    service_plugins: opt.list([]),
    core_plugin: opt.str('ml2'),
    auth_strategy: opt.str('keystone', { choices: ['keystone', 'noauth'] }),
    debug: opt.bool(false),
    l3_ha: opt.bool(false),
    notify_nova_on_port_status_changes: opt.bool(true),
    notify_nova_on_port_data_changes: opt.bool(true),
    send_events_interval: opt.int(2, { min: 0 }),
    api_workers: opt.int(null, { min: 0 }),
    rpc_workers: opt.int(null, { min: 0 }),
    max_l3_agents_per_router: opt.int(3, { min: 0 }),
    bind_port: opt.int(9696, { min: 0, max: 65535 }),
    ...plumbing([
      'bind_host',
      'router_scheduler_driver',
      'log_dir',
      'log_file',
      'transport_url',
      'control_exchange',
      'state_path',
      'dns_domain',
      'ipam_driver',
      'api_paste_config',
      'use_syslog',
    ]),
  },
  agent: { report_interval: opt.float(30, { min: 0 }), ...plumbing(['root_helper', 'root_helper_daemon']) },
  database: plumbing(['connection', 'max_retries']),
  keystone_authtoken: plumbing([
    'www_authenticate_uri',
    'auth_uri',
    'auth_type',
    'auth_url',
    'username',
    'password',
    'user_domain_name',
    'project_name',
    'project_domain_name',
    'memcached_servers',
    'region_name',
    'service_token_roles_required',
  ]),
  nova: plumbing([
    'region_name',
    'auth_url',
    'auth_type',
    'password',
    'project_domain_id',
    'project_domain_name',
    'project_name',
    'tenant_name',
    'user_domain_id',
    'user_domain_name',
    'username',
    'endpoint_type',
  ]),
  oslo_concurrency: plumbing(['lock_path']),
  oslo_policy: plumbing(['policy_file', 'enforce_scope', 'enforce_new_defaults']),
  oslo_messaging_rabbit: plumbing(['ssl', 'heartbeat_timeout_threshold']),
  oslo_messaging_notifications: plumbing(['driver', 'topics']),
  quotas: {
    quota_network: opt.int(100, { min: -1 }),
    quota_subnet: opt.int(100, { min: -1 }),
    quota_port: opt.int(500, { min: -1 }),
    quota_router: opt.int(10, { min: -1 }),
    quota_floatingip: opt.int(50, { min: -1 }),
    quota_security_group: opt.int(10, { min: -1 }),
    quota_security_group_rule: opt.int(100, { min: -1 }),
    quota_rbac_policy: opt.int(10, { min: -1 }),
    quota_subnetpool: opt.int(-1, { min: -1 }),
    quota_driver: opt.str(null),
  },
};

export const ml2ConfSchema: ConfigSchema = {
  DEFAULT: {},
  ml2: {
    type_drivers: opt.list(['local', 'flat', 'vlan', 'gre', 'vxlan', 'geneve']),
    tenant_network_types: opt.list(['local']),
    mechanism_drivers: opt.list([]),
    extension_drivers: opt.list([]),
    path_mtu: opt.int(1500, { min: 0 }),
    physical_network_mtus: opt.list([]),
    external_network_type: opt.str(null),
    overlay_ip_version: opt.int(4, { min: 4, max: 6 }),
  },
  l2pop: { agent_boot_time: opt.int(180, { min: 0 }) },
  ml2_type_flat: { flat_networks: opt.list(['*']) },
  ml2_type_vlan: { network_vlan_ranges: opt.list([]) },
  ml2_type_vxlan: { vni_ranges: opt.list([]), vxlan_group: opt.str(null) },
  ml2_type_gre: { tunnel_id_ranges: opt.list([]) },
  ml2_type_geneve: { vni_ranges: opt.list([]), max_header_size: opt.int(38) },
  securitygroup: {
    firewall_driver: opt.str(null),
    enable_security_group: opt.bool(true),
    enable_ipset: opt.bool(true),
    permitted_ethertypes: opt.list([]),
  },
};

export interface NeutronConfig {
  /** [DEFAULT] notify_nova_on_port_status_changes / _data_changes, send_events_interval (s). */
  novaNotifier: { statusChanges: boolean; dataChanges: boolean; sendEventsInterval: number };
  globalPhysnetMtu: number;
  baseMac: string;
  agentDownTime: number;
  maxFixedIpsPerPort: number;
  quotas: Record<QuotaResource, number>;
  ml2: {
    typeDrivers: string[];
    tenantNetworkTypes: string[];
    mechanismDrivers: string[];
    extensionDrivers: string[];
    pathMtu: number;
    physicalNetworkMtus: Record<string, number>;
    flatNetworks: string[];
    vlanRanges: string[];
    vniRanges: string[];
    vxlanGroup: string | null;
  };
  enableSecurityGroup: boolean;
  firewallDriver: string | null;
  /** Where the files came from, for the log. */
  files: string[];
}

export type QuotaResource =
  | 'network'
  | 'subnet'
  | 'port'
  | 'router'
  | 'floatingip'
  | 'security_group'
  | 'security_group_rule'
  | 'rbac_policy'
  | 'subnetpool';

export const QUOTA_RESOURCES: readonly QuotaResource[] = [
  'network',
  'subnet',
  'port',
  'router',
  'floatingip',
  'security_group',
  'security_group_rule',
  'rbac_policy',
  'subnetpool',
];

/** The shipped files: etc/neutron beside src/ (and dist/, and the bundle dist/pocketstack.mjs). */
export function shippedConfigDir(): string {
  for (const up of ['../etc', '../../../etc', '../../../../etc']) {
    const p = new URL(up, import.meta.url).pathname;
    if (existsSync(join(p, 'neutron'))) return p;
  }
  return new URL('../../../etc', import.meta.url).pathname;
}

/**
 * Reads DIR/neutron/neutron.conf and DIR/neutron/plugins/ml2/ml2_conf.ini (a missing file leaves
 * the defaults). Throws ConfigError with the file and line for a bad value.
 */
export function loadNeutronConfig(
  dir: string = shippedConfigDir(),
  warn?: (m: string) => void,
): NeutronConfig {
  const file = (rel: string) => {
    const path = join(dir, rel);
    return existsSync(path) ? { path } : null;
  };
  const conf = file('neutron/neutron.conf');
  const ml2File = file('neutron/plugins/ml2/ml2_conf.ini');
  return neutronConfig(loadConfig(neutronConfSchema, conf, warn), loadConfig(ml2ConfSchema, ml2File, warn), [
    conf?.path,
    ml2File?.path,
  ]);
}

export function neutronConfig(
  n: ConfigValues,
  m: ConfigValues,
  files: (string | undefined)[] = [],
): NeutronConfig {
  const d = n.DEFAULT;
  const q = n.quotas;
  const mtus: Record<string, number> = {};
  for (const item of m.ml2.physical_network_mtus as string[]) {
    const [net, mtu] = item.split(':');
    if (net && Number.isInteger(Number(mtu))) mtus[net] = Number(mtu);
  }
  return {
    novaNotifier: {
      statusChanges: d.notify_nova_on_port_status_changes as boolean,
      dataChanges: d.notify_nova_on_port_data_changes as boolean,
      sendEventsInterval: d.send_events_interval as number,
    },
    globalPhysnetMtu: d.global_physnet_mtu as number,
    baseMac: d.base_mac as string,
    agentDownTime: d.agent_down_time as number,
    maxFixedIpsPerPort: d.max_fixed_ips_per_port as number,
    quotas: Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, q[`quota_${r}`] as number])) as Record<
      QuotaResource,
      number
    >,
    ml2: {
      typeDrivers: m.ml2.type_drivers as string[],
      tenantNetworkTypes: m.ml2.tenant_network_types as string[],
      mechanismDrivers: m.ml2.mechanism_drivers as string[],
      extensionDrivers: m.ml2.extension_drivers as string[],
      pathMtu: m.ml2.path_mtu as number,
      physicalNetworkMtus: mtus,
      flatNetworks: m.ml2_type_flat.flat_networks as string[],
      vlanRanges: m.ml2_type_vlan.network_vlan_ranges as string[],
      vniRanges: m.ml2_type_vxlan.vni_ranges as string[],
      vxlanGroup: m.ml2_type_vxlan.vxlan_group as string | null,
    },
    enableSecurityGroup: m.securitygroup.enable_security_group as boolean,
    firewallDriver: m.securitygroup.firewall_driver as string | null,
    files: files.filter((f): f is string => f !== undefined),
  };
}
