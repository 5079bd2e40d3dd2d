// The l2population side of the agent (l2population_rpc.py, ovs_neutron_agent fdb_add/fdb_remove
// and add_fdb_flow/del_fdb_flow): tunnels only towards hosts that have ports on a network this
// host carries, a unicast flow per remote port MAC in table 20, the flooding entry per host in
// table 22 and, with arp_responder, an ARP answer per remote IP in table 21. Entries for a
// network not (yet) local are kept and applied when its first port arrives here.
import type { LocalVlanMapping, OvsAgent } from './agent.js';
import { type FdbChgIp, type FdbEntries, FLOODING_ENTRY } from './rpc-payloads.js';

type Entry = [string, string];

export class L2Population {
  /** network id → remote tunneling IP → entries ([MAC, IP]) as "mac|ip". */
  private readonly fdb = new Map<string, Map<string, Set<string>>>();
  private readonly segments = new Map<string, number>();

  constructor(private readonly agent: OvsAgent) {}

  /**
   * _bind_devices' tunnels_missing: one of these networks is tunnelled here and floods to no
   * tunnel (lvm.tun_ofports empty) — fdb entries were lost or never came.
   */
  tunnelsMissing(networkIds: (string | undefined)[]): boolean {
    return networkIds.some((id) => {
      const m = id === undefined ? undefined : this.agent.mappingOf(id);
      return m !== undefined && m.networkType === 'vxlan' && this.floodPorts(m).length === 0;
    });
  }

  /** Tunnel ofports a network floods to: hosts that sent the flooding entry for it. */
  floodPorts(m: LocalVlanMapping): number[] {
    const out: number[] = [];
    for (const [netId, hosts] of this.fdb) {
      if (this.agent.mappingOf(netId) !== m) continue;
      for (const [ip, entries] of hosts) {
        const t = this.agent.tunnels.get(ip);
        if (t && entries.has(FLOODING_ENTRY.join('|'))) out.push(t.ofport);
      }
    }
    return out;
  }

  add(entries: FdbEntries): void {
    for (const [netId, net] of Object.entries(entries)) {
      this.segments.set(netId, net.segment_id);
      let hosts = this.fdb.get(netId);
      if (!hosts) this.fdb.set(netId, (hosts = new Map()));
      for (const [ip, ports] of Object.entries(net.ports)) {
        let set = hosts.get(ip);
        if (!set) hosts.set(ip, (set = new Set()));
        for (const p of ports) set.add(p.join('|'));
      }
      this.apply(netId);
    }
  }

  remove(entries: FdbEntries): void {
    for (const [netId, net] of Object.entries(entries)) {
      const hosts = this.fdb.get(netId);
      if (!hosts) continue;
      const m = this.agent.mappingOf(netId);
      for (const [ip, ports] of Object.entries(net.ports)) {
        const set = hosts.get(ip);
        if (!set) continue;
        for (const [mac, addr] of ports as Entry[]) {
          set.delete(`${mac}|${addr}`);
          if (m && mac !== FLOODING_ENTRY[0]) {
            this.agent.tunBr?.deleteUnicast(m.vlan, mac);
            if (this.agent.cfgArpResponder) this.agent.tunBr?.deleteArpResponder(m.vlan, addr);
          }
        }
        if (set.size === 0) hosts.delete(ip);
      }
      if (m) this.refloodAndPrune(m);
    }
  }

  /**
   * fdb_chg_ip_tun: a remote port's fixed IPs changed. As in Neutron only the ARP responder
   * follows (the unicast flow is the MAC's); entries of a host this agent knows nothing of for the
   * network are not kept.
   */
  changeIp(chg: FdbChgIp): void {
    for (const [netId, hosts] of Object.entries(chg)) {
      const m = this.agent.mappingOf(netId);
      for (const [ip, state] of Object.entries(hosts)) {
        const set = this.fdb.get(netId)?.get(ip);
        if (ip === this.agent.localIp || !set) continue;
        for (const [mac, addr] of state.before ?? []) {
          set.delete(`${mac}|${addr}`);
          if (m && this.agent.cfgArpResponder) this.agent.tunBr?.deleteArpResponder(m.vlan, addr);
        }
        for (const [mac, addr] of state.after ?? []) {
          set.add(`${mac}|${addr}`);
          if (m && this.agent.cfgArpResponder) this.agent.tunBr?.installArpResponder(m.vlan, addr, mac);
        }
      }
    }
  }

  /** Installs everything known for a network that has a local VLAN here. */
  apply(netId: string): void {
    const m = this.agent.mappingOf(netId);
    const hosts = this.fdb.get(netId);
    const br = this.agent.tunBr;
    if (!m || !hosts || !br || m.segmentationId === null) return;
    for (const [ip, set] of hosts) {
      const ofport = this.agent.setupTunnel(ip);
      if (ofport === null) continue;
      for (const e of set) {
        const [mac, addr] = e.split('|');
        if (mac === FLOODING_ENTRY[0]) continue;
        br.installUnicast(m.vlan, m.segmentationId, ofport, mac);
        if (this.agent.cfgArpResponder) br.installArpResponder(m.vlan, addr, mac);
      }
    }
    this.refloodAndPrune(m);
  }

  /** Everything known again (after Open vSwitch lost its flows). */
  reapply(): void {
    for (const netId of this.fdb.keys()) this.apply(netId);
  }

  /** A port bound here: its network's known entries now apply. */
  portBound(d: { network_id: string }): void {
    this.apply(d.network_id);
  }

  portUnbound(_portId: string, _netId: string): void {}

  /** The network left this host: its tunnels go when no other network uses them. */
  networkReclaimed(_netId: string): void {
    this.pruneTunnels();
  }

  private refloodAndPrune(m: LocalVlanMapping): void {
    if (m.segmentationId !== null)
      this.agent.tunBr?.installFlood(m.vlan, m.segmentationId, this.floodPorts(m));
    this.pruneTunnels();
  }

  /** cleanup_tunnel_port: a tunnel no local network needs any more is deleted. */
  private pruneTunnels(): void {
    const needed = new Set<string>();
    for (const [netId, hosts] of this.fdb)
      if (this.agent.mappingOf(netId)) for (const [ip, set] of hosts) if (set.size > 0) needed.add(ip);
    for (const ip of [...this.agent.tunnels.keys()]) if (!needed.has(ip)) this.agent.removeTunnel(ip);
  }
}
