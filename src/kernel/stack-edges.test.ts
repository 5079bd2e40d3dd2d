import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Scheduler } from '../sim/scheduler.js';
import { ip } from '../wire/ipv4-address.js';
import { mac } from '../wire/mac.js';
import { Host } from './host.js';
import type { NfPacket, NfVerdict } from './nf-hooks.js';
import type { PingEvent } from './sockets.js';

function lan() {
  const sched = new Scheduler({ seed: 3 });
  const host = new Host('h', sched);
  const a = host.addNamespace('a');
  const b = host.addNamespace('b');
  const [va, vb] = host.addVeth('eth0', 'eth0', { netns: a, peerNetns: b });
  a.addAddress(va, '10.0.0.1/24');
  b.addAddress(vb, '10.0.0.2/24');
  va.setUp(true);
  vb.setUp(true);
  return { sched, host, a, b, va, vb };
}

test('frames keep their order through veths and a Linux bridge, whatever the jitter of each hop', () => {
  const sched = new Scheduler({ seed: 21 });
  const host = new Host('h', sched);
  const br = host.addBridge('br0');
  br.setUp(true);
  const [a, ao] = host.addVeth('a', 'a-o');
  const [b, bo] = host.addVeth('b', 'b-o');
  for (const d of [a, ao, b, bo]) d.setUp(true);
  br.addPort(ao);
  br.addPort(bo);
  const seen: number[] = [];
  b.capture((_t, frame, dir) => {
    if (dir === 'rx') seen.push(frame[14]);
  });
  for (let i = 0; i < 200; i++) {
    const f = new Uint8Array(60);
    f.set([0x02, 0, 0, 0, 0, 0xbb, 0x02, 0, 0, 0, 0, 0xaa, 0x88, 0xb5], 0); // local experimental ethertype
    f[14] = i & 0xff;
    a.transmit(f, null);
  }
  sched.runFor(1e9);
  assert.equal(seen.length, 200);
  assert.deepEqual(
    seen,
    Array.from({ length: 200 }, (_, i) => i & 0xff),
  );
});

test('device names longer than 15 characters are refused (IFNAMSIZ)', () => {
  const host = new Host('h', new Scheduler());
  assert.throws(() => host.addDummy('qvo6f8a1c2d-3e4f'), /not a valid ifname/);
  assert.equal(host.addDummy('qvo6f8a1c2d-3e4').name.length, 15);
  assert.throws(() => host.addDummy('qvo6f8a1c2d-3e4'), /File exists/);
});

test('ifindex is host-wide; every namespace has lo with index 1 and 127.0.0.1/8', () => {
  const { host, a, b, va, vb } = lan();
  assert.equal(a.lo.ifindex, 1);
  assert.equal(b.lo.ifindex, 1);
  assert.notEqual(va.ifindex, vb.ifindex);
  assert.deepEqual(
    a.lo.addresses.map((x) => [x.address, x.prefixLen, x.scope]),
    [[ip('127.0.0.1'), 8, 'host']],
  );
  assert.equal(host.root.lo.ifindex, 1);
  assert.equal((va as import('./links.js').Veth).linkNetnsId, 0);
  // moving a device takes it down and drops its addresses, as Linux does
  va.moveTo(host.root);
  assert.equal(va.adminUp, false);
  assert.equal(va.addresses.length, 0);
  assert.equal(a.routes.routes.length, 0);
});

test('gratuitous ARP updates an existing neighbour entry but creates none', () => {
  const { sched, host, a, b, va, vb } = lan();
  const events: PingEvent[] = [];
  a.openPing((e) => events.push(e)).send(ip('10.0.0.2'), 1);
  sched.runFor(1e9);
  assert.equal(events.length, 1);
  const entry = a.neigh.get(ip('10.0.0.2'), va)!;
  assert.equal(entry.mac?.join(), vb.mac.join());
  vb.setMac(mac('fa:16:3e:aa:bb:cc'));
  b.sendGratuitousArp(vb, ip('10.0.0.2'));
  b.addAddress(vb, '10.0.0.3/24');
  b.sendGratuitousArp(vb, ip('10.0.0.3'));
  sched.runFor(1e6);
  assert.equal(a.neigh.get(ip('10.0.0.2'), va)!.mac?.join(), mac('fa:16:3e:aa:bb:cc').join());
  assert.equal(a.neigh.get(ip('10.0.0.3'), va), undefined);
  assert.ok(host);
});

test('netfilter hooks: OUTPUT/INPUT seen in order and a DROP verdict stops the ping', () => {
  const { sched, a, b } = lan();
  const seen: string[] = [];
  let drop = false;
  b.netfilter = {
    run(p: NfPacket): NfVerdict {
      seen.push(`${p.hook} ${p.inDev?.name ?? '-'} ${p.outDev?.name ?? '-'} proto=${p.frame[p.l3 + 9]}`);
      return drop && p.hook === 'INPUT' ? 'DROP' : 'ACCEPT';
    },
  };
  const events: PingEvent[] = [];
  const s = a.openPing((e) => events.push(e));
  s.send(ip('10.0.0.2'), 1);
  sched.runFor(1e9);
  assert.equal(events.length, 1);
  assert.deepEqual(seen, [
    'PREROUTING eth0 - proto=1',
    'INPUT eth0 - proto=1',
    'OUTPUT - eth0 proto=1',
    'POSTROUTING - eth0 proto=1',
  ]);
  drop = true;
  s.send(ip('10.0.0.2'), 2);
  sched.runFor(1e9);
  assert.equal(events.length, 1, 'dropped in INPUT: no reply');
});

test('bridged IPv4 frames traverse FORWARD with physdev in/out when bridge-nf-call-iptables=1', () => {
  const sched = new Scheduler({ seed: 4 });
  const host = new Host('h', sched);
  const br = host.addBridge('qbr1', { ageing: 0 });
  br.setUp(true);
  const mkNs = (name: string, addr: string) => {
    const ns = host.addNamespace(name);
    const [inner, outer] = host.addVeth('eth0', `${name}-o`, { netns: ns, peerNetns: host.root });
    ns.addAddress(inner, addr);
    inner.setUp(true);
    outer.setUp(true);
    br.addPort(outer);
    return ns;
  };
  const n1 = mkNs('n1', '10.0.0.1/24');
  mkNs('n2', '10.0.0.2/24');
  const fw: string[] = [];
  let dropIcmp = false;
  host.root.netfilter = {
    run(p) {
      if (p.hook === 'FORWARD') fw.push(`${p.physIn?.name}>${p.physOut?.name} bridged=${p.bridged}`);
      return dropIcmp && p.hook === 'FORWARD' && p.frame[p.l3 + 9] === 1 ? 'DROP' : 'ACCEPT';
    },
  };
  const events: PingEvent[] = [];
  const s = n1.openPing((e) => events.push(e));
  s.send(ip('10.0.0.2'), 1);
  sched.runFor(1e9);
  assert.equal(events.length, 1);
  assert.deepEqual(fw, ['n1-o>n2-o bridged=true', 'n2-o>n1-o bridged=true']);
  dropIcmp = true;
  s.send(ip('10.0.0.2'), 2);
  sched.runFor(1e9);
  assert.equal(events.length, 1);
  host.setSysctl('net.bridge.bridge-nf-call-iptables', '0');
  s.send(ip('10.0.0.2'), 3);
  sched.runFor(1e9);
  assert.equal(events.length, 2, 'with br_netfilter off iptables does not see bridged frames');
});

test('an incomplete fragment times out after 30 s with ICMP reassembly time exceeded', () => {
  const { sched, a, b, va } = lan();
  const events: PingEvent[] = [];
  // prime ARP, then send only the first fragment of a 2000-byte echo by hand
  const s = a.openPing((e) => events.push(e));
  s.send(ip('10.0.0.2'), 1);
  sched.runFor(1e9);
  events.length = 0;
  let lost = 0;
  const orig = va.transmit;
  va.transmit = (frame, trace) => {
    // lose every non-first fragment: only the first reaches b
    if (frame[12] === 8 && frame[13] === 0 && ((frame[20] & 0x1f) | frame[21]) !== 0) {
      lost++;
      return;
    }
    orig.call(va, frame, trace);
  };
  s.send(ip('10.0.0.2'), 2, { size: 2000 });
  sched.runFor(31e9);
  assert.equal(lost, 1);
  assert.equal(b.stats.reasmFails, 1);
  assert.equal(events.length, 1);
  if (events[0].kind === 'error') assert.deepEqual([events[0].type, events[0].code], [11, 1]);
  else assert.fail('expected an ICMP error');
});

test('an enslaved device hands its frames to the master (rx_handler), not to the IP stack', () => {
  const { sched, a, b, vb } = lan();
  const got: string[] = [];
  const master = {
    name: 'ovs-system',
    handleFrame: (port: import('./device.js').NetDevice, f: Uint8Array) =>
      got.push(`${port.name} ${f.length}`),
  };
  vb.setMaster(master);
  const events: PingEvent[] = [];
  a.openPing((e) => events.push(e)).send(ip('10.0.0.2'), 1);
  sched.runFor(2e9);
  assert.deepEqual(got.slice(0, 2), ['eth0 42', 'eth0 42'], 'ARP requests went to the master');
  assert.equal(events.length, 0);
  assert.equal(b.stats.inReceives, 0);
  assert.equal(vb.rxPackets, got.length, 'still counted on the port');
});

test('an external device (OVS internal port) transmits through its owner and receives into the stack', () => {
  const sched = new Scheduler({ seed: 8 });
  const host = new Host('h', sched);
  const ns = host.addNamespace('qdhcp-1');
  // a "switch" that reflects ARP requests as replies from a fixed MAC and echo requests as replies
  const peerMac = mac('fa:16:3e:00:00:99');
  const sent: number[] = [];
  const dev = host.addExternalDevice(
    'tap0c5d7e9f-1a',
    (d, f) => {
      sent.push(f.length);
      if (f[12] === 0x08 && f[13] === 0x06) {
        const r = f.slice();
        r.set(f.subarray(6, 12), 0);
        r.set(peerMac, 6);
        r[21] = 2;
        r.set(peerMac, 22);
        r.set(f.subarray(38, 42), 28);
        r.set(f.subarray(22, 32), 32);
        sched.schedule(1000, () => d.receive(r, null));
      }
    },
    { netns: ns, mtu: 1450 },
  );
  ns.addAddress(dev, '10.0.0.2/24');
  dev.setUp(true);
  assert.equal(dev.kind, 'openvswitch');
  assert.equal(dev.operstate, 'UNKNOWN');
  ns.openPing(() => {}).send(ip('10.0.0.9'), 1);
  sched.runFor(1e9);
  assert.deepEqual(sent, [42, 98], 'ARP request, then the echo request once resolved');
  assert.equal(ns.neigh.state(ns.neigh.get(ip('10.0.0.9'), dev)!), 'REACHABLE');
});

test('a bridge does not forward to a port that is down', () => {
  const sched = new Scheduler({ seed: 9 });
  const host = new Host('h', sched);
  const br = host.addBridge('br0');
  br.setUp(true);
  const ends = ['x', 'y'].map((n, i) => {
    const ns = host.addNamespace(n);
    const [inner, outer] = host.addVeth('eth0', `${n}-o`, { netns: ns, peerNetns: host.root });
    ns.addAddress(inner, `10.0.0.${i + 1}/24`);
    inner.setUp(true);
    outer.setUp(true);
    br.addPort(outer);
    return { ns, inner, outer };
  });
  ends[1].outer.setUp(false);
  const events: PingEvent[] = [];
  ends[0].ns.openPing((e) => events.push(e)).send(ip('10.0.0.2'), 1);
  sched.runFor(5e9);
  assert.equal(events[0]?.kind, 'error');
  assert.equal(ends[1].outer.txPackets, 0);
});

test('a second address in the same subnet is secondary and is promoted when the primary goes', () => {
  const { a, va } = lan();
  a.addAddress(va, '10.0.0.11/24');
  a.addAddress(va, '10.0.0.150/32');
  assert.deepEqual(
    va.addresses.map((x) => [x.prefixLen, x.secondary]),
    [
      [24, false],
      [24, true],
      [32, false],
    ],
  );
  a.removeAddress(va, '10.0.0.1/24');
  assert.equal(va.addresses[0].secondary, false);
  assert.ok(
    a.routes.routes.some((r) => r.prefixLen === 24),
    'the subnet stays routed',
  );
});

test("removing a device's last address takes every route through it; one of two keeps the gateway", () => {
  const { a, va } = lan();
  a.addAddress(va, '192.168.5.1/24');
  a.addRoute({ dst: 'default', via: ip('10.0.0.254'), dev: va });
  a.removeAddress(va, '192.168.5.1/24');
  assert.ok(
    a.routes.routes.some((r) => r.prefixLen === 0),
    'the default route stays while 10.0.0.1 is there',
  );
  a.removeAddress(va, '10.0.0.1/24');
  assert.deepEqual(
    a.routes.routes.filter((r) => r.dev === va),
    [],
  );
});

test('a Linux bridge does not forward IEEE link-local frames (STP/LLDP group addresses)', () => {
  const sched = new Scheduler({ seed: 10 });
  const host = new Host('h', sched);
  const br = host.addBridge('br0');
  br.setUp(true);
  const [a, ao] = host.addVeth('a', 'a-o');
  const [b, bo] = host.addVeth('b', 'b-o');
  for (const d of [a, ao, b, bo]) d.setUp(true);
  br.addPort(ao);
  br.addPort(bo);
  const lldp = new Uint8Array(60);
  lldp.set(mac('01:80:c2:00:00:0e'), 0);
  lldp.set(a.mac, 6);
  lldp[12] = 0x88;
  lldp[13] = 0xcc;
  a.transmit(lldp, null);
  const bcast = lldp.slice();
  bcast.fill(0xff, 0, 6);
  a.transmit(bcast, null);
  sched.runFor(1e6);
  assert.equal(b.rxPackets, 1, 'only the broadcast crossed');
});

test('malformed fragments (overlap, beyond the end) discard the datagram and never throw', () => {
  const { sched, a, b, va } = lan();
  const events: PingEvent[] = [];
  const s = a.openPing((e) => events.push(e));
  s.send(ip('10.0.0.2'), 1);
  sched.runFor(1e9);
  // hand-made fragments of one datagram (id 0x4242): [0,16) with MF, then an overlapping [8,24) last
  const frag = (off: number, len: number, mf: boolean) => {
    const f = new Uint8Array(14 + 20 + len);
    f.set(vb.mac, 0);
    f.set(va.mac, 6);
    f[12] = 8;
    f[14] = 0x45;
    f[16] = 0;
    f[17] = 20 + len;
    f[18] = 0x42;
    f[19] = 0x42;
    f[20] = (mf ? 0x20 : 0) | ((off >> 3) >> 8);
    f[21] = (off >> 3) & 0xff;
    f[22] = 64;
    f[23] = 1;
    f.set([10, 0, 0, 1, 10, 0, 0, 2], 26);
    let sum = 0;
    for (let i = 14; i < 34; i += 2) sum += (f[i] << 8) | f[i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    f[24] = (~sum >> 8) & 0xff;
    f[25] = ~sum & 0xff;
    return f;
  };
  const vb = b.requireDev('eth0');
  va.transmit(frag(0, 16, true), null);
  va.transmit(frag(8, 16, false), null);
  va.transmit(frag(0, 16, true), null);
  va.transmit(frag(64, 8, false), null);
  va.transmit(frag(32, 40, false), null); // beyond the end announced by the previous one
  sched.runFor(1e9);
  assert.equal(b.stats.reasmFails, 2);
  assert.equal(b.stats.reasmOKs, 0);
  assert.equal(b.ip.reasm.inProgress, 0);
});
