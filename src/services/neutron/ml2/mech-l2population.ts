// The l2population mechanism driver (plugins/ml2/drivers/l2pop/mech_driver.py), on when
// `[ml2] mechanism_drivers` names `l2population`: when a port becomes ACTIVE on a host, the L2
// agents learn its [MAC, IP] behind that host's tunneling IP (fdb_add to all, with the flooding
// entry while it is the host's first port on the network; agents ignore their own tunneling IP, as
// Neutron's do), and that host's agent, when it is its first port there, learns every other host's
// entries of the network (a cast to it alone); when the port goes DOWN or away, fdb_remove.
import type { FdbEntries } from '../../../bus/neutron-l2pop.js';
import type { Doc, NeutronRepo } from '../../../store/neutron-repo.js';
import { type NeutronCore, send } from '../core.js';
import { OVS_AGENT_TYPE } from './mech-openvswitch.js';

export const FLOODING_ENTRY: [string, string] = ['00:00:00:00:00:00', '0.0.0.0'];
const TUNNELLED = new Set(['vxlan', 'gre', 'geneve']);

type Entry = [string, string];

export class L2Population {
  constructor(
    private readonly core: NeutronCore,
    private readonly tunnelIp: (host: string) => string | null,
  ) {}

  private entriesOf(p: Doc): Entry[] {
    return (p.fixed_ips as { ip_address: string }[]).map((f) => [p.mac_address as string, f.ip_address]);
  }

  /** Active ports of the network per tunneling IP of their host. */
  private networkEntries(repo: NeutronRepo, networkId: string): Record<string, Entry[]> {
    const out: Record<string, Entry[]> = {};
    for (const p of repo.ports.list({ network_id: networkId })) {
      if (p.status !== 'ACTIVE') continue;
      const ip = this.tunnelIp(p['binding:host_id'] as string);
      if (!ip) continue;
      out[ip] ??= [FLOODING_ENTRY];
      out[ip].push(...this.entriesOf(p));
    }
    return out;
  }

  /** The fdb head of a port's network (segment_id, network_type), if its segment is tunnelled. */
  private headOf(p: Doc): { segment_id: number; network_type: string } | null {
    const seg = this.core.repo.segment(p.network_id as string);
    if (!seg || !TUNNELLED.has(seg.network_type) || seg.segmentation_id === null) return null;
    return { segment_id: seg.segmentation_id, network_type: seg.network_type };
  }

  /**
   * update_device_up of a port (rpc.py notify_l2pop_port_wiring). With refresh_tunnels (the agent
   * just started, Open vSwitch lost its flows, or the port's network has no tunnel there) the
   * port's status does not change, yet the agent has lost what earlier fdb_add gave it: as
   * update_port_up's agent_fdb_entries, every other host's entries of the network are cast to
   * that agent alone.
   */
  portWired(p: Doc, host: string, refreshTunnels: boolean): void {
    if (!refreshTunnels) return;
    const head = this.headOf(p);
    const own = this.tunnelIp(host);
    if (!head || !own) return;
    const networkId = p.network_id as string;
    const ports = this.networkEntries(this.core.repo, networkId);
    delete ports[own];
    if (Object.keys(ports).length === 0) return;
    const fdb: FdbEntries = { [networkId]: { ...head, ports } };
    send(this.core, () => this.core.bus.publish('fdb_add', { fdb_entries: fdb, host }));
  }

  /**
   * update_port_postcommit: a port bound to a host whose fixed IPs changed sends chg_ip (the
   * addresses it lost and gained, behind the tunneling IP of its original host) whatever its
   * status, as Neutron's _fixed_ips_changed; an ACTIVE port moved to another host (its status now
   * DOWN) is removed from the old host (fdb_remove, with the flooding entry if it was the last).
   */
  portUpdated(original: Doc, p: Doc): void {
    const head = this.headOf(p);
    if (!head) return;
    const networkId = p.network_id as string;
    const host = original['binding:host_id'] as string;
    const ip = host ? this.tunnelIp(host) : null;
    const addrs = (d: Doc) => new Set((d.fixed_ips as { ip_address: string }[]).map((f) => f.ip_address));
    const [was, now] = [addrs(original), addrs(p)];
    const before = [...was].filter((a) => !now.has(a)).map((a): Entry => [p.mac_address as string, a]);
    const after = [...now].filter((a) => !was.has(a)).map((a): Entry => [p.mac_address as string, a]);
    if (ip && (before.length > 0 || after.length > 0)) {
      const state = { ...(before.length ? { before } : {}), ...(after.length ? { after } : {}) };
      const chg_ip = { [networkId]: { [ip]: state } };
      send(this.core, () => this.core.bus.publish('fdb_update', { fdb_entries: { chg_ip } }));
    }
    if (host !== p['binding:host_id'] && original.status === 'ACTIVE' && p.status === 'DOWN')
      this.statusChanged(original, 'ACTIVE', 'DOWN');
  }

  /** Called when a port's status changes (or it is deleted: status `DELETED`). */
  statusChanged(p: Doc, previous: string, status: string): void {
    const head = this.headOf(p);
    if (!head) return;
    const networkId = p.network_id as string;
    if (status === 'ACTIVE' && previous !== 'ACTIVE') {
      // update_port_up: the host's first active port of the network gets every other host's
      // entries cast to its agent alone (agent_fdb_entries); then all agents hear the new port's
      // entries, with the host's flooding entry when it is the first.
      const host = p['binding:host_id'] as string;
      const ip = this.tunnelIp(host);
      if (!ip) return;
      const repo = this.core.repo;
      const activeHere = repo.ports
        .list({ network_id: networkId })
        .filter((q) => q.status === 'ACTIVE' && q['binding:host_id'] === host).length;
      const mine: Entry[] = [];
      if (activeHere <= 1) {
        const others = this.networkEntries(repo, networkId);
        delete others[ip];
        if (Object.keys(others).length > 0) {
          const agentFdb: FdbEntries = { [networkId]: { ...head, ports: others } };
          send(this.core, () => this.core.bus.publish('fdb_add', { fdb_entries: agentFdb, host }));
        }
        mine.push(FLOODING_ENTRY);
      }
      mine.push(...this.entriesOf(p));
      const fdb: FdbEntries = { [networkId]: { ...head, ports: { [ip]: mine } } };
      send(this.core, () => this.core.bus.publish('fdb_add', { fdb_entries: fdb }));
    } else if (previous === 'ACTIVE' && (status === 'DOWN' || status === 'DELETED')) {
      // update_port_down: only DOWN (or the port gone) — ACTIVE → BUILD while an agent rewires
      // the port leaves the entries where they are, as Neutron's update_port_postcommit.
      const ip = this.tunnelIp(p['binding:host_id'] as string);
      if (!ip) return;
      const gone = this.entriesOf(p);
      // The host's last active port of the network takes the flooding entry with it.
      const stays = this.networkEntries(this.core.repo, networkId)[ip]?.some(
        ([mac]) => mac !== FLOODING_ENTRY[0] && mac !== p.mac_address,
      );
      const fdb: FdbEntries = {
        [networkId]: { ...head, ports: { [ip]: stays ? gone : [FLOODING_ENTRY, ...gone] } },
      };
      send(this.core, () => this.core.bus.publish('fdb_remove', { fdb_entries: fdb }));
    }
  }
}

/** The tunneling IP an Open vSwitch agent reported for its host (configurations.tunneling_ip). */
export function tunnelIpOf(
  agents: { agent_type: string; host: string; configurations: Record<string, unknown> }[],
  host: string,
): string | null {
  const a = agents.find((x) => x.agent_type === OVS_AGENT_TYPE && x.host === host);
  const ip = a?.configurations.tunneling_ip;
  return typeof ip === 'string' && ip !== '' ? ip : null;
}
