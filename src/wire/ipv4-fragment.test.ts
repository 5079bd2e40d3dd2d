import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildEthernetFrame, ETHERTYPE_IPV4 } from './ethernet.js';
import { buildIcmp } from './icmp.js';
import {
  buildIpv4Packet,
  checkIpv4,
  IP_PROTO_ICMP,
  ipv4FragOffset,
  ipv4MoreFrags,
  ipv4TotalLen,
} from './ipv4.js';
import { parseIp } from './ipv4-address.js';
import { ipv4Fragment } from './ipv4-fragment.js';
import { hasTshark, tshark, tsharkFields, tsharkProblems } from './tshark.js';

// `ping -s 2000` from a guest: 2008 bytes of ICMP in a 2028-byte datagram, over an MTU-1450 path.
const icmp = buildIcmp({
  kind: 'echo-request',
  id: 77,
  seq: 1,
  data: Uint8Array.from({ length: 2000 }, (_, i) => i & 0xff),
});
const big = buildIpv4Packet(
  {
    src: parseIp('10.0.0.5')!,
    dst: parseIp('10.0.0.7')!,
    protocol: IP_PROTO_ICMP,
    ttl: 64,
    dontFragment: false,
    id: 0x3344,
  },
  icmp,
);

test('a 2028-byte datagram splits into 1444 + 584 for MTU 1450, offsets in 8-byte units', () => {
  const frags = ipv4Fragment(big, 0, 1450);
  assert.equal(frags.length, 2);
  assert.equal(ipv4TotalLen(frags[0], 0), 20 + 1424, '1430 rounded down to a multiple of 8');
  assert.equal(ipv4TotalLen(frags[1], 0), 20 + 2008 - 1424);
  assert.deepEqual(
    frags.map((f) => [ipv4FragOffset(f, 0), ipv4MoreFrags(f, 0)]),
    [
      [0, true],
      [1424, false],
    ],
  );
  for (const f of frags) assert.equal(checkIpv4(f, 0, f.length), null);
  const joined = new Uint8Array(2008);
  for (const f of frags) joined.set(f.subarray(20), ipv4FragOffset(f, 0));
  assert.deepEqual(joined, icmp);
  assert.equal(ipv4Fragment(big, 0, 3000).length, 1);
});

test('tshark reassembles our fragments into the echo request', {
  skip: !hasTshark() && 'tshark not installed',
}, () => {
  const frames = ipv4Fragment(big, 0, 1450).map((f) =>
    buildEthernetFrame({ dst: 'fa:16:3e:5a:41:02', src: 'fa:16:3e:2b:7c:11', ethertype: ETHERTYPE_IPV4 }, f),
  );
  assert.deepEqual(tsharkProblems(tshark(frames, ['-V'])), []);
  const rows = tsharkFields(frames, ['ip.frag_offset', 'icmp.ident', 'icmp.checksum.status']);
  // tshark shows the offset field itself, in 8-byte units.
  assert.deepEqual(rows[1], ['178', '77', '1']);
});
