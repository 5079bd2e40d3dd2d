// What report_state carries for this agent (ovs_neutron_agent's agent_state, Zed): the
// configurations `openstack network agent show` prints.
import type { OvsAgentConfig } from './config.js';

export const AGENT_TYPE = 'Open vSwitch agent';
export const AGENT_BINARY = 'neutron-openvswitch-agent';

export function ovsAgentState(c: OvsAgentConfig, devices: number) {
  return {
    binary: AGENT_BINARY,
    host: c.host,
    topic: 'N/A',
    agent_type: AGENT_TYPE,
    configurations: {
      arp_responder_enabled: c.arpResponder,
      baremetal_smartnic: false,
      bridge_mappings: c.bridgeMappings,
      datapath_type: c.datapathType,
      devices,
      enable_distributed_routing: false,
      extensions: c.extensions,
      in_distributed_mode: false,
      integration_bridge: c.integrationBridge,
      l2_population: c.l2Population,
      log_agent_heartbeats: false,
      ovs_capabilities: {
        datapath_types: ['netdev', 'system'],
        iface_types: ['geneve', 'gre', 'internal', 'patch', 'system', 'tap', 'vxlan'],
      },
      ovs_hybrid_plug: c.firewall === 'iptables_hybrid',
      resource_provider_bandwidths: {},
      resource_provider_hypervisors: {},
      resource_provider_inventory_defaults: { allocation_ratio: 1.0, min_unit: 1, step_size: 1, reserved: 0 },
      tunnel_types: c.tunnelTypes,
      tunneling_ip: c.localIp || null,
      vhostuser_socket_dir: c.vhostuserSocketDir,
    },
  };
}
