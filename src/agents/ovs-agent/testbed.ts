// Test bench of the Open vSwitch agent (used by its tests and benchmark only): emulated hosts on
// one underlay (eth1 with the tunnel IP, as src/world builds them), a neutron-server stand-in on
// a Bus serving the L2 agent RPC from an in-memory model (networks with their VNI, ports bound to
// hosts, security groups with rules and members, tunnel endpoints), and VIFs plugged as os-vif's
// hybrid plug does (tap → qbr with ageing 0 → qvb/qvo → br-int with external_ids) with a
// namespace standing in for each guest behind its tap.
import { Bus } from '../../bus/bus.js';
import { Host } from '../../kernel/host.js';
import type { Nic } from '../../kernel/index.js';
import type { Namespace } from '../../kernel/netns.js';
import type { PingEvent } from '../../kernel/sockets.js';
import { attachNamespaceAsGuest } from '../../kernel/tap-guest.js';
import { UnderlaySegment } from '../../kernel/underlay.js';
import { Vswitchd } from '../../ovs/vswitchd.js';
import { LogFile } from '../../sim/oslo-log.js';
import { Scheduler } from '../../sim/scheduler.js';
import { ip } from '../../wire/ipv4-address.js';
import { mac } from '../../wire/mac.js';
import { type OvsAgentConfig, packstackOvsAgentConfig } from './config.js';
import { type RunningOvsAgent, startOvsAgent } from './index.js';
import type { DeviceDetails, FdbEntries, SgRulePayload } from './rpc-payloads.js';

export const S = 1e9;

export interface FakeNet {
  id: string;
  type: 'vxlan' | 'flat';
  vni: number | null;
  physnet: string | null;
  mtu: number;
}

export interface FakePort {
  id: string;
  network_id: string;
  mac_address: string;
  ip: string;
  host: string;
  device_owner: string;
  security_groups: string[];
  port_security_enabled: boolean;
  admin_state_up: boolean;
  allowed_address_pairs: { ip_address: string; mac_address: string }[];
  status: string;
}

// biome-ignore lint/suspicious/noExplicitAny: the RPC payloads are read as loosely as Neutron reads dicts
type Req = any;

/** neutron-server as the L2 agent sees it. */
export class FakeNeutronL2 {
  readonly bus = new Bus();
  readonly nets = new Map<string, FakeNet>();
  readonly ports = new Map<string, FakePort>();
  readonly sgs = new Map<string, SgRulePayload[]>();
  readonly endpoints = new Map<string, string>(); // host → tunnel ip
  readonly reports: { agent_state: Record<string, unknown> }[] = [];
  readonly calls: string[] = [];
  /** Devices of each update_device_up that asked for refresh_tunnels (l2population). */
  readonly refreshTunnels: string[] = [];
  private n = 0;

  constructor() {
    const b = this.bus as unknown as { serve(m: string, h: (r: Req) => unknown): void };
    const serve = (m: string, h: (r: Req) => unknown) =>
      b.serve(m, (r: Req) => {
        this.calls.push(m);
        return h(r);
      });
    serve('report_state', (r) => {
      this.reports.push(r);
      return { status: this.reports.length === 1 ? 'new' : 'alive' };
    });
    serve('get_devices_details_list', (r) => (r.devices as string[]).map((d) => this.details(d, r.host)));
    for (const [m, status] of [
      ['update_device_up', 'ACTIVE'],
      ['update_device_down', 'DOWN'],
    ] as const)
      serve(m, (r) => {
        if (r.refresh_tunnels === true) this.refreshTunnels.push(r.device as string);
        const p = this.ports.get(r.device);
        if (p && p.status !== status) {
          p.status = status;
          this.publish('port.updated', { port: this.apiPort(p) }); // as ports.setStatus does
        }
        return { device: r.device, exists: !!p };
      });
    serve('security_group_info_for_devices', (r) => this.sgInfo(r.devices));
    serve('tunnel_sync', (r) => {
      const fresh = !this.endpoints.has(r.host);
      this.endpoints.set(r.host, r.tunnel_ip);
      if (fresh)
        this.publish('tunnel.updated', { tunnel_ip: r.tunnel_ip, tunnel_type: r.tunnel_type, host: r.host });
      return { tunnels: [...this.endpoints.entries()].map(([host, ip_address]) => ({ ip_address, host })) };
    });
  }

  publish(topic: string, payload: unknown): void {
    (this.bus as unknown as { publish(t: string, p: unknown): void }).publish(topic, payload);
  }

  id(kind: number): string {
    const n = (++this.n).toString(16).padStart(8, '0');
    return `${n}-${kind.toString(16).padStart(4, '0')}-4${n.slice(0, 3)}-8${n.slice(3, 6)}-${n}${n.slice(0, 4)}`;
  }

  createNetwork(vni: number, opts: Partial<FakeNet> = {}): string {
    const id = opts.id ?? this.id(1);
    this.nets.set(id, { id, type: 'vxlan', vni, physnet: null, mtu: 1450, ...opts });
    return id;
  }

  /** A security group with Neutron's default rules (ingress from its own members, egress anywhere). */
  createSecurityGroup(opts: { defaultRules?: boolean; id?: string } = {}): string {
    const id = opts.id ?? this.id(6);
    const rule = (r: Partial<SgRulePayload>): SgRulePayload => ({
      direction: 'egress',
      ethertype: 'IPv4',
      protocol: null,
      port_range_min: null,
      port_range_max: null,
      remote_ip_prefix: null,
      remote_group_id: null,
      ...r,
    });
    const rules = [rule({}), rule({ ethertype: 'IPv6' })];
    if (opts.defaultRules !== false)
      rules.unshift(
        rule({ direction: 'ingress', remote_group_id: id }),
        rule({ direction: 'ingress', ethertype: 'IPv6', remote_group_id: id }),
      );
    this.sgs.set(id, rules);
    return id;
  }

  addRule(sgId: string, r: Partial<SgRulePayload> & { direction: 'ingress' | 'egress' }): void {
    const rule: SgRulePayload = {
      ethertype: 'IPv4',
      protocol: null,
      port_range_min: null,
      port_range_max: null,
      remote_ip_prefix: null,
      remote_group_id: null,
      id: this.id(7),
      security_group_id: sgId,
      ...r,
    };
    this.sgs.get(sgId)!.push(rule);
    this.publish('security_group_rule.created', { security_group_rule: rule });
  }

  deleteRule(sgId: string, match: (r: SgRulePayload) => boolean): void {
    const rules = this.sgs.get(sgId)!;
    const i = rules.findIndex(match);
    const [rule] = rules.splice(i, 1);
    this.publish('security_group_rule.deleted', { security_group_rule: rule });
  }

  createPort(netId: string, host: string, ipAddr: string, opts: Partial<FakePort> = {}): FakePort {
    const n = ++this.n;
    const p: FakePort = {
      id: opts.id ?? this.id(3),
      network_id: netId,
      mac_address: `fa:16:3e:${(n >> 16).toString(16).padStart(2, '0')}:${((n >> 8) & 255).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`,
      ip: ipAddr,
      host,
      device_owner: 'compute:nova',
      security_groups: [],
      port_security_enabled: true,
      admin_state_up: true,
      allowed_address_pairs: [],
      status: 'DOWN',
      ...opts,
    };
    this.ports.set(p.id, p);
    this.publish('port.created', { port: this.apiPort(p) });
    return p;
  }

  updatePort(id: string, change: Partial<FakePort>): void {
    Object.assign(this.ports.get(id)!, change);
    this.publish('port.updated', { port: this.apiPort(this.ports.get(id)!) });
  }

  deletePort(id: string): void {
    const p = this.ports.get(id)!;
    this.ports.delete(id);
    this.publish('port.deleted', { port: this.apiPort(p) });
  }

  apiPort(p: FakePort) {
    return {
      id: p.id,
      network_id: p.network_id,
      mac_address: p.mac_address,
      fixed_ips: [{ subnet_id: 's', ip_address: p.ip }],
      security_groups: p.security_groups,
      device_owner: p.device_owner,
      admin_state_up: p.admin_state_up,
      port_security_enabled: p.port_security_enabled,
      allowed_address_pairs: p.allowed_address_pairs,
      status: p.status,
      'binding:host_id': p.host,
    };
  }

  details(device: string, host: string): DeviceDetails | { device: string } {
    const p = this.ports.get(device);
    const n = p && this.nets.get(p.network_id);
    if (!p || !n || p.host !== host) return { device };
    return {
      device,
      port_id: p.id,
      mac_address: p.mac_address,
      admin_state_up: p.admin_state_up,
      network_id: n.id,
      network_type: n.type,
      physical_network: n.physnet,
      segmentation_id: n.vni,
      mtu: n.mtu,
      fixed_ips: [{ subnet_id: 's', ip_address: p.ip }],
      device_owner: p.device_owner,
      allowed_address_pairs: p.allowed_address_pairs,
      port_security_enabled: p.port_security_enabled,
      security_groups: p.security_groups,
      qos_policy_id: null,
      network_qos_policy_id: null,
      profile: {},
    };
  }

  sgInfo(devices: string[]) {
    const groups = new Set<string>();
    const devs: Record<string, unknown> = {};
    for (const d of devices) {
      const p = this.ports.get(d);
      if (!p) continue;
      devs[d] = this.apiPort(p);
      for (const g of p.security_groups) groups.add(g);
    }
    const security_groups: Record<string, SgRulePayload[]> = {};
    const remote = new Set<string>();
    for (const g of groups) {
      security_groups[g] = this.sgs.get(g) ?? [];
      for (const r of security_groups[g]) if (r.remote_group_id) remote.add(r.remote_group_id);
    }
    const sg_member_ips: Record<string, { IPv4: string[]; IPv6: string[] }> = {};
    for (const g of remote)
      sg_member_ips[g] = {
        IPv4: [...this.ports.values()].filter((p) => p.security_groups.includes(g)).map((p) => p.ip),
        IPv6: [],
      };
    return { devices: devs, security_groups, sg_member_ips };
  }

  /** l2population's fdb_add for every port of `netId` not on `exceptHost`, as the server fans it out. */
  fdbFor(netId: string): FdbEntries {
    const n = this.nets.get(netId)!;
    const ports: Record<string, [string, string][]> = {};
    for (const p of this.ports.values()) {
      if (p.network_id !== netId) continue;
      const tip = this.endpoints.get(p.host);
      if (!tip) continue;
      ports[tip] ??= [['00:00:00:00:00:00', '0.0.0.0']];
      ports[tip].push([p.mac_address, p.ip]);
    }
    return { [netId]: { segment_id: n.vni ?? 0, network_type: n.type, ports } };
  }
}

export interface BenchHost {
  name: string;
  host: Host;
  vs: Vswitchd;
  eth1: Nic;
  localIp: string;
  log: LogFile;
  agent: RunningOvsAgent | null;
}

/** Hosts on one underlay 192.168.136.0/24 (the seed's data network), from .66 up. */
export class Testbed {
  readonly sched: Scheduler;
  readonly seg = new UnderlaySegment('data', '192.168.136.0/24');
  readonly neutron = new FakeNeutronL2();
  readonly hosts = new Map<string, BenchHost>();
  /** The bus the agents use: the fake server's, or a real neutron-server's when given. */
  readonly bus: Bus;

  constructor(names: string[], seed = 1, bus?: Bus) {
    this.sched = new Scheduler({ seed });
    this.bus = bus ?? this.neutron.bus;
    names.forEach((name, i) => {
      const host = new Host(name, this.sched);
      const eth1 = host.addNic('eth1', this.seg);
      const localIp = `192.168.136.${66 + i}`;
      host.root.addAddress(eth1, `${localIp}/24`);
      eth1.setUp(true);
      const vs = new Vswitchd(host);
      this.hosts.set(name, {
        name,
        host,
        vs,
        eth1,
        localIp,
        log: new LogFile(null, () => new Date(0)),
        agent: null,
      });
    });
  }

  h(name: string): BenchHost {
    return this.hosts.get(name)!;
  }

  config(name: string, more: Partial<OvsAgentConfig> = {}): OvsAgentConfig {
    return packstackOvsAgentConfig(name, this.h(name).localIp, more);
  }

  startAgent(name: string, more: Partial<OvsAgentConfig> = {}): RunningOvsAgent {
    const b = this.h(name);
    b.agent = startOvsAgent({
      host: b.host,
      vswitchd: b.vs,
      bus: this.bus,
      sched: this.sched,
      config: this.config(name, more),
      log: b.log.logger('neutron.plugins.ml2.drivers.openvswitch.agent.ovs_neutron_agent'),
      wallMs: () => this.sched.now / 1e6,
    });
    return b.agent;
  }

  /** Every agent's loop and every bus delivery settled, with `seconds` of virtual time run between. */
  async settle(seconds = 0.1): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await this.bus.idle();
      for (const b of this.hosts.values()) await b.agent?.sync();
      await this.bus.idle();
      this.sched.runFor(seconds * S);
    }
  }

  /** os-vif's hybrid plug of a port and a guest namespace behind its tap (what nova-compute does). */
  plug(hostName: string, port: PlugPort, mtu = 1450): Vif {
    const b = this.h(hostName);
    const dev = port.id.slice(0, 11);
    const tap = b.host.addTap(`tap${dev}`, { mtu });
    const qbr = b.host.addBridge(`qbr${dev}`, { ageing: 0 });
    const [qvb, qvo] = b.host.addVeth(`qvb${dev}`, `qvo${dev}`, { mtu });
    for (const d of [tap, qbr, qvb, qvo]) d.setUp(true);
    qvb.setPromisc(true);
    qvo.setPromisc(true);
    qbr.addPort(tap);
    qbr.addPort(qvb);
    const r = b.vs.vsctl([
      '--',
      '--may-exist',
      'add-port',
      'br-int',
      `qvo${dev}`,
      '--',
      'set',
      'Interface',
      `qvo${dev}`,
      `external_ids:iface-id=${port.id}`,
      'external_ids:iface-status=active',
      `external_ids:attached-mac=${port.mac_address}`,
      `external_ids:vm-uuid=${port.id.replace(/^./, 'a')}`,
    ]);
    if (r.code !== 0) throw new Error(r.stderr);
    const ns = b.host.addNamespace(`vm-${dev}`);
    const eth0 = attachNamespaceAsGuest(tap, ns, mac(port.mac_address), mtu);
    ns.addAddress(eth0, `${port.ip}/24`);
    return { ns, tap, qvo: `qvo${dev}`, eth0, port };
  }

  /** os-vif unplug: the qvo leaves br-int and the devices go. */
  unplug(hostName: string, vif: Vif): void {
    const b = this.h(hostName);
    const dev = vif.port.id.slice(0, 11);
    b.vs.vsctl(['--if-exists', 'del-port', 'br-int', vif.qvo]);
    for (const name of [`qvo${dev}`, `qbr${dev}`, `tap${dev}`]) b.host.device(name)?.destroy();
    b.host.delNamespace(vif.ns.name);
  }

  vsctl(hostName: string, ...argv: string[]): string {
    return this.h(hostName).vs.vsctl(argv).stdout;
  }
}

/** What plugging needs of a port (a FakePort, or a real port's id, MAC and first IP). */
export interface PlugPort {
  id: string;
  mac_address: string;
  ip: string;
}

export interface Vif {
  ns: Namespace;
  tap: ReturnType<Host['addTap']>;
  qvo: string;
  eth0: ReturnType<typeof attachNamespaceAsGuest>;
  port: PlugPort;
}

/** `count` echo requests from a guest, one a second; the events seen after `wait` seconds. */
export async function ping(
  bed: Testbed,
  from: Vif,
  dst: string,
  count = 3,
  wait = count + 2,
): Promise<PingEvent[]> {
  const events: PingEvent[] = [];
  const s = from.ns.openPing((e) => events.push(e));
  for (let i = 0; i < count; i++) bed.sched.schedule(i * S, () => s.send(ip(dst), i + 1, { size: 56 }));
  bed.sched.runFor(wait * S);
  await bed.bus.idle();
  return events;
}

export const replies = (events: PingEvent[]) => events.filter((e) => e.kind === 'reply').length;
