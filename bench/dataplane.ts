// Data-plane benchmark: simulated frame-hops per second on the hybrid path between two hosts
// (guest ns → tap → qbr → qvb/qvo → per-network bridge → vxlan → underlay → other host and back),
// ICMP echo round trips per second, and bytes allocated per frame-hop.
//
// Path: until the OVS bridges are wired in, br-int/br-tun are replaced by the Linux bridge
// agent's layout (a learning bridge + a Linux vxlan device), so the path has the same number of
// hops and the same encapsulation work. A frame-hop is one scheduler event carrying a frame from
// one element to the next (veth, bridge, tap, underlay, stack, guest).
//
// Run: `node dist/bench/dataplane.js` (or through `npm run bench -- dataplane`).

import { PerformanceObserver } from 'node:perf_hooks';
import { Host } from '../src/kernel/host.js';
import { attachNamespaceAsGuest } from '../src/kernel/tap-guest.js';
import { UnderlaySegment } from '../src/kernel/underlay.js';
import { Scheduler } from '../src/sim/scheduler.js';
import { ip } from '../src/wire/ipv4-address.js';
import { mac } from '../src/wire/mac.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

function build(seed: number) {
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
    const brInt = host.addBridge('brq-net');
    const vx = host.addVxlan('vxlan-1001', 1001, ip(`192.168.136.${10 + n}`), [ip(`192.168.136.${13 - n}`)]);
    for (const d of [tap, qbr, qvb, qvo, brInt, vx]) d.setUp(true);
    qbr.addPort(tap);
    qbr.addPort(qvb);
    brInt.addPort(qvo);
    brInt.addPort(vx);
    const vm = host.addNamespace(`vm${n}`);
    const eth0 = attachNamespaceAsGuest(tap, vm, mac(`fa:16:3e:00:00:0${n}`), 1450);
    vm.addAddress(eth0, `10.0.0.${4 + n}/24`);
    return { host, vm };
  };
  return { sched, a: mk('compute1', 1), b: mk('compute2', 2) };
}

/** Sends `count` pings from vm1 to vm2, `gapNs` apart, and runs the simulation to the end. */
function pingRun(count: number, gapNs: number, seed = 1) {
  const { sched, a } = build(seed);
  let replies = 0;
  const sock = a.vm.openPing((e) => {
    if (e.kind === 'reply') replies++;
  });
  const dst = ip('10.0.0.6');
  // warm ARP and FDBs so that the measured part is steady state
  sock.send(dst, 0);
  sched.runUntilIdle();
  replies = 0;
  // each send schedules the next (a flood ping), so the event heap holds only frames in flight
  const send = (i: number) => {
    sock.send(dst, i & 0xffff);
    if (i < count) sched.schedule(gapNs, send, i + 1);
  };
  sched.schedule(gapNs, send, 1);
  const ev0 = sched.eventsRun;
  const t0 = performance.now();
  sched.runUntilIdle();
  const wall = (performance.now() - t0) / 1000;
  return { events: sched.eventsRun - ev0, wall, replies };
}

export async function runDataplaneBench(): Promise<BenchResult[]> {
  pingRun(2000, 20_000); // JIT warm-up
  const { events, wall, replies } = pingRun(50_000, 20_000);
  const hopsPerSec = events / wall;
  const rtPerSec = replies / wall;

  // Allocation: a short run inside the young generation, heapUsed delta per frame-hop (a GC during
  // the run makes it a lower bound, reported as such).
  const g = (globalThis as { gc?: () => void }).gc;
  const small = build(7);
  const sock = small.a.vm.openPing(() => {});
  sock.send(ip('10.0.0.6'), 0);
  small.sched.runUntilIdle();
  const send = (k: number) => sock.send(ip('10.0.0.6'), k);
  for (let i = 1; i <= 200; i++) small.sched.schedule(i * 20_000, send, i);
  g?.();
  let gcs = 0;
  const obs = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  const h0 = process.memoryUsage().heapUsed;
  const e0 = small.sched.eventsRun;
  small.sched.runUntilIdle();
  const bytesPerHop = (process.memoryUsage().heapUsed - h0) / (small.sched.eventsRun - e0);
  await new Promise((r) => setTimeout(r, 0));
  obs.disconnect();

  return [
    { name: 'dataplane.frame-hops', value: Math.round(hopsPerSec), unit: 'frame-hops/s' },
    { name: 'dataplane.icmp-round-trips', value: Math.round(rtPerSec), unit: 'round-trips/s' },
    { name: 'dataplane.hops-per-round-trip', value: Math.round(events / Math.max(1, replies)), unit: 'hops' },
    {
      name: gcs > 0 ? 'dataplane.bytes-per-hop (lower bound, GC ran)' : 'dataplane.bytes-per-hop',
      value: Math.round(bytesPerHop),
      unit: 'bytes/hop',
    },
  ];
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const results = await runDataplaneBench();
  for (const r of results) console.log(`${r.name}: ${r.value} ${r.unit}`);
  console.log(
    'path: tap → qbr → qvb/qvo → Linux bridge → vxlan → underlay (Linux-bridge stand-in for br-int/br-tun)',
  );
  console.log(`dataplane: ${results[0].value} frame-hops/s`);
}
