import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildEthernetFrame, ETHERTYPE_IPV4 } from './ethernet.js';
import { buildIpv4Packet, IP_PROTO_TCP } from './ipv4.js';
import { parseIp } from './ipv4-address.js';
import { buildTcp, parseTcp, TCP_ACK, TCP_PSH, TCP_SYN } from './tcp.js';
import { hasTshark, tshark, tsharkFields, tsharkProblems } from './tshark.js';

const src = parseIp('10.0.0.5')!;
const dst = parseIp('169.254.169.254')!;
// A Linux SYN's options: MSS 1410 (MTU 1450 - 40), SACK permitted, timestamps, NOP, window scale 7.
const synOptions = Uint8Array.from([2, 4, 0x05, 0x82, 4, 2, 8, 10, 0, 0, 0x30, 0x39, 0, 0, 0, 0, 1, 3, 3, 7]);

test('TCP segment parse/emit round trip with options and checksum', () => {
  const seg = buildTcp(
    {
      srcPort: 51000,
      dstPort: 80,
      seq: 0xfffffff0,
      ack: 0,
      flags: TCP_SYN,
      window: 64120,
      options: synOptions,
      payload: new Uint8Array(0),
    },
    src,
    dst,
  );
  assert.equal(seg.length, 40);
  const r = parseTcp(seg, 0, seg.length, src, dst);
  assert.ok(r.ok);
  assert.equal(r.value.seq, 0xfffffff0);
  assert.equal(r.value.flags, TCP_SYN);
  assert.deepEqual([...r.value.options!], [...synOptions]);
  assert.deepEqual(buildTcp(r.value, src, dst), seg);
  seg[25] ^= 1;
  assert.deepEqual(parseTcp(seg, 0, seg.length, src, dst), { ok: false, error: 'bad-checksum' });
});

test('tshark agrees on an HTTP request segment', { skip: !hasTshark() && 'tshark not installed' }, () => {
  const payload = new TextEncoder().encode(
    'GET /latest/meta-data/ HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n',
  );
  const seg = buildTcp(
    { srcPort: 51000, dstPort: 80, seq: 1, ack: 1, flags: TCP_PSH | TCP_ACK, window: 502, payload },
    src,
    dst,
  );
  const frame = buildEthernetFrame(
    { dst: 'fa:16:3e:4e:5f:6a', src: 'fa:16:3e:2b:7c:11', ethertype: ETHERTYPE_IPV4 },
    buildIpv4Packet({ src, dst, protocol: IP_PROTO_TCP, ttl: 64, dontFragment: true }, seg),
  );
  assert.deepEqual(tsharkProblems(tshark([frame], ['-V'])), []);
  const [row] = tsharkFields(
    [frame],
    ['tcp.srcport', 'tcp.dstport', 'tcp.flags', 'tcp.checksum.status', 'http.request.uri'],
  );
  assert.deepEqual(row, ['51000', '80', '0x0018', '1', '/latest/meta-data/']);
});
