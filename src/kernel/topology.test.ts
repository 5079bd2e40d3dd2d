import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Scheduler } from '../sim/scheduler.js';
import { ip } from '../wire/ipv4-address.js';
import { macToString, readMac48 } from '../wire/mac.js';
import { Host } from './host.js';
import type { Namespace } from './netns.js';
import type { PingEvent } from './sockets.js';
import { Trace } from './trace.js';

function ping(
  ns: Namespace,
  dst: string,
  opts: Parameters<import('./sockets.js').PingSocket['send']>[2] = {},
) {
  const events: PingEvent[] = [];
  const sock = ns.openPing((e) => events.push(e));
  const r = sock.send(ip(dst), 1, opts);
  return { events, r, sock };
}

/** Three namespaces on a Linux bridge in the root namespace. */
function bridged(ageing?: number) {
  const sched = new Scheduler({ seed: 11 });
  const host = new Host('h', sched);
  const br = host.addBridge('br0', { ageing });
  br.setUp(true);
  const nss = ['n1', 'n2', 'n3'].map((name, i) => {
    const ns = host.addNamespace(name);
    const [inner, outer] = host.addVeth(`eth0`, `v-${name}`, { netns: ns, peerNetns: host.root });
    ns.addAddress(inner, `10.1.0.${i + 1}/24`);
    inner.setUp(true);
    outer.setUp(true);
    br.addPort(outer);
    return { ns, inner, outer };
  });
  return { sched, host, br, nss };
}

test('ping through a Linux bridge; the FDB learns both MACs; unknown unicast is not flooded after learning', () => {
  const { sched, br, nss } = bridged();
  const [n1, n2, n3] = nss;
  const { events } = ping(n1.ns, '10.1.0.2');
  sched.runFor(1e9);
  assert.equal(events[0]?.kind, 'reply');
  const learned = br.fdb.list(sched.now).filter((e) => !e.local);
  const byMac = new Map(
    learned.map((e) => [
      macToString(
        new Uint8Array([0, 0, 0, 0, 0, 0]).map((_, i) => Math.floor(e.mac / 2 ** (8 * (5 - i))) & 0xff),
      ),
      e.port.name,
    ]),
  );
  assert.equal(byMac.get(n1.inner.macString), 'v-n1');
  assert.equal(byMac.get(n2.inner.macString), 'v-n2');
  // n3 saw only the broadcast ARP request: the echo request/reply were switched, not flooded
  assert.equal(n3.outer.txPackets, 1);
  assert.equal(n3.inner.rxPackets, 1);
  // ageing: 300 s later the learned entries are gone
  sched.runFor(400e9);
  assert.equal(br.fdb.lookup(readMac48(n1.inner.mac, 0), sched.now), undefined);
  assert.equal(br.bridgeId.startsWith('8000.'), true);
});

test('a bridge with ageing 0 learns nothing and floods like a hub (os-vif qbr)', () => {
  const { sched, br, nss } = bridged(0);
  const { events } = ping(nss[0].ns, '10.1.0.2');
  sched.runFor(1e9);
  assert.equal(events[0]?.kind, 'reply');
  assert.equal(br.fdb.list(sched.now).filter((e) => !e.local).length, 0);
  // n3 received the ARP request, the ARP reply and both echo frames (all flooded), and dropped them
  assert.equal(nss[2].inner.rxPackets, 4);
});

test('a frame larger than the egress port MTU is dropped by the bridge and counted', () => {
  const { sched, br, nss } = bridged();
  nss[1].outer.setMtu(1000);
  const { events } = ping(nss[0].ns, '10.1.0.2', { size: 1200 });
  sched.runFor(1e9);
  assert.equal(events.length, 0);
  assert.equal(br.mtuDrops, 1);
  assert.equal(nss[1].outer.txDropped, 1);
});

test('the bridge device carries an IP and answers ping; trace shows the FDB decisions', () => {
  const { sched, host, br, nss } = bridged();
  const empty = host.addBridge('br-empty');
  empty.setUp(true);
  assert.equal(empty.bridgeId, '8000.000000000000');
  assert.deepEqual(empty.flags, ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP']);
  assert.deepEqual(br.flags, ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP']);
  for (const n of nss) n.outer.setUp(false);
  assert.equal(br.carrier, false, 'no port up: no carrier');
  for (const n of nss) n.outer.setUp(true);
  assert.equal(br.operstate, 'UP');
  host.root.addAddress(br, '10.1.0.254/24');
  const t = new Trace('ping bridge');
  const { events } = ping(nss[0].ns, '10.1.0.254', { trace: t });
  sched.runFor(1e9);
  assert.equal(events[0]?.kind, 'reply');
  const text = t.format();
  assert.match(text, /br0 fdb: local .*up the bridge/);
  assert.match(text, /reply: echo reply to 10\.1\.0\.1/);
});

/** n1 (10.1.0.0/24) — router — n2 (10.2.0.0/24), with an MTU-1450 link on the n2 side. */
function routed() {
  const sched = new Scheduler({ seed: 5 });
  const host = new Host('h', sched);
  const r = host.addNamespace('qrouter-1');
  const n1 = host.addNamespace('n1');
  const n2 = host.addNamespace('n2');
  const [a, ra] = host.addVeth('eth0', 'qr-a', { netns: n1, peerNetns: r });
  const [b, rb] = host.addVeth('eth0', 'qr-b', { netns: n2, peerNetns: r, mtu: 1450 });
  n1.addAddress(a, '10.1.0.5/24');
  r.addAddress(ra, '10.1.0.1/24');
  n2.addAddress(b, '10.2.0.5/24');
  r.addAddress(rb, '10.2.0.1/24');
  for (const d of [a, ra, b, rb]) d.setUp(true);
  n1.addRoute({ dst: 'default', via: ip('10.1.0.1'), dev: a });
  n2.addRoute({ dst: 'default', via: ip('10.2.0.1'), dev: b });
  r.setSysctl('net.ipv4.ip_forward', '1');
  return { sched, host, r, n1, n2, a, b, ra, rb };
}

test('a router namespace forwards between two subnets with TTL decremented', () => {
  const { sched, r, n1 } = routed();
  const { events } = ping(n1, '10.2.0.5');
  sched.runFor(1e9);
  assert.equal(events[0]?.kind, 'reply');
  if (events[0].kind === 'reply') assert.equal(events[0].ttl, 63);
  assert.equal(r.stats.forwDatagrams, 2);
});

test('without ip_forward the router drops silently; TTL 1 gets time exceeded; no route gets net unreachable', () => {
  const { sched, r, n1 } = routed();
  const t1 = ping(n1, '10.2.0.5', { ttl: 1 });
  sched.runFor(1e9);
  assert.equal(t1.events[0]?.kind, 'error');
  if (t1.events[0].kind === 'error') {
    assert.deepEqual([t1.events[0].type, t1.events[0].code, t1.events[0].from], [11, 0, ip('10.1.0.1')]);
  }
  const t2 = ping(n1, '172.16.0.9');
  sched.runFor(1e9);
  assert.equal(t2.events[0]?.kind, 'error');
  if (t2.events[0].kind === 'error') assert.deepEqual([t2.events[0].type, t2.events[0].code], [3, 0]);
  r.setSysctl('net.ipv4.ip_forward', '0');
  const t3 = ping(n1, '10.2.0.5');
  sched.runFor(3e9);
  assert.equal(t3.events.length, 0);
});

test('ping -s 2000 crosses an MTU-1450 path by fragmentation and is reassembled', () => {
  const { sched, r, n1, n2 } = routed();
  const { events } = ping(n1, '10.2.0.5', { size: 2000 });
  sched.runFor(1e9);
  assert.equal(events[0]?.kind, 'reply');
  if (events[0].kind === 'reply') assert.equal(events[0].bytes, 2008);
  assert.ok(n1.stats.fragCreates >= 2, 'the sender fragments at its 1500 MTU');
  assert.ok(r.stats.fragCreates >= 2, 'the router fragments again for 1450');
  assert.ok(n2.stats.reasmOKs >= 1);
});

test('with DF set, the router answers fragmentation needed with the next-hop MTU; locally EMSGSIZE', () => {
  const { sched, n1, n2 } = routed();
  const { events } = ping(n1, '10.2.0.5', { size: 1460, df: true });
  sched.runFor(1e9);
  assert.equal(events[0]?.kind, 'error');
  if (events[0].kind === 'error') {
    assert.deepEqual([events[0].type, events[0].code, events[0].mtu], [3, 4, 1450]);
  }
  const local = ping(n2, '10.1.0.5', { size: 1460, df: true });
  assert.equal(local.r, 'EMSGSIZE');
  assert.equal(n2.ip.lastMtu, 1450);
});

test('path MTU discovery: frag-needed lowers the path MTU; ping then fragments (-M want) or fails locally (-M do)', () => {
  const { sched, n1 } = routed();
  const events: PingEvent[] = [];
  const s = n1.openPing((e) => events.push(e));
  s.send(ip('10.2.0.5'), 1, { size: 1440 }); // 1468 bytes: fits n1's 1500, so DF is set
  sched.runFor(1e9);
  assert.equal(events[0]?.kind, 'error');
  if (events[0].kind === 'error')
    assert.deepEqual([events[0].type, events[0].code, events[0].mtu], [3, 4, 1450]);
  assert.equal(n1.ip.pathMtu(ip('10.2.0.5'), n1.requireDev('eth0')), 1450);
  s.send(ip('10.2.0.5'), 2, { size: 1440 });
  sched.runFor(1e9);
  assert.equal(events[1]?.kind, 'reply', 'fragmented to the learned path MTU');
  assert.equal(s.send(ip('10.2.0.5'), 3, { size: 1440, df: true }), 'EMSGSIZE');
  assert.equal(n1.ip.lastMtu, 1450);
  sched.runFor(601e9);
  assert.equal(n1.ip.pathMtu(ip('10.2.0.5'), n1.requireDev('eth0')), 1500, 'expires after 10 minutes');
});

test('UDP sockets: unicast, broadcast to a device-bound socket, port unreachable', () => {
  const { sched, n1, r, ra } = routed();
  const got: string[] = [];
  r.bindUdp(
    0,
    67,
    (d) => got.push(`${d.dev.name} ${d.src}->${d.dst}:${d.dstPort} ${new TextDecoder().decode(d.payload)}`),
    { dev: ra },
  );
  const client = n1.bindUdp(0, 68, () => {});
  client.send(0xffffffff, 67, new TextEncoder().encode('discover'), { dev: n1.requireDev('eth0') });
  const errors: number[] = [];
  const c2 = n1.bindUdp(0, 5000, () => {});
  c2.onError = (e) => errors.push(e.code);
  c2.send(ip('10.1.0.1'), 9999, new Uint8Array(4));
  sched.runFor(1e9);
  assert.deepEqual(got, [`qr-a ${ip('10.1.0.5')}->${0xffffffff}:67 discover`]);
  assert.deepEqual(errors, [3]);
});

test('proxy ARP answers for addresses routed through another interface', () => {
  const { sched, host, r } = routed();
  // a host on a third segment with a /16 and no gateway ARPs for 10.2.0.5 directly
  const n3 = host.addNamespace('n3');
  const [x, rx] = host.addVeth('eth0', 'qr-c', { netns: n3, peerNetns: r });
  n3.addAddress(x, '10.3.0.9/8');
  r.addAddress(rx, '10.3.0.1/24');
  x.setUp(true);
  rx.setUp(true);
  const t = new Trace();
  const first = ping(n3, '10.2.0.5', { trace: t });
  sched.runFor(5e9);
  assert.equal(first.events[0]?.kind, 'error', 'without proxy ARP nobody answers');
  r.setSysctl('net.ipv4.conf.qr-c.proxy_arp', '1');
  const { events } = ping(n3, '10.2.0.5', { trace: t });
  sched.runFor(1e9);
  assert.equal(events[0]?.kind, 'reply', t.format());
  assert.match(t.format(), /proxy ARP reply for 10\.2\.0\.5/);
});

test('capture sees frames with virtual timestamps in both directions', () => {
  const { sched, n1, a } = routed();
  const seen: string[] = [];
  const stop = a.capture((t, f, dir) => seen.push(`${dir} ${f.length} ${t > 0}`));
  ping(n1, '10.2.0.5');
  sched.runFor(1e9);
  stop();
  assert.deepEqual(seen, ['tx 42 false', 'rx 42 true', 'tx 98 true', 'rx 98 true']);
});
