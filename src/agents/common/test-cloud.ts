// Test bench for the network-node agents (used by their tests and benchmark only): a network
// host as the Open vSwitch agent leaves it (br-int, br-tun, br-ex with int-br-ex/phy-br-ex, via
// ovs/neutron-bridges.ts), a fake neutron-server (fake-neutron.ts), a stand-in for the Open
// vSwitch agent's port tagging, and guests: namespaces behind taps on br-int with a udhcpc-like
// DHCP client reading frames as udhcpc's raw socket does.
import type { NetDevice } from '../../kernel/device.js';
import { Host } from '../../kernel/host.js';
import type { Namespace } from '../../kernel/netns.js';
import type { PingEvent } from '../../kernel/sockets.js';
import { attachNamespaceAsGuest } from '../../kernel/tap-guest.js';
import { buildNeutronBridges, type NeutronBridges } from '../../ovs/neutron-bridges.js';
import { Vswitchd } from '../../ovs/vswitchd.js';
import { LogFile } from '../../sim/oslo-log.js';
import { Scheduler } from '../../sim/scheduler.js';
import {
  BOOTP_MIN_LEN,
  BOOTREQUEST,
  buildDhcp,
  DHCPACK,
  DHCPDISCOVER,
  DHCPNAK,
  DHCPOFFER,
  DHCPREQUEST,
  type DhcpRepr,
  parseDhcp,
} from '../../wire/dhcp.js';
import { ip } from '../../wire/ipv4-address.js';
import { mac } from '../../wire/mac.js';
import type { FakeNeutron } from './fake-neutron.js';
import type { Port } from './neutron-payloads.js';

export { FakeNeutron } from './fake-neutron.js';

export const S = 1e9;

/** A network node: br-int/br-tun (no peers), br-ex joined by int-br-ex/phy-br-ex, flat VLAN `extLvid`. */
export function networkNode(seed = 7) {
  const sched = new Scheduler({ seed });
  const host = new Host('network', sched);
  const vs = new Vswitchd(host);
  const nb = buildNeutronBridges(vs, { localIp: '192.168.136.66' });
  nb.addPhysicalBridge('br-ex');
  const log = new LogFile(null, () => new Date(0));
  return { sched, host, vs, nb, log };
}

/**
 * What the Open vSwitch agent does for ports it finds on br-int: each port with an iface-id gets
 * its network's local VLAN (allocated 1, 2, … in order of appearance) and loses the dead-VLAN
 * trunk settings. The external network's VLAN is provisioned on br-ex as flat.
 */
export class OvsAgentStandIn {
  readonly lvids = new Map<string, number>();

  constructor(
    readonly vs: Vswitchd,
    readonly nb: NeutronBridges,
    readonly neutron: FakeNeutron,
  ) {}

  lvidOf(networkId: string): number {
    let lvid = this.lvids.get(networkId);
    if (lvid === undefined) {
      lvid = this.lvids.size + 1;
      this.lvids.set(networkId, lvid);
      const net = this.neutron.nets.get(networkId);
      if (net?.external) this.nb.addFlatNetwork(lvid, 'br-ex');
      else this.nb.addNetwork(lvid, 1000 + lvid);
    }
    return lvid;
  }

  run(): void {
    const ops = this.vs.ops;
    const br = ops.findBridge('br-int');
    if (!br) return;
    for (const port of ops.refRows(br, 'ports')) {
      for (const iface of ops.refRows(port, 'interfaces')) {
        const portId = iface.map('external_ids').get('iface-id');
        const p = portId ? this.neutron.ports.get(portId) : undefined;
        if (!p) continue;
        const lvid = this.lvidOf(p.network_id);
        if (port.scalar<number>('tag') === lvid) continue;
        const name = port.str('name');
        const r = this.vs.vsctl([
          'set',
          'Port',
          name,
          `tag=${lvid}`,
          '--',
          'clear',
          'Port',
          name,
          'vlan_mode',
          'trunks',
        ]);
        if (r.code !== 0) throw new Error(r.stderr);
      }
    }
  }
}

/** A guest: a namespace behind a tap plugged into br-int on its network's VLAN. */
export function guest(
  host: Host,
  vs: Vswitchd,
  ovs: OvsAgentStandIn,
  port: Port,
): { ns: Namespace; eth0: NetDevice } {
  const tapName = `tap${port.id.slice(0, 11)}`;
  const tap = host.addTap(tapName, { mtu: 1450 });
  tap.setUp(true);
  const lvid = ovs.lvidOf(port.network_id);
  const r = vs.vsctl(['add-port', 'br-int', tapName, '--', 'set', 'Port', tapName, `tag=${lvid}`]);
  if (r.code !== 0) throw new Error(r.stderr);
  const ns = host.addNamespace(`vm-${port.id.slice(0, 8)}`);
  const eth0 = attachNamespaceAsGuest(tap, ns, mac(port.mac_address), 1500);
  return { ns, eth0 };
}

export interface LeaseResult {
  offer: DhcpRepr | null;
  ack: DhcpRepr | null;
  nak: DhcpRepr | null;
  /** Destination MAC of the OFFER frame (unicast to the client, or broadcast). */
  offerDstMac: string | null;
}

/**
 * busybox udhcpc's exchange: DISCOVER (client id, max size 576, the CirrOS parameter list), then
 * REQUEST for the offered address; replies are read from the NIC's frames (udhcpc's raw socket),
 * since the client has no address yet. `requestIp` forces a REQUEST for another address (NAK test).
 */
export function dhcpExchange(
  sched: Scheduler,
  ns: Namespace,
  eth0: NetDevice,
  macText: string,
  opts: { requestIp?: string } = {},
): LeaseResult {
  const res: LeaseResult = { offer: null, ack: null, nak: null, offerDstMac: null };
  const xid = 0x3903f326;
  const sock = ns.bindUdp(0, 68, () => {}, { dev: eth0 });
  const macBytes = mac(macText);
  const base = (type: number, extra: DhcpRepr['options'] = {}): DhcpRepr => ({
    op: BOOTREQUEST,
    hops: 0,
    xid,
    secs: 0,
    broadcast: false,
    ciaddr: 0,
    yiaddr: 0,
    siaddr: 0,
    giaddr: 0,
    chaddr: macText,
    sname: '',
    file: '',
    minLength: BOOTP_MIN_LEN,
    options: {
      messageType: type,
      clientId: Uint8Array.of(1, ...macBytes),
      maxMessageSize: 576,
      parameterRequestList: [1, 3, 6, 12, 15, 26, 28, 42, 121],
      hostName: 'cirros',
      ...extra,
    },
  });
  const send = (r: DhcpRepr) => sock.send(0xffffffff, 67, buildDhcp(r), { src: 0, dev: eth0 });
  const stop = eth0.capture((_t, frame, dir) => {
    if (dir !== 'rx' || frame.length < 42 || frame[12] !== 8 || frame[13] !== 0 || frame[23] !== 17) return;
    const l4 = 14 + (frame[14] & 15) * 4;
    if (((frame[l4 + 2] << 8) | frame[l4 + 3]) !== 68) return;
    const r = parseDhcp(frame, l4 + 8, ((frame[l4 + 4] << 8) | frame[l4 + 5]) - 8);
    if (!r.ok || r.value.xid !== xid) return;
    const d = r.value;
    if (d.options.messageType === DHCPOFFER && res.offer === null) {
      res.offer = d;
      res.offerDstMac = [...frame.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
      const want = opts.requestIp ? ip(opts.requestIp) : d.yiaddr;
      send(base(DHCPREQUEST, { requestedIp: want, serverId: d.options.serverId }));
    } else if (d.options.messageType === DHCPACK) res.ack = d;
    else if (d.options.messageType === DHCPNAK) res.nak = d;
  });
  send(base(DHCPDISCOVER));
  sched.runFor(1 * S);
  stop();
  sock.close();
  return res;
}

/** One echo request from `ns`, the events after a second. */
export function ping(sched: Scheduler, ns: Namespace, dst: string, seq = 1): PingEvent[] {
  const events: PingEvent[] = [];
  const s = ns.openPing((e) => events.push(e));
  s.send(ip(dst), seq);
  sched.runFor(1 * S);
  s.close();
  return events;
}
