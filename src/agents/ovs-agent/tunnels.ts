// The agent's VXLAN tunnel ports on br-tun (_setup_tunnel_port / cleanup_tunnel_port): one
// `vxlan-<hex of the peer IP>` port per remote endpoint with Neutron's options, its table-0 flow,
// and the flooding of every VXLAN network to the tunnels (all of them in a full mesh; with
// l2population only those towards hosts sharing the network).

import { tunnelPortName } from '../../ovs/neutron-bridges.js';
import type { Logger } from '../../sim/oslo-log.js';
import type { TunnelBridge } from './bridges.js';
import type { LocalVlanMapping } from './networks.js';
import type { OvsCli } from './ovs-cli.js';

export interface TunnelsDeps {
  tunBr: TunnelBridge;
  localIp: string;
  udpPort: number;
  log: Logger;
  /** The VXLAN networks to flood, and (l2population) the ports each floods to; null: full mesh. */
  networks: () => Iterable<LocalVlanMapping>;
  l2popFloodPorts: ((m: LocalVlanMapping) => number[]) | null;
}

export class Tunnels {
  /** remote tunneling IP → vxlan port. */
  readonly ports = new Map<string, { name: string; ofport: number }>();

  constructor(private readonly d: TunnelsDeps) {}

  /** _setup_tunnel_port: a vxlan port to a peer; in a full mesh every network floods to it. */
  setup(remoteIp: string): number | null {
    if (remoteIp === this.d.localIp) return null;
    const have = this.ports.get(remoteIp);
    if (have) return have.ofport;
    const name = tunnelPortName(remoteIp);
    const ofport = this.d.tunBr.addTunnelPort(name, remoteIp, this.d.localIp, this.d.udpPort);
    if (ofport <= 0) {
      this.d.log.error(`Failed to set-up vxlan tunnel port to ${remoteIp}`);
      return null;
    }
    this.ports.set(remoteIp, { name, ofport });
    if (!this.d.l2popFloodPorts) for (const m of this.d.networks()) this.flood(m);
    return ofport;
  }

  remove(remoteIp: string): void {
    const t = this.ports.get(remoteIp);
    if (!t) return;
    this.d.tunBr.deleteTunnelPort(t.name, t.ofport);
    this.ports.delete(remoteIp);
  }

  /** install_flood_to_tun for one VXLAN network. */
  flood(m: LocalVlanMapping): void {
    if (m.networkType !== 'vxlan' || m.segmentationId === null) return;
    const ofports = this.d.l2popFloodPorts
      ? this.d.l2popFloodPorts(m)
      : [...this.ports.values()].map((t) => t.ofport);
    this.d.tunBr.installFlood(m.vlan, m.segmentationId, ofports);
  }

  /** Tunnel ports an earlier run left on br-tun (full mesh): kept, their flows re-installed. */
  adoptExisting(cli: OvsCli): void {
    for (const name of cli.listPorts(this.d.tunBr.name)) {
      if (!name.startsWith('vxlan-')) continue;
      const [row] = cli.list('Interface', ['name', 'ofport', 'options'], [name]);
      const remote = (row?.options as Record<string, string> | null)?.remote_ip;
      if (remote) this.setup(remote);
    }
  }

  /** Every tunnel port and its flow again (Open vSwitch lost its flows). */
  rebuild(): void {
    const remotes = [...this.ports.keys()];
    this.ports.clear();
    for (const ip of remotes) this.setup(ip);
  }
}
