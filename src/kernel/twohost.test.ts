import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Scheduler } from '../sim/scheduler.js';
import { ip } from '../wire/ipv4-address.js';
import { mac } from '../wire/mac.js';
import { vxlanDecapsulate } from '../wire/vxlan.js';
import { Host } from './host.js';
import type { PingEvent } from './sockets.js';
import { attachNamespaceAsGuest } from './tap-guest.js';
import { Trace } from './trace.js';
import { UnderlaySegment } from './underlay.js';

/**
 * Two compute hosts with the hybrid plug chain (tap → qbr → qvb/qvo) joined by a Linux bridge per
 * network and a Linux vxlan device (VNI 1001) over the underlay 192.168.136.0/24 — the Linux
 * bridge agent's layout, standing in for br-int/br-tun until the OVS variant.
 */
export function twoHosts(seed = 1) {
  const sched = new Scheduler({ seed });
  const seg = new UnderlaySegment('data', '192.168.136.0/24');
  const mk = (name: string, n: number) => {
    const host = new Host(name, sched);
    const eth1 = host.addNic('eth1', seg);
    host.root.addAddress(eth1, `192.168.136.${10 + n}/24`);
    eth1.setUp(true);
    const port = `${n}f8a1c2d-3e`;
    const tap = host.addTap(`tap${port}`, { mtu: 1450 });
    const qbr = host.addBridge(`qbr${port}`, { ageing: 0 });
    const [qvb, qvo] = host.addVeth(`qvb${port}`, `qvo${port}`, { mtu: 1450 });
    const brq = host.addBridge('brq1a2b3c4d-5e');
    const remote = ip(`192.168.136.${10 + (3 - n)}`);
    const vx = host.addVxlan('vxlan-1001', 1001, ip(`192.168.136.${10 + n}`), [remote]);
    for (const d of [tap, qbr, qvb, qvo, brq, vx]) d.setUp(true);
    qvb.setPromisc(true);
    qvo.setPromisc(true);
    qbr.addPort(tap);
    qbr.addPort(qvb);
    brq.addPort(qvo);
    brq.addPort(vx);
    const vm = host.addNamespace(`vm${n}`);
    const eth0 = attachNamespaceAsGuest(tap, vm, mac(`fa:16:3e:00:00:0${n}`), 1450);
    vm.addAddress(eth0, `10.0.0.${4 + n}/24`);
    return { host, eth1, tap, qbr, qvb, qvo, brq, vx, vm, eth0 };
  };
  return { sched, seg, a: mk('compute1', 1), b: mk('compute2', 2) };
}

test('VM-to-VM ping across hosts crosses VXLAN with VNI 1001 and an MTU-1450 inner frame', () => {
  const { sched, a, b } = twoHosts();
  const outer: { vni: number; inner: number; df: boolean }[] = [];
  a.eth1.capture((_t, f, dir) => {
    if (dir !== 'tx') return;
    const d = vxlanDecapsulate(f);
    if (d.ok) outer.push({ vni: d.value.vni, inner: d.value.inner.length, df: (f[20] & 0x40) !== 0 });
  });
  const events: PingEvent[] = [];
  const s = a.vm.openPing((e) => events.push(e));
  const t = new Trace('vm1->vm2');
  s.send(ip('10.0.0.6'), 1, { size: 1422, df: true, trace: t }); // 1450-byte IP packet, the most that fits
  sched.runFor(1e9);
  assert.equal(events[0]?.kind, 'reply', t.format());
  if (events[0].kind === 'reply') {
    assert.equal(events[0].ttl, 64, 'switched, not routed');
    assert.ok(events[0].rtt > 500_000 && events[0].rtt < 5_000_000, `cross-host rtt ${events[0].rtt}`);
  }
  assert.ok(outer.length >= 2, 'ARP and echo request encapsulated');
  assert.ok(outer.every((o) => o.vni === 1001));
  assert.equal(Math.max(...outer.map((o) => o.inner)), 1464, 'inner frame = 14 + 1450');
  assert.equal(a.eth1.txBytes > 1514, true);
  assert.match(t.format(), /encap: VNI 1001 192\.168\.136\.11 -> 192\.168\.136\.12/);
  assert.match(t.format(), /decap: VXLAN VNI 1001/);
  assert.equal(b.tap.txPackets >= 2, true);
});

test('a 1500-byte inner packet on the 1450-MTU path is dropped at the bridge and counted', () => {
  const { sched, a } = twoHosts(2);
  a.eth0.setMtu(1500); // guest that ignored DHCP option 26
  const events: PingEvent[] = [];
  const s = a.vm.openPing((e) => events.push(e));
  s.send(ip('10.0.0.6'), 1, { size: 56 });
  sched.runFor(1e9); // ARP first
  assert.equal(events.length, 1);
  s.send(ip('10.0.0.6'), 2, { size: 1472, df: true }); // 1500-byte IP packet
  sched.runFor(1e9);
  assert.equal(events.length, 1, 'no reply to the oversized echo');
  assert.equal(a.qbr.mtuDrops, 1);
  assert.equal(a.qvb.txDropped, 1);
});

test('same seed, same cross-host run (RTTs identical)', () => {
  const run = (seed: number) => {
    const { sched, a } = twoHosts(seed);
    const rtts: number[] = [];
    const s = a.vm.openPing((e) => e.kind === 'reply' && rtts.push(e.rtt));
    for (let i = 0; i < 4; i++) sched.schedule(i * 1e9, () => s.send(ip('10.0.0.6'), i));
    sched.runUntilIdle(1e6);
    return rtts;
  };
  const r1 = run(9);
  assert.equal(r1.length, 4);
  assert.deepEqual(r1, run(9));
  assert.ok(
    r1.every((r) => r >= 300_000),
    `never 0.000 ms: ${r1}`,
  );
});
