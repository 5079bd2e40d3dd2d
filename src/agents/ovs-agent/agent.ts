// neutron-openvswitch-agent for one host (ovs_neutron_agent.py, Zed): at start it sets up
// br-int, the physical bridges of bridge_mappings and br-tun with their patch ports and base
// flows under fresh cookies, reads back the local VLANs already on br-int; then its rpc_loop
// (every polling_interval, or at once when OVSDB or a notification says something changed)
// scans br-int for ports with an iface-id, asks neutron-server for their details, binds them
// (local VLAN tag, other_config, anti-spoofing flows), sets the firewall, reports them up or
// down, and reclaims a network's VLAN when its last port leaves. Tunnels are a full mesh from
// tunnel_sync / tunnel_update, or with l2population exactly what fdb_add asks for. After the
// first full sync, flows left by an earlier run (other cookies) are removed.

import type { Bus } from '../../bus/bus.js';
import type { Host } from '../../kernel/host.js';
import type { Vswitchd } from '../../ovs/vswitchd.js';
import type { Logger } from '../../sim/oslo-log.js';
import { NS_PER_S, type Scheduler, type TimerHandle } from '../../sim/scheduler.js';
import { virtualWallClock } from '../common/agent-host.js';
import { StateReporter, type StateReporterOptions } from '../common/state-reporter.js';
import { ovsAgentState } from './agent-state.js';
import { IntegrationBridge, PhysicalBridge, patchPorts, setupAgentBridge, TunnelBridge } from './bridges.js';
import type { OvsAgentConfig } from './config.js';
import { HybridIptablesFirewall, isFirewalled } from './firewall/hybrid-firewall.js';
import { firewallPortOf, groupStateOf } from './firewall/sg-info.js';
import { L2Population } from './l2pop.js';
import { DEAD_VLAN_TAG } from './local-vlan.js';
import { LocalNetworks, type LocalVlanMapping, type PhysState } from './networks.js';
import { OvsCli } from './ovs-cli.js';
import { type PortLike, portSignature } from './port-signature.js';
import { pyRepr } from './py-repr.js';
import {
  type DeviceDetails,
  type DeviceDetailsEntry,
  hasDetails,
  type SecurityGroupInfo,
} from './rpc-payloads.js';
import { Tunnels } from './tunnels.js';
import { portOtherConfig, scanVifPorts, spoofingAllowOf, type VifPort } from './vif-ports.js';

export { AGENT_BINARY, AGENT_TYPE } from './agent-state.js';
export type { LocalVlanMapping } from './networks.js';

export interface OvsAgentOptions {
  host: Host;
  vswitchd: Vswitchd;
  /** The cloud's bus; the agent uses Neutron's method and topic names on it. */
  bus: Bus;
  sched: Scheduler;
  config: OvsAgentConfig;
  log: Logger;
  /** Wall-clock ms for report_state's time (default: the wall clock following virtual time). */
  wallMs?: () => number;
}

const rnd64 = (sched: Scheduler) =>
  (BigInt(sched.int(0x100000000)) << 32n) | BigInt(sched.int(0x100000000)) || 1n;

export class OvsAgent {
  readonly agentId: string;
  readonly cli: OvsCli;
  readonly intBr: IntegrationBridge;
  readonly tunBr: TunnelBridge | null;
  readonly phys = new Map<string, PhysState>();
  readonly networks: LocalNetworks;
  readonly tunnelPorts: Tunnels | null;
  /** Ports bound in an earlier iteration: port id → what the agent did with it. */
  readonly bound = new Map<string, { vif: VifPort; details: DeviceDetails | null }>();
  readonly firewall: HybridIptablesFirewall | null;
  readonly l2pop: L2Population | null;
  iterations = 0;
  readonly cfgArpResponder: boolean;
  /** Per-iteration timing and work, for the benchmark. */
  lastIteration = { scanned: 0, treated: 0 };

  private readonly cfg: OvsAgentConfig;
  private readonly log: Logger;
  private readonly reporter: StateReporter;
  private readonly unsubscribe: (() => void)[] = [];
  private timer: TimerHandle | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private ownWrites = 0;
  private ovsdbChanged = true;
  private readonly updatedPorts = new Set<string>();
  /** What the agent last knew of each port's relevant attributes (see portEvent). */
  private readonly portSigs = new Map<string, string>();
  private readonly portGroups = new Map<string, string[]>();
  /** Security groups of the ports bound here, and the remote groups their rules name. */
  private myGroups = new Set<string>();
  private remoteGroups = new Set<string>();
  private readonly deletedPorts = new Set<string>();
  private fwRefresh = true;
  private tunnelSyncNeeded: boolean;
  private fullSync = true;
  private failedDevices = new Set<string>();
  private readonly onCommit = () => {
    if (this.ownWrites > 0 || this.stopped) return;
    this.ovsdbChanged = true;
    this.kick();
  };

  constructor(private readonly o: OvsAgentOptions) {
    this.cfg = o.config;
    this.cfgArpResponder = o.config.arpResponder;
    this.log = o.log;
    this.agentId = `ovs-agent-${this.cfg.host}`;
    this.cli = new OvsCli(o.vswitchd);
    this.tunnelSyncNeeded = this.cfg.tunnelTypes.length > 0;
    this.intBr = new IntegrationBridge(this.cli, this.cfg.integrationBridge, rnd64(o.sched));
    this.tunBr =
      this.cfg.tunnelTypes.length > 0
        ? new TunnelBridge(this.cli, this.cfg.tunnelBridge, rnd64(o.sched))
        : null;
    this.l2pop = this.cfg.l2Population && this.tunBr ? new L2Population(this) : null;
    const l2pop = this.l2pop;
    this.tunnelPorts = this.tunBr
      ? new Tunnels({
          tunBr: this.tunBr,
          localIp: this.cfg.localIp,
          udpPort: this.cfg.vxlanUdpPort,
          log: this.log,
          networks: () => this.networks.lvm.values(),
          l2popFloodPorts: l2pop ? (m) => l2pop.floodPorts(m) : null,
        })
      : null;
    this.networks = new LocalNetworks({
      intBr: this.intBr,
      tunBr: this.tunBr,
      phys: this.phys,
      log: this.log,
      flood: (m) => this.tunnelPorts?.flood(m),
      reclaimed: (netId) => l2pop?.networkReclaimed(netId),
    });
    this.writing(() => this.setupBridges());
    this.firewall =
      this.cfg.firewall === 'iptables_hybrid'
        ? new HybridIptablesFirewall(o.host.root.iptables(), { enableIpset: this.cfg.enableIpset })
        : null;
    this.networks.restoreHints(scanVifPorts(this.cli, this.cfg.integrationBridge).values());
    const wallMs = o.wallMs ?? virtualWallClock(o.sched);
    this.reporter = new StateReporter({
      bus: o.bus as unknown as StateReporterOptions['bus'],
      sched: o.sched,
      log: o.log,
      interval: this.cfg.reportInterval,
      wallMs,
      state: () => ovsAgentState(this.cfg, this.bound.size),
      onResyncNeeded: (reason) => {
        if (reason !== 'agent started') this.requestFullSync();
      },
    });
  }

  // ── start / stop ────────────────────────────────────────────────────────────

  start(): void {
    const bus = this.o.bus;
    const subs = this.unsubscribe;
    subs.push(bus.subscribe('port.updated', ({ port }) => this.portEvent('updated', port)));
    subs.push(bus.subscribe('port.created', ({ port }) => this.portEvent('created', port)));
    subs.push(bus.subscribe('port.deleted', ({ port }) => this.portEvent('deleted', port)));
    for (const t of ['created', 'updated', 'deleted'] as const) {
      subs.push(
        bus.subscribe(`security_group_rule.${t}`, ({ security_group_rule: r }) => {
          if (this.myGroups.has(r.security_group_id)) this.markFirewall();
        }),
      );
      subs.push(
        bus.subscribe(`security_group.${t}`, ({ security_group: g }) => {
          if (this.myGroups.has(g.id)) this.markFirewall();
        }),
      );
    }
    subs.push(
      bus.subscribe('tunnel.updated', (t) => {
        if (this.l2pop || t.tunnel_type !== 'vxlan') return;
        this.writing(() => this.tunnelPorts?.setup(t.tunnel_ip));
      }),
    );
    if (this.l2pop) {
      const l2 = this.l2pop;
      // A cast to another host's agent (refresh_tunnels' answer) is not for this one.
      const mine = (e: { host?: string }) => e.host === undefined || e.host === this.cfg.host;
      subs.push(bus.subscribe('fdb_add', (e) => mine(e) && this.writing(() => l2.add(e.fdb_entries))));
      subs.push(bus.subscribe('fdb_remove', (e) => mine(e) && this.writing(() => l2.remove(e.fdb_entries))));
      subs.push(bus.subscribe('fdb_update', (e) => this.writing(() => l2.changeIp(e.fdb_entries.chg_ip))));
    }
    this.o.vswitchd.db.onCommit.push(this.onCommit);
    this.reporter.start();
    this.log.info('Agent initialized successfully, now running...');
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    for (const u of this.unsubscribe.splice(0)) u();
    const i = this.o.vswitchd.db.onCommit.indexOf(this.onCommit);
    if (i >= 0) this.o.vswitchd.db.onCommit.splice(i, 1);
    if (this.timer !== null) this.o.sched.cancel(this.timer);
    this.timer = null;
    this.reporter.stop();
  }

  /** One rpc_loop iteration now (and any asked for meanwhile); resolves when the host is in sync. */
  async sync(): Promise<void> {
    this.again = true;
    this.kick();
    while (this.running) await this.running;
  }

  /** report_state without waiting for the next 30 s (tests). */
  report(): Promise<void> {
    return this.reporter.report();
  }

  requestFullSync(): void {
    this.fullSync = true;
    this.tunnelSyncNeeded = this.cfg.tunnelTypes.length > 0;
    this.kick();
  }

  /**
   * A port notification. Like the server, which only sends port_update for changes an agent acts
   * on, a change of status alone (the agent's own update_device_up) is ignored; any other change
   * of a bound port re-reads its details, and of any port refreshes the firewall (the members of
   * its security groups may have changed: security_groups_member_updated).
   */
  private portEvent(kind: 'created' | 'updated' | 'deleted', port: PortLike & { id: string }): void {
    const before = this.portGroups.get(port.id) ?? [];
    const groups = port.security_groups ?? [];
    // security_groups_member_updated reaches an agent whose rules name one of the port's groups.
    const member = [...before, ...groups].some((g) => this.remoteGroups.has(g));
    if (kind === 'deleted') {
      this.portSigs.delete(port.id);
      this.portGroups.delete(port.id);
      if (this.bound.has(port.id)) this.deletedPorts.add(port.id);
      if (member || this.bound.has(port.id)) this.markFirewall();
      return;
    }
    const sig = portSignature(port);
    if (this.portSigs.get(port.id) === sig) return;
    this.portSigs.set(port.id, sig);
    if (groups.length > 0) this.portGroups.set(port.id, groups);
    else this.portGroups.delete(port.id);
    if (kind === 'updated' && this.bound.has(port.id)) this.updatedPorts.add(port.id);
    if (member || this.bound.has(port.id)) this.markFirewall();
  }

  /**
   * The firewall is refreshed by the next loop iteration (the real agent's
   * defer_refresh_firewall): a burst of notifications costs one refresh.
   */
  markFirewall(): void {
    this.fwRefresh = true;
  }

  /** Runs `fn` with the agent's own OVSDB commits not counted as outside changes. */
  writing<T>(fn: () => T): T {
    this.ownWrites++;
    try {
      return fn();
    } finally {
      this.ownWrites--;
    }
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
      if (!this.stopped) this.arm();
    });
  }

  private arm(): void {
    if (this.timer !== null) this.o.sched.cancel(this.timer);
    this.timer = this.o.sched.schedule(this.cfg.pollingInterval * NS_PER_S, () => {
      this.timer = null;
      this.kick();
    });
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.iteration();
      } catch (e) {
        this.log.error(`Error while processing VIF ports: ${(e as Error).stack ?? e}`);
        this.fullSync = true;
      }
    } while (this.again && !this.stopped);
  }

  // ── setup ──────────────────────────────────────────────────────────────────

  private setupBridges(): void {
    const c = this.cfg;
    this.cli.vsctl('--may-exist', 'set-manager', 'ptcp:6640:127.0.0.1');
    setupAgentBridge(this.cli, c.integrationBridge, c.datapathType);
    if (c.dropFlowsOnStart) this.cli.delFlows(c.integrationBridge, '');
    this.intBr.setupDefaultFlows();
    // setup_physical_bridges before br-tun, as the agent does (int-br-ex gets the lower ofport).
    for (const [physnet, bridge] of Object.entries(c.bridgeMappings)) {
      this.log.info(`Mapping physical network ${physnet} to bridge ${bridge}`);
      // packstack creates br-ex before the agent starts; the emulated host gets it here.
      setupAgentBridge(this.cli, bridge, c.datapathType);
      const intPatch = `int-${bridge}`.slice(0, 15);
      const phyPatch = `phy-${bridge}`.slice(0, 15);
      const [intOfport, phyOfport] = patchPorts(
        this.cli,
        [c.integrationBridge, intPatch],
        [bridge, phyPatch],
      );
      const br = new PhysicalBridge(this.cli, bridge, rnd64(this.o.sched), phyOfport);
      br.setupDefaultFlows();
      this.intBr.dropPort(intOfport);
      this.phys.set(physnet, { bridge: br, intOfport });
    }
    if (this.tunBr) {
      setupAgentBridge(this.cli, c.tunnelBridge, c.datapathType);
      const [, patchInt] = patchPorts(
        this.cli,
        [c.integrationBridge, c.intPeerPatchPort],
        [c.tunnelBridge, c.tunPeerPatchPort],
      );
      this.tunBr.setupDefaultFlows(patchInt, c.arpResponder);
      // Tunnel ports of an earlier run stay (full mesh); their flows come back with this run's cookie.
      if (!this.l2pop) this.tunnelPorts?.adoptExisting(this.cli);
    }
  }

  // ── tunnels (l2pop's view) ─────────────────────────────────────────────────

  get tunnels(): Map<string, { name: string; ofport: number }> {
    return this.tunnelPorts?.ports ?? new Map();
  }

  setupTunnel(remoteIp: string): number | null {
    return this.tunnelPorts?.setup(remoteIp) ?? null;
  }

  removeTunnel(remoteIp: string): void {
    this.tunnelPorts?.remove(remoteIp);
  }

  /** [ovs] local_ip: this host's tunnel endpoint (l2population skips its own entries). */
  get localIp(): string {
    return this.cfg.localIp;
  }

  mappingOf(netId: string): LocalVlanMapping | undefined {
    return this.networks.mapping(netId);
  }

  private async tunnelSync(): Promise<void> {
    const reply = await this.o.bus.call('tunnel_sync', {
      tunnel_ip: this.cfg.localIp,
      tunnel_type: 'vxlan',
      host: this.cfg.host,
    });
    if (!this.l2pop)
      this.writing(() => {
        for (const t of reply.tunnels ?? []) this.tunnelPorts?.setup(t.ip_address);
      });
    this.tunnelSyncNeeded = false;
  }

  /**
   * check_ovs_status: the canary flow of table 23 is gone, so Open vSwitch lost its flows
   * (restarted, or someone ran del-flows): set the bridges up again, re-provision every local
   * VLAN and tunnel, and treat every port as new.
   */
  private recoverIfOvsRestarted(): boolean {
    if (/priority=0 actions=drop/.test(this.cli.dumpFlows(this.intBr.name, 'table=23'))) return false;
    this.log.warning('OVS is restarted. OVSNeutronAgent will reset bridges and recover ports.');
    this.writing(() => {
      this.setupBridges();
      this.tunnelPorts?.rebuild();
      this.networks.reprovisionAll();
      this.l2pop?.reapply();
    });
    this.fullSync = true;
    this.fwRefresh = true;
    return true;
  }

  // ── the loop ───────────────────────────────────────────────────────────────

  private async iteration(): Promise<void> {
    const ovsRestarted = this.recoverIfOvsRestarted();
    if (this.tunnelSyncNeeded && this.tunBr) {
      try {
        await this.tunnelSync();
      } catch (e) {
        this.log.error(`Failed to sync tunnels: ${(e as Error).message}`);
      }
    }
    const work =
      this.fullSync ||
      this.ovsdbChanged ||
      this.updatedPorts.size > 0 ||
      this.deletedPorts.size > 0 ||
      this.failedDevices.size > 0 ||
      this.fwRefresh;
    if (!work) return;
    const full = this.fullSync;
    this.fullSync = false;
    this.ovsdbChanged = false;
    const current = this.writing(() => scanVifPorts(this.cli, this.cfg.integrationBridge));
    // A port whose Interface row was replaced (the DHCP/L3 agents' replace_port after a restart:
    // same name and ofport, a new row on the dead VLAN) is new to the agent, as the OVSDB
    // monitor's insert event makes it for the real one.
    const added = [...current.keys()].filter((id) => {
      const was = this.bound.get(id)?.vif;
      const now = current.get(id)!;
      return full || was === undefined || was.ofport !== now.ofport || was.ifaceUuid !== now.ifaceUuid;
    });
    const updated = [...this.updatedPorts, ...this.failedDevices].filter(
      (id) => current.has(id) && !added.includes(id),
    );
    this.updatedPorts.clear();
    this.failedDevices.clear();
    const removed = [...this.bound.keys()].filter((id) => !current.has(id));
    this.lastIteration = { scanned: current.size, treated: added.length + updated.length + removed.length };

    this.writing(() => {
      for (const id of this.deletedPorts) {
        const vif = current.get(id);
        if (vif) this.portDead(vif);
      }
      this.cli.flush();
    });
    this.deletedPorts.clear();

    // treat_devices_removed
    const down: string[] = [];
    for (const id of removed) {
      const b = this.bound.get(id)!;
      this.bound.delete(id);
      this.writing(() => {
        this.intBr.uninstallPortFlows(b.vif.ofport);
        if (b.details) this.unbind(id, b.details.network_id);
      });
      down.push(id);
      this.fwRefresh = true;
    }

    // treat_devices_added_or_updated
    const up: string[] = [];
    const adminDown: string[] = [];
    const treat = [...added, ...updated];
    if (treat.length > 0) {
      let entries: DeviceDetailsEntry[];
      try {
        entries = await this.o.bus.call('get_devices_details_list', {
          agent_id: this.agentId,
          host: this.cfg.host,
          devices: treat,
        });
      } catch (e) {
        this.log.error(`Unable to get port details for ${treat.join(', ')}: ${(e as Error).message}`);
        for (const id of treat) this.failedDevices.add(id);
        entries = [];
      }
      this.writing(() => {
        for (const d of entries) {
          const vif = current.get(d.device);
          if (!vif) continue;
          if (!hasDetails(d)) {
            this.log.warning(`Device ${d.device} not defined on plugin or binding failed`);
            const prev = this.bound.get(d.device);
            if (prev?.details) this.unbind(d.device, prev.details.network_id);
            this.portDead(vif);
            this.bound.set(d.device, { vif, details: null });
            continue;
          }
          this.log.info(`Port ${d.device} updated. Details: ${pyRepr(d)}`);
          if (this.bindPort(vif, d)) (d.admin_state_up ? up : adminDown).push(d.device);
          else this.failedDevices.add(d.device);
        }
        this.cli.flush();
      });
      this.fwRefresh = true;
    }

    if (this.fwRefresh && this.firewall) await this.refreshFirewall();
    this.fwRefresh = false;

    // _bind_devices' refresh_tunnels: a new run (its fdb entries are gone with the old cookies'
    // flows), Open vSwitch restarted, or a tunnelled network of a port up here floods nowhere yet.
    const refreshTunnels =
      this.iterations === 0 ||
      ovsRestarted ||
      (this.l2pop?.tunnelsMissing(up.map((id) => this.bound.get(id)?.details?.network_id)) ?? false);
    await this.updateDevices(up, [...adminDown, ...down], refreshTunnels);

    if (full && this.iterations === 0) {
      this.networks.vlans.disposeHints();
      this.writing(() => this.cleanupStaleFlows());
    }
    this.iterations++;
  }

  /** port_bound + _add_port_tag_info + _bind_devices for one port. */
  private bindPort(vif: VifPort, d: DeviceDetails): boolean {
    const prev = this.bound.get(d.device);
    if (prev?.details && prev.details.network_id !== d.network_id)
      this.unbind(d.device, prev.details.network_id);
    if (!d.admin_state_up) {
      // treat_vif_port puts the port on the dead VLAN and leaves it in its network's VLAN mapping
      // (no port_unbound): the network keeps its local VLAN for when the port comes back up.
      // treat_vif_port: "admin state up disabled, putting on the dead VLAN".
      this.log.info(`VIF port: ${d.device} admin state up disabled, putting on the dead VLAN`);
      this.portDead(vif);
      this.bound.set(d.device, { vif, details: d });
      return true;
    }
    const m = this.networks.provision(d.network_id, d);
    if (!m) return false;
    m.ports.add(d.device);
    this.bound.set(d.device, { vif, details: d });
    this.portSigs.set(d.device, portSignature(d));
    const want = portOtherConfig(d, m.vlan);
    if (Object.entries(want).some(([k, v]) => vif.otherConfig[k] !== v)) {
      this.cli.queue(
        'set',
        'Port',
        vif.name,
        ...Object.entries(want).map(([k, v]) => `other_config:${k}=${v}`),
      );
      vif.otherConfig = { ...vif.otherConfig, ...want };
    }
    if (vif.tag !== m.vlan) {
      // _add_port_tag_info: a port moving VLAN loses the flows of its old one.
      if (vif.tag !== null) this.intBr.uninstallPortFlows(vif.ofport);
      // _set_port_vlan: the tag, and the dead-VLAN trunk the interface driver plugged with cleared.
      this.cli.queue('set', 'Port', vif.name, `tag=${m.vlan}`);
      this.cli.queue('clear', 'Port', vif.name, 'vlan_mode');
      this.cli.queue('clear', 'Port', vif.name, 'trunks');
      vif.tag = m.vlan;
    }
    this.setupSpoofing(vif, d);
    this.l2pop?.portBound(d);
    return true;
  }

  /** setup_arp_spoofing_protection (none for ports without port security, network:* ports, /0 pairs). */
  private setupSpoofing(vif: VifPort, d: DeviceDetails): void {
    const allow = spoofingAllowOf(d);
    if (allow) this.intBr.installSpoofingProtection(vif.ofport, allow);
    else this.intBr.uninstallPortFlows(vif.ofport);
  }

  /** port_dead: a tagged port moves to VLAN 4095 with a drop flow (an untagged one is left as it is). */
  private portDead(vif: VifPort): void {
    if (vif.tag === null || vif.tag === DEAD_VLAN_TAG) return;
    this.cli.queue('set', 'Port', vif.name, `tag=${DEAD_VLAN_TAG}`);
    vif.tag = DEAD_VLAN_TAG;
    this.intBr.uninstallPortFlows(vif.ofport);
    this.intBr.dropPort(vif.ofport);
  }

  /** port_unbound. */
  private unbind(portId: string, netId: string): void {
    this.l2pop?.portUnbound(portId, netId);
    this.networks.unbind(portId, netId);
  }

  private async updateDevices(up: string[], down: string[], refreshTunnels: boolean): Promise<void> {
    for (const [method, list] of [
      ['update_device_up', up],
      ['update_device_down', down],
    ] as const) {
      for (const device of list) {
        try {
          const req = { agent_id: this.agentId, host: this.cfg.host, device };
          if (method === 'update_device_up')
            await this.o.bus.call(method, { ...req, refresh_tunnels: refreshTunnels });
          else await this.o.bus.call(method, req);
        } catch (e) {
          this.log.error(`${method} for ${device} failed: ${(e as Error).message}`);
          if (method === 'update_device_up') this.failedDevices.add(device);
        }
      }
    }
    if (up.length > 0 || down.length > 0)
      this.log.info(`Configuration for devices up ${pyRepr(up)} and devices down ${pyRepr(down)} completed.`);
  }

  /** security_group_info_for_devices for every firewalled port, then one apply of the whole rule set. */
  private async refreshFirewall(): Promise<void> {
    const ports = [...this.bound.values()]
      .filter((b): b is { vif: VifPort; details: DeviceDetails } => !!b.details?.admin_state_up)
      .map((b) => firewallPortOf(b.details))
      .filter(isFirewalled);
    let info: SecurityGroupInfo = { security_groups: {}, sg_member_ips: {}, devices: {} };
    const withGroups = ports
      .filter((p) => p.portSecurityEnabled && p.securityGroups.length > 0)
      .map((p) => p.id);
    if (withGroups.length > 0) {
      try {
        info = await this.o.bus.call('security_group_info_for_devices', { devices: withGroups });
      } catch (e) {
        this.log.error(`Security group info for ${withGroups.join(', ')} failed: ${(e as Error).message}`);
        this.fwRefresh = true;
        return;
      }
    }
    const { rules, members, remoteGroups } = groupStateOf(info);
    this.myGroups = new Set(ports.flatMap((p) => p.securityGroups));
    this.remoteGroups = remoteGroups;
    const r = this.firewall!.apply(ports, { rules, members });
    if (r.filterChanged || r.rawChanged) this.log.info(`Refreshed firewall for ${ports.length} port(s)`);
  }

  /** cleanup_stale_flows: flows of an earlier run (another cookie) go after the first full sync. */
  private cleanupStaleFlows(): void {
    const bridges: [string, bigint][] = [[this.intBr.name, this.intBr.cookie]];
    if (this.tunBr) bridges.push([this.tunBr.name, this.tunBr.cookie]);
    for (const p of this.phys.values()) bridges.push([p.bridge.name, p.bridge.cookie]);
    for (const [name, cookie] of bridges) {
      const stale = [...this.cli.cookies(name)].filter((c) => c !== cookie);
      if (stale.length === 0) continue;
      this.log.info(`Cleaning stale ${name} flows`);
      for (const c of stale) this.cli.delFlows(name, '', c);
    }
  }
}
