import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIp } from './ipv4-address.js';
import { testdataHex } from './tshark.js';
import {
  parseVxlan,
  VXLAN_OVERHEAD,
  vxlanDecapsulate,
  vxlanEncapsulate,
  vxlanHeaderOffset,
  vxlanSourcePort,
} from './vxlan.js';

const ping = testdataHex('ping-echo-request.hex');
const outer = {
  srcMac: 'fa:16:3e:aa:00:0a',
  dstMac: 'fa:16:3e:aa:00:0b',
  srcIp: parseIp('192.168.122.10')!,
  dstIp: parseIp('192.168.122.11')!,
  srcPort: 51234,
  vni: 1001,
};

test('encapsulate then decapsulate gives back the inner frame and VNI', () => {
  const frame = vxlanEncapsulate(outer, ping);
  assert.equal(frame.length, ping.length + VXLAN_OVERHEAD);
  assert.equal(VXLAN_OVERHEAD, 50, 'why VXLAN networks have MTU 1450');
  // VXLAN header: flags 0x08, reserved, VNI 0x0003e9, reserved.
  const vx = vxlanHeaderOffset(frame);
  assert.equal(vx, 42);
  assert.deepEqual([...frame.subarray(vx, vx + 8)], [0x08, 0, 0, 0, 0x00, 0x03, 0xe9, 0]);
  assert.equal(frame[14 + 6] & 0x40, 0x40, 'outer DF set (df_default=true)');
  assert.equal(frame[14 + 8], 64, 'outer TTL 64');
  assert.deepEqual([...frame.subarray(40, 42)], [0, 0], 'UDP checksum 0 (OVS csum=false)');
  const d = vxlanDecapsulate(frame);
  assert.ok(d.ok);
  assert.equal(d.value.vni, 1001);
  assert.equal(d.value.srcIp, outer.srcIp);
  assert.equal(d.value.srcPort, 51234);
  assert.deepEqual(d.value.inner, ping);
});

test('not VXLAN, or a VXLAN header without the I flag, is refused', () => {
  assert.equal(vxlanHeaderOffset(ping), -1);
  const frame = vxlanEncapsulate({ ...outer, dstPort: 8472 }, ping);
  assert.equal(vxlanHeaderOffset(frame), -1, 'Linux-bridge legacy port 8472 is not 4789');
  assert.equal(vxlanHeaderOffset(frame, 8472), 42);
  const noI = vxlanEncapsulate(outer, ping);
  noI[42] = 0;
  assert.deepEqual(vxlanDecapsulate(noI), { ok: false, error: 'unsupported' });
  assert.deepEqual(parseVxlan(noI, 42), { ok: false, error: 'unsupported' });
  assert.deepEqual(parseVxlan(noI, 42, 10), { ok: false, error: 'truncated' });
  const withCsum = vxlanEncapsulate({ ...outer, udpChecksum: true }, ping);
  withCsum[60] ^= 1; // corrupt the inner frame: the outer UDP checksum no longer matches
  assert.equal(vxlanHeaderOffset(withCsum), -1);
});

test('source port is a stable hash of the inner flow in the ephemeral range', () => {
  const p = vxlanSourcePort(ping);
  assert.ok(p >= 32768 && p <= 60999);
  assert.equal(vxlanSourcePort(ping), p);
  const other = ping.slice();
  other[14 + 15] = 6; // another source address
  assert.notEqual(vxlanSourcePort(other), p);
});
