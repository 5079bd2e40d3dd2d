// Builds the bridges Neutron's Open vSwitch agent builds on a host (reference/dataplane.md
// §4–5), through the text interfaces only (ovs-vsctl argv and ovs-ofctl flow text), so tests and
// benchmarks exercise exactly what the agents will install: br-int with the hybrid-firewall
// table layout, br-tun with the tunnel tables and the learn action, patch-tun/patch-int, one
// vxlan-<hex> port per peer, per-network table 4/22 flows, per-port spoofing flows. It is a
// helper for wiring a host by hand; the agents' reconciler owns this job in a running cloud.

import { parseIp } from '../wire/ipv4-address.js';
import { Ofctl } from './ofctl.js';
import type { Vswitchd } from './vswitchd.js';

export interface NeutronBridgeOptions {
  /** This host's tunnel endpoint ([ovs] local_ip). */
  localIp: string;
  /** Cookies of br-int and br-tun (the agent draws random 64-bit ones at start). */
  cookieInt?: bigint;
  cookieTun?: bigint;
  /** [agent] arp_responder (needs l2population): table 2 ARP broadcast → 21. */
  arpResponder?: boolean;
}

export interface NeutronPort {
  /** Device plugged into br-int (qvo… for a VM, qr-/qg-/tap… internal ports). */
  name: string;
  /** Local VLAN of the port's network on this host. */
  lvid: number;
  /** 'system' for a veth end such as qvo…, 'internal' for router/DHCP ports. */
  type?: 'system' | 'internal';
  mac?: string;
  /** Fixed IPs: with `mac`, enables the ARP/MAC anti-spoofing flows of tables 0/24/25. */
  ips?: string[];
  ifaceId?: string;
  vmUuid?: string;
  netUuid?: string;
  segmentationId?: number;
}

/** `vxlan-` + 8 hex digits of the remote IPv4 (neutron get_tunnel_name). */
export function tunnelPortName(remoteIp: string): string {
  const n = parseIp(remoteIp);
  if (n === null) throw new Error(`invalid IP ${remoteIp}`);
  return `vxlan-${n.toString(16).padStart(8, '0')}`;
}

/** The EUI-64 link-local address of a MAC (the nd_target of the NA anti-spoofing flow). */
export function linkLocalOf(mac: string): string {
  const b = mac.split(':').map((x) => Number.parseInt(x, 16));
  b[0] ^= 0x02;
  const g = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
  return `fe80::${g(b[0], b[1])}:${g(b[2], 0xff)}:${g(0xfe, b[3])}:${g(b[4], b[5])}`;
}

export class NeutronBridges {
  readonly of: Ofctl;
  readonly cookieInt: bigint;
  readonly cookieTun: bigint;
  private readonly networks = new Map<number, number>(); // lvid -> VNI
  private readonly tunnels = new Map<string, number>(); // remote IP -> ofport
  private readonly physical = new Map<string, bigint>(); // provider bridge -> its cookie

  constructor(
    readonly vs: Vswitchd,
    readonly opts: NeutronBridgeOptions,
  ) {
    this.of = new Ofctl(vs);
    const rnd64 = () =>
      (BigInt(vs.host.sched.int(0x100000000)) << 32n) | BigInt(vs.host.sched.int(0x100000000));
    this.cookieInt = opts.cookieInt ?? rnd64();
    this.cookieTun = opts.cookieTun ?? rnd64();
  }

  private vsctl(...argv: string[]): string {
    const r = this.vs.vsctl(argv);
    if (r.code !== 0) throw new Error(r.stderr.trim());
    return r.stdout;
  }

  private flow(bridge: string, cookie: bigint, text: string): void {
    this.of.addFlow(bridge, `cookie=0x${cookie.toString(16)},${text}`);
  }

  ofport(iface: string): number {
    return Number(this.vsctl('get', 'Interface', iface, 'ofport').trim());
  }

  /** ovs_neutron_agent setup_integration_br + setup_tunnel_br + setup_tunnel_br_flows. */
  setup(): this {
    this.vsctl('--may-exist', 'set-manager', 'ptcp:6640:127.0.0.1');
    for (const br of ['br-int', 'br-tun']) {
      this.vsctl('--may-exist', 'add-br', br, '--', 'set', 'Bridge', br, 'datapath_type=system');
      this.vsctl('set-fail-mode', br, 'secure');
      this.vsctl('set', 'Bridge', br, 'protocols=OpenFlow10,OpenFlow13');
      this.vsctl('set-controller', br, 'tcp:127.0.0.1:6633');
    }
    this.vsctl(
      '--may-exist',
      'add-port',
      'br-int',
      'patch-tun',
      '--',
      'set',
      'Interface',
      'patch-tun',
      'type=patch',
      'options:peer=patch-int',
    );
    this.vsctl(
      '--may-exist',
      'add-port',
      'br-tun',
      'patch-int',
      '--',
      'set',
      'Interface',
      'patch-int',
      'type=patch',
      'options:peer=patch-tun',
    );
    const ci = this.cookieInt;
    for (const f of [
      'table=0,priority=65535,vlan_tci=0x0fff/0x1fff,actions=drop',
      'table=0,priority=0,actions=goto_table:59',
      'table=23,priority=0,actions=drop',
      'table=24,priority=0,actions=drop',
      'table=30,priority=0,actions=goto_table:59',
      'table=31,priority=0,actions=goto_table:59',
      'table=59,priority=0,actions=goto_table:60',
      'table=60,priority=1,actions=NORMAL',
      'table=62,priority=3,actions=NORMAL',
    ])
      this.flow('br-int', ci, f);
    const ct = this.cookieTun;
    const patchInt = this.ofport('patch-int');
    const tun = [
      `table=0,priority=1,in_port=${patchInt},actions=goto_table:2`,
      'table=0,priority=0,actions=drop',
      'table=2,priority=0,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00,actions=goto_table:20',
      'table=2,priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=goto_table:22',
      'table=3,priority=0,actions=drop',
      'table=4,priority=0,actions=drop',
      'table=6,priority=0,actions=drop',
      `table=10,priority=1,actions=learn(cookie=0x${ct.toString(16)},table=20,priority=1,hard_timeout=300,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]),output:${patchInt}`,
      'table=20,priority=0,actions=goto_table:22',
      'table=22,priority=0,actions=drop',
    ];
    if (this.opts.arpResponder) {
      tun.push('table=2,priority=1,arp,dl_dst=ff:ff:ff:ff:ff:ff,actions=goto_table:21');
      tun.push('table=21,priority=0,actions=goto_table:22');
    }
    for (const f of tun) this.flow('br-tun', ct, f);
    return this;
  }

  /** A full-mesh tunnel to a peer (tunnel_sync): the vxlan port and its table-0 flow. */
  addTunnel(remoteIp: string): number {
    if (remoteIp === this.opts.localIp) throw new Error('a host never tunnels to its own local_ip');
    const name = tunnelPortName(remoteIp);
    this.vsctl(
      '--may-exist',
      'add-port',
      'br-tun',
      name,
      '--',
      'set',
      'Interface',
      name,
      'type=vxlan',
      `options:remote_ip=${remoteIp}`,
      `options:local_ip=${this.opts.localIp}`,
      'options:in_key=flow',
      'options:out_key=flow',
      'options:df_default=true',
      'options:egress_pkt_mark=0',
    );
    const ofport = this.ofport(name);
    this.tunnels.set(remoteIp, ofport);
    this.flow('br-tun', this.cookieTun, `table=0,priority=1,in_port=${ofport},actions=goto_table:4`);
    for (const lvid of this.networks.keys()) this.installFlood(lvid);
    return ofport;
  }

  /** provision_local_vlan for a VXLAN network: table 4 (VNI → local VLAN) and table 22 flooding. */
  addNetwork(lvid: number, vni: number): void {
    this.networks.set(lvid, vni);
    this.flow(
      'br-tun',
      this.cookieTun,
      `table=4,priority=1,tun_id=0x${vni.toString(16)},actions=push_vlan:0x8100,set_field:${4096 + lvid}->vlan_vid,goto_table:10`,
    );
    this.installFlood(lvid);
  }

  private installFlood(lvid: number): void {
    const vni = this.networks.get(lvid)!;
    const outs = [...this.tunnels.values()].sort((a, b) => a - b);
    if (outs.length === 0) {
      this.of.delFlows('br-tun', `table=22,dl_vlan=${lvid}`);
      return;
    }
    this.flow(
      'br-tun',
      this.cookieTun,
      `table=22,priority=1,dl_vlan=${lvid},actions=pop_vlan,set_field:0x${vni.toString(16)}->tun_id,${outs.map((o) => `output:${o}`).join(',')}`,
    );
  }

  /**
   * bridge_mappings (setup_physical_bridges): the operator's provider bridge (br-ex) joined to
   * br-int by int-br-ex/phy-br-ex, with the default flows of §6 (br-ex forwards NORMAL but drops
   * whatever comes from br-int untranslated; br-int drops untranslated traffic from br-ex).
   */
  addPhysicalBridge(bridge = 'br-ex', cookie?: bigint): bigint {
    const c = cookie ?? this.cookieInt ^ 0x1d4c3b2a19f8e7d6n;
    const intPatch = `int-${bridge}`.slice(0, 15);
    const phyPatch = `phy-${bridge}`.slice(0, 15);
    this.vsctl('--may-exist', 'add-br', bridge, '--', 'set', 'Bridge', bridge, 'datapath_type=system');
    this.vsctl('set-fail-mode', bridge, 'secure');
    this.vsctl('set-controller', bridge, 'tcp:127.0.0.1:6633');
    this.vsctl(
      '--may-exist',
      'add-port',
      'br-int',
      intPatch,
      '--',
      'set',
      'Interface',
      intPatch,
      'type=patch',
      `options:peer=${phyPatch}`,
    );
    this.vsctl(
      '--may-exist',
      'add-port',
      bridge,
      phyPatch,
      '--',
      'set',
      'Interface',
      phyPatch,
      'type=patch',
      `options:peer=${intPatch}`,
    );
    const phy = this.ofport(phyPatch);
    this.flow(bridge, c, 'table=0,priority=0,actions=NORMAL');
    this.flow(bridge, c, `table=0,priority=2,in_port=${phy},actions=drop`);
    this.flow('br-int', this.cookieInt, `table=0,priority=2,in_port=${this.ofport(intPatch)},actions=drop`);
    this.physical.set(bridge, c);
    return c;
  }

  /** A flat provider network on `bridge` with local VLAN `lvid` (translated on the patch pair). */
  addFlatNetwork(lvid: number, bridge = 'br-ex'): void {
    const c = this.physical.get(bridge);
    if (c === undefined) throw new Error(`no physical bridge ${bridge}`);
    const phy = this.ofport(`phy-${bridge}`.slice(0, 15));
    const intp = this.ofport(`int-${bridge}`.slice(0, 15));
    this.flow(bridge, c, `table=0,priority=4,in_port=${phy},dl_vlan=${lvid},actions=strip_vlan,NORMAL`);
    this.flow(
      'br-int',
      this.cookieInt,
      `table=0,priority=3,in_port=${intp},vlan_tci=0x0000/0x1fff,actions=mod_vlan_vid:${lvid},goto_table:59`,
    );
  }

  /** l2population fdb_add: unicast to a known remote MAC (table 20, priority 2). */
  addRemoteMac(lvid: number, mac: string, remoteIp: string): void {
    const vni = this.networks.get(lvid);
    const port = this.tunnels.get(remoteIp);
    if (vni === undefined || port === undefined) throw new Error('unknown network or tunnel');
    this.flow(
      'br-tun',
      this.cookieTun,
      `table=20,priority=2,dl_vlan=${lvid},dl_dst=${mac},actions=pop_vlan,set_field:0x${vni.toString(16)}->tun_id,output:${port}`,
    );
  }

  /**
   * l2population + arp_responder: answer ARP requests for a remote port's IP inside br-tun
   * (table 21), turning the request into the reply in place and sending it back IN_PORT.
   */
  addArpResponder(lvid: number, ip: string, mac: string): void {
    const ipHex = parseIp(ip)!.toString(16);
    const macHex = mac.replace(/:/g, '');
    this.flow(
      'br-tun',
      this.cookieTun,
      `table=21,priority=1,arp,dl_vlan=${lvid},arp_tpa=${ip},actions=load:0x2->NXM_OF_ARP_OP[],` +
        'move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],' +
        `load:0x${macHex}->NXM_NX_ARP_SHA[],load:0x${ipHex}->NXM_OF_ARP_SPA[],` +
        `move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],mod_dl_src:${mac},IN_PORT`,
    );
  }

  /**
   * Plugs a port into br-int as os-vif and the agent do: the Port row with its tag and
   * other_config, the Interface's external_ids, and (with a MAC and IPs) the anti-spoofing flows.
   */
  plugPort(p: NeutronPort): number {
    const ext = [
      p.ifaceId && `external_ids:iface-id=${p.ifaceId}`,
      'external_ids:iface-status=active',
      p.mac && `external_ids:attached-mac=${p.mac}`,
      p.vmUuid && `external_ids:vm-uuid=${p.vmUuid}`,
    ].filter((x): x is string => !!x);
    const argv = ['--may-exist', 'add-port', 'br-int', p.name, '--', 'set', 'Interface', p.name, ...ext];
    if (p.type === 'internal') argv.push('type=internal');
    this.vsctl(...argv);
    const oc = [
      p.netUuid && `other_config:net_uuid=${p.netUuid}`,
      'other_config:network_type=vxlan',
      'other_config:physical_network=None',
      p.segmentationId !== undefined && `other_config:segmentation_id=${p.segmentationId}`,
      `other_config:tag=${p.lvid}`,
    ].filter((x): x is string => !!x);
    this.vsctl('set', 'Port', p.name, `tag=${p.lvid}`, ...oc);
    const ofport = this.ofport(p.name);
    if (p.mac && p.ips && p.ips.length > 0) {
      const ci = this.cookieInt;
      this.flow(
        'br-int',
        ci,
        `table=0,priority=10,icmp6,in_port=${ofport},icmp_type=136,actions=goto_table:24`,
      );
      this.flow('br-int', ci, `table=0,priority=10,arp,in_port=${ofport},actions=goto_table:24`);
      this.flow('br-int', ci, `table=0,priority=9,in_port=${ofport},actions=goto_table:25`);
      this.flow(
        'br-int',
        ci,
        `table=24,priority=2,icmp6,in_port=${ofport},icmp_type=136,nd_target=${linkLocalOf(p.mac)},actions=goto_table:59`,
      );
      for (const ip of p.ips)
        this.flow(
          'br-int',
          ci,
          `table=24,priority=2,arp,in_port=${ofport},arp_spa=${ip},actions=goto_table:25`,
        );
      this.flow('br-int', ci, `table=25,priority=2,in_port=${ofport},dl_src=${p.mac},actions=goto_table:30`);
    }
    return ofport;
  }
}

/** Sets up br-int/br-tun for a host as Neutron's agent does, with tunnels to `peers`. */
export function buildNeutronBridges(
  vs: Vswitchd,
  opts: NeutronBridgeOptions & { peers?: string[]; networks?: { lvid: number; vni: number }[] },
): NeutronBridges {
  const nb = new NeutronBridges(vs, opts).setup();
  for (const n of opts.networks ?? []) nb.addNetwork(n.lvid, n.vni);
  for (const p of opts.peers ?? []) nb.addTunnel(p);
  return nb;
}
