import assert from 'node:assert/strict';
import { test } from 'node:test';
import { internetChecksum } from './checksum.js';
import {
  buildIpv4Packet,
  checkIpv4,
  emitIpv4,
  fillIpv4Checksum,
  IP_PROTO_TCP,
  IP_PROTO_UDP,
  ipv4Checksum,
  ipv4DecrementTtl,
  ipv4SetDst,
  ipv4SetL4Port,
  ipv4SetSrc,
  ipv4Ttl,
  parseIpv4,
} from './ipv4.js';
import { ipToString, parseIp } from './ipv4-address.js';
import { buildTcp, checkTcp, TCP_SYN } from './tcp.js';
import { testdataHex } from './tshark.js';
import { buildUdp, checkUdp, udpChecksumField } from './udp.js';

const ping = testdataHex('ping-echo-request.hex');
const ip = (s: string) => parseIp(s)!;

test('captured ping: IPv4 header parses and emits back identically', () => {
  const r = parseIpv4(ping, 14);
  assert.ok(r.ok);
  const { repr, headerLength, payload } = r.value;
  assert.equal(headerLength, 20);
  assert.equal(ipToString(repr.src), '10.0.0.5');
  assert.equal(ipToString(repr.dst), '10.0.0.1');
  assert.equal(repr.ttl, 64);
  assert.equal(repr.protocol, 1);
  assert.equal(repr.id, 0x8b2b);
  assert.equal(repr.dontFragment, true, 'Linux ping sets DF (PMTU discovery)');
  assert.equal(repr.payloadLength, 64);
  assert.equal(payload.length, 64);
  const out = new Uint8Array(20);
  emitIpv4(repr, out, 0);
  assert.deepEqual(out, ping.subarray(14, 34));
});

test('checkIpv4 reports what ip_rcv would drop', () => {
  assert.equal(checkIpv4(ping, 14, ping.length - 14), null);
  const bad = ping.slice();
  bad[14 + 10] ^= 1;
  assert.equal(checkIpv4(bad, 14, bad.length - 14), 'bad-checksum');
  assert.equal(checkIpv4(ping, 14, 40), 'truncated', 'total length beyond the bytes');
  const v6 = ping.slice();
  v6[14] = 0x65;
  assert.equal(checkIpv4(v6, 14, v6.length - 14), 'bad-version');
  const ihl = ping.slice();
  ihl[14] = 0x44;
  assert.equal(checkIpv4(ihl, 14, ihl.length - 14), 'bad-header-length');
  assert.deepEqual(parseIpv4(ping.subarray(0, 30), 14), { ok: false, error: 'truncated' });
});

test('TTL decrement updates the checksum incrementally, same as recomputing', () => {
  const p = ping.slice();
  for (let ttl = 63; ttl >= 1; ttl--) {
    assert.equal(ipv4DecrementTtl(p, 14), ttl);
    assert.equal(internetChecksum(p, 14, 20), 0);
  }
  const recomputed = p.slice();
  fillIpv4Checksum(recomputed, 14);
  assert.equal(ipv4Checksum(p, 14), ipv4Checksum(recomputed, 14));
  assert.equal(ipv4Ttl(p, 14), 1);
});

test('options round-trip and change the header length', () => {
  const options = Uint8Array.of(0x94, 0x04, 0, 0); // router alert
  const pkt = buildIpv4Packet(
    {
      src: ip('10.0.0.5'),
      dst: ip('224.0.0.22'),
      protocol: 2,
      ttl: 1,
      dontFragment: false,
      options,
      tos: 0xc0,
    },
    new Uint8Array(8),
  );
  const r = parseIpv4(pkt, 0);
  assert.ok(r.ok);
  assert.equal(r.value.headerLength, 24);
  assert.deepEqual([...r.value.repr.options], [...options]);
  assert.equal(r.value.repr.tos, 0xc0);
});

function udpPacket(src: string, dst: string): Uint8Array {
  const udp = buildUdp(
    { srcPort: 40000, dstPort: 53, payload: Uint8Array.of(1, 2, 3, 4, 5) },
    ip(src),
    ip(dst),
  );
  return buildIpv4Packet(
    { src: ip(src), dst: ip(dst), protocol: IP_PROTO_UDP, ttl: 64, dontFragment: true },
    udp,
  );
}

test('NAT rewrites keep IP, UDP and TCP checksums valid', () => {
  // SNAT 10.0.0.5 -> 172.24.4.111, then DNAT 172.24.4.150 -> 10.0.0.5 on the reply.
  const p = udpPacket('10.0.0.5', '8.8.8.8');
  ipv4SetSrc(p, 0, ip('172.24.4.111'));
  ipv4SetL4Port(p, 0, 0, 61234);
  assert.equal(checkIpv4(p, 0, p.length), null);
  assert.equal(checkUdp(p, 20, p.length - 20, ip('172.24.4.111'), ip('8.8.8.8')), null);

  const q = udpPacket('8.8.8.8', '172.24.4.150');
  ipv4SetDst(q, 0, ip('10.0.0.5'));
  ipv4SetL4Port(q, 0, 1, 5353);
  assert.equal(checkIpv4(q, 0, q.length), null);
  assert.equal(checkUdp(q, 20, q.length - 20, ip('8.8.8.8'), ip('10.0.0.5')), null);

  const seg = buildTcp(
    {
      srcPort: 51000,
      dstPort: 80,
      seq: 1,
      ack: 0,
      flags: TCP_SYN,
      window: 64240,
      payload: new Uint8Array(0),
    },
    ip('10.0.0.5'),
    ip('169.254.169.254'),
  );
  const t = buildIpv4Packet(
    { src: ip('10.0.0.5'), dst: ip('169.254.169.254'), protocol: IP_PROTO_TCP, ttl: 64, dontFragment: true },
    seg,
  );
  ipv4SetDst(t, 0, ip('10.0.0.1'));
  ipv4SetL4Port(t, 0, 1, 9697);
  assert.equal(checkIpv4(t, 0, t.length), null);
  assert.equal(checkTcp(t, 20, t.length - 20, ip('10.0.0.5'), ip('10.0.0.1')), null);
});

test('NAT keeps a zero UDP checksum zero', () => {
  const udp = buildUdp({ srcPort: 1, dstPort: 4789, payload: new Uint8Array(8) }, 0, 0, false);
  const p = buildIpv4Packet(
    { src: ip('10.0.0.5'), dst: ip('10.0.0.6'), protocol: IP_PROTO_UDP, ttl: 64, dontFragment: false },
    udp,
  );
  ipv4SetSrc(p, 0, ip('1.2.3.4'));
  assert.equal(udpChecksumField(p, 20), 0);
  assert.equal(checkUdp(p, 20, p.length - 20, ip('1.2.3.4'), ip('10.0.0.6')), null);
});
