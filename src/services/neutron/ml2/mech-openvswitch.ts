// The openvswitch mechanism driver (plugins/ml2/drivers/openvswitch/mech_driver): binds a port
// on a host to the segment of its network with vif_type `ovs`. ML2's rule is that the host has a
// live Open vSwitch agent whose configuration can carry the segment (tunnel_types for VXLAN,
// bridge_mappings for flat/VLAN); without one the binding fails (`binding_failed`). Until
// pocketstack's agents run, the cloud may bind on any host of its layout instead
// (`requireLiveAgent: false`), which is what a user sees once agents are up anyway.
import type { Segment } from './type-driver.js';

export interface AgentView {
  agent_type: string;
  host: string;
  alive: boolean;
  admin_state_up: boolean;
  configurations: Record<string, unknown>;
}

export interface Binding {
  vif_type: string;
  vif_details: Record<string, unknown>;
}

export interface MechanismDriver {
  readonly name: string;
  /** The agent whose report wires the port (an L2 provisioning block waits for it). */
  readonly agentType: string;
  /** binding:vnic_type values the driver binds. */
  readonly supportedVnicTypes: readonly string[];
  /** The binding for the port's segment on the host, or null when this driver cannot bind it. */
  bindPort(host: string, segment: Segment): Binding | null;
}

export const OVS_AGENT_TYPE = 'Open vSwitch agent';

export function openvswitchMechanism(o: {
  requireLiveAgent: boolean;
  hosts: () => readonly string[];
  agentsOn: (host: string) => AgentView[];
  firewallDriver: string | null;
}): MechanismDriver {
  // iptables_hybrid filters on the qbr bridge: os-vif plugs a hybrid port, Nova sets no filter.
  const hybrid = (cfg: Record<string, unknown> | null) =>
    cfg && typeof cfg.ovs_hybrid_plug === 'boolean'
      ? cfg.ovs_hybrid_plug
      : /hybrid|OVSHybrid/i.test(o.firewallDriver ?? 'iptables_hybrid');
  const details = (cfg: Record<string, unknown> | null) => ({
    connectivity: 'l2',
    port_filter: true,
    ovs_hybrid_plug: hybrid(cfg),
    datapath_type: (cfg?.datapath_type as string | undefined) ?? 'system',
    bridge_name: (cfg?.integration_bridge as string | undefined) ?? 'br-int',
  });
  const carries = (cfg: Record<string, unknown>, seg: Segment) => {
    if (seg.network_type === 'vxlan' || seg.network_type === 'gre' || seg.network_type === 'geneve')
      return ((cfg.tunnel_types as string[] | undefined) ?? []).includes(seg.network_type);
    if (seg.network_type === 'flat' || seg.network_type === 'vlan')
      return Object.hasOwn(
        (cfg.bridge_mappings as Record<string, string> | undefined) ?? {},
        seg.physical_network ?? '',
      );
    return seg.network_type === 'local';
  };
  return {
    name: 'openvswitch',
    agentType: OVS_AGENT_TYPE,
    // mech_openvswitch.py: normal, and the hardware-offload types.
    supportedVnicTypes: ['normal', 'direct', 'smart-nic', 'vdpa'],
    bindPort(host, segment) {
      if (!o.requireLiveAgent)
        return o.hosts().includes(host) ? { vif_type: 'ovs', vif_details: details(null) } : null;
      for (const a of o.agentsOn(host))
        if (
          a.agent_type === OVS_AGENT_TYPE &&
          a.alive &&
          a.admin_state_up &&
          carries(a.configurations, segment)
        )
          return { vif_type: 'ovs', vif_details: details(a.configurations) };
      return null;
    },
  };
}
