// The networks present on this host and their local VLANs (vlanmanager.LocalVlanManager with the
// agent's provision_local_vlan / reclaim_local_vlan): a VLAN is allocated when a network's first
// port is bound here, its flows installed (br-tun tables 4/22 for VXLAN, the br-ex/br-int
// translation for flat), and everything reclaimed when its last port leaves.
import type { Logger } from '../../sim/oslo-log.js';
import type { IntegrationBridge, PhysicalBridge, TunnelBridge } from './bridges.js';
import { DEAD_VLAN_TAG, LocalVlanPool } from './local-vlan.js';
import type { VifPort } from './vif-ports.js';

/** A local VLAN in use on this host (vlanmanager LocalVLANMapping). */
export interface LocalVlanMapping {
  vlan: number;
  networkType: string;
  physicalNetwork: string | null;
  segmentationId: number | null;
  ports: Set<string>;
}

/** A bridge of bridge_mappings and the ofport of its patch on br-int. */
export interface PhysState {
  bridge: PhysicalBridge;
  intOfport: number;
}

export interface NetworkSegment {
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
}

export interface LocalNetworksDeps {
  intBr: IntegrationBridge;
  tunBr: TunnelBridge | null;
  phys: Map<string, PhysState>;
  log: Logger;
  /** install_flood_to_tun for a VXLAN network (to the tunnels the mode in use gives it). */
  flood: (m: LocalVlanMapping) => void;
  /** After a VXLAN network's flows went (l2population drops its tunnels then). */
  reclaimed: (netId: string) => void;
}

export class LocalNetworks {
  readonly vlans = new LocalVlanPool();
  /** network id → its local VLAN here. */
  readonly lvm = new Map<string, LocalVlanMapping>();

  constructor(private readonly d: LocalNetworksDeps) {}

  /**
   * _restore_local_vlan_map: the tags of br-int's VIF ports whose other_config names their
   * network. Like the real agent (Ocata and later), only ports with a valid ofport count — "skip
   * INVALID and UNASSIGNED to match scan_ports behavior" — so after a reboot a qvo whose veth is
   * not back yet gives no hint, while a tap/qr-/qg- port, recreated by ovs-vswitchd, does.
   */
  restoreHints(ports: Iterable<VifPort>): void {
    for (const p of ports) {
      const net = p.otherConfig.net_uuid;
      if (net && p.tag !== null && p.tag !== DEAD_VLAN_TAG) this.vlans.hint(net, p.tag);
    }
  }

  mapping(netId: string): LocalVlanMapping | undefined {
    return this.lvm.get(netId);
  }

  /** provision_local_vlan: the network's VLAN (allocated on first use) with its flows. */
  provision(netId: string, seg: NetworkSegment): LocalVlanMapping | null {
    const have = this.lvm.get(netId);
    if (have) return have;
    const vlan = this.vlans.allocate(netId);
    if (vlan === null) {
      this.d.log.error(`No local VLAN available for net-id=${netId}`);
      return null;
    }
    const m: LocalVlanMapping = {
      vlan,
      networkType: seg.network_type,
      physicalNetwork: seg.physical_network,
      segmentationId: seg.segmentation_id,
      ports: new Set(),
    };
    this.lvm.set(netId, m);
    this.d.log.info(`Assigning ${vlan} as local vlan for net-id=${netId}`);
    this.provisionFlows(netId, m);
    return m;
  }

  /** Every network's flows again (Open vSwitch lost them). */
  reprovisionAll(): void {
    for (const [netId, m] of this.lvm) this.provisionFlows(netId, m);
  }

  private provisionFlows(netId: string, m: LocalVlanMapping): void {
    const { tunBr, intBr, log } = this.d;
    if (m.networkType === 'vxlan') {
      if (tunBr && m.segmentationId !== null) {
        this.d.flood(m);
        tunBr.provisionLocalVlan(m.vlan, m.segmentationId);
      } else log.error(`Cannot provision vxlan network for net-id=${netId} - tunneling disabled`);
    } else if (m.networkType === 'flat') {
      const p = m.physicalNetwork === null ? undefined : this.d.phys.get(m.physicalNetwork);
      if (p) {
        p.bridge.provisionFlat(m.vlan);
        intBr.provisionFlat(p.intOfport, m.vlan);
      } else
        log.error(
          `Cannot provision flat network for net-id=${netId} - no bridge for physical_network ${m.physicalNetwork}`,
        );
    } else if (m.networkType !== 'local')
      log.error(`Cannot provision unknown network type ${m.networkType} for net-id=${netId}`);
  }

  /** port_unbound: the network loses the port; its VLAN is reclaimed with the last one. */
  unbind(portId: string, netId: string): void {
    const m = this.lvm.get(netId);
    if (!m) return;
    m.ports.delete(portId);
    if (m.ports.size === 0) this.reclaim(netId);
  }

  /** reclaim_local_vlan: the network's flows go and its tag returns to the pool. */
  private reclaim(netId: string): void {
    const m = this.lvm.get(netId);
    if (!m) return;
    this.lvm.delete(netId);
    this.d.log.info(`Reclaiming vlan = ${m.vlan} from net-id = ${netId}`);
    const tunBr = this.d.tunBr;
    if (m.networkType === 'vxlan' && tunBr && m.segmentationId !== null) {
      tunBr.reclaimLocalVlan(m.segmentationId);
      tunBr.deleteFlood(m.vlan);
      tunBr.deleteUnicast(m.vlan);
      tunBr.deleteArpResponder(m.vlan);
      this.d.reclaimed(netId);
    } else if (m.networkType === 'flat' && m.physicalNetwork !== null) {
      const p = this.d.phys.get(m.physicalNetwork);
      if (p) {
        p.bridge.reclaim(m.vlan);
        this.d.intBr.reclaimFlat(p.intOfport);
      }
    }
    this.vlans.release(m.vlan);
  }
}
