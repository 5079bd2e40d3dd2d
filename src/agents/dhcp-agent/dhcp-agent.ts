import type { Namespace } from '../../kernel/netns.js';
import {
  type AgentHostOptions,
  NAMESPACE_DNS,
  SerialQueue,
  uuid5,
  virtualWallClock,
} from '../common/agent-host.js';
import { OvsInterfaceDriver } from '../common/interface-driver.js';
import type { NetworkInfo, Port } from '../common/neutron-payloads.js';
import { StateReporter } from '../common/state-reporter.js';
import { DeviceManager } from './device-manager.js';
import { Dnsmasq } from './dnsmasq.js';
import {
  addnHostsFile,
  type DnsmasqSettings,
  dhcpSubnets,
  dnsmasqCommand,
  hostsFile,
  initLeasesFile,
  metadataEnabled,
  optsFile,
} from './dnsmasq-config.js';
import { ReadyPorts } from './ready-ports.js';

/** dhcp_agent.ini options (and the [agent] ones the agent reads), with Neutron's defaults. */
export interface DhcpAgentConf {
  /** [DEFAULT] host: the agent's host name (the network node). */
  host: string;
  report_interval: number;
  resync_interval: number;
  dhcp_driver: string;
  interface_driver: string;
  dhcp_lease_duration: number;
  dns_domain: string;
  enable_isolated_metadata: boolean;
  force_metadata: boolean;
  dnsmasq_dns_servers: string[];
  dnsmasq_local_resolv: boolean;
  dnsmasq_lease_max: number;
  state_path: string;
  integration_bridge: string;
  availability_zone: string;
  log_agent_heartbeats: boolean;
}

export const DHCP_AGENT_DEFAULTS: Omit<DhcpAgentConf, 'host'> = {
  report_interval: 30,
  // packstack writes resync_interval=30 (Neutron's default is 5)
  resync_interval: 30,
  dhcp_driver: 'neutron.agent.linux.dhcp.Dnsmasq',
  interface_driver: 'neutron.agent.linux.interface.OVSInterfaceDriver',
  dhcp_lease_duration: 86400,
  dns_domain: 'openstacklocal',
  enable_isolated_metadata: false,
  force_metadata: false,
  dnsmasq_dns_servers: [],
  dnsmasq_local_resolv: false,
  dnsmasq_lease_max: 2 ** 24,
  state_path: '/var/lib/neutron',
  integration_bridge: 'br-int',
  availability_zone: 'nova',
  log_agent_heartbeats: false,
};

const _METADATA_CIDR = '169.254.169.254/32';
const BINARY = 'neutron-dhcp-agent';

/**
 * dhcp.port_requires_dhcp_configuration: the ports whose create/update notification is answered
 * with a reload and a ready report (the others' addresses never make a dnsmasq host entry).
 */
const NO_DHCP_CONFIGURATION = new Set([
  'network:router_ha_interface',
  'network:floatingip',
  'network:dhcp',
  'network:distributed',
]);
const requiresDhcpConfiguration = (port: Port) => !NO_DHCP_CONFIGURATION.has(port.device_owner);

/** Which ports a refresh reports ready: those of the notifications, or all of the network. */
type ReadyAfter = Set<string> | 'all';

interface Served {
  network: NetworkInfo;
  port: Port;
  devName: string;
  ns: Namespace;
  argv: string[];
  dnsmasq: Dnsmasq | null;
  /** File contents by name (host, opts, addn_hosts, interface, pid); leases come from dnsmasq. */
  contents: Map<string, string>;
  unregister: (() => void)[];
}

export class DhcpAgent {
  readonly conf: DhcpAgentConf;
  readonly deviceIdPrefix: string;
  private readonly devices: DeviceManager;
  private readonly served = new Map<string, Served>();
  private readonly queue = new SerialQueue();
  private readonly reporter: StateReporter;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly wallMs: () => number;
  private resyncTimer: number | null = null;
  private needsResync = false;
  private nextPid = 1000;
  /** Networks named by notifications since the queued refresh pass was scheduled. */
  private readonly pending = new Map<string, ReadyAfter>();
  /** Ports dnsmasq serves now, to be told to neutron-server (their DHCP provisioning blocks). */
  readonly ready: ReadyPorts;

  constructor(
    private readonly o: AgentHostOptions,
    conf: Partial<DhcpAgentConf> & { host: string },
  ) {
    this.conf = { ...DHCP_AGENT_DEFAULTS, ...conf };
    this.wallMs = o.wallMs ?? virtualWallClock(o.sched);
    // common_utils.get_dhcp_agent_device_id: one DHCP port per network per agent host.
    this.deviceIdPrefix = `dhcp${uuid5(NAMESPACE_DNS, this.conf.host.split('.')[0])}-`;
    this.devices = new DeviceManager(
      o.host,
      new OvsInterfaceDriver(o.host, o.vswitchd, this.conf.integration_bridge),
      o.bus,
      o.log,
      this.conf.host,
      this.deviceIdPrefix,
    );
    this.ready = new ReadyPorts({ bus: o.bus, sched: o.sched, log: o.log, host: this.conf.host });
    this.reporter = new StateReporter({
      bus: o.bus,
      sched: o.sched,
      log: o.log,
      interval: this.conf.report_interval,
      wallMs: this.wallMs,
      state: () => this.agentState(),
      onResyncNeeded: (why) => this.scheduleResync(why),
    });
  }

  private get settings(): DnsmasqSettings {
    const c = this.conf;
    return {
      dnsDomain: c.dns_domain,
      leaseDuration: c.dhcp_lease_duration,
      enableIsolatedMetadata: c.enable_isolated_metadata,
      forceMetadata: c.force_metadata,
      dnsmasqDnsServers: c.dnsmasq_dns_servers,
      dnsmasqLocalResolv: c.dnsmasq_local_resolv,
      dnsmasqLeaseMax: c.dnsmasq_lease_max,
      stateDir: `${c.state_path}/dhcp`,
    };
  }

  start(): void {
    const bus = this.o.bus;
    // A network's or subnet's change reloads the network and reports all its ports ready
    // (enable_dhcp_helper, refresh_dhcp_helper); a port's own notification reports that port.
    for (const t of ['network.created', 'network.updated', 'network.deleted'] as const)
      this.unsubscribe.push(bus.subscribe(t, (p) => this.refresh(p.network.id, 'all')));
    for (const t of ['subnet.created', 'subnet.updated', 'subnet.deleted'] as const)
      this.unsubscribe.push(bus.subscribe(t, (p) => this.refresh(p.subnet.network_id, 'all')));
    const own = (port: Port) => new Set(requiresDhcpConfiguration(port) ? [port.id] : []);
    this.unsubscribe.push(bus.subscribe('port.created', (p) => this.refresh(p.port.network_id, own(p.port))));
    this.unsubscribe.push(bus.subscribe('port.deleted', (p) => this.refresh(p.port.network_id, new Set())));
    // port_update_end: only what dnsmasq sees matters (a status change to ACTIVE does not)
    this.unsubscribe.push(
      bus.subscribe('port.updated', (p) => {
        if (this.dhcpRelevantChange(p.port)) this.refresh(p.port.network_id, own(p.port));
      }),
    );
    this.unsubscribe.push(
      bus.subscribe('port.deleted', (p: { port: Port }) =>
        this.served.get(p.port.network_id)?.dnsmasq?.release(p.port.mac_address),
      ),
    );
    this.o.log.info('DHCP agent started');
    this.reporter.start();
    this.armResync();
  }

  /** Stops reporting and listening; dnsmasq servers stop answering (namespaces and ports stay). */
  stop(): void {
    this.reporter.stop();
    this.ready.stop();
    for (const u of this.unsubscribe.splice(0)) u();
    if (this.resyncTimer !== null) this.o.sched.cancel(this.resyncTimer);
    this.resyncTimer = null;
    for (const s of this.served.values()) {
      s.dnsmasq?.stop();
      s.dnsmasq = null;
    }
  }

  /** A full resync (sync_state), resolved when done. */
  sync(): Promise<void> {
    return this.queue.run(
      () => this.syncState(),
      (e) => this.failed('sync_state', e),
    );
  }

  /** One report_state now (tests; the agent reports every report_interval by itself). */
  reportState(): Promise<void> {
    return this.reporter.report();
  }

  /** The served networks' namespaces, for tools and tests. */
  networks(): string[] {
    return [...this.served.keys()];
  }

  /** The agent's files by path (what `cat` shows). */
  files(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [id, s] of this.served)
      for (const name of ['host', 'addn_hosts', 'opts', 'leases', 'interface', 'pid'])
        out.set(`${this.settings.stateDir}/${id}/${name}`, this.fileText(s, name));
    return out;
  }

  /** dnsmasq of a network (tests, `ps`). */
  dnsmasqOf(networkId: string): { argv: string[]; server: Dnsmasq | null } | undefined {
    const s = this.served.get(networkId);
    return s && { argv: s.argv, server: s.dnsmasq };
  }

  private fileText(s: Served, name: string): string {
    if (name === 'leases' && s.dnsmasq !== null) return s.dnsmasq.leasesFile();
    return s.contents.get(name) ?? '';
  }

  private agentState() {
    let subnets = 0;
    let ports = 0;
    for (const s of this.served.values()) {
      subnets += s.network.subnets.length;
      ports += s.network.ports.length;
    }
    return {
      binary: BINARY,
      host: this.conf.host,
      availability_zone: this.conf.availability_zone,
      topic: 'dhcp_agent',
      configurations: {
        dhcp_driver: this.conf.dhcp_driver,
        dhcp_lease_duration: this.conf.dhcp_lease_duration,
        log_agent_heartbeats: this.conf.log_agent_heartbeats,
        networks: this.served.size,
        subnets,
        ports,
      },
      agent_type: 'DHCP agent',
    };
  }

  private failed(what: string, e: Error): void {
    this.o.log.error(`Unable to ${what}: ${e.message}`);
    this.needsResync = true;
  }

  private scheduleResync(reason: string): void {
    this.o.log.info(`resync (${reason})`);
    void this.sync();
  }

  /** periodic_resync: every resync_interval, a full sync if something failed since. */
  private armResync(): void {
    if (this.conf.resync_interval <= 0) return;
    this.resyncTimer = this.o.sched.schedule(this.conf.resync_interval * 1e9, () => {
      if (this.needsResync || this.devices.degraded) {
        this.needsResync = false;
        this.devices.degraded = false;
        this.scheduleResync('periodic resync');
      }
      this.armResync();
    });
  }

  private dhcpRelevantChange(port: Port): boolean {
    const old = this.served.get(port.network_id)?.network.ports.find((x) => x.id === port.id);
    if (old === undefined) return true;
    const key = (p: Port) =>
      JSON.stringify([
        p.mac_address,
        p.fixed_ips,
        p.device_owner,
        p.device_id,
        p.dns_assignment,
        p.extra_dhcp_opts,
      ]);
    return key(old) !== key(port);
  }

  /** Re-reads a network (notification handlers); a burst of events makes one pass. */
  private refresh(networkId: string, ready: ReadyAfter): void {
    const first = this.pending.size === 0;
    const before = this.pending.get(networkId);
    if (before === undefined || ready === 'all') this.pending.set(networkId, ready);
    else if (before !== 'all') for (const id of ready) before.add(id);
    if (!first) return;
    void this.queue.run(
      async () => {
        const work = [...this.pending];
        this.pending.clear();
        const active = new Set(await this.activeNetworks());
        for (const [id, readyAfter] of work) {
          if (active.has(id)) await this.refreshNetwork(id, readyAfter);
          else if (this.served.has(id)) this.disable(id);
        }
      },
      (e) => this.failed('refresh networks', e),
    );
  }

  private async activeNetworks(): Promise<string[]> {
    return this.o.bus.call('get_active_networks_info', { host: this.conf.host });
  }

  private async syncState(): Promise<void> {
    const active = new Set(await this.activeNetworks());
    for (const id of [...this.served.keys()]) if (!active.has(id)) this.disable(id);
    // sync_state: every port of the synced networks, in case some came while the agent was away.
    for (const id of active) await this.refreshNetwork(id, 'all');
  }

  private async refreshNetwork(id: string, ready: ReadyAfter): Promise<void> {
    const network: NetworkInfo | null = await this.o.bus.call('get_network_info', {
      host: this.conf.host,
      network_id: id,
    });
    if (network === null || !network.admin_state_up || dhcpSubnets(network).length === 0) {
      if (this.served.has(id)) this.disable(id);
      return;
    }
    const done = await this.enable(network);
    if (done === null) return;
    // After the host file is re-read: a fresh or restarted dnsmasq serves every port of the
    // network (configure_dhcp_for_network); a reload the notified ports (reload_allocations).
    const listed = network.ports.map((p) => p.id);
    if (done === 'spawned' || ready === 'all') this.ready.add(listed, false);
    else
      this.ready.add(
        listed.filter((p) => ready.has(p)),
        true,
      );
  }

  /** Writes dnsmasq's files and spawns, restarts or reloads it; null if the network went away. */
  private async enable(network: NetworkInfo): Promise<'spawned' | 'reloaded' | null> {
    const setup = await this.devices.setup(network, metadataEnabled(network, this.settings));
    if (setup === null) return null; // the network went away meanwhile
    const { port, ns, dev, portIps } = setup;
    const devName = dev.name;
    let s = this.served.get(network.id);
    if (s === undefined) {
      s = { network, port, devName, ns, argv: [], dnsmasq: null, contents: new Map(), unregister: [] };
      this.served.set(network.id, s);
      this.registerFiles(s);
    }
    s.network = network;
    s.port = port;
    const st = this.settings;
    s.contents.set('host', hostsFile(network, st));
    s.contents.set('addn_hosts', addnHostsFile(network, st));
    s.contents.set('opts', optsFile(network, st, portIps));
    s.contents.set('interface', `${devName}\n`);
    const argv = dnsmasqCommand(network, st);
    if (s.dnsmasq === null || argv.join(' ') !== s.argv.join(' ')) {
      // spawn (or restart after a subnet change): the initial lease file only on a fresh start
      s.dnsmasq?.stop();
      if (s.dnsmasq === null)
        s.contents.set('leases', initLeasesFile(network, st, Math.floor(this.wallMs() / 1000)));
      s.argv = argv;
      s.contents.set('pid', `${this.nextPid++}\n`);
      s.dnsmasq = new Dnsmasq({
        ns,
        dev,
        argv,
        readFile: (path) => s!.contents.get(path.slice(path.lastIndexOf('/') + 1)) ?? '',
        wallMs: this.wallMs,
        log: this.o.log,
      });
      return 'spawned';
    }
    s.dnsmasq.reload();
    return 'reloaded';
  }

  private registerFiles(s: Served): void {
    const files = this.o.files;
    if (files === undefined) return;
    const dir = `${this.settings.stateDir}/${s.network.id}`;
    for (const name of ['host', 'addn_hosts', 'opts', 'leases', 'interface', 'pid'])
      s.unregister.push(files.register(`${dir}/${name}`, () => this.fileText(s, name)));
  }

  /** Dnsmasq.disable + DeviceManager.destroy: dnsmasq stopped, port unplugged and released, namespace deleted. */
  private disable(id: string): void {
    const s = this.served.get(id);
    if (s === undefined) return;
    s.dnsmasq?.stop();
    for (const u of s.unregister) u();
    this.served.delete(id);
    this.devices.destroy(id, s.ns, s.devName);
    this.o.log.info(`Network ${id} has no DHCP any more: namespace ${s.ns.name} removed`);
  }
}
