// One legacy router on the L3 agent's host (neutron/agent/l3/router_info.py + legacy_router.py,
// Zed): the qrouter-<id> namespace (ip_forward=1, arp_ignore=1, arp_announce=2), a qr- port per
// interface and a qg- port for the gateway (OVS internal ports on br-int, plugged as
// OVSInterfaceDriver does), their addresses, the default route via the external subnet's gateway,
// floating IPs as /32 on qg-, gratuitous ARPs for new addresses, extra routes, and the iptables of
// router-iptables.ts. `process` converges the namespace to a synced router; `delete` removes
// exactly what belongs to the router.
import type { NetDevice } from '../../kernel/device.js';
import type { Host } from '../../kernel/host.js';
import { conntrackCommand } from '../../kernel/netfilter/index.js';
import type { Namespace } from '../../kernel/netns.js';
import type { Scheduler } from '../../sim/scheduler.js';
import { ip, ipToString, parseCidr } from '../../wire/ipv4-address.js';
import {
  ensureNamespace,
  type OvsInterfaceDriver,
  portDeviceName,
  setAddresses,
} from '../common/interface-driver.js';
import type { FloatingIp, Route, RouterPort, SyncedRouter } from '../common/neutron-payloads.js';
import { applyRouterTables, type RouterRules } from './router-iptables.js';

export const INTERNAL_DEV_PREFIX = 'qr-';
export const EXTERNAL_DEV_PREFIX = 'qg-';

export interface RouterEnv {
  host: Host;
  sched: Scheduler;
  driver: OvsInterfaceDriver;
  /** GARPs per new address (send_ip_addr_adv_notif's count, 3), one a second. */
  garpCount: number;
  randomFully: boolean;
}

/** The address/prefix strings of a port's IPv4 fixed IPs (common_utils.fixed_ip_cidrs). */
function fixedIpCidrs(port: RouterPort): string[] {
  const out: string[] = [];
  for (const f of port.fixed_ips) {
    if (f.ip_address.includes(':')) continue;
    const sub = port.subnets?.find((s) => s.id === f.subnet_id);
    const len = sub ? sub.cidr.split('/')[1] : '32';
    out.push(`${f.ip_address}/${len}`);
  }
  return out;
}

export class RouterInfo {
  readonly ns: Namespace;
  readonly nsName: string;
  private internalPorts: RouterPort[] = [];
  private exGwPort: RouterPort | null = null;
  private routes: Route[] = [];
  /** Floating IP ids processed last time (update_fip_statuses turns the missing ones DOWN). */
  private floatingIps = new Set<string>();
  private appliedRules = '';
  router: SyncedRouter;

  constructor(
    private readonly env: RouterEnv,
    router: SyncedRouter,
  ) {
    this.router = router;
    this.nsName = `qrouter-${router.id}`;
    this.ns = ensureNamespace(env.host, this.nsName);
    // RouterNamespace.create
    this.ns.setSysctl('net.ipv4.ip_forward', '1');
    this.ns.setSysctl('net.ipv4.conf.all.arp_ignore', '1');
    this.ns.setSysctl('net.ipv4.conf.all.arp_announce', '2');
  }

  get id(): string {
    return this.router.id;
  }

  /** Counts report_state uses. */
  get hasGateway(): boolean {
    return this.exGwPort !== null;
  }

  private gatewayPort(): RouterPort | null {
    return this.router.gw_port ?? null;
  }

  /** RouterInfo.process: ports, gateway, NAT, addresses, routes. Returns the floating IP statuses to report. */
  process(): Record<string, string> {
    this.processInternalPorts();
    const gw = this.gatewayPort();
    const gwDev = this.processExternalGateway(gw);
    const fips = gw ? (this.router._floatingips ?? []) : [];
    this.applyTables({
      internalDevices: this.internalPorts.map((p) => portDeviceName(INTERNAL_DEV_PREFIX, p.id)),
      gateway: gw && gwDev ? { device: gwDev.name, ip: fixedIpCidrs(gw)[0]?.split('/')[0] ?? '' } : null,
      enableSnat: this.router.external_gateway_info?.enable_snat !== false,
      floatingIps: fips
        .filter((f) => f.fixed_ip_address)
        .map((f) => ({ floating: f.floating_ip_address, fixed: f.fixed_ip_address! })),
      randomFully: this.env.randomFully,
    });
    const statuses = gwDev ? this.processFloatingIpAddresses(gwDev, gw!, fips) : {};
    this.updateRoutes(this.router.routes ?? []);
    this.exGwPort = gw;
    return this.fipStatuses(statuses);
  }

  /** IptablesManager.apply: the tables are rewritten only when the rules changed. */
  private applyTables(rules: RouterRules): void {
    const key = JSON.stringify(rules);
    if (key === this.appliedRules) return;
    applyRouterTables(this.ns.iptables(), rules);
    this.appliedRules = key;
  }

  /** RouterInfo.delete: every port unplugged, floating IPs DOWN, the namespace deleted. */
  delete(): Record<string, string> {
    for (const p of this.internalPorts)
      this.env.driver.unplug(portDeviceName(INTERNAL_DEV_PREFIX, p.id), this.ns);
    this.internalPorts = [];
    for (const d of [...this.ns.devices.values()])
      if (d.kind !== 'loopback') this.env.driver.unplug(d.name, this.ns);
    if (this.env.host.namespaces.get(this.nsName) === this.ns) this.env.host.delNamespace(this.nsName);
    return this.fipStatuses({});
  }

  private fipStatuses(statuses: Record<string, string>): Record<string, string> {
    const now = new Set(Object.keys(statuses));
    for (const id of this.floatingIps) if (!now.has(id)) statuses[id] = 'DOWN';
    this.floatingIps = now;
    return statuses;
  }

  private sendGarps(dev: NetDevice, addr: string): void {
    const a = ip(addr);
    for (let i = 0; i < this.env.garpCount; i++)
      this.env.sched.schedule(i * 1e9, () => {
        if (dev.netns === this.ns && dev.adminUp) this.ns.sendGratuitousArp(dev, a);
      });
  }

  /** _process_internal_ports: new ports plugged, old ones unplugged, changed ones re-addressed. */
  private processInternalPorts(): void {
    const current = (this.router._interfaces ?? []).filter((p) => p.admin_state_up);
    const currentIds = new Set(current.map((p) => p.id));
    for (const p of this.internalPorts)
      if (!currentIds.has(p.id)) this.env.driver.unplug(portDeviceName(INTERNAL_DEV_PREFIX, p.id), this.ns);
    for (const p of current) {
      const name = portDeviceName(INTERNAL_DEV_PREFIX, p.id);
      const existed = this.ns.dev(name) !== undefined;
      const dev = this.env.driver.plug({
        portId: p.id,
        name,
        mac: p.mac_address,
        netns: this.ns,
        mtu: p.mtu,
      });
      const added = setAddresses(dev, fixedIpCidrs(p));
      if (!existed || added.length > 0) for (const c of fixedIpCidrs(p)) this.sendGarps(dev, c.split('/')[0]);
    }
    this.internalPorts = current;
    // stale qr- devices (a port removed while the agent was down)
    const wanted = new Set(current.map((p) => portDeviceName(INTERNAL_DEV_PREFIX, p.id)));
    for (const d of [...this.ns.devices.values()])
      if (d.name.startsWith(INTERNAL_DEV_PREFIX) && !wanted.has(d.name))
        this.env.driver.unplug(d.name, this.ns);
  }

  /** _process_external_gateway: the qg- port, its addresses (keeping floating IPs) and default route. */
  private processExternalGateway(gw: RouterPort | null): NetDevice | null {
    const name = gw ? portDeviceName(EXTERNAL_DEV_PREFIX, gw.id) : null;
    for (const d of [...this.ns.devices.values()])
      if (d.name.startsWith(EXTERNAL_DEV_PREFIX) && d.name !== name) this.env.driver.unplug(d.name, this.ns);
    if (gw === null || name === null) return null;
    const existed = this.ns.dev(name) !== undefined;
    const dev = this.env.driver.plug({
      portId: gw.id,
      name,
      mac: gw.mac_address,
      netns: this.ns,
      mtu: gw.mtu,
    });
    const fipCidrs = (this.router._floatingips ?? []).map((f) => `${f.floating_ip_address}/32`);
    const cidrs = fixedIpCidrs(gw);
    const added = setAddresses(dev, cidrs, fipCidrs);
    const gateways = (gw.subnets ?? [])
      .map((s) => s.gateway_ip)
      .filter((g): g is string => !!g && !g.includes(':'));
    const def = this.ns.routes.routes.find((r) => r.prefixLen === 0);
    const want = gateways[0];
    if (def !== undefined && (want === undefined || def.via !== ip(want) || def.dev !== dev))
      this.ns.routes.remove(0, 0);
    if (want !== undefined && !this.ns.routes.routes.some((r) => r.prefixLen === 0)) {
      // a gateway outside the subnet gets an on-link route first (_add_route_to_gw)
      const onSubnet = cidrs.some((c) => {
        const p = parseCidr(c)!;
        return ((ip(want) ^ p.address) & p.mask) === 0;
      });
      if (!onSubnet) this.ns.addRoute({ dst: `${want}/32`, dev, proto: 'static', scope: 'link' });
      this.ns.addRoute({ dst: 'default', via: ip(want), dev, proto: 'static' });
    }
    if (!existed || added.length > 0) for (const c of cidrs) this.sendGarps(dev, c.split('/')[0]);
    return dev;
  }

  /** process_floating_ip_addresses: /32s on qg- for the floating IPs, GARP for new ones; statuses. */
  private processFloatingIpAddresses(
    dev: NetDevice,
    gw: RouterPort,
    fips: FloatingIp[],
  ): Record<string, string> {
    const statuses: Record<string, string> = {};
    const gwCidrs = new Set(fixedIpCidrs(gw).map((c) => `${c.split('/')[0]}/32`));
    const want = new Set<string>();
    for (const f of fips) {
      const cidr = `${f.floating_ip_address}/32`;
      want.add(cidr);
      const has = dev.addresses.some(
        (a) => a.prefixLen === 32 && ipToString(a.address) === f.floating_ip_address,
      );
      if (!has) {
        this.ns.addAddress(dev, cidr);
        this.sendGarps(dev, f.floating_ip_address);
        statuses[f.id] = 'ACTIVE';
      } else statuses[f.id] = f.status === 'ACTIVE' ? 'NOCHANGE' : 'ACTIVE';
    }
    for (const a of [...dev.addresses]) {
      const cidr = `${ipToString(a.address)}/32`;
      if (a.prefixLen !== 32 || want.has(cidr) || gwCidrs.has(cidr)) continue;
      this.ns.removeAddress(dev, cidr);
      // delete_addr_and_conntrack_state: connections through the old address are forgotten
      conntrackCommand(this.ns.iptables(), ['-D', '-d', ipToString(a.address)]);
    }
    return statuses;
  }

  /** routes_updated: extra routes replaced/deleted in the namespace. */
  private updateRoutes(next: Route[]): void {
    const key = (r: Route) => `${r.destination} ${r.nexthop}`;
    const nextKeys = new Set(next.map(key));
    for (const r of this.routes) {
      if (nextKeys.has(key(r)) || r.destination.includes(':')) continue;
      const c = parseCidr(r.destination);
      if (c) this.ns.routes.remove(c.network, c.prefixLen);
    }
    const old = new Set(this.routes.map(key));
    for (const r of next) {
      if (old.has(key(r)) || r.destination.includes(':')) continue;
      const c = parseCidr(r.destination);
      if (c === null) continue;
      const via = this.ns.ip.route(ip(r.nexthop));
      if (via === null) continue; // nexthop not on a connected subnet: `ip route replace` fails
      this.ns.routes.remove(c.network, c.prefixLen);
      this.ns.addRoute({
        dst: { network: c.network, prefixLen: c.prefixLen },
        via: ip(r.nexthop),
        dev: via.dev,
        proto: 'static',
      });
    }
    this.routes = next;
  }
}
