import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Host } from '../kernel/host.js';
import type { PingEvent } from '../kernel/sockets.js';
import { attachNamespaceAsGuest } from '../kernel/tap-guest.js';
import { Trace } from '../kernel/trace.js';
import { UnderlaySegment } from '../kernel/underlay.js';
import { Scheduler } from '../sim/scheduler.js';
import { ip } from '../wire/ipv4-address.js';
import { mac, macToString } from '../wire/mac.js';
import { vxlanDecapsulate } from '../wire/vxlan.js';
import { buildNeutronBridges, type NeutronBridges } from './neutron-bridges.js';
import { Ofctl } from './ofctl.js';
import { Vswitchd } from './vswitchd.js';

const S = 1e9;

/**
 * Two compute hosts wired as Neutron wires them: VM → tap → qbr → qvb/qvo → br-int (local VLAN)
 * → patch-tun → br-tun (VXLAN, VNI 1001) → eth1 on the underlay. The network is local VLAN 1
 * on compute1 and 3 on compute2 (tags are per host).
 */
function twoOvsHosts(seed = 1, mtu = 1450, arpResponder = false) {
  const sched = new Scheduler({ seed });
  const seg = new UnderlaySegment('data', '192.168.136.0/24');
  const mk = (name: string, n: number, lvid: number) => {
    const host = new Host(name, sched);
    const eth1 = host.addNic('eth1', seg);
    const local = `192.168.136.${10 + n}`;
    host.root.addAddress(eth1, `${local}/24`);
    eth1.setUp(true);
    const vs = new Vswitchd(host);
    const nb = buildNeutronBridges(vs, {
      localIp: local,
      peers: [`192.168.136.${10 + (3 - n)}`],
      networks: [{ lvid, vni: 1001 }],
      arpResponder,
    });
    const vmMac = `fa:16:3e:00:00:0${n}`;
    const vm = plugVm(host, nb, `${n}f8a1c2d-3e`, vmMac, `10.0.0.${4 + n}`, lvid, mtu);
    return { host, eth1, vs, nb, of: new Ofctl(vs), vm, vmMac, lvid };
  };
  return { sched, seg, a: mk('compute1', 1, 1), b: mk('compute2', 2, 3) };
}

function plugVm(
  host: Host,
  nb: NeutronBridges,
  port: string,
  vmMac: string,
  vmIp: string,
  lvid: number,
  mtu: number,
) {
  const tap = host.addTap(`tap${port}`, { mtu });
  const qbr = host.addBridge(`qbr${port}`, { ageing: 0 });
  const [qvb, qvo] = host.addVeth(`qvb${port}`, `qvo${port}`, { mtu });
  for (const d of [tap, qbr, qvb, qvo]) d.setUp(true);
  qvb.setPromisc(true);
  qvo.setPromisc(true);
  qbr.addPort(tap);
  qbr.addPort(qvb);
  nb.plugPort({ name: `qvo${port}`, lvid, mac: vmMac, ips: [vmIp] });
  const ns = host.addNamespace(`vm-${port}`);
  const eth0 = attachNamespaceAsGuest(tap, ns, mac(vmMac), mtu);
  ns.addAddress(eth0, `${vmIp}/24`);
  return { ns, eth0, tap, qvo };
}

function ping(ns: ReturnType<typeof plugVm>['ns'], dst: string, size = 56, trace?: Trace): PingEvent[] {
  const events: PingEvent[] = [];
  const s = ns.openPing((e) => events.push(e));
  s.send(ip(dst), 1, { size, df: true, trace });
  return events;
}

test('VM-to-VM ping crosses br-int/br-tun and VXLAN with the right VNI and an MTU-1450 inner frame', () => {
  const { sched, a, b } = twoOvsHosts();
  const outer: { vni: number; inner: number; df: boolean }[] = [];
  a.eth1.capture((_t, f, dir) => {
    if (dir !== 'tx') return;
    const d = vxlanDecapsulate(f);
    if (d.ok) outer.push({ vni: d.value.vni, inner: d.value.inner.length, df: (f[20] & 0x40) !== 0 });
  });
  const t = new Trace('vm1->vm2');
  const events = ping(a.vm.ns, '10.0.0.6', 1422, t); // a 1450-byte IP packet: the most that fits
  sched.runFor(1 * S);
  assert.equal(events[0]?.kind, 'reply', t.format());
  if (events[0].kind === 'reply') assert.equal(events[0].ttl, 64, 'switched, not routed');
  assert.ok(outer.length >= 2, 'ARP and echo request encapsulated');
  assert.ok(outer.every((o) => o.vni === 1001 && o.df));
  assert.ok(b.vm.tap.txPackets >= 2, 'ARP and echo request reached vm2');
  assert.equal(
    Math.max(...outer.map((o) => o.inner)),
    1464,
    'inner frame = 14 + 1450, without the local VLAN tag',
  );
  const trace = t.format();
  // The walk of dataplane.md §11 A: br-int table 0 → 25 → 30 → 59 → 60 NORMAL, br-tun 0 → 2 → 20/22 …
  assert.match(trace, /br-int table=0 flow: priority=9,in_port="qvo1f8a1c2d-3e" actions=resubmit\(,25\)/);
  assert.match(trace, /br-int table=60 flow: priority=1 actions=NORMAL/);
  assert.match(
    trace,
    /br-tun table=22 flow: priority=1,dl_vlan=1 actions=strip_vlan,load:0x3e9->NXM_NX_TUN_ID\[\],output:"vxlan-c0a8880c"/,
  );
  assert.match(trace, /br-tun table=4 flow: priority=1,tun_id=0x3e9 actions=mod_vlan_vid:3,resubmit\(,10\)/);
});

test('table 10 learns into table 20 (hard_timeout 300); replies go unicast; learned flows expire', () => {
  const { sched, a, b } = twoOvsHosts(3);
  const events = ping(a.vm.ns, '10.0.0.6');
  sched.runFor(1 * S);
  assert.equal(events[0]?.kind, 'reply');
  const learnedB = b.of
    .dumpFlows('br-tun', 'table=20')
    .split('\n')
    .filter((l) => l.includes('hard_timeout=300'));
  assert.equal(learnedB.length, 1, b.of.dumpFlows('br-tun', 'table=20'));
  assert.match(
    learnedB[0],
    /^ cookie=0x[0-9a-f]+, duration=\d+\.\d{3}s, table=20, n_packets=\d+, n_bytes=\d+, hard_timeout=300, idle_age=0, priority=1,vlan_tci=0x0003\/0x0fff,dl_dst=fa:16:3e:00:00:01 actions=load:0->NXM_OF_VLAN_TCI\[\],load:0x3e9->NXM_NX_TUN_ID\[\],output:2$/,
  );
  // compute2's reply hit the learned flow instead of flooding through table 22.
  assert.ok(/n_packets=[1-9]/.test(learnedB[0]), learnedB[0]);
  const learnedA = a.of
    .dumpFlows('br-tun', 'table=20')
    .split('\n')
    .filter((l) => l.includes('hard_timeout=300'));
  assert.equal(learnedA.length, 1);
  assert.match(learnedA[0], /vlan_tci=0x0001\/0x0fff,dl_dst=fa:16:3e:00:00:02 /);
  // The guests' neighbour probes (a few seconds later) re-learn the flow, re-arming its hard timeout.
  sched.runFor(100 * S);
  assert.match(
    b.of.dumpFlows('br-tun', 'table=20'),
    /hard_timeout=300, idle_age=\d+, hard_age=\d+, priority=1,/,
  );
  sched.runFor(220 * S);
  assert.equal(
    b.of.dumpFlows('br-tun', 'table=20').includes('hard_timeout=300'),
    false,
    'expired 300 s after the last learn',
  );
});

test('the bridges count: flow n_packets, port counters, MAC table on br-int', () => {
  const { sched, a } = twoOvsHosts(4);
  ping(a.vm.ns, '10.0.0.6');
  sched.runFor(1 * S);
  const dump = a.of.dumpFlows('br-int');
  assert.match(dump, /table=60, n_packets=[1-9]\d*, n_bytes=\d+, idle_age=0, priority=1 actions=NORMAL/);
  assert.match(dump, /table=24, n_packets=[1-9]\d*, .*priority=2,arp,in_port=2,arp_spa=10\.0\.0\.5 /);
  const ports = a.of.dumpPorts('br-tun');
  assert.match(ports, /port {2}2: rx pkts=[1-9]/);
  assert.match(a.vs.bridge('br-int')!.macs.formatShow(), / {4}2 {5}1 {2}fa:16:3e:00:00:01 {4}0\n/);
});

test('an IP spoofing VM cannot ARP past table 24', () => {
  const { sched, a } = twoOvsHosts(5);
  a.vm.ns.removeAddress(a.vm.eth0, '10.0.0.5/24');
  a.vm.ns.addAddress(a.vm.eth0, '10.0.0.99/24');
  const events = ping(a.vm.ns, '10.0.0.6');
  sched.runFor(5 * S);
  assert.notEqual(events[0]?.kind, 'reply');
  assert.match(
    a.of.dumpFlows('br-int', 'table=24'),
    /n_packets=[1-9]\d*, n_bytes=\d+, idle_age=\d+, priority=0 actions=drop/,
  );
});

test('different networks stay apart: a VM on another VNI is not reached', () => {
  const { sched, a, b } = twoOvsHosts(6);
  b.nb.addNetwork(4, 1002);
  const other = plugVm(b.host, b.nb, '9f8a1c2d-3e', 'fa:16:3e:00:00:09', '10.0.0.9', 4, 1450);
  const events = ping(a.vm.ns, '10.0.0.9');
  sched.runFor(5 * S);
  assert.notEqual(events[0]?.kind, 'reply');
  assert.equal(other.tap.txPackets, 0, 'nothing reached the VM on VNI 1002');
});

test('an inner frame too big for the underlay is dropped at the VXLAN port and counted', () => {
  // Every device on the VM path left at MTU 1500 (no DHCP option 26): the 1514-byte frame reaches
  // br-tun, and the 1550-byte outer packet does not fit eth1's 1500 with DF set.
  const { sched, a, b } = twoOvsHosts(7, 1500);
  const ok = ping(a.vm.ns, '10.0.0.6', 56);
  sched.runFor(1 * S);
  assert.equal(ok[0]?.kind, 'reply');
  const big = ping(a.vm.ns, '10.0.0.6', 1472);
  sched.runFor(2 * S);
  assert.notEqual(big[0]?.kind, 'reply');
  assert.match(a.of.dumpPorts('br-tun', '2'), /tx pkts=\d+, bytes=\d+, drop=1,/);
  assert.equal(b.vm.tap.txPackets > 0, true);
});

test('l2population ARP responder: br-tun answers ARP for a remote port locally; unicast goes by the l2pop flow', () => {
  const { sched, a, b } = twoOvsHosts(8, 1450, true);
  a.nb.addRemoteMac(1, b.vmMac, '192.168.136.12');
  a.nb.addArpResponder(1, '10.0.0.6', b.vmMac);
  let arpOnWire = 0;
  a.eth1.capture((_t, f, dir) => {
    const d = vxlanDecapsulate(f);
    const i = d.ok ? d.value.inner : null;
    // ARP requests only (vm2's own ARP for vm1 is answered by vm1 with a unicast reply over the tunnel).
    if (dir === 'tx' && i !== null && i[12] === 0x08 && i[13] === 0x06 && i[21] === 1) arpOnWire++;
  });
  const t = new Trace('arp');
  const events = ping(a.vm.ns, '10.0.0.6', 56, t);
  sched.runFor(1 * S);
  assert.equal(events[0]?.kind, 'reply', t.format());
  assert.equal(arpOnWire, 0, "vm1's ARP request never crossed the tunnel");
  assert.match(
    t.format(),
    /br-tun table=21 flow: priority=1,arp,dl_vlan=1,arp_tpa=10\.0\.0\.6 actions=load:0x2->NXM_OF_ARP_OP\[\]/,
  );
  assert.match(
    a.of.dumpFlows('br-tun', 'table=20'),
    /n_packets=[1-9]\d*, n_bytes=\d+, idle_age=\d+, priority=2,dl_vlan=1,dl_dst=fa:16:3e:00:00:02 actions=strip_vlan,load:0x3e9->NXM_NX_TUN_ID\[\],output:2/,
  );
  // The guest learned the right MAC from the synthesized reply.
  const entry = a.vm.ns.neigh.get(ip('10.0.0.6'), a.vm.eth0);
  assert.equal(entry?.mac ? macToString(entry.mac) : '', 'fa:16:3e:00:00:02');
});
