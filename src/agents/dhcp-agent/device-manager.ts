// The DHCP agent's DeviceManager (neutron/agent/linux/dhcp.py): the network's DHCP port, created
// or updated through neutron-server, plugged into the qdhcp namespace with the OVS interface
// driver, its addresses (plus the metadata address when metadata is served there), the default
// route via the subnet gateway, the checksum-fill rule for DHCP replies; and its removal.
import type { NetDevice } from '../../kernel/device.js';
import type { Host } from '../../kernel/host.js';
import { iptablesRestore } from '../../kernel/netfilter/index.js';
import type { Namespace } from '../../kernel/netns.js';
import type { Logger } from '../../sim/oslo-log.js';
import { parseIp } from '../../wire/ipv4-address.js';
import type { AgentBus } from '../common/agent-bus.js';
import {
  ensureNamespace,
  type OvsInterfaceDriver,
  portDeviceName,
  setAddresses,
} from '../common/interface-driver.js';
import { type NetworkInfo, networkSubnets, type Port, prefixOf } from '../common/neutron-payloads.js';
import { dhcpSubnets } from './dnsmasq-config.js';

const METADATA_CIDR = '169.254.169.254/32';

export interface DhcpDevice {
  port: Port;
  ns: Namespace;
  dev: NetDevice;
  /** The port's IPv4 address per subnet id. */
  portIps: Map<string, string>;
}

export class DeviceManager {
  /** A port could not be brought up to date: the agent's periodic resync retries. */
  degraded = false;

  constructor(
    private readonly host: Host,
    private readonly driver: OvsInterfaceDriver,
    private readonly bus: AgentBus,
    private readonly log: Logger,
    /** The agent's host name (RPC `host`). */
    private readonly hostName: string,
    /** dhcp<uuid5(host)>- : the device_id prefix of this agent's DHCP ports. */
    readonly deviceIdPrefix: string,
  ) {}

  /** DeviceManager.setup: everything up to a configured device; null when the network is gone. */
  async setup(network: NetworkInfo, metadata: boolean): Promise<DhcpDevice | null> {
    const port = await this.setupDhcpPort(network);
    if (port === null) return null;
    const nsName = `qdhcp-${network.id}`;
    const fresh = !this.host.namespaces.has(nsName);
    const ns = ensureNamespace(this.host, nsName);
    const dev = this.driver.plug({
      portId: port.id,
      name: portDeviceName('tap', port.id),
      mac: port.mac_address,
      netns: ns,
      mtu: network.mtu,
    });
    if (fresh) this.fillDhcpUdpChecksums(ns);
    const subnets = networkSubnets(network);
    const cidrs: string[] = [];
    const portIps = new Map<string, string>();
    for (const f of port.fixed_ips) {
      const len = prefixOf(subnets, f.subnet_id);
      if (len === null || f.ip_address.includes(':')) continue;
      cidrs.push(`${f.ip_address}/${len}`);
      portIps.set(f.subnet_id, f.ip_address);
    }
    if (metadata) cidrs.push(METADATA_CIDR);
    setAddresses(dev, cidrs);
    this.setDefaultRoute(ns, dev, network);
    // _cleanup_stale_devices: anything else in the namespace goes.
    for (const d of [...ns.devices.values()])
      if (d !== dev && d.kind !== 'loopback') this.driver.unplug(d.name, ns);
    return { port, ns, dev, portIps };
  }

  /** DeviceManager.destroy: unplugged, namespace deleted (dhcp_delete_namespaces), port released. */
  destroy(networkId: string, ns: Namespace, devName: string): void {
    this.driver.unplug(devName, ns);
    if (this.host.namespaces.get(ns.name) === ns) this.host.delNamespace(ns.name);
    void this.bus
      .call('release_dhcp_port', {
        host: this.hostName,
        network_id: networkId,
        device_id: this.deviceIdPrefix + networkId,
      })
      .catch((e: Error) => this.log.warning(`release_dhcp_port ${networkId}: ${e.message}`));
  }

  /** DeviceManager.setup_dhcp_port: our port on the network, created or updated through neutron-server. */
  async setupDhcpPort(network: NetworkInfo): Promise<Port | null> {
    const deviceId = this.deviceIdPrefix + network.id;
    const wanted = dhcpSubnets(network).map((s) => s.id);
    let port = network.ports.find((p) => p.device_id === deviceId);
    if (port === undefined) {
      // dhcp_rpc.create_dhcp_port (real Neutron nests the dict as {port: {port: …}}; the bus
      // catalogue takes the port dict itself); the server sets device_owner network:dhcp.
      const created: Port | null = await this.bus.call('create_dhcp_port', {
        host: this.hostName,
        port: {
          name: '',
          admin_state_up: true,
          device_id: deviceId,
          network_id: network.id,
          project_id: network.project_id ?? network.tenant_id,
          fixed_ips: wanted.map((subnet_id) => ({ subnet_id })),
        },
      });
      if (created === null) return null;
      network.ports.push(created);
      return created;
    }
    const have = new Set(port.fixed_ips.map((f) => f.subnet_id));
    if (wanted.length !== have.size || wanted.some((w) => !have.has(w))) {
      const fixed = [
        ...port.fixed_ips.filter((f) => wanted.includes(f.subnet_id)),
        ...wanted.filter((w) => !have.has(w)).map((subnet_id) => ({ subnet_id })),
      ];
      try {
        const updated: Port = await this.bus.call('update_dhcp_port', {
          host: this.hostName,
          port_id: port.id,
          port: { network_id: network.id, fixed_ips: fixed },
        });
        network.ports = network.ports.map((p) => (p.id === updated.id ? updated : p));
        port = updated;
      } catch (e) {
        // Serve the subnets the port has; the next resync tries again.
        this.log.warning(`update_dhcp_port ${port.id}: ${(e as Error).message}`);
        this.degraded = true;
      }
    }
    return port;
  }

  /** _set_default_route: via the first DHCP subnet's gateway, replacing another one. */
  private setDefaultRoute(ns: Namespace, dev: NetDevice, network: NetworkInfo): void {
    const gw = dhcpSubnets(network).find((x) => x.gateway_ip)?.gateway_ip ?? null;
    const current = ns.routes.routes.find((r) => r.prefixLen === 0);
    const want = gw === null ? null : parseIp(gw);
    if (current !== undefined && current.via === want && current.dev === dev) return;
    if (current !== undefined) ns.routes.remove(0, 0);
    if (want !== null) ns.addRoute({ dst: 'default', via: want, dev, proto: 'static' });
  }

  /** fill_dhcp_udp_checksums: mangle POSTROUTING CHECKSUM --checksum-fill for DHCP replies. */
  private fillDhcpUdpChecksums(ns: Namespace): void {
    const w = 'neutron-dhcp-age';
    const builtin = (table: string, chains: string[]) => [
      `*${table}`,
      ...chains.map((c) => `:${c} ACCEPT [0:0]`),
      ...chains.map((c) => `:${w}-${c} - [0:0]`),
    ];
    const text = [
      ...builtin('raw', ['PREROUTING', 'OUTPUT']),
      ...['PREROUTING', 'OUTPUT'].map((c) => `-A ${c} -j ${w}-${c}`),
      'COMMIT',
      ...builtin('mangle', ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']),
      `:${w}-mark - [0:0]`,
      ...['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'].map((c) => `-A ${c} -j ${w}-${c}`),
      `-A ${w}-PREROUTING -j ${w}-mark`,
      `-A ${w}-POSTROUTING -p udp -m udp --dport 68 -j CHECKSUM --checksum-fill`,
      'COMMIT',
      ...builtin('filter', ['INPUT', 'FORWARD', 'OUTPUT']),
      ':neutron-filter-top - [0:0]',
      `:${w}-local - [0:0]`,
      '-A INPUT -j neutron-dhcp-age-INPUT',
      '-A FORWARD -j neutron-filter-top',
      `-A FORWARD -j ${w}-FORWARD`,
      '-A OUTPUT -j neutron-filter-top',
      `-A OUTPUT -j ${w}-OUTPUT`,
      `-A neutron-filter-top -j ${w}-local`,
      'COMMIT',
      '',
    ].join('\n');
    const r = iptablesRestore(ns.iptables(), text);
    if (r.status !== 0) this.log.error(`iptables-restore in ${ns.name} failed: ${r.stderr}`);
  }
}
