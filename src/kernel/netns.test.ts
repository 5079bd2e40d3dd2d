import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Scheduler } from '../sim/scheduler.js';
import { ip } from '../wire/ipv4-address.js';
import { Host } from './host.js';
import type { PingEvent } from './sockets.js';

function twoNamespaces() {
  const sched = new Scheduler({ seed: 7 });
  const host = new Host('h1', sched);
  const a = host.addNamespace('a');
  const b = host.addNamespace('b');
  const [va, vb] = host.addVeth('veth-a', 'veth-b', { netns: a, peerNetns: b });
  a.addAddress(va, '10.0.0.1/24');
  b.addAddress(vb, '10.0.0.2/24');
  va.setUp(true);
  vb.setUp(true);
  return { sched, host, a, b, va, vb };
}

function pingOnce(
  ns: import('./netns.js').Namespace,
  dst: string,
  opts: Parameters<import('./sockets.js').PingSocket['send']>[2] = {},
) {
  const events: PingEvent[] = [];
  const sock = ns.openPing((e) => events.push(e));
  const r = sock.send(ip(dst), 1, opts);
  return { events, r, sock };
}

test('two namespaces joined by a veth ping each other; ARP resolves; counters move', () => {
  const { sched, a, b, va, vb } = twoNamespaces();
  const { events, r } = pingOnce(a, '10.0.0.2');
  assert.equal(r, 'ok');
  sched.runFor(1e9);
  assert.equal(events.length, 1);
  const e = events[0];
  assert.equal(e.kind, 'reply');
  if (e.kind !== 'reply') return;
  assert.equal(e.from, ip('10.0.0.2'));
  assert.equal(e.ttl, 64);
  assert.equal(e.bytes, 64);
  assert.ok(e.rtt > 20_000 && e.rtt < 1_500_000, `rtt ${e.rtt}ns`);
  // ARP request + echo request out of va; ARP reply + echo reply back
  assert.equal(va.txPackets, 2);
  assert.equal(vb.rxPackets, 2);
  assert.equal(va.rxPackets, 2);
  assert.equal(a.neigh.state(a.neigh.get(ip('10.0.0.2'), va)!), 'REACHABLE');
  // b learned a from the request (STALE, as neigh_event_ns does); using it for the reply starts DELAY
  assert.equal(b.neigh.state(b.neigh.get(ip('10.0.0.1'), vb)!), 'DELAY');
  // after delay_first_probe_time b probes by unicast, gets the answer and the entry is REACHABLE
  sched.runFor(10e9);
  assert.equal(b.neigh.state(b.neigh.get(ip('10.0.0.1'), vb)!), 'REACHABLE');
});

test('ip link set down stops traffic and counts the drop', () => {
  const { sched, a, vb, va } = twoNamespaces();
  vb.setUp(false);
  assert.equal(va.carrier, false);
  assert.deepEqual(va.flags, ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP']);
  const { events } = pingOnce(a, '10.0.0.2');
  sched.runFor(5e9);
  // ARP never answered: after 3 probes the neighbour fails, the ping gets host unreachable from itself
  assert.equal(events.length, 1);
  assert.equal(events[0].kind, 'error');
  if (events[0].kind === 'error') {
    assert.equal(events[0].type, 3);
    assert.equal(events[0].code, 1);
    assert.equal(events[0].from, ip('10.0.0.1'));
  }
  assert.equal(va.txDropped, 3, 'three ARP probes dropped at the down peer');
  assert.equal(a.neigh.state(a.neigh.get(ip('10.0.0.2'), va)!), 'FAILED');
});

test('no route: ENETUNREACH for a local sender', () => {
  const { a } = twoNamespaces();
  const { r } = pingOnce(a, '192.168.1.1');
  assert.equal(r, 'ENETUNREACH');
});

test('same seed gives the same RTTs; another seed different ones', () => {
  const rtts = (seed: number) => {
    const sched = new Scheduler({ seed });
    const host = new Host('h', sched);
    const a = host.addNamespace('a');
    const b = host.addNamespace('b');
    const [va, vb] = host.addVeth('x', 'y', { netns: a, peerNetns: b });
    a.addAddress(va, '10.0.0.1/24');
    b.addAddress(vb, '10.0.0.2/24');
    va.setUp(true);
    vb.setUp(true);
    const out: number[] = [];
    const s = a.openPing((e) => e.kind === 'reply' && out.push(e.rtt));
    for (let i = 0; i < 5; i++) sched.schedule(i * 1e9, () => s.send(ip('10.0.0.2'), i));
    sched.runUntilIdle();
    return out;
  };
  assert.deepEqual(rtts(3), rtts(3));
  assert.notDeepEqual(rtts(3), rtts(4));
  assert.equal(rtts(3).length, 5);
});
