import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildEthernetFrame, ETHERTYPE_IPV4, ETHERTYPE_VLAN, ethType, parseEthernet } from './ethernet.js';
import { testdataHex } from './tshark.js';
import { isVlanTagged, parseVlan, popVlan, pushVlan, setVlanVid, vlanVid } from './vlan.js';

test('Ethernet header of a captured ping', () => {
  const frame = testdataHex('ping-echo-request.hex');
  const r = parseEthernet(frame);
  assert.ok(r.ok);
  assert.deepEqual(r.value, {
    dst: 'fa:16:3e:4e:5f:6a',
    src: 'fa:16:3e:2b:7c:11',
    ethertype: ETHERTYPE_IPV4,
  });
  const rebuilt = buildEthernetFrame(r.value, frame.subarray(14));
  assert.deepEqual(rebuilt, frame);
  assert.deepEqual(parseEthernet(frame.subarray(0, 13)), { ok: false, error: 'truncated' });
});

test('802.1Q push then pop gives back the frame; TCI fields', () => {
  const frame = testdataHex('ping-echo-request.hex');
  const tagged = pushVlan(frame, { pcp: 5, dei: true, vid: 2 });
  assert.equal(tagged.length, frame.length + 4);
  assert.equal(ethType(tagged), ETHERTYPE_VLAN);
  assert.ok(isVlanTagged(tagged));
  const v = parseVlan(tagged);
  assert.deepEqual(v, { ok: true, value: { pcp: 5, dei: true, vid: 2, innerType: ETHERTYPE_IPV4 } });
  setVlanVid(tagged, 0, 4094);
  assert.equal(vlanVid(tagged), 4094);
  const v2 = parseVlan(tagged);
  assert.ok(v2.ok && v2.value.pcp === 5, 'mod_vlan_vid keeps the priority bits');
  assert.deepEqual(popVlan(tagged), frame);
  assert.equal(popVlan(frame), frame, 'popping an untagged frame is a no-op');
  assert.deepEqual(parseVlan(frame), { ok: false, error: 'unsupported' });
});
