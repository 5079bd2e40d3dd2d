// A Neutron legacy router, end to end through the kernel: a qrouter namespace with qr-/qg- ports,
// the L3 agent's iptables (nat, mangle, filter exactly as host-tools.md §7 shows them), a VM with a
// floating IP, a VM without, and the external network's gateway.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Scheduler } from '../sim/scheduler.js';
import { ipv4Dst, ipv4Src } from '../wire/ipv4.js';
import { ip, ipToString } from '../wire/ipv4-address.js';
import { Host } from './host.js';
import { iptables, iptablesRestore } from './netfilter/index.js';
import type { Namespace } from './netns.js';
import type { PingEvent } from './sockets.js';
import { Trace } from './trace.js';

const golden = (f: string) => readFileSync(`src/kernel/netfilter/testdata/${f}`, 'utf8');

/** `iptables -S` text as `iptables-restore` input for one table. */
function sToRestore(table: string, s: string): string {
  const out = [`*${table}`];
  for (const l of s.trimEnd().split('\n')) {
    if (l.startsWith('-P ')) {
      const [, chain, policy] = l.split(' ');
      out.push(`:${chain} ${policy} [0:0]`);
    } else if (l.startsWith('-N ')) out.push(`:${l.slice(3)} - [0:0]`);
    else out.push(l);
  }
  out.push('COMMIT', '');
  return out.join('\n');
}

function router() {
  const sched = new Scheduler({ seed: 21 });
  const host = new Host('network', sched);
  const r = host.addNamespace('qrouter-5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f');
  const ext = host.addNamespace('ext');
  const lan = host.addBridge('brq-private');
  lan.setUp(true);
  const vm = (name: string, addr: string) => {
    const ns = host.addNamespace(name);
    const [eth0, o] = host.addVeth('eth0', `${name}-o`, { netns: ns, peerNetns: host.root, mtu: 1450 });
    ns.addAddress(eth0, `${addr}/24`);
    eth0.setUp(true);
    o.setUp(true);
    lan.addPort(o);
    ns.addRoute({ dst: 'default', via: ip('10.0.0.1'), dev: eth0, proto: 'static' });
    return ns;
  };
  const vm1 = vm('vm1', '10.0.0.5');
  const vm2 = vm('vm2', '10.0.0.7');
  const [qr, qro] = host.addVeth('qr-4e5f6a7b-8c', 'qr-o', { netns: r, peerNetns: host.root, mtu: 1450 });
  qro.setUp(true);
  lan.addPort(qro);
  const [qg, gw] = host.addVeth('qg-9a8b7c6d-5e', 'br-ex', { netns: r, peerNetns: ext });
  r.addAddress(qr, '10.0.0.1/24');
  r.addAddress(qg, '172.24.4.111/24');
  r.addAddress(qg, '172.24.4.150/32');
  ext.addAddress(gw, '172.24.4.1/24');
  for (const d of [qr, qg, gw]) d.setUp(true);
  r.addRoute({ dst: 'default', via: ip('172.24.4.1'), dev: qg, proto: 'static' });
  r.setSysctl('net.ipv4.ip_forward', '1');
  const nf = r.iptables();
  for (const [file, table] of [
    ['qrouter-nat.S.golden', 'nat'],
    ['qrouter-mangle.S.golden', 'mangle'],
    ['qrouter-filter.S.golden', 'filter'],
  ]) {
    const res = iptablesRestore(nf, sToRestore(table, golden(file)));
    assert.equal(res.stderr, '', file);
  }
  return { sched, host, r, ext, vm1, vm2, qg, gw, nf };
}

function ping(ns: Namespace, dst: string, trace?: Trace): PingEvent[] {
  const events: PingEvent[] = [];
  ns.openPing((e) => events.push(e)).send(ip(dst), 1, { trace });
  return events;
}

/** Source and destination of every echo request/reply seen on a device, as text. */
function watch(dev: import('./device.js').NetDevice): string[] {
  const seen: string[] = [];
  dev.capture((_t, f, dir) => {
    if (f[12] !== 8 || f[13] !== 0 || f[23] !== 1) return;
    seen.push(
      `${dir} ${f[34] === 8 ? 'request' : 'reply'} ${ipToString(ipv4Src(f, 14))} > ${ipToString(ipv4Dst(f, 14))}`,
    );
  });
  return seen;
}

test('a VM with a floating IP reaches the outside as its floating IP (float-snat), replies de-NATed', () => {
  const { sched, vm1, gw } = router();
  const onExt = watch(gw);
  const ev = ping(vm1, '172.24.4.1');
  sched.runFor(1e9);
  assert.equal(ev[0]?.kind, 'reply');
  if (ev[0].kind === 'reply') assert.equal(ev[0].from, ip('172.24.4.1'));
  assert.deepEqual(onExt, ['rx request 172.24.4.150 > 172.24.4.1', 'tx reply 172.24.4.1 > 172.24.4.150']);
});

test('a VM without a floating IP is SNATed to the router gateway address', () => {
  const { sched, vm2, gw } = router();
  const onExt = watch(gw);
  const ev = ping(vm2, '172.24.4.1');
  sched.runFor(1e9);
  assert.equal(ev[0]?.kind, 'reply');
  assert.deepEqual(onExt, ['rx request 172.24.4.111 > 172.24.4.1', 'tx reply 172.24.4.1 > 172.24.4.111']);
});

test('the outside reaches the VM through its floating IP (DNAT); the VM sees the real source', () => {
  const { sched, ext, vm1, nf } = router();
  const onVm = watch(vm1.requireDev('eth0'));
  const t = new Trace();
  const ev = ping(ext, '172.24.4.150', t);
  sched.runFor(1e9);
  assert.equal(ev[0]?.kind, 'reply', t.format());
  if (ev[0].kind === 'reply') {
    assert.equal(ev[0].from, ip('172.24.4.150'), 'the reply comes from the floating IP');
    assert.equal(ev[0].ttl, 63);
  }
  assert.deepEqual(onVm, ['rx request 172.24.4.1 > 10.0.0.5', 'tx reply 10.0.0.5 > 172.24.4.1']);
  assert.match(t.format(), /qrouter-\S+ qg-9a8b7c6d-5e netfilter: PREROUTING ACCEPT/);
  // the nat rule counters moved: one DNAT in PREROUTING
  assert.match(
    iptables(nf, ['-t', 'nat', '-L', 'neutron-l3-agent-PREROUTING', '-n', '-v']).stdout,
    /\n\s+1\s+\d+ DNAT/,
  );
});

test('east-west through the router is not NATed; an iptables DROP rule stops the ping', () => {
  const { sched, host, r, vm1, nf } = router();
  // a second subnet behind the same router
  const n2 = host.addNamespace('vm3');
  const [e, q] = host.addVeth('eth0', 'qr-aaaaaaaa-bb', { netns: n2, peerNetns: r });
  n2.addAddress(e, '10.1.0.5/24');
  r.addAddress(q, '10.1.0.1/24');
  e.setUp(true);
  q.setUp(true);
  n2.addRoute({ dst: 'default', via: ip('10.1.0.1'), dev: e });
  const onVm3 = watch(e);
  const ok = ping(vm1, '10.1.0.5');
  sched.runFor(1e9);
  assert.equal(ok[0]?.kind, 'reply');
  assert.deepEqual(onVm3, ['rx request 10.0.0.5 > 10.1.0.5', 'tx reply 10.1.0.5 > 10.0.0.5']);
  assert.equal(iptables(nf, ['-I', 'FORWARD', '-p', 'icmp', '-j', 'DROP']).status, 0);
  const t = new Trace();
  const dropped = ping(vm1, '10.1.0.5', t);
  sched.runFor(2e9);
  assert.equal(dropped.length, 0);
  assert.match(t.format(), /netfilter: FORWARD DROP: filter FORWARD rule 1/);
  assert.equal(iptables(nf, ['-D', 'FORWARD', '-p', 'icmp', '-j', 'DROP']).status, 0);
  const again = ping(vm1, '10.1.0.5');
  sched.runFor(1e9);
  assert.equal(again[0]?.kind, 'reply');
});

test('a fragmented ping through SNAT: the router reassembles before conntrack and fragments again', () => {
  const { sched, vm2, gw, r } = router();
  const onExt = watch(gw);
  const events: PingEvent[] = [];
  vm2.openPing((e) => events.push(e)).send(ip('172.24.4.1'), 1, { size: 2000 });
  sched.runFor(1e9);
  assert.equal(events[0]?.kind, 'reply');
  if (events[0].kind === 'reply') assert.equal(events[0].bytes, 2008);
  // every fragment on the external side carries the SNAT address
  assert.ok(onExt.length >= 2);
  assert.ok(
    onExt.filter((l) => l.startsWith('rx')).every((l) => l.includes('172.24.4.111 > 172.24.4.1')),
    onExt.join('\n'),
  );
  assert.ok(r.stats.reasmOKs >= 2, 'both directions reassembled in the router');
});

test('REJECT answers with the ICMP error it names', () => {
  const { sched, vm1, nf } = router();
  iptables(nf, [
    '-I',
    'FORWARD',
    '-d',
    '172.24.4.1',
    '-j',
    'REJECT',
    '--reject-with',
    'icmp-host-prohibited',
  ]);
  const ev = ping(vm1, '172.24.4.1');
  sched.runFor(1e9);
  assert.equal(ev[0]?.kind, 'error');
  if (ev[0].kind === 'error') assert.deepEqual([ev[0].type, ev[0].code, ev[0].from], [3, 10, ip('10.0.0.1')]);
});
