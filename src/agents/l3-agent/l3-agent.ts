// neutron-l3-agent in legacy mode (neutron/agent/l3/agent.py, Zed): keeps one RouterInfo per
// router scheduled to this host, fed by sync_routers — everything at start, after 'revived' and
// on resync, the routers named by notifications otherwise (router, interface, floating IP and
// router-owned port changes). A router that disappears from sync_routers (deleted, unscheduled,
// admin down) is removed with its namespace. Floating IP statuses go back through
// update_floatingip_statuses.
import { type AgentHostOptions, SerialQueue, virtualWallClock } from '../common/agent-host.js';
import { OvsInterfaceDriver } from '../common/interface-driver.js';
import type { Port, SyncedRouter } from '../common/neutron-payloads.js';
import { StateReporter } from '../common/state-reporter.js';
import { RouterInfo } from './router-info.js';

/** l3_agent.ini options (and [agent] ones), with Neutron's defaults. */
export interface L3AgentConf {
  host: string;
  agent_mode: string;
  interface_driver: string;
  handle_internal_only_routers: boolean;
  report_interval: number;
  /** Seconds between periodic full syncs when something failed (periodic_sync_routers_task). */
  periodic_interval: number;
  integration_bridge: string;
  availability_zone: string;
  log_agent_heartbeats: boolean;
  /** iptables >= 1.6.2: SNAT rules get --random-fully. */
  use_random_fully: boolean;
  /** GARPs sent for a new address (ip_lib.send_ip_addr_adv_notif's count). */
  send_arp_count: number;
}

export const L3_AGENT_DEFAULTS: Omit<L3AgentConf, 'host'> = {
  agent_mode: 'legacy',
  interface_driver: 'neutron.agent.linux.interface.OVSInterfaceDriver',
  handle_internal_only_routers: true,
  report_interval: 30,
  periodic_interval: 40,
  integration_bridge: 'br-int',
  availability_zone: 'nova',
  log_agent_heartbeats: false,
  use_random_fully: true,
  send_arp_count: 3,
};

export class L3Agent {
  readonly conf: L3AgentConf;
  readonly routers = new Map<string, RouterInfo>();
  private readonly driver: OvsInterfaceDriver;
  private readonly queue = new SerialQueue();
  private readonly reporter: StateReporter;
  private readonly unsubscribe: (() => void)[] = [];
  private fullsync = false;
  private timer: number | null = null;
  private readonly pending = new Set<string>();

  constructor(
    private readonly o: AgentHostOptions,
    conf: Partial<L3AgentConf> & { host: string },
  ) {
    this.conf = { ...L3_AGENT_DEFAULTS, ...conf };
    this.driver = new OvsInterfaceDriver(o.host, o.vswitchd, this.conf.integration_bridge);
    this.reporter = new StateReporter({
      bus: o.bus,
      sched: o.sched,
      log: o.log,
      interval: this.conf.report_interval,
      wallMs: o.wallMs ?? virtualWallClock(o.sched),
      state: () => this.agentState(),
      onResyncNeeded: () => void this.sync(),
    });
  }

  start(): void {
    const bus = this.o.bus;
    const routers = (ids: (string | null | undefined)[]) =>
      this.processRouters(ids.filter((x): x is string => !!x));
    const keep = (u: () => void) => this.unsubscribe.push(u);
    for (const t of ['router.created', 'router.updated', 'router.deleted'] as const)
      keep(bus.subscribe(t, (p) => routers([p.router.id])));
    for (const t of ['router.interface_added', 'router.interface_removed'] as const)
      keep(bus.subscribe(t, (p) => routers([p.router_id])));
    for (const t of ['floatingip.created', 'floatingip.updated', 'floatingip.deleted'] as const)
      keep(
        bus.subscribe(t, (p) => routers([p.floatingip.router_id, ...this.routersWithFip(p.floatingip.id)])),
      );
    for (const t of ['port.updated', 'port.deleted'] as const)
      keep(
        bus.subscribe(t, (p) => {
          if (p.port.device_owner.startsWith('network:router') && this.routerPortChanged(t, p.port))
            routers([p.port.device_id]);
        }),
      );
    this.o.log.info('L3 agent started');
    this.reporter.start();
    this.armPeriodic();
  }

  stop(): void {
    this.reporter.stop();
    for (const u of this.unsubscribe.splice(0)) u();
    if (this.timer !== null) this.o.sched.cancel(this.timer);
    this.timer = null;
  }

  /** A full sync (fetch_and_sync_all_routers), resolved when done. */
  sync(): Promise<void> {
    return this.queue.run(
      async () => {
        const all: SyncedRouter[] = await this.o.bus.call('sync_routers', { host: this.conf.host });
        const seen = new Set(all.map((r) => r.id));
        for (const id of [...this.routers.keys()]) if (!seen.has(id)) await this.removeRouter(id);
        for (const r of all) await this.processRouter(r);
      },
      (e) => this.failed('sync routers', e),
    );
  }

  reportState(): Promise<void> {
    return this.reporter.report();
  }

  private failed(what: string, e: Error): void {
    this.o.log.error(`Failed to ${what}: ${e.message}`);
    this.fullsync = true;
  }

  private armPeriodic(): void {
    if (this.conf.periodic_interval <= 0) return;
    this.timer = this.o.sched.schedule(this.conf.periodic_interval * 1e9, () => {
      if (this.fullsync) {
        this.fullsync = false;
        void this.sync();
      }
      this.armPeriodic();
    });
  }

  /** A router port's update matters when its addresses, MAC or admin state changed (not its status). */
  private routerPortChanged(topic: string, port: Port): boolean {
    const ri = this.routers.get(port.device_id);
    if (topic === 'port.deleted' || ri === undefined) return true;
    const old = [...(ri.router._interfaces ?? []), ...(ri.router.gw_port ? [ri.router.gw_port] : [])].find(
      (p) => p.id === port.id,
    );
    const key = (p: Port) => JSON.stringify([p.mac_address, p.fixed_ips, p.admin_state_up]);
    return old === undefined || key(old) !== key(port);
  }

  private routersWithFip(fipId: string): string[] {
    return [...this.routers.values()]
      .filter((ri) => (ri.router._floatingips ?? []).some((f) => f.id === fipId))
      .map((ri) => ri.id);
  }

  /** Processes the routers notifications named; a burst of events makes one sync_routers call. */
  private processRouters(routerIds: string[]): void {
    if (routerIds.length === 0) return;
    const first = this.pending.size === 0;
    for (const id of routerIds) this.pending.add(id);
    if (!first) return;
    void this.queue.run(
      async () => {
        const ids = [...this.pending];
        this.pending.clear();
        const got: SyncedRouter[] = await this.o.bus.call('sync_routers', {
          host: this.conf.host,
          router_ids: ids,
        });
        const seen = new Set(got.map((r) => r.id));
        for (const id of ids) if (!seen.has(id)) await this.removeRouter(id);
        for (const r of got) await this.processRouter(r);
      },
      (e) => this.failed('process routers', e),
    );
  }

  private async processRouter(r: SyncedRouter): Promise<void> {
    const internalOnly = !r.gw_port;
    if (!r.admin_state_up || (internalOnly && !this.conf.handle_internal_only_routers)) {
      await this.removeRouter(r.id);
      return;
    }
    let ri = this.routers.get(r.id);
    if (ri === undefined) {
      ri = new RouterInfo(
        {
          host: this.o.host,
          sched: this.o.sched,
          driver: this.driver,
          garpCount: this.conf.send_arp_count,
          randomFully: this.conf.use_random_fully,
        },
        r,
      );
      this.routers.set(r.id, ri);
      this.o.log.info(`Router ${r.id} added: namespace ${ri.nsName}`);
    }
    ri.router = r;
    await this.reportFips(r.id, ri.process());
  }

  private async removeRouter(id: string): Promise<void> {
    const ri = this.routers.get(id);
    if (ri === undefined) return;
    this.routers.delete(id);
    const statuses = ri.delete();
    this.o.log.info(`Router ${id} removed`);
    await this.reportFips(id, statuses);
  }

  private async reportFips(routerId: string, statuses: Record<string, string>): Promise<void> {
    const changed = Object.fromEntries(Object.entries(statuses).filter(([, s]) => s !== 'NOCHANGE'));
    if (Object.keys(changed).length === 0) return;
    await this.o.bus.call('update_floatingip_statuses', { router_id: routerId, fip_statuses: changed });
  }

  private agentState() {
    let exGw = 0;
    let interfaces = 0;
    let fips = 0;
    for (const ri of this.routers.values()) {
      if (ri.hasGateway) exGw++;
      interfaces += ri.router._interfaces?.length ?? 0;
      fips += ri.router._floatingips?.length ?? 0;
    }
    return {
      binary: 'neutron-l3-agent',
      host: this.conf.host,
      availability_zone: this.conf.availability_zone,
      topic: 'l3_agent',
      configurations: {
        agent_mode: this.conf.agent_mode,
        handle_internal_only_routers: this.conf.handle_internal_only_routers,
        interface_driver: this.conf.interface_driver,
        log_agent_heartbeats: this.conf.log_agent_heartbeats,
        extensions: [],
        routers: this.routers.size,
        ex_gw_ports: exGw,
        interfaces,
        floating_ips: fips,
      },
      agent_type: 'L3 agent',
    };
  }
}
