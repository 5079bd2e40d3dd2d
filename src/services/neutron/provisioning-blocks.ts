// Provisioning blocks (neutron/db/provisioning_blocks.py and ML2's use of them, Zed): a port goes
// ACTIVE — and Nova hears network-vif-plugged — only when every entity that has to wire it has
// said so. ML2 puts an L2 block on a port bound to a host with an Open vSwitch agent
// (mech_agent._insert_provisioning_block, at create and when the binding host changes) and a DHCP
// block on a port with an address on a DHCP-enabled subnet of a network a DHCP agent serves
// (plugin._setup_dhcp_agent_provisioning_component, at create and when fixed_ips or the MAC
// change). update_device_up completes L2, the DHCP agent's dhcp_ready_on_ports completes DHCP;
// when no block is left ML2's _port_provisioned sets ACTIVE. The rows live in the database
// (neutron_provisioning_blocks) and go with the port.
import type { Doc } from '../../store/neutron-repo.js';
import type { Agents } from './agents.js';
import { type NeutronCore, tx } from './core.js';
import type { MechanismDriver } from './ml2/mech-openvswitch.js';

export const DHCP_ENTITY = 'DHCP';
export const L2_AGENT_ENTITY = 'L2';
export type ProvisioningEntity = typeof DHCP_ENTITY | typeof L2_AGENT_ENTITY;

/**
 * The device owners ML2 never blocks (plugins/ml2/common/constants.py NO_PBLOCKS_TYPES, since
 * Xena): Neutron's own service ports, and a port with no device_owner at all — which is how
 * `openstack port create` makes one, so such a port goes ACTIVE on the first report.
 */
export const NO_PBLOCKS_TYPES: ReadonlySet<string> = new Set([
  '',
  'network:router_interface_distributed',
  'network:ha_router_replicated_interface',
  'network:router_interface',
  'network:router_gateway',
  'network:router_centralized_snat',
  'network:dhcp',
  'network:floatingip_agent_gateway',
  'network:router_ha_interface',
  'network:floatingip',
]);

const DHCP_AGENT_TYPE = 'DHCP agent';

export class ProvisioningBlocks {
  constructor(
    private readonly core: NeutronCore,
    private readonly agents: Agents,
    private readonly mechanisms: () => MechanismDriver[],
    /** ML2's update_port_status(ACTIVE): the status change and its events. */
    private readonly activate: (portId: string, host: string) => void,
  ) {}

  /**
   * _setup_dhcp_agent_provisioning_component: a DHCP block while a DHCP agent has to put the
   * port's addresses in dnsmasq, none otherwise (a block left from an earlier address goes).
   */
  setupDhcp(port: Doc): void {
    if (NO_PBLOCKS_TYPES.has(port.device_owner as string)) return;
    const repo = this.core.repo;
    const dhcpOn = (port.fixed_ips as { subnet_id: string }[]).some(
      (f) => repo.subnets.get(f.subnet_id)?.enable_dhcp === true,
    );
    if (dhcpOn && this.dhcpAgentServes(port.network_id as string)) this.add(port.id, DHCP_ENTITY);
    else repo.removeProvisioningBlock(port.id, DHCP_ENTITY);
  }

  /**
   * mech_agent._insert_provisioning_block: an L2 block on a port bound to a host where an agent
   * of a mechanism driver runs (alive or not: ML2 counts the agent's row), unless already ACTIVE.
   */
  setupL2(port: Doc): void {
    const host = port['binding:host_id'] as string;
    if (!host || port.status === 'ACTIVE' || NO_PBLOCKS_TYPES.has(port.device_owner as string)) return;
    const vnic = (port['binding:vnic_type'] as string | undefined) ?? 'normal';
    const onHost = this.agents.all().filter((a) => a.host === host);
    for (const m of this.mechanisms())
      if (m.supportedVnicTypes.includes(vnic) && onHost.some((a) => a.agent_type === m.agentType)) {
        this.add(port.id, L2_AGENT_ENTITY);
        return;
      }
  }

  /** The entities still blocking the port (tests, logs). */
  blocks(portId: string): string[] {
    return this.core.repo.provisioningBlocks(portId);
  }

  /**
   * provisioning_complete: the entity is done with the port; with no block left, ML2's
   * _port_provisioned makes it ACTIVE — if it still exists, is bound and is administratively up.
   * An entity without a block of its own completes it too (as Neutron's does).
   */
  complete(portId: string, entity: ProvisioningEntity): void {
    tx(this.core, () => {
      const repo = this.core.repo;
      if (!repo.ports.get(portId)) return;
      if (repo.removeProvisioningBlock(portId, entity))
        this.core.log.debug(`Provisioning for port ${portId} completed by entity ${entity}.`);
      if (repo.provisioningBlocks(portId).length) return;
      this.core.log.debug(`Provisioning complete for port ${portId} triggered by entity ${entity}.`);
      const p = repo.ports.get(portId) as Doc;
      const vif = p['binding:vif_type'];
      if (vif === 'binding_failed') {
        this.core.log.debug(`Port ${portId} cannot update to ACTIVE because it failed.`);
        return;
      }
      if (vif === 'unbound' || !p['binding:host_id']) {
        this.core.log.debug(`Port ${portId} cannot update to ACTIVE because it is not bound.`);
        return;
      }
      if (!p.admin_state_up) {
        this.core.log.debug(
          `Port ${portId} is administratively disabled so it will not transition to active.`,
        );
        return;
      }
      this.activate(portId, p['binding:host_id'] as string);
    });
  }

  private add(portId: string, entity: ProvisioningEntity): void {
    // A block left from an earlier transition that was never satisfied stays as it is.
    if (this.core.repo.addProvisioningBlock(portId, entity))
      this.core.log.debug(
        `Transition to ACTIVE for port object ${portId} will not be triggered until provisioned by entity ${entity}.`,
      );
  }

  /**
   * get_dhcp_agents_hosting_networks: pocketstack's DHCP agents each serve every network with
   * DHCP (there is no network scheduler), so a registered DHCP agent — alive or not, as ML2 asks
   * without the `active` filter — hosts every network.
   */
  private dhcpAgentServes(_networkId: string): boolean {
    return this.core.repo.agents.count({ agent_type: DHCP_AGENT_TYPE }) > 0;
  }
}
