// iproute2 6.1's `ip link` / `ip addr` renderings of the device model (print_linkinfo,
// print_addrinfo), `ip -br`, `ip -s` and a condensed `ip -d`. Observed on Debian 12:
//   2: qvo1@qvb1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000
//       link/ether 8e:a4:37:77:bd:43 brd ff:ff:ff:ff:ff:ff
// `ip link` adds `mode DEFAULT` after the state; `ip addr` does not. A veth whose peer lives in
// another namespace shows `@ifN` and `link-netns NAME` (or `link-netnsid N` when that namespace has
// no name, i.e. the root one seen from inside a named one).
import { LinuxBridge } from '../../kernel/bridge.js';
import type { NetDevice } from '../../kernel/device.js';
import { Veth } from '../../kernel/links.js';
import type { Namespace } from '../../kernel/netns.js';
import { VxlanDevice } from '../../kernel/vxlan.js';
import { ipv6ToString } from '../../ovs/flow-fields.js';
import { ipToString } from '../../wire/ipv4-address.js';

export interface LinkOptions {
  /** `ip link` (prints `mode DEFAULT`) rather than `ip addr`. */
  linkMode?: boolean;
  /** `-s` given this many times. */
  stats?: number;
  details?: boolean;
}

/** Devices of a namespace in ifindex order, as the kernel dumps them. */
export function devicesOf(ns: Namespace): NetDevice[] {
  return [...ns.devices.values()].sort((a, b) => a.ifindex - b.ifindex);
}

/** `name` or `name@peer` / `name@ifN`. */
export function linkName(dev: NetDevice): string {
  if (dev instanceof Veth)
    return dev.peer.netns === dev.netns
      ? `${dev.name}@${dev.peer.name}`
      : `${dev.name}@if${dev.peer.ifindex}`;
  return dev.name;
}

/** The qdisc shown: a device never brought up has none attached yet (`noop`). */
function qdiscOf(dev: NetDevice): string {
  return dev.adminUp ? dev.qdisc : 'noop';
}

/** net_device promiscuity: the user's `promisc on` plus one per bridge/OVS enslavement. */
export function promiscuity(dev: NetDevice): number {
  return (dev.promisc ? 1 : 0) + (dev.master !== null ? 1 : 0);
}

function linkHeader(dev: NetDevice, o: LinkOptions): string {
  let s = `${dev.ifindex}: ${linkName(dev)}: <${dev.flags.join(',')}> mtu ${dev.mtu} qdisc ${qdiscOf(dev)}`;
  if (dev.master !== null) s += ` master ${dev.master.name}`;
  s += ` state ${dev.operstate}`;
  if (o.linkMode) s += ' mode DEFAULT';
  return `${s} group default qlen ${dev.txqueuelen}\n`;
}

function linkLayer(dev: NetDevice, o: LinkOptions): string {
  let s =
    dev.kind === 'loopback'
      ? '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00'
      : `    link/ether ${dev.macString} brd ff:ff:ff:ff:ff:ff`;
  if (dev instanceof Veth && dev.peer.netns !== dev.netns) {
    s += dev.peer.netns.isRoot ? ` link-netnsid ${dev.linkNetnsId}` : ` link-netns ${dev.peer.netns.name}`;
  }
  if (o.details) s += details(dev);
  return `${s}\n`;
}

const TAIL =
  'addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536 ';

/** `ip -d`: promiscuity and MTU range, the link kind's own line, the port's line, then the common tail. */
function details(dev: NetDevice): string {
  const p = promiscuity(dev);
  const lo = dev.kind === 'loopback';
  const s = ` promiscuity ${p}  allmulti ${p} minmtu ${lo ? 0 : 68} maxmtu ${lo ? 0 : dev.kind === 'tun' ? 65521 : 65535} `;
  const lines: string[] = [];
  if (dev instanceof LinuxBridge) {
    const id = bridgeIdDetail(dev);
    lines.push(
      `bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time ${Math.round(dev.ageingSeconds * 100)} stp_state 0 priority 32768 vlan_filtering 0 vlan_protocol 802.1Q bridge_id ${id} designated_root ${id} root_port 0 root_path_cost 0 topology_change 0 topology_change_detected 0 group_fwd_mask 0 group_address 01:80:c2:00:00:00 mcast_snooping 1 nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0 `,
    );
  } else if (dev instanceof VxlanDevice) {
    lines.push(
      `vxlan id ${dev.vni} local ${ipToString(dev.local)} srcport 0 0 dstport ${dev.dstPort} ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx `,
    );
  } else if (dev.kind === 'veth') lines.push('veth ');
  else if (dev.kind === 'dummy') lines.push('dummy ');
  else if (dev.kind === 'tun') lines.push('tun type tap pi off vnet_hdr on persist off ');
  else if (dev.kind === 'openvswitch') lines.push('openvswitch ');
  const m = dev.master;
  if (m instanceof LinuxBridge) {
    const port = m.portOf(dev);
    const no = port?.no ?? 0;
    const state = dev.running ? 'forwarding' : 'disabled';
    lines.push(
      `bridge_slave state ${state} priority 32 cost 2 hairpin off guard off root_block off fastleave off learning on flood on port_id 0x${(0x8000 + no).toString(16)} port_no 0x${no.toString(16)} designated_port ${0x8000 + no} designated_cost 0 designated_bridge ${bridgeIdDetail(m)} designated_root ${bridgeIdDetail(m)} proxy_arp off mcast_flood on bcast_flood on neigh_suppress off isolated off `,
    );
  } else if (m !== null) lines.push('openvswitch_slave ');
  if (lines.length === 0) return s + TAIL;
  return `${s}\n${lines.map((l) => `    ${l}`).join('\n')}${TAIL}`;
}

/** iproute2 prints bridge ids with unpadded hex bytes: `8000.1a:fd:1a:8:c6:d0`. */
function bridgeIdDetail(br: LinuxBridge): string {
  return `8000.${[...br.mac].map((b) => b.toString(16)).join(':')}`;
}

const STATS_RX = '    RX:  bytes packets errors dropped  missed   mcast           \n';
const STATS_TX = '    TX:  bytes packets errors dropped carrier collsns           \n';

function statsRow(values: number[]): string {
  const w = [14, 8, 7, 8, 8, 8];
  return `${values.map((v, i) => String(v).padStart(w[i])).join('')} \n`;
}

function linkStats(dev: NetDevice, level: number): string {
  let s = STATS_RX + statsRow([dev.rxBytes, dev.rxPackets, dev.rxErrors, dev.rxDropped, 0, dev.rxMulticast]);
  if (level > 1)
    s += '    RX errors:  length    crc   frame    fifo overrun\n' + statsRowErr([0, 0, 0, 0, 0]);
  s += STATS_TX + statsRow([dev.txBytes, dev.txPackets, dev.txErrors, dev.txDropped, 0, 0]);
  if (level > 1)
    s += '    TX errors: aborted   fifo  window heartbt transns\n' + statsRowErr([0, 0, 0, 0, 0]);
  return s;
}

function statsRowErr(values: number[]): string {
  const w = [22, 7, 8, 8, 8];
  return `${values.map((v, i) => String(v).padStart(w[i])).join('')} \n`;
}

/** One device as `ip link show` prints it. */
export function formatLink(dev: NetDevice, o: LinkOptions = {}): string {
  let s = linkHeader(dev, { ...o, linkMode: true }) + linkLayer(dev, o);
  if (o.stats) s += linkStats(dev, o.stats);
  return s;
}

/** IPv6 addresses the kernel would show: ::1 on an up lo, the EUI-64 link-local on a running device. */
export function ipv6Addresses(dev: NetDevice): { addr: string; prefixLen: number; scope: 'host' | 'link' }[] {
  if (dev.ipv6Disabled || !dev.running) return [];
  if (dev.kind === 'loopback') return [{ addr: '::1', prefixLen: 128, scope: 'host' }];
  return [{ addr: linkLocal(dev.mac), prefixLen: 64, scope: 'link' }];
}

/** A device's address lines (`inet …` + lifetimes), IPv4 then IPv6, limited to a family (-4/-6). */
function addressLines(dev: NetDevice, family?: 4 | 6): [string, string][] {
  const lines: [string, string][] = [];
  const lft = '       valid_lft forever preferred_lft forever';
  if (family !== 6)
    for (const a of dev.addresses) {
      let s = `    inet ${ipToString(a.address)}/${a.prefixLen}`;
      // the kernel's own 127.0.0.1/8 on lo carries no broadcast address
      if (a.broadcast !== 0 && dev.kind !== 'loopback') s += ` brd ${ipToString(a.broadcast)}`;
      lines.push([`${s} scope ${a.scope}${a.secondary ? ' secondary' : ''} ${a.label}`, lft]);
    }
  if (family !== 4)
    for (const a of ipv6Addresses(dev))
      lines.push([`    inet6 ${a.addr}/${a.prefixLen} scope ${a.scope} `, lft]);
  return lines;
}

/**
 * One device as `ip addr show` prints it. With a family (-4/-6) the link layer line goes and a
 * device without such addresses prints nothing; -o prints one line per address.
 */
export function formatAddr(
  dev: NetDevice,
  o: LinkOptions & { family?: 4 | 6; oneline?: boolean } = {},
): string {
  const lines = addressLines(dev, o.family);
  if (o.oneline) return lines.map(([a, l]) => `${dev.ifindex}: ${dev.name}${a}\\${l}\n`).join('');
  if (o.family !== undefined && lines.length === 0) return '';
  let s = linkHeader(dev, { ...o, linkMode: false });
  if (o.family === undefined) s += linkLayer(dev, o);
  for (const [a, l] of lines) s += `${a}\n${l}\n`;
  if (o.stats) s += linkStats(dev, o.stats);
  return s;
}

/** `ip -br link`: name, state, MAC, flags, each padded as iproute2's brief mode does. */
export function briefLink(dev: NetDevice): string {
  const mac = dev.kind === 'loopback' ? '00:00:00:00:00:00' : dev.macString;
  return `${linkName(dev).padEnd(16)} ${dev.operstate.padEnd(14)} ${mac} <${dev.flags.join(',')}> \n`;
}

/** `ip -br addr`: name, state, then every address with its prefix length. */
export function briefAddr(dev: NetDevice, family?: 4 | 6): string {
  const v4 = family === 6 ? [] : dev.addresses.map((a) => `${ipToString(a.address)}/${a.prefixLen} `);
  const v6 = family === 4 ? [] : ipv6Addresses(dev).map((a) => `${a.addr}/${a.prefixLen} `);
  if (family !== undefined && v4.length + v6.length === 0) return '';
  return `${linkName(dev).padEnd(16)} ${dev.operstate.padEnd(14)} ${v4.join('')}${v6.join('')}\n`;
}

/** The EUI-64 link-local address of a MAC in RFC 5952 form (`fe80::f816:3eff:feaa:bb01`). */
export function linkLocal(mac: Uint8Array): string {
  let v = 0xfe80n << 112n;
  const eui = [mac[0] ^ 0x02, mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]];
  for (let i = 0; i < 8; i++) v |= BigInt(eui[i]) << BigInt(8 * (7 - i));
  return ipv6ToString(v);
}
