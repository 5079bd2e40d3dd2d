// /etc/neutron/plugins/ml2/openvswitch_agent.ini as neutron-openvswitch-agent reads it (Zed's
// option names and defaults, neutron/conf/plugins/ml2/drivers/ovs_conf.py and agent/common/config),
// plus the two neutron.conf options the agent takes from there ([agent] report_interval, host).
import { ConfigError, type ConfigSchema, type ConfigValues, loadConfig, opt } from '../../sim/oslo-config.js';

export const OVS_AGENT_INI = 'etc/neutron/plugins/ml2/openvswitch_agent.ini';

export const OVS_AGENT_SCHEMA: ConfigSchema = {
  DEFAULT: {
    host: opt.str(null),
    debug: opt.bool(false),
  },
  agent: {
    tunnel_types: opt.list([]),
    vxlan_udp_port: opt.int(4789, { min: 1, max: 65535 }),
    l2_population: opt.bool(false),
    arp_responder: opt.bool(false),
    drop_flows_on_start: opt.bool(false),
    polling_interval: opt.int(2, { min: 1 }),
    minimize_polling: opt.bool(true),
    report_interval: opt.float(30, { min: 0 }),
    enable_distributed_routing: opt.bool(false),
    dont_fragment: opt.bool(true),
    tunnel_csum: opt.bool(false),
    extensions: opt.list([]),
    explicitly_egress_direct: opt.bool(false),
    log_agent_heartbeats: opt.bool(false),
  },
  ovs: {
    bridge_mappings: opt.list([]),
    integration_bridge: opt.str('br-int'),
    tunnel_bridge: opt.str('br-tun'),
    int_peer_patch_port: opt.str('patch-tun'),
    tun_peer_patch_port: opt.str('patch-int'),
    local_ip: opt.str(null),
    datapath_type: opt.str('system', { choices: ['system', 'netdev'] }),
    ovsdb_connection: opt.str('tcp:127.0.0.1:6640'),
    of_listen_address: opt.str('127.0.0.1'),
    of_listen_port: opt.int(6633, { min: 1, max: 65535 }),
    vhostuser_socket_dir: opt.str('/var/run/openvswitch'),
  },
  securitygroup: {
    firewall_driver: opt.str(null),
    enable_security_group: opt.bool(true),
    enable_ipset: opt.bool(true),
  },
  network_log: {},
  xenapi: {},
};

export type FirewallKind = 'iptables_hybrid' | 'noop';

/** The agent's settings, typed (what startOvsAgent takes). */
export interface OvsAgentConfig {
  /** [DEFAULT] host: the host name the agent reports and binds ports for. */
  host: string;
  /** [ovs] local_ip: this host's tunnel endpoint. */
  localIp: string;
  /** [ovs] bridge_mappings, physnet → bridge (packstack: extnet → br-ex). */
  bridgeMappings: Record<string, string>;
  integrationBridge: string;
  tunnelBridge: string;
  intPeerPatchPort: string;
  tunPeerPatchPort: string;
  datapathType: string;
  /** [agent] tunnel_types (['vxlan']). */
  tunnelTypes: string[];
  vxlanUdpPort: number;
  l2Population: boolean;
  /** arp_responder only takes effect with l2_population, as in the real agent. */
  arpResponder: boolean;
  dropFlowsOnStart: boolean;
  /** rpc_loop period in seconds ([agent] polling_interval, 2). */
  pollingInterval: number;
  /** report_state period in seconds ([agent] report_interval, 30; 0 disables). */
  reportInterval: number;
  extensions: string[];
  firewall: FirewallKind;
  enableIpset: boolean;
  vhostuserSocketDir: string;
}

const FIREWALL_ALIASES: Record<string, FirewallKind> = {
  iptables_hybrid: 'iptables_hybrid',
  'neutron.agent.linux.iptables_firewall.OVSHybridIptablesFirewallDriver': 'iptables_hybrid',
  noop: 'noop',
  'neutron.agent.firewall.NoopFirewallDriver': 'noop',
};

/** Neutron's parse_mappings: `physnet:bridge` pairs, each physnet and bridge used once. */
export function parseBridgeMappings(entries: string[], file = OVS_AGENT_INI): Record<string, string> {
  const out: Record<string, string> = {};
  const bridges = new Set<string>();
  for (const e of entries) {
    const i = e.indexOf(':');
    const key = e.slice(0, i).trim();
    const value = e.slice(i + 1).trim();
    if (i < 0 || key === '' || value === '')
      throw new ConfigError(file, 0, `Parsing bridge_mappings failed: Invalid mapping: '${e}'.`);
    if (key in out || bridges.has(value))
      throw new ConfigError(
        file,
        0,
        `Parsing bridge_mappings failed: Value ${value} in mapping: '${e}' not unique.`,
      );
    out[key] = value;
    bridges.add(value);
  }
  return out;
}

/** Typed settings from oslo.config values of openvswitch_agent.ini (and neutron.conf's report_interval). */
export function ovsAgentConfigFrom(v: ConfigValues, host: string, file = OVS_AGENT_INI): OvsAgentConfig {
  const agent = v.agent;
  const ovs = v.ovs;
  const sg = v.securitygroup;
  const localIp = ovs.local_ip as string | null;
  const tunnelTypes = agent.tunnel_types as string[];
  if (tunnelTypes.length > 0 && !localIp)
    throw new ConfigError(file, 0, 'Tunneling cannot be enabled without a valid local_ip.');
  for (const t of tunnelTypes)
    if (t !== 'vxlan') throw new ConfigError(file, 0, `Invalid tunnel type specified: ${t}`);
  const driver = (sg.firewall_driver as string | null) ?? 'noop';
  const firewall = sg.enable_security_group === false ? 'noop' : FIREWALL_ALIASES[driver];
  if (firewall === undefined)
    throw new ConfigError(file, 0, `firewall_driver ${driver} is not supported (iptables_hybrid or noop)`);
  return {
    host: (v.DEFAULT.host as string | null) ?? host,
    localIp: localIp ?? '',
    bridgeMappings: parseBridgeMappings(ovs.bridge_mappings as string[], file),
    integrationBridge: ovs.integration_bridge as string,
    tunnelBridge: ovs.tunnel_bridge as string,
    intPeerPatchPort: ovs.int_peer_patch_port as string,
    tunPeerPatchPort: ovs.tun_peer_patch_port as string,
    datapathType: ovs.datapath_type as string,
    tunnelTypes,
    vxlanUdpPort: agent.vxlan_udp_port as number,
    l2Population: agent.l2_population as boolean,
    arpResponder: (agent.arp_responder as boolean) && (agent.l2_population as boolean),
    dropFlowsOnStart: agent.drop_flows_on_start as boolean,
    pollingInterval: agent.polling_interval as number,
    reportInterval: agent.report_interval as number,
    extensions: agent.extensions as string[],
    firewall,
    enableIpset: sg.enable_ipset as boolean,
    vhostuserSocketDir: ovs.vhostuser_socket_dir as string,
  };
}

/**
 * The agent ini of one host: the file's text (or the defaults), with this host's name and
 * tunnel endpoint (packstack writes local_ip per host; the shipped file carries the all-in-one's).
 */
export function loadOvsAgentConfig(
  source: { path: string; text?: string } | null,
  host: { name: string; localIp?: string },
  warn?: (message: string) => void,
): OvsAgentConfig {
  const values = loadConfig(OVS_AGENT_SCHEMA, source, warn);
  if (host.localIp !== undefined) values.ovs.local_ip = host.localIp;
  return ovsAgentConfigFrom(values, host.name, source?.path);
}

/** Packstack's agent settings for a host (the shipped ini's values), for tests and embedding. */
export function packstackOvsAgentConfig(
  host: string,
  localIp: string,
  more: Partial<OvsAgentConfig> = {},
): OvsAgentConfig {
  const values = loadConfig(OVS_AGENT_SCHEMA, null);
  values.agent.tunnel_types = ['vxlan'];
  values.ovs.bridge_mappings = ['extnet:br-ex'];
  values.ovs.local_ip = localIp;
  values.securitygroup.firewall_driver = 'iptables_hybrid';
  return { ...ovsAgentConfigFrom(values, host), ...more };
}
