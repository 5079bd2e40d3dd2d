// What the guest puts on the wire, decoded by Wireshark's dissectors (tshark): udhcpc's
// DISCOVER/REQUEST as busybox builds them, and busybox ping's echo requests.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasTshark, tshark, tsharkProblems } from '../wire/tshark.js';
import { GuestLab } from './lab.js';

test('udhcpc and ping frames decode cleanly in tshark', { skip: !hasTshark() }, () => {
  const l = new GuestLab(5);
  l.network('net1', '10.0.0.0/24', '10.0.0.1');
  l.dhcpServer(l.namespace('qdhcp-1', 'net1', '10.0.0.2/24'), 'net1', { 'fa:16:3e:2b:7c:11': '10.0.0.5' });
  l.namespace('qrouter-1', 'net1', '10.0.0.1/24');
  const g = l.guest('vm1', 'net1', 'fa:16:3e:2b:7c:11', { configDrive: true });
  const frames: Uint8Array[] = [];
  g.opts.tap!.capture((_t, f) => frames.push(f.slice()));
  assert.ok(l.bootAll([g], 60));
  l.exec(g, 'ping -c 1 -s 2000 10.0.0.1');
  const verbose = tshark(frames, ['-V']);
  assert.deepEqual(tsharkProblems(verbose), []);
  const summary = tshark(frames, []);
  assert.match(summary, /0\.0\.0\.0 → 255\.255\.255\.255 DHCP 342 DHCP Discover/);
  assert.match(summary, /0\.0\.0\.0 → 255\.255\.255\.255 DHCP 342 DHCP Request/);
  assert.match(summary, /10\.0\.0\.2 → 10\.0\.0\.5 +DHCP \d+ DHCP ACK/);
  // the ACK reaches udhcpc's packet socket, not a closed UDP port: no port unreachable goes back
  assert.doesNotMatch(summary, /Port unreachable/);
  // 2000 data bytes leave in two fragments at MTU 1450 and come back the same way
  // (each hop's jitter may deliver the two fragments in either order; reassembly copes)
  assert.match(summary, /10\.0\.0\.5 → 10\.0\.0\.1 +IPv4 (1458|618) Fragmented IP protocol/);
  assert.match(summary, /10\.0\.0\.5 → 10\.0\.0\.1 +ICMP (1458|618) Echo \(ping\) request/);
  assert.match(summary, /10\.0\.0\.1 → 10\.0\.0\.5 +ICMP (1458|618) Echo \(ping\) reply/);
  const discover = verbose.slice(0, verbose.indexOf('Frame 2:'));
  // what busybox 1.20 udhcpc sends: client id, vendor class, max size 576, the parameter list with
  // CirrOS's -O mtu -O staticroutes, the host name of -x hostname:
  for (const line of [
    'Bootp flags: 0x0000 (Unicast)',
    'Option: (61) Client identifier',
    'Vendor class identifier: udhcp 1.20.1',
    'Maximum DHCP Message Size: 576',
    'Parameter Request List Item: (26) Interface MTU',
    'Parameter Request List Item: (121) Classless Static Route',
    'Host Name: vm1',
  ]) {
    assert.ok(discover.includes(line), line);
  }
});
