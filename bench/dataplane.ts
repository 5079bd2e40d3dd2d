// Data-plane benchmark: simulated frame-hops per second on the full hybrid path between two hosts,
//   guest → tap → qbr (iptables via br_netfilter) → qvb/qvo → br-int → patch → br-tun → VXLAN
//   → eth1 → underlay → eth1 → br-tun → patch → br-int → qvo/qvb → qbr (iptables) → tap → guest
// and back, ICMP echo round trips per second, and bytes allocated per frame-hop. The guests are
// namespaces behind the taps (kernel/tap-guest.ts); br-int/br-tun carry Neutron's flows
// (ovs/neutron-bridges.ts) and each host's iptables the security-group rules of its VM port
// (netfilter golden compute.save.golden). For comparison it also measures the same path without
// iptables rules and the Linux-bridge agent's layout (Linux bridge + vxlan device).
//
// A frame-hop is one scheduler event carrying a frame from one element to the next (veth, bridge,
// OVS datapath pass, tap, underlay, IP stack, guest).
//
// Run: `node dist/bench/dataplane.js` (add --expose-gc for the allocation figure), or through
// `npm run bench -- dataplane`.

import { readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { Host } from '../src/kernel/host.js';
import { iptablesRestore } from '../src/kernel/netfilter/index.js';
import type { Namespace } from '../src/kernel/netns.js';
import { attachNamespaceAsGuest } from '../src/kernel/tap-guest.js';
import { UnderlaySegment } from '../src/kernel/underlay.js';
import { buildNeutronBridges } from '../src/ovs/neutron-bridges.js';
import { Vswitchd } from '../src/ovs/vswitchd.js';
import { Scheduler } from '../src/sim/scheduler.js';
import { ip } from '../src/wire/ipv4-address.js';
import { mac } from '../src/wire/mac.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

type Layout = 'ovs+iptables' | 'ovs' | 'linuxbridge';

// VM ports: the golden's port for compute1, a renamed copy for compute2.
const PORTS = [
  { id: '6f8a1c2d-3e', mac: 'fa:16:3e:2b:7c:11', ip: '10.0.0.5' },
  { id: '7a9b0c1d-2e', mac: 'fa:16:3e:2b:7c:22', ip: '10.0.0.6' },
];

let rulesText: string | null = null;
function securityGroupRules(n: number): string {
  rulesText ??= readFileSync(
    new URL('../../src/kernel/netfilter/testdata/compute.save.golden', import.meta.url),
    'utf8',
  );
  if (n === 0) return rulesText;
  return rulesText
    .replaceAll('6f8a1c2d-3', '7a9b0c1d-2')
    .replaceAll('10.0.0.5/32', '10.0.0.6/32')
    .replaceAll('fa:16:3e:2b:7c:11', 'fa:16:3e:2b:7c:22');
}

function build(layout: Layout, seed: number) {
  const sched = new Scheduler({ seed });
  const seg = new UnderlaySegment('data', '192.168.136.0/24');
  const mk = (name: string, n: number): Namespace => {
    const host = new Host(name, sched);
    const local = `192.168.136.${11 + n}`;
    const peer = `192.168.136.${12 - n}`;
    const eth1 = host.addNic('eth1', seg);
    host.root.addAddress(eth1, `${local}/24`);
    eth1.setUp(true);
    const p = PORTS[n];
    const tap = host.addTap(`tap${p.id}`, { mtu: 1450 });
    const qbr = host.addBridge(`qbr${p.id}`, { ageing: 0 });
    const [qvb, qvo] = host.addVeth(`qvb${p.id}`, `qvo${p.id}`, { mtu: 1450 });
    for (const d of [tap, qbr, qvb, qvo]) d.setUp(true);
    qbr.addPort(tap);
    qbr.addPort(qvb);
    if (layout === 'linuxbridge') {
      const brq = host.addBridge('brq-private');
      const vx = host.addVxlan('vxlan-1001', 1001, ip(local), [ip(peer)]);
      brq.setUp(true);
      vx.setUp(true);
      brq.addPort(qvo);
      brq.addPort(vx);
    } else {
      const nb = buildNeutronBridges(new Vswitchd(host), {
        localIp: local,
        peers: [peer],
        networks: [{ lvid: 1 + n, vni: 1001 }],
      });
      nb.plugPort({ name: `qvo${p.id}`, lvid: 1 + n, mac: p.mac, ips: [p.ip] });
    }
    if (layout === 'ovs+iptables') {
      const r = iptablesRestore(host.root.iptables(), securityGroupRules(n));
      if (r.status !== 0) throw new Error(r.stderr);
    }
    const vm = host.addNamespace(`vm${n + 1}`);
    const eth0 = attachNamespaceAsGuest(tap, vm, mac(p.mac), 1450);
    vm.addAddress(eth0, `${p.ip}/24`);
    return vm;
  };
  return { sched, vm1: mk('compute1', 0), vm2: mk('compute2', 1) };
}

/** A flood ping of `count` echoes `gapNs` apart from vm1 to vm2, after one warm-up echo (ARP, learning). */
function pingRun(layout: Layout, count: number, gapNs = 20_000, seed = 1) {
  const { sched, vm1 } = build(layout, seed);
  let replies = 0;
  const sock = vm1.openPing((e) => {
    if (e.kind === 'reply') replies++;
  });
  const dst = ip(PORTS[1].ip);
  sock.send(dst, 0);
  sched.runUntilIdle();
  if (replies !== 1) throw new Error(`${layout}: warm-up ping got no reply`);
  replies = 0;
  // each send schedules the next, so the event heap holds only what is in flight
  const send = (i: number) => {
    sock.send(dst, i & 0xffff);
    if (i < count) sched.schedule(gapNs, send, i + 1);
  };
  sched.schedule(gapNs, send, 1);
  const ev0 = sched.eventsRun;
  const t0 = performance.now();
  sched.runUntilIdle();
  const wall = (performance.now() - t0) / 1000;
  if (replies !== count) throw new Error(`${layout}: ${replies}/${count} replies`);
  return { hops: sched.eventsRun - ev0, wall, replies, sched, sock };
}

/** Heap bytes per frame-hop over a short run that fits in the young generation (needs --expose-gc to be exact). */
async function bytesPerHop(layout: Layout): Promise<{ bytes: number; exact: boolean }> {
  const { sched, vm1 } = build(layout, 7);
  const sock = vm1.openPing(() => {});
  const dst = ip(PORTS[1].ip);
  sock.send(dst, 0);
  sched.runUntilIdle();
  const send = (i: number) => {
    sock.send(dst, i);
    if (i < 200) sched.schedule(20_000, send, i + 1);
  };
  sched.schedule(20_000, send, 1);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  let gcs = 0;
  const obs = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  const h0 = process.memoryUsage().heapUsed;
  const e0 = sched.eventsRun;
  sched.runUntilIdle();
  const bytes = (process.memoryUsage().heapUsed - h0) / (sched.eventsRun - e0);
  await new Promise((r) => setTimeout(r, 0));
  obs.disconnect();
  return { bytes, exact: gc !== undefined && gcs === 0 };
}

export async function runDataplaneBench(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const layouts: Layout[] = ['linuxbridge', 'ovs', 'ovs+iptables'];
  for (const layout of layouts) {
    pingRun(layout, 2000); // JIT warm-up
    const { hops, wall, replies } = pingRun(layout, 30_000);
    const tag = layout === 'ovs+iptables' ? '' : ` (${layout})`;
    out.push({ name: `dataplane.frame-hops${tag}`, value: Math.round(hops / wall), unit: 'frame-hops/s' });
    out.push({
      name: `dataplane.icmp-round-trips${tag}`,
      value: Math.round(replies / wall),
      unit: 'round-trips/s',
    });
    out.push({
      name: `dataplane.hops-per-round-trip${tag}`,
      value: Math.round(hops / replies),
      unit: 'hops',
    });
  }
  const alloc = await bytesPerHop('ovs+iptables');
  out.push({
    name: alloc.exact
      ? 'dataplane.bytes-per-hop'
      : 'dataplane.bytes-per-hop (approximate: run with --expose-gc)',
    value: Math.round(alloc.bytes),
    unit: 'bytes/hop',
  });
  return out;
}

/** The line `npm run bench -- dataplane` ends with. */
export function headline(results: BenchResult[]): string {
  const main = results.find((r) => r.name === 'dataplane.frame-hops');
  return `dataplane: ${main?.value ?? 0} frame-hops/s`;
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const results = await runDataplaneBench();
  for (const r of results) console.log(`${r.name}: ${r.value} ${r.unit}`);
  console.log(headline(results));
}
