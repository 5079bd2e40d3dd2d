// Malformed and truncated frames must never throw into the engine: seeded random frames (with
// plausible Ethernet/IPv4/ARP/UDP/ICMP/VXLAN prefixes so the parsers get past their first checks)
// are fed to a namespace stack with netfilter, a bridge and a VXLAN endpoint.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Random } from '../sim/random.js';
import { Scheduler } from '../sim/scheduler.js';
import { fillIpv4Checksum } from '../wire/ipv4.js';
import { ip } from '../wire/ipv4-address.js';
import { Host } from './host.js';
import { iptables } from './netfilter/index.js';

test('10,000 random frames through stack, bridge, netfilter and VXLAN: nothing throws', () => {
  const sched = new Scheduler({ seed: 99 });
  const host = new Host('h', sched);
  const ns = host.addNamespace('r');
  const br = host.addBridge('br0');
  const [inner, outer] = host.addVeth('eth0', 'o', { netns: ns, peerNetns: host.root });
  const [x, xo] = host.addVeth('x', 'xo');
  ns.addAddress(inner, '10.0.0.1/24');
  host.root.addAddress(x, '192.168.136.11/24');
  for (const d of [br, inner, outer, x, xo]) d.setUp(true);
  br.addPort(outer);
  br.addPort(xo);
  ns.setSysctl('net.ipv4.ip_forward', '1');
  ns.addRoute({ dst: 'default', via: ip('10.0.0.254'), dev: inner });
  iptables(ns.iptables(), ['-t', 'nat', '-A', 'POSTROUTING', '-j', 'MASQUERADE']);
  host.addVxlan('vxlan-7', 7, ip('192.168.136.11'), [ip('192.168.136.12')]).setUp(true);
  ns.bindUdp(0, 67, () => {});
  const rng = new Random(5);
  for (let i = 0; i < 10_000; i++) {
    const len = rng.int(120);
    const f = rng.bytes(new Uint8Array(len));
    if (len >= 14) {
      // steer most frames at interesting parsers
      const kind = rng.int(5);
      if (kind < 4) f.set(inner.mac, 0);
      if (kind === 0 || kind === 1 || kind === 3) {
        f[12] = 8;
        f[13] = 0;
        if (len >= 34) {
          f[14] = 0x45;
          f[23] = [1, 17, 6, 1][kind];
          if (rng.int(4) !== 0) {
            f[16] = 0;
            f[17] = len - 14;
          }
          if (rng.int(4) !== 0) {
            f[20] = 0x40; // DF, not a fragment
            f[21] = 0;
          }
          if (kind !== 3) f.set(rng.int(2) === 0 ? [10, 0, 0, 1] : [172, 16, 0, rng.int(256)], 30);
          if (kind === 3 && len >= 42) {
            f.set([192, 168, 136, 11], 30);
            f[36] = 0x12;
            f[37] = 0xb5; // UDP 4789
            f[40] = 0;
            f[41] = 0; // no UDP checksum, as VXLAN senders do
          }
          if (rng.int(4) !== 0) fillIpv4Checksum(f, 14); // most get past the header check
        }
      } else if (kind === 2) {
        f[12] = 8;
        f[13] = 6;
      }
    }
    const target = rng.int(3);
    if (target === 0) inner.receive(f, null);
    else if (target === 1) outer.receive(f, null);
    else x.receive(f, null);
    if (i % 100 === 0) sched.runFor(1e8);
  }
  sched.runFor(60e9);
  assert.ok(ns.stats.inReceives > 1000);
  assert.ok(ns.stats.inDelivers + ns.stats.forwDatagrams > 100, 'frames reached delivery and forwarding');
});
