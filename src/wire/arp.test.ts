import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ARP_REPLY, ARP_REQUEST, buildArpFrame, parseArp } from './arp.js';
import { ipToString, parseIp } from './ipv4-address.js';
import { hasTshark, testdataHex, tsharkFields } from './tshark.js';

const request = testdataHex('arp-request.hex');

test('captured ARP request: parse -> build gives identical bytes', () => {
  const r = parseArp(request, 14);
  assert.ok(r.ok);
  assert.equal(r.value.op, ARP_REQUEST);
  assert.equal(r.value.senderMac, 'fa:16:3e:2b:7c:11');
  assert.equal(ipToString(r.value.senderIp), '10.0.0.5');
  assert.equal(r.value.targetMac, '00:00:00:00:00:00');
  assert.equal(ipToString(r.value.targetIp), '10.0.0.1');
  assert.deepEqual(buildArpFrame(r.value), request);
});

test('ARP parse errors are typed', () => {
  assert.deepEqual(parseArp(request.subarray(0, 30), 14), { ok: false, error: 'truncated' });
  const weird = request.slice();
  weird[14 + 1] = 6; // htype 6 (IEEE 802)
  assert.deepEqual(parseArp(weird, 14), { ok: false, error: 'unsupported' });
});

test('tshark agrees on an ARP reply we build', { skip: !hasTshark() && 'tshark not installed' }, () => {
  const reply = buildArpFrame({
    op: ARP_REPLY,
    senderMac: 'fa:16:3e:4e:5f:6a',
    senderIp: parseIp('10.0.0.1')!,
    targetMac: 'fa:16:3e:2b:7c:11',
    targetIp: parseIp('10.0.0.5')!,
  });
  const rows = tsharkFields(
    [request, reply],
    ['eth.dst', 'arp.opcode', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4', 'arp.src.hw_mac'],
  );
  assert.deepEqual(rows, [
    ['ff:ff:ff:ff:ff:ff', '1', '10.0.0.5', '10.0.0.1', 'fa:16:3e:2b:7c:11'],
    ['fa:16:3e:2b:7c:11', '2', '10.0.0.1', '10.0.0.5', 'fa:16:3e:4e:5f:6a'],
  ]);
});
