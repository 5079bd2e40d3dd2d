import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ETH_HEADER_LEN, ETHERTYPE_IPV4, emitEthernet } from './ethernet.js';
import {
  buildIcmp,
  checkIcmp,
  emitIcmp,
  ICMP_ECHO_REPLY,
  icmpEchoId,
  icmpQuote,
  icmpReprLen,
  icmpSetEchoId,
  parseIcmp,
  UNREACH_FRAG_NEEDED,
} from './icmp.js';
import { buildIpv4Packet, IP_PROTO_ICMP } from './ipv4.js';
import { parseIp } from './ipv4-address.js';
import { hasTshark, testdataHex, tshark, tsharkFields, tsharkProblems } from './tshark.js';

const ping = testdataHex('ping-echo-request.hex');
const ICMP_OFF = 34;

test('captured echo request: id/seq/data parse and emit back identically', () => {
  const r = parseIcmp(ping, ICMP_OFF, ping.length - ICMP_OFF);
  assert.ok(r.ok);
  assert.equal(r.value.kind, 'echo-request');
  if (r.value.kind !== 'echo-request') return;
  assert.equal(r.value.id, 0x0c2f);
  assert.equal(r.value.seq, 1);
  assert.equal(r.value.data.length, 56, 'ping -s 56 default');
  const out = new Uint8Array(icmpReprLen(r.value));
  emitIcmp(r.value, out, 0);
  assert.deepEqual(out, ping.subarray(ICMP_OFF));
});

test('bad ICMP checksum and truncation are reported', () => {
  const bad = ping.slice();
  bad[ICMP_OFF + 20] ^= 0xff;
  assert.equal(checkIcmp(bad, ICMP_OFF, bad.length - ICMP_OFF), 'bad-checksum');
  assert.deepEqual(parseIcmp(ping, ICMP_OFF, 4), { ok: false, error: 'truncated' });
});

test('echo id NAT keeps the checksum valid', () => {
  const p = ping.slice();
  icmpSetEchoId(p, ICMP_OFF, 0xbeef);
  assert.equal(icmpEchoId(p, ICMP_OFF), 0xbeef);
  assert.equal(checkIcmp(p, ICMP_OFF, p.length - ICMP_OFF), null);
});

test('fragmentation-needed quotes the datagram and carries the next-hop MTU', () => {
  const ipPacket = ping.subarray(14);
  assert.equal(icmpQuote(ipPacket, 0, 'rfc792').length, 28, 'IP header + 8 bytes');
  assert.equal(
    icmpQuote(ipPacket, 0).length,
    84,
    'Linux quotes the whole datagram when it fits in 576 bytes',
  );
  const msg = buildIcmp({
    kind: 'dest-unreachable',
    code: UNREACH_FRAG_NEEDED,
    nextHopMtu: 1450,
    quoted: icmpQuote(ipPacket, 0, 'rfc792'),
  });
  const r = parseIcmp(msg, 0, msg.length);
  assert.ok(r.ok && r.value.kind === 'dest-unreachable');
  assert.equal(r.value.nextHopMtu, 1450);
  assert.deepEqual(r.value.quoted, ipPacket.subarray(0, 28));
  const te = buildIcmp({ kind: 'time-exceeded', code: 0, quoted: icmpQuote(ipPacket, 0, 'rfc792') });
  const r2 = parseIcmp(te, 0, te.length);
  assert.ok(r2.ok && r2.value.kind === 'time-exceeded' && r2.value.code === 0);
});

function frameOf(ipPacket: Uint8Array): Uint8Array {
  const f = new Uint8Array(ETH_HEADER_LEN + ipPacket.length);
  emitEthernet({ dst: 'fa:16:3e:2b:7c:11', src: 'fa:16:3e:4e:5f:6a', ethertype: ETHERTYPE_IPV4 }, f, 0);
  f.set(ipPacket, ETH_HEADER_LEN);
  return f;
}

test('tshark decodes our echo reply and ICMP errors without complaint', {
  skip: !hasTshark() && 'tshark not installed',
}, () => {
  const req = parseIcmp(ping, ICMP_OFF, ping.length - ICMP_OFF);
  assert.ok(req.ok && req.value.kind === 'echo-request');
  const reply = buildIcmp({ ...req.value, kind: 'echo-reply' });
  assert.equal(reply[0], ICMP_ECHO_REPLY);
  const src = parseIp('10.0.0.1')!;
  const dst = parseIp('10.0.0.5')!;
  const ipReply = buildIpv4Packet(
    { src, dst, protocol: IP_PROTO_ICMP, ttl: 64, dontFragment: false, id: 0x1234 },
    reply,
  );
  const frag = buildIcmp({
    kind: 'dest-unreachable',
    code: UNREACH_FRAG_NEEDED,
    nextHopMtu: 1450,
    quoted: icmpQuote(ping, 14, 'rfc792'),
  });
  const ipFrag = buildIpv4Packet(
    { src, dst, protocol: IP_PROTO_ICMP, ttl: 64, dontFragment: false, tos: 0xc0 },
    frag,
  );
  const frames = [ping, frameOf(ipReply), frameOf(ipFrag)];
  assert.deepEqual(tsharkProblems(tshark(frames, ['-V'])), []);
  const rows = tsharkFields(frames, [
    'icmp.type',
    'icmp.code',
    'icmp.ident',
    'icmp.seq',
    'icmp.mtu',
    'icmp.checksum.status',
  ]);
  assert.deepEqual(rows[0].slice(0, 4), ['8', '0', '3119', '1']);
  assert.deepEqual(rows[1].slice(0, 4), ['0', '0', '3119', '1']);
  // The error quotes the echo request: tshark decodes the quoted ICMP header too (type 8).
  assert.equal(rows[2][0], '3,8');
  assert.equal(rows[2][1], '4,0');
  assert.equal(rows[2][4], '1450');
  for (const r of rows.slice(0, 2)) assert.equal(r[5], '1', 'checksum good');
  assert.equal(rows[2][5].split(',')[0], '1', 'checksum good');
});
