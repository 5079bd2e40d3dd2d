// ovs-vswitchd for one host: after every database transaction it reconfigures the bridges to
// match the Open_vSwitch database (bridge.c's bridge_reconfigure): one Datapath per Bridge row,
// one OpenFlow port per Interface, numbered as OVS numbers them (the bridge's own internal port
// is LOCAL = 65534; others take ofport_request when free, else the number the same name had
// before, else the next free number counting up from the last one given), and the status
// columns vswitchd writes back (ofport, ifindex, mac_in_use, mtu, admin_state, link_state,
// error). Ports reach the kernel through the device model (kernel/device.ts):
//   system   an existing device of the root namespace enslaved to 'ovs-system' (qvo…, eth1)
//   internal a device this switch creates and whose transmit it handles (br-int, qr-…, tap…)
//   patch    delivers straight into the peer bridge's pipeline (one datapath pass, as in OVS)
//   vxlan    encapsulates through the root namespace's stack (route + ARP to remote_ip)

import type { DeviceMaster, NetDevice } from '../kernel/device.js';
import type { Host } from '../kernel/host.js';
import type { ExternalDevice } from '../kernel/links.js';
import type { Trace } from '../kernel/trace.js';
import { HOP } from '../sim/latency.js';
import { macToString } from '../wire/mac.js';
import { Datapath } from './datapath.js';
import { DpPort, type DpPortKind } from './dp-port.js';
import { Match } from './flow-match.js';
import { parseFlow } from './flow-parse.js';
import { Flow } from './flow-table.js';
import { DEFAULT_MAC_AGING_S } from './mac-learning.js';
import { Ovsdb, type Row, type UuidSource, uuidFrom } from './ovsdb.js';
import { dumpOvsdb, loadOvsdb, type OvsdbFile } from './ovsdb-file.js';
import { OFPP_LOCAL } from './ports.js';
import { TunnelEndpoint, type TunnelPortConfig, tunnelConfigOf } from './tunnel.js';
import { type CommandResult, runVsctl } from './vsctl.js';
import { VsctlOps } from './vsctl-ops.js';

export const OVS_VERSION = '2.17.5';
export const DB_VERSION = '8.3.0';
/** OFPP_MAX in OVS's port allocator (ofproto's max_ports for the kernel datapath is 65280). */
const MAX_PORTS = 0xff00;

interface BoundPort {
  dp: Datapath;
  port: DpPort;
  ifaceUuid: string;
  kind: DpPortKind;
  dev: NetDevice | null;
  tunnel: TunnelPortConfig | null;
  /** The status last written to the Interface row (unchanged status is not rewritten). */
  statusKey?: string;
}

interface BridgeState {
  uuid: string;
  dp: Datapath;
  ports: Map<string, BoundPort>; // by Interface uuid
  failMode: string;
  hasController: boolean;
  /** Rotating allocator (ofproto->alloc_port_no) and remembered numbers by port name. */
  allocNext: number;
  usedNames: Map<string, number>;
}

export class Vswitchd implements DeviceMaster {
  readonly name = 'ovs-system';
  readonly db: Ovsdb;
  readonly ops: VsctlOps;
  private readonly bridges = new Map<string, BridgeState>(); // by bridge name
  private readonly byDev = new Map<NetDevice, BoundPort>();
  private readonly ovsHop: number;
  private readonly ovsVersion: string;
  readonly tunnels: TunnelEndpoint;

  constructor(
    readonly host: Host,
    opts: { uuid?: UuidSource; ovsVersion?: string } = {},
  ) {
    this.db = new Ovsdb(opts.uuid ?? uuidFrom((n) => host.sched.int(n)));
    this.ops = new VsctlOps(this.db);
    this.ovsHop = HOP.ovs;
    this.tunnels = new TunnelEndpoint(host, (b, frame, trace, tun) =>
      b.dp.receive(b.port, frame, trace, tun),
    );
    this.ovsVersion = opts.ovsVersion ?? OVS_VERSION;
    this.db.transact(() => this.stampRoot());
    this.db.onCommit.push(() => this.reconfigure());
  }

  /** What ovs-ctl writes into the root row at every start (versions, the types this build knows). */
  private stampRoot(): void {
    const root = this.ops.root();
    root.set('ovs_version', [this.ovsVersion]);
    root.set('db_version', [DB_VERSION]);
    root.set('iface_types', ['geneve', 'gre', 'internal', 'patch', 'system', 'tap', 'vxlan']);
    root.set('datapath_types', ['netdev', 'system']);
  }

  /**
   * Starts from a saved database (ovsdb-file.ts) as ovs-vswitchd starts from conf.db after a
   * reboot: bridges and internal ports come back in the root namespace with their stored ofports,
   * a system port whose device is gone shows `could not open network device` with ofport -1 until
   * the device appears, and no flows are kept (fail_mode's defaults only). Throws OvsdbError on a
   * damaged file, leaving this switch as it was.
   */
  restore(doc: unknown): void {
    this.db.transact(() => {
      loadOvsdb(this.db, doc);
      this.stampRoot();
    });
  }

  /** The database in its saved form. */
  save(): OvsdbFile {
    return dumpOvsdb(this.db);
  }

  /** `ovs-vsctl ARGV…` on this host. */
  vsctl(argv: string[]): CommandResult {
    this.refreshStatus();
    return runVsctl(this.db, argv);
  }

  /** Rewrites the status columns vswitchd keeps current (link and admin state, MTU, MAC). */
  refreshStatus(): void {
    for (const st of this.bridges.values()) {
      for (const b of st.ports.values()) {
        const row = this.db.row(b.ifaceUuid);
        if (row) this.writeIfaceStatus(b, row);
      }
    }
  }

  /** The Datapath of bridge `name` (flows, ports, MAC table), or undefined. */
  bridge(name: string): Datapath | undefined {
    return this.bridges.get(name)?.dp;
  }

  bridgeNames(): string[] {
    return [...this.bridges.keys()];
  }

  // ── DeviceMaster: frames received on enslaved system ports ───────────────────

  handleFrame(dev: NetDevice, frame: Uint8Array, trace: Trace | null): void {
    const b = this.byDev.get(dev);
    if (b === undefined) return;
    b.dp.receive(b.port, frame, trace);
  }

  portStateChanged(dev: NetDevice): void {
    const b = this.byDev.get(dev);
    const row = b && this.db.row(b.ifaceUuid);
    if (b && row) this.writeIfaceStatus(b, row);
  }

  releasePort(dev: NetDevice): void {
    const b = this.byDev.get(dev);
    if (b === undefined || b.kind !== 'system') return;
    this.byDev.delete(dev);
    b.dev = null;
  }

  // ── reconfiguration ────────────────────────────────────────────────────────

  /** Brings bridges and ports in line with the database (runs after every commit). */
  reconfigure(): void {
    // The agent (a Manager client) and its OpenFlow controller are connected as soon as configured.
    for (const m of this.ops.refRows(this.ops.root(), 'manager_options')) m.set('is_connected', [true]);
    const wanted = new Map(this.ops.bridges().map((b) => [b.str('name'), b]));
    for (const [name, st] of this.bridges) {
      if (!wanted.has(name) || wanted.get(name)!.uuid !== st.uuid) this.destroyBridge(name, st);
    }
    // The kernel datapath shows up as the `ovs-system` device (always down) once a bridge exists.
    if (wanted.size > 0 && this.host.device('ovs-system') === undefined) {
      this.host.addExternalDevice('ovs-system', () => {}, { kind: 'openvswitch' });
    }
    for (const [name, row] of wanted) {
      let st = this.bridges.get(name);
      if (st === undefined) {
        st = {
          uuid: row.uuid,
          dp: new Datapath(name, () => this.host.sched.now, this.host.name),
          ports: new Map(),
          failMode: '',
          hasController: false,
          allocNext: 0,
          usedNames: new Map(),
        };
        this.bridges.set(name, st);
        this.applyFailMode(st, row, true);
      }
      // other_config:mac-aging-time (seconds) ages the NORMAL MAC table (default 300).
      const aging = Number(row.map('other_config').get('mac-aging-time') ?? DEFAULT_MAC_AGING_S);
      st.dp.macs.agingNs = (Number.isFinite(aging) && aging > 0 ? aging : DEFAULT_MAC_AGING_S) * 1e9;
      this.reconfigurePorts(st, row);
      this.applyFailMode(st, row, false);
      this.writeBridgeStatus(st, row);
    }
    this.resolvePatches();
  }

  private destroyBridge(name: string, st: BridgeState): void {
    for (const b of st.ports.values()) this.unbind(st, b);
    this.bridges.delete(name);
  }

  /**
   * connmgr: changing fail_mode (or losing the last controller) flushes the flow table; a
   * standalone bridge without a controller then gets the hidden-from-nobody `priority=0
   * actions=NORMAL` flow (connmgr_flushed), which is why a fresh `add-br` switches like a hub
   * with learning until Neutron sets fail_mode=secure.
   */
  private applyFailMode(st: BridgeState, row: Row, fresh: boolean): void {
    const failMode = row.str('fail_mode');
    const controllers = this.ops.refRows(row, 'controller');
    for (const c of controllers) c.set('is_connected', [true]);
    const hasController = controllers.length > 0;
    if (!fresh && failMode === st.failMode && hasController === st.hasController) return;
    const changedMode = failMode !== st.failMode;
    st.failMode = failMode;
    st.hasController = hasController;
    if (fresh || (changedMode && !hasController)) {
      st.dp.tables.delete({ match: new Match(), strict: false });
      if (failMode !== 'secure' && !hasController) {
        const fm = parseFlow('priority=0,actions=NORMAL', 'add');
        if (typeof fm !== 'string') {
          st.dp.tables.add(new Flow(0, 0, 0n, fm.match, fm.actions!, 0, 0, this.host.sched.now));
        }
      }
    }
  }

  private reconfigurePorts(st: BridgeState, brRow: Row): void {
    const brName = brRow.str('name');
    const ifaces: { iface: Row; port: Row }[] = [];
    for (const port of this.ops.refRows(brRow, 'ports')) {
      for (const iface of this.ops.refRows(port, 'interfaces')) ifaces.push({ iface, port });
    }
    const live = new Set(ifaces.map((x) => x.iface.uuid));
    for (const [uuid, b] of st.ports) if (!live.has(uuid)) this.unbind(st, b);
    let flushMacs = false;
    for (const { iface, port } of ifaces) {
      let b = st.ports.get(iface.uuid);
      const type = iface.str('type');
      const kind = portKind(type, iface.str('name') === brName);
      // A system port whose device went away is looked up again (OVS retries on every reconfigure).
      if (b !== undefined && (b.kind !== kind || (kind === 'system' && b.dev === null))) {
        this.unbind(st, b);
        b = undefined;
      }
      if (b === undefined) {
        b = this.bind(st, brName, iface, kind);
        if (b === undefined) continue;
      }
      if (kind === 'vxlan') {
        const cfg = tunnelConfigOf(iface.map('options'));
        if (typeof cfg === 'string') iface.set('error', [cfg]);
        else {
          iface.set('error', []);
          b.tunnel = cfg;
          this.tunnels.bind(b, cfg);
        }
      }
      // VLAN role from the Port row (bridge.c port_configure → bundle settings).
      const tag = port.scalar<number>('tag');
      const trunks = port.refs('trunks') as unknown as number[];
      const newTag = tag === undefined ? -1 : tag;
      const newTrunks = trunks.length ? new Set(trunks) : null;
      if (b.port.tag !== newTag || !sameSet(b.port.trunks, newTrunks)) flushMacs = true;
      b.port.tag = newTag;
      b.port.trunks = newTrunks;
      b.port.name = iface.str('name');
      const mtuReq = iface.scalar<number>('mtu_request');
      if (mtuReq !== undefined && b.dev !== null && b.dev.mtu !== mtuReq) b.dev.setMtu(mtuReq);
      this.writeIfaceStatus(b, iface);
    }
    if (flushMacs) st.dp.macs.flush();
  }

  private bind(st: BridgeState, brName: string, iface: Row, kind: DpPortKind): BoundPort | undefined {
    const name = iface.str('name');
    let dev: NetDevice | null = null;
    if (kind === 'system') {
      const d = this.host.device(name);
      if (d === undefined) {
        clearIfaceStatus(iface, `could not open network device ${name} (No such device)`);
        return undefined;
      }
      dev = d;
    }
    const ofport = kind === 'internal' && name === brName ? OFPP_LOCAL : this.allocOfport(st, name, iface);
    const port = new DpPort(ofport, name, kind, () => {});
    const b: BoundPort = { dp: st.dp, port, ifaceUuid: iface.uuid, kind, dev, tunnel: null };
    switch (kind) {
      case 'system':
        dev!.setMaster(this);
        this.byDev.set(dev!, b);
        port.output = (frame, _xl, trace) => this.schedule(sendOut, dev!, frame, trace);
        break;
      case 'internal': {
        const ext = this.host.addExternalDevice(
          name,
          (_d, frame, trace) => st.dp.receive(port, frame, trace),
          {
            kind: 'openvswitch',
          },
        );
        b.dev = ext;
        port.output = (frame, _xl, trace) => this.schedule(deliverUp, ext, frame, trace);
        break;
      }
      case 'patch':
        // Delivery goes through DpPort.patchPeer, resolved after every reconfiguration.
        break;
      case 'vxlan':
        port.output = (frame, xl, trace) => this.tunnels.output(b, frame, xl, trace, this.ovsHop);
        break;
    }
    iface.set('error', []);
    st.dp.addPort(port);
    st.ports.set(iface.uuid, b);
    st.usedNames.set(name, ofport);
    return b;
  }

  private unbind(st: BridgeState, b: BoundPort): void {
    st.dp.removePort(b.port.ofport);
    st.ports.delete(b.ifaceUuid);
    if (b.kind === 'system' && b.dev !== null) {
      this.byDev.delete(b.dev);
      if (b.dev.master === this) b.dev.setMaster(null);
    } else if (b.kind === 'internal' && b.dev !== null) {
      // OVS deletes the internal netdev wherever it has been moved (e.g. into a qrouter namespace).
      b.dev.destroy();
    } else if (b.kind === 'vxlan') this.tunnels.unbind(b);
  }

  /**
   * iface_pick_ofport() then alloc_ofp_port(): ofport_request, else the number the Interface row
   * already holds (kept in conf.db across a restart), else the name's previous number in this run,
   * else the next free one.
   */
  private allocOfport(st: BridgeState, name: string, iface: Row): number {
    const used = (n: number) => st.dp.port(n) !== undefined;
    const valid = (n: number | undefined): n is number =>
      n !== undefined && n >= 1 && n < MAX_PORTS && !used(n);
    const req = iface.scalar<number>('ofport_request');
    if (valid(req)) return req;
    const stored = iface.scalar<number>('ofport');
    if (valid(stored)) return stored;
    const prev = st.usedNames.get(name);
    if (prev !== undefined && prev !== OFPP_LOCAL && !used(prev)) return prev;
    const taken = new Set(st.usedNames.values());
    for (let tries = 0; tries < MAX_PORTS; tries++) {
      st.allocNext = st.allocNext + 1 >= MAX_PORTS ? 1 : st.allocNext + 1;
      const n = st.allocNext;
      // Numbers a deleted port used are kept back for it while others are free (ofport_usage).
      if (!used(n) && !taken.has(n)) return n;
    }
    for (let n = 1; n < MAX_PORTS; n++) if (!used(n)) return n;
    throw new Error(`${st.dp.name}: no free OpenFlow port numbers`);
  }

  private writeIfaceStatus(b: BoundPort, iface: Row): void {
    const p = b.port;
    const dev = b.dev;
    const key =
      `${iface.uuid} ${p.ofport} ${p.rxBytes} ${p.rxPackets} ${p.rxDropped} ${p.rxErrors} ${p.txBytes} ` +
      `${p.txPackets} ${p.txDropped} ${p.txErrors}` +
      (dev === null ? '' : ` ${dev.ifindex} ${dev.mac} ${dev.mtu} ${dev.adminUp} ${dev.running}`);
    if (b.statusKey === key) return;
    b.statusKey = key;
    iface.set('ofport', [p.ofport]);
    // Interface:statistics as vswitchd copies them from the netdev every few seconds (switch's view).
    iface.set(
      'statistics',
      new Map<string, number>([
        ['collisions', 0],
        ['rx_bytes', p.rxBytes],
        ['rx_crc_err', 0],
        ['rx_dropped', p.rxDropped],
        ['rx_errors', p.rxErrors],
        ['rx_frame_err', 0],
        ['rx_missed_errors', 0],
        ['rx_over_err', 0],
        ['rx_packets', p.rxPackets],
        ['tx_bytes', p.txBytes],
        ['tx_dropped', p.txDropped],
        ['tx_errors', p.txErrors],
        ['tx_packets', p.txPackets],
      ]),
    );
    if (dev !== null) {
      iface.set('ifindex', [dev.ifindex]);
      iface.set('mac_in_use', [macToString(dev.mac)]);
      iface.set('mtu', [dev.mtu]);
      iface.set('admin_state', [dev.adminUp ? 'up' : 'down']);
      iface.set('link_state', [dev.running ? 'up' : 'down']);
    } else {
      // Patch and tunnel ports have no netdev of their own; OVS still reports a random MAC.
      if (iface.refs('mac_in_use').length === 0)
        iface.set('mac_in_use', [macToString(this.host.sched.rng.mac())]);
      iface.set('ifindex', [0]);
      iface.set('admin_state', ['up']);
      iface.set('link_state', ['up']);
    }
  }

  private writeBridgeStatus(st: BridgeState, row: Row): void {
    const local = st.dp.port(OFPP_LOCAL);
    const bound = local ? [...st.ports.values()].find((b) => b.port === local) : undefined;
    if (bound?.dev) row.set('datapath_id', [`0000${macToString(bound.dev.mac).replace(/:/g, '')}`]);
    row.set('datapath_version', ['<built-in>']);
  }

  /** Links each patch port to its peer: a pair works only when each end names the other. */
  private resolvePatches(): void {
    const patches = new Map<string, BoundPort>();
    for (const st of this.bridges.values())
      for (const b of st.ports.values()) if (b.kind === 'patch') patches.set(b.port.name, b);
    for (const b of patches.values()) {
      const self = this.db.row(b.ifaceUuid);
      const peerName = self?.map('options').get('peer');
      const peer = peerName === undefined ? undefined : patches.get(peerName);
      const back = peer ? this.db.row(peer.ifaceUuid)?.map('options').get('peer') : undefined;
      b.port.patchPeer = peer && back === b.port.name ? { dp: peer.dp, port: peer.port } : null;
    }
  }

  /** Output to a kernel device after one OVS hop of latency. */
  private schedule(
    fn: (dev: NetDevice, frame: Uint8Array, trace: Trace | null) => void,
    dev: NetDevice,
    frame: Uint8Array,
    trace: Trace | null,
  ): void {
    const h = this.host;
    h.sched.schedule(h.latency.fifoDelayOf(this.ovsHop, dev, h.sched.now), fn, dev, frame, trace);
  }
}

/**
 * iface_clear_db_record(): an interface vswitchd could not open keeps only its configuration —
 * ofport -1, the error, and none of the status a bound interface reports.
 */
function clearIfaceStatus(iface: Row, error: string): void {
  iface.set('ofport', [-1]);
  iface.set('error', [error]);
  for (const col of ['status', 'statistics', 'admin_state', 'link_state', 'mac_in_use', 'mtu', 'ifindex'])
    iface.set(col, col === 'status' || col === 'statistics' ? new Map() : []);
}

function sendOut(dev: NetDevice, frame: Uint8Array, trace: Trace | null): void {
  dev.transmit(frame, trace);
}

function deliverUp(dev: NetDevice, frame: Uint8Array, trace: Trace | null): void {
  (dev as ExternalDevice).receive(frame, trace);
}

function portKind(type: string, isLocal: boolean): DpPortKind {
  if (type === 'internal' || isLocal) return 'internal';
  if (type === 'patch') return 'patch';
  if (type === 'vxlan') return 'vxlan';
  return 'system';
}

function sameSet(a: Set<number> | null, b: Set<number> | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** The host's ovs-vswitchd (started on first use, like the openvswitch service on a Neutron host). */
export function vswitchdOf(host: Host): Vswitchd {
  const key = 'ovs-vswitchd';
  let vs = host.root.extensions.get(key) as Vswitchd | undefined;
  if (vs === undefined) {
    vs = new Vswitchd(host);
    host.root.extensions.set(key, vs);
  }
  return vs;
}
