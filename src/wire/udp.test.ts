import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipv4Dst, ipv4Src } from './ipv4.js';
import { testdataHex } from './tshark.js';
import { buildUdp, checkUdp, emitUdp, parseUdp, udpChecksumField } from './udp.js';

const ack = testdataHex('dnsmasq-ack.hex');
const IP = 14;
const UDP = 34;

test('captured DHCP reply: UDP checksum verifies over the pseudo-header; emit is identical', () => {
  const src = ipv4Src(ack, IP);
  const dst = ipv4Dst(ack, IP);
  const r = parseUdp(ack, UDP, ack.length - UDP, src, dst);
  assert.ok(r.ok);
  assert.equal(r.value.srcPort, 67);
  assert.equal(r.value.dstPort, 68);
  const out = new Uint8Array(ack.length - UDP);
  emitUdp(r.value, out, 0, src, dst);
  assert.deepEqual(out, ack.subarray(UDP));
});

test('a wrong UDP checksum is refused; the wrong pseudo-header too; 0 means none', () => {
  const src = ipv4Src(ack, IP);
  const dst = ipv4Dst(ack, IP);
  const bad = ack.slice();
  bad[UDP + 100] ^= 1;
  assert.deepEqual(parseUdp(bad, UDP, bad.length - UDP, src, dst), { ok: false, error: 'bad-checksum' });
  assert.equal(checkUdp(ack, UDP, ack.length - UDP, src, dst + 1), 'bad-checksum');
  const none = buildUdp({ srcPort: 1, dstPort: 2, payload: Uint8Array.of(9) }, src, dst, false);
  assert.equal(udpChecksumField(none, 0), 0);
  assert.equal(checkUdp(none, 0, none.length, 1, 2), null, 'checksum 0 is not verified');
  assert.equal(checkUdp(ack, UDP, 20, src, dst), 'truncated', 'UDP length beyond the IP payload');
});
