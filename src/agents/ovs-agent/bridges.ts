// The agent's three kinds of bridge, as neutron's openflow/native br_int.py, br_tun.py and
// br_phys.py program them (reference/dataplane.md §4–6, host-tools.md §3): every method writes
// ovs-vsctl argv or ovs-ofctl flow text with the bridge's cookie of this agent run.
import { linkLocalOf } from '../../ovs/neutron-bridges.js';
import { parseIp } from '../../wire/ipv4-address.js';
import type { OvsCli } from './ovs-cli.js';

// neutron-lib ovs_constants table numbers.
export const T = {
  LOCAL_SWITCHING: 0,
  PATCH_LV_TO_TUN: 2,
  GRE_TUN_TO_LV: 3,
  VXLAN_TUN_TO_LV: 4,
  GENEVE_TUN_TO_LV: 6,
  LEARN_FROM_TUN: 10,
  UCAST_TO_TUN: 20,
  ARP_RESPONDER: 21,
  FLOOD_TO_TUN: 22,
  CANARY: 23,
  ARP_SPOOF: 24,
  MAC_SPOOF: 25,
  LOCAL_EGRESS: 30,
  LOCAL_IP: 31,
  PACKET_RATE_LIMIT: 59,
  TRANSIENT: 60,
  TRANSIENT_EGRESS: 62,
} as const;

const hex = (n: number | bigint) => `0x${n.toString(16)}`;

/** ovs_lib's add-br for an agent bridge: secure fail mode, OF1.0+1.3, the agent's controller. */
export function setupAgentBridge(cli: OvsCli, name: string, datapathType: string): void {
  cli.vsctl(
    '--may-exist',
    'add-br',
    name,
    '--',
    'set',
    'Bridge',
    name,
    `datapath_type=${datapathType}`,
    'protocols=OpenFlow10,OpenFlow13',
    'fail_mode=secure',
    'other_config:mac-table-size=50000',
  );
  cli.vsctl('set-controller', name, 'tcp:127.0.0.1:6633');
}

/** A patch pair between two bridges (created idempotently, as the agent does at every start). */
export function patchPorts(cli: OvsCli, a: [string, string], b: [string, string]): [number, number] {
  const [brA, portA] = a;
  const [brB, portB] = b;
  cli.vsctl(
    '--may-exist',
    'add-port',
    brA,
    portA,
    '--',
    'set',
    'Interface',
    portA,
    'type=patch',
    `options:peer=${portB}`,
    '--',
    '--may-exist',
    'add-port',
    brB,
    portB,
    '--',
    'set',
    'Interface',
    portB,
    'type=patch',
    `options:peer=${portA}`,
  );
  return [cli.ofport(portA), cli.ofport(portB)];
}

/** What the spoofing tables allow for one port. */
export interface SpoofingAllow {
  macs: string[];
  /** IPv4 addresses or CIDRs (fixed IPs and allowed-address-pair IPs). */
  ipv4: string[];
  ipv6: string[];
}

export class IntegrationBridge {
  constructor(
    readonly cli: OvsCli,
    readonly name: string,
    readonly cookie: bigint,
  ) {}

  private add(flows: string[]): void {
    this.cli.addFlows(this.name, this.cookie, flows);
  }

  /** setup_default_table + canary + the spoofing tables' defaults (br_int.py, Zed). */
  setupDefaultFlows(): void {
    this.add([
      `table=${T.LOCAL_SWITCHING},priority=65535,vlan_tci=0x0fff/0x1fff,actions=drop`,
      `table=${T.LOCAL_SWITCHING},priority=0,actions=goto_table:${T.PACKET_RATE_LIMIT}`,
      `table=${T.CANARY},priority=0,actions=drop`,
      `table=${T.ARP_SPOOF},priority=0,actions=drop`,
      `table=${T.LOCAL_EGRESS},priority=0,actions=goto_table:${T.PACKET_RATE_LIMIT}`,
      `table=${T.LOCAL_IP},priority=0,actions=goto_table:${T.PACKET_RATE_LIMIT}`,
      `table=${T.PACKET_RATE_LIMIT},priority=0,actions=goto_table:${T.TRANSIENT}`,
      `table=${T.TRANSIENT},priority=1,actions=NORMAL`,
      `table=${T.TRANSIENT_EGRESS},priority=3,actions=NORMAL`,
    ]);
  }

  /** drop_port: a dead port's traffic goes nowhere (table 0, priority 2). */
  dropPort(ofport: number): void {
    this.add([`table=0,priority=2,in_port=${ofport},actions=drop`]);
  }

  /** Every flow of this run matching the port (spoofing, drop): uninstall_flows(in_port=N). */
  uninstallPortFlows(ofport: number): void {
    this.cli.delFlows(this.name, `in_port=${ofport}`, this.cookie);
  }

  /**
   * install_arp_spoofing_protection + set_allowed_macs_for_port: ARP and NA from the port are
   * checked in table 24 (sender IPs), everything else in table 25 (source MACs).
   */
  installSpoofingProtection(ofport: number, allow: SpoofingAllow): void {
    this.cli.delFlows(this.name, `in_port=${ofport}`, this.cookie);
    const flows = [
      `table=0,priority=10,icmp6,in_port=${ofport},icmp_type=136,actions=goto_table:${T.ARP_SPOOF}`,
      `table=0,priority=10,arp,in_port=${ofport},actions=goto_table:${T.ARP_SPOOF}`,
      `table=0,priority=9,in_port=${ofport},actions=goto_table:${T.MAC_SPOOF}`,
    ];
    const v6 = [...allow.ipv6, ...allow.macs.map(linkLocalOf)];
    for (const a of [...new Set(v6)])
      flows.push(
        `table=${T.ARP_SPOOF},priority=2,icmp6,in_port=${ofport},icmp_type=136,nd_target=${a},actions=goto_table:${T.PACKET_RATE_LIMIT}`,
      );
    for (const a of [...new Set(allow.ipv4)])
      flows.push(
        `table=${T.ARP_SPOOF},priority=2,arp,in_port=${ofport},arp_spa=${a},actions=goto_table:${T.MAC_SPOOF}`,
      );
    for (const m of [...new Set(allow.macs)])
      flows.push(
        `table=${T.MAC_SPOOF},priority=2,in_port=${ofport},dl_src=${m},actions=goto_table:${T.LOCAL_EGRESS}`,
      );
    this.add(flows);
  }

  /** provision_local_vlan for a flat network: untagged frames from the physnet patch get the lvid. */
  provisionFlat(physOfport: number, lvid: number): void {
    this.add([
      `table=0,priority=3,in_port=${physOfport},vlan_tci=0x0000/0x1fff,actions=mod_vlan_vid:${lvid},goto_table:${T.PACKET_RATE_LIMIT}`,
    ]);
  }

  reclaimFlat(physOfport: number): void {
    this.cli.delFlows(
      this.name,
      `table=0,priority=3,in_port=${physOfport},vlan_tci=0x0000/0x1fff`,
      undefined,
      true,
    );
  }
}

export class TunnelBridge {
  patchInt = -1;

  constructor(
    readonly cli: OvsCli,
    readonly name: string,
    readonly cookie: bigint,
  ) {}

  private add(flows: string[]): void {
    this.cli.addFlows(this.name, this.cookie, flows);
  }

  /** setup_tunnel_br_flows: the fixed tables 0/2/3/4/6/10/20/21/22 of dataplane.md §5. */
  setupDefaultFlows(patchInt: number, arpResponder: boolean): void {
    this.patchInt = patchInt;
    const flows = [
      `table=0,priority=1,in_port=${patchInt},actions=goto_table:${T.PATCH_LV_TO_TUN}`,
      'table=0,priority=0,actions=drop',
      `table=${T.PATCH_LV_TO_TUN},priority=0,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00,actions=goto_table:${T.UCAST_TO_TUN}`,
      `table=${T.PATCH_LV_TO_TUN},priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=goto_table:${T.FLOOD_TO_TUN}`,
      `table=${T.GRE_TUN_TO_LV},priority=0,actions=drop`,
      `table=${T.VXLAN_TUN_TO_LV},priority=0,actions=drop`,
      `table=${T.GENEVE_TUN_TO_LV},priority=0,actions=drop`,
      `table=${T.LEARN_FROM_TUN},priority=1,actions=learn(cookie=${hex(this.cookie)},table=${T.UCAST_TO_TUN},priority=1,hard_timeout=300,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]),output:${patchInt}`,
      `table=${T.UCAST_TO_TUN},priority=0,actions=goto_table:${T.FLOOD_TO_TUN}`,
      `table=${T.FLOOD_TO_TUN},priority=0,actions=drop`,
    ];
    if (arpResponder) {
      flows.push(
        `table=${T.PATCH_LV_TO_TUN},priority=1,arp,dl_dst=ff:ff:ff:ff:ff:ff,actions=goto_table:${T.ARP_RESPONDER}`,
      );
      flows.push(`table=${T.ARP_RESPONDER},priority=0,actions=goto_table:${T.FLOOD_TO_TUN}`);
    }
    this.add(flows);
  }

  /** setup_tunnel_port: the vxlan-<hex> port with Neutron's options, and its table-0 flow. */
  addTunnelPort(portName: string, remoteIp: string, localIp: string, udpPort: number): number {
    const opts = [
      `options:remote_ip=${remoteIp}`,
      `options:local_ip=${localIp}`,
      'options:in_key=flow',
      'options:out_key=flow',
      'options:df_default=true',
      'options:egress_pkt_mark=0',
    ];
    if (udpPort !== 4789) opts.push(`options:dst_port=${udpPort}`);
    this.cli.vsctl(
      '--may-exist',
      'add-port',
      this.name,
      portName,
      '--',
      'set',
      'Interface',
      portName,
      'type=vxlan',
      ...opts,
    );
    const ofport = this.cli.ofport(portName);
    if (ofport > 0)
      this.add([`table=0,priority=1,in_port=${ofport},actions=goto_table:${T.VXLAN_TUN_TO_LV}`]);
    return ofport;
  }

  /** cleanup_tunnel_port: the port and its classification flow go. */
  deleteTunnelPort(portName: string, ofport: number): void {
    this.cli.vsctl('--if-exists', 'del-port', this.name, portName);
    this.cli.delFlows(this.name, `in_port=${ofport}`);
  }

  /** provision_local_vlan: frames of the VNI from any tunnel get the local VLAN, then learn. */
  provisionLocalVlan(lvid: number, vni: number): void {
    this.add([
      `table=${T.VXLAN_TUN_TO_LV},priority=1,tun_id=${hex(vni)},actions=push_vlan:0x8100,set_field:${4096 + lvid}->vlan_vid,goto_table:${T.LEARN_FROM_TUN}`,
    ]);
  }

  reclaimLocalVlan(vni: number): void {
    this.cli.delFlows(this.name, `table=${T.VXLAN_TUN_TO_LV},tun_id=${hex(vni)}`);
  }

  /** install_flood_to_tun (or delete_flood_to_tun when there is no tunnel to flood to). */
  installFlood(lvid: number, vni: number, ofports: number[]): void {
    if (ofports.length === 0) {
      this.deleteFlood(lvid);
      return;
    }
    const outs = [...ofports].sort((a, b) => a - b).map((p) => `output:${p}`);
    this.add([
      `table=${T.FLOOD_TO_TUN},priority=1,dl_vlan=${lvid},actions=pop_vlan,set_field:${hex(vni)}->tun_id,${outs.join(',')}`,
    ]);
  }

  deleteFlood(lvid: number): void {
    this.cli.delFlows(this.name, `table=${T.FLOOD_TO_TUN},dl_vlan=${lvid}`);
  }

  /** install_unicast_to_tun (l2population fdb entry). */
  installUnicast(lvid: number, vni: number, ofport: number, mac: string): void {
    this.add([
      `table=${T.UCAST_TO_TUN},priority=2,dl_vlan=${lvid},dl_dst=${mac},actions=pop_vlan,set_field:${hex(vni)}->tun_id,output:${ofport}`,
    ]);
  }

  /** delete_unicast_to_tun: one MAC, or every l2pop and learned flow of the VLAN. */
  deleteUnicast(lvid: number, mac?: string): void {
    if (mac !== undefined)
      this.cli.delFlows(this.name, `table=${T.UCAST_TO_TUN},dl_vlan=${lvid},dl_dst=${mac}`);
    else {
      this.cli.delFlows(this.name, `table=${T.UCAST_TO_TUN},dl_vlan=${lvid}`);
      this.cli.delFlows(
        this.name,
        `table=${T.UCAST_TO_TUN},vlan_tci=0x${lvid.toString(16).padStart(4, '0')}/0x0fff`,
      );
    }
  }

  /** install_arp_responder: answer ARP for a remote port's IP inside br-tun (table 21). */
  installArpResponder(lvid: number, ip: string, mac: string): void {
    const ipHex = (parseIp(ip) ?? 0).toString(16);
    const macHex = mac.replace(/:/g, '');
    this.add([
      `table=${T.ARP_RESPONDER},priority=1,arp,dl_vlan=${lvid},arp_tpa=${ip},actions=load:0x2->NXM_OF_ARP_OP[],` +
        'move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],' +
        `load:0x${macHex}->NXM_NX_ARP_SHA[],load:0x${ipHex}->NXM_OF_ARP_SPA[],` +
        `move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],mod_dl_src:${mac},IN_PORT`,
    ]);
  }

  deleteArpResponder(lvid: number, ip?: string): void {
    this.cli.delFlows(this.name, `table=${T.ARP_RESPONDER},arp,dl_vlan=${lvid}${ip ? `,arp_tpa=${ip}` : ''}`);
  }
}

/** A provider bridge of bridge_mappings (br-ex): NORMAL, except what comes from br-int untranslated. */
export class PhysicalBridge {
  constructor(
    readonly cli: OvsCli,
    readonly name: string,
    readonly cookie: bigint,
    readonly physOfport: number,
  ) {}

  setupDefaultFlows(): void {
    this.cli.addFlows(this.name, this.cookie, [
      'table=0,priority=0,actions=NORMAL',
      `table=0,priority=2,in_port=${this.physOfport},actions=drop`,
    ]);
  }

  provisionFlat(lvid: number): void {
    this.cli.addFlows(this.name, this.cookie, [
      `table=0,priority=4,in_port=${this.physOfport},dl_vlan=${lvid},actions=strip_vlan,NORMAL`,
    ]);
  }

  reclaim(lvid: number): void {
    this.cli.delFlows(this.name, `table=0,in_port=${this.physOfport},dl_vlan=${lvid}`);
  }
}
