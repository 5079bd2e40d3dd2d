// /etc/neutron/plugins/ml2/openvswitch_agent.ini as neutron-openvswitch-agent reads it (Zed's
// option names and defaults, neutron/conf/plugins/ml2/drivers/ovs_conf.py and agent/common/config),
// plus the two neutron.conf options the agent takes from there ([agent] report_interval, host).
// The values come in as oslo.config gives them (section → option → typed value); OVS_AGENT_DEFAULTS
// is the option table with Zed's defaults.

export const OVS_AGENT_INI = 'etc/neutron/plugins/ml2/openvswitch_agent.ini';

export type IniValues = Record<string, Record<string, unknown>>;

/** A value the agent refuses at start (neutron-openvswitch-agent exits with the message). */
export class OvsAgentConfigError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/** The options the agent reads, with Zed's defaults (section → option → default). */
export const OVS_AGENT_DEFAULTS = {
  DEFAULT: { host: null as string | null, debug: false },
  agent: {
    tunnel_types: [] as string[],
    vxlan_udp_port: 4789,
    l2_population: false,
    arp_responder: false,
    drop_flows_on_start: false,
    polling_interval: 2,
    minimize_polling: true,
    report_interval: 30,
    enable_distributed_routing: false,
    dont_fragment: true,
    tunnel_csum: false,
    extensions: [] as string[],
    explicitly_egress_direct: false,
    log_agent_heartbeats: false,
  },
  ovs: {
    bridge_mappings: [] as string[],
    integration_bridge: 'br-int',
    tunnel_bridge: 'br-tun',
    int_peer_patch_port: 'patch-tun',
    tun_peer_patch_port: 'patch-int',
    local_ip: null as string | null,
    datapath_type: 'system',
    ovsdb_connection: 'tcp:127.0.0.1:6640',
    of_listen_address: '127.0.0.1',
    of_listen_port: 6633,
    vhostuser_socket_dir: '/var/run/openvswitch',
  },
  securitygroup: { firewall_driver: null as string | null, enable_security_group: true, enable_ipset: true },
  network_log: {},
  xenapi: {},
};

/** The defaults with `values` laid over them, section by section. */
export function withDefaults(values: IniValues = {}): IniValues {
  const out: IniValues = {};
  for (const [section, opts] of Object.entries(OVS_AGENT_DEFAULTS))
    out[section] = { ...structuredClone(opts), ...(values[section] ?? {}) };
  return out;
}

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
      throw new OvsAgentConfigError(file, `Parsing bridge_mappings failed: Invalid mapping: '${e}'.`);
    if (key in out || bridges.has(value))
      throw new OvsAgentConfigError(
        file,
        `Parsing bridge_mappings failed: Value ${value} in mapping: '${e}' not unique.`,
      );
    out[key] = value;
    bridges.add(value);
  }
  return out;
}

/** Typed settings from oslo.config values of openvswitch_agent.ini (and neutron.conf's report_interval). */
export function ovsAgentConfigFrom(values: IniValues, host: string, file = OVS_AGENT_INI): OvsAgentConfig {
  const v = withDefaults(values);
  const agent = v.agent;
  const ovs = v.ovs;
  const sg = v.securitygroup;
  const localIp = ovs.local_ip as string | null;
  const tunnelTypes = agent.tunnel_types as string[];
  if (tunnelTypes.length > 0 && !localIp)
    throw new OvsAgentConfigError(file, 'Tunneling cannot be enabled without a valid local_ip.');
  for (const t of tunnelTypes)
    if (t !== 'vxlan') throw new OvsAgentConfigError(file, `Invalid tunnel type specified: ${t}`);
  const driver = (sg.firewall_driver as string | null) ?? 'noop';
  const firewall = sg.enable_security_group === false ? 'noop' : FIREWALL_ALIASES[driver];
  if (firewall === undefined)
    throw new OvsAgentConfigError(
      file,
      `firewall_driver ${driver} is not supported (iptables_hybrid or noop)`,
    );
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

/** Packstack's agent settings for a host (the shipped ini's values), for tests and embedding. */
export function packstackOvsAgentConfig(
  host: string,
  localIp: string,
  more: Partial<OvsAgentConfig> = {},
): OvsAgentConfig {
  const values: IniValues = {
    agent: { tunnel_types: ['vxlan'] },
    ovs: { bridge_mappings: ['extnet:br-ex'], local_ip: localIp },
    securitygroup: { firewall_driver: 'iptables_hybrid' },
  };
  return { ...ovsAgentConfigFrom(values, host), ...more };
}
