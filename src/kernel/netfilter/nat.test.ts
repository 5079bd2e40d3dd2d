// A qrouter namespace with Neutron's nat/mangle/filter rules (host-tools.md §7): SNAT to the
// gateway IP, floating-IP DNAT/SNAT, hairpin, metadata REDIRECT, and replies and ICMP errors
// translated back through conntrack.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  buildIcmp,
  buildIpv4Packet,
  checkIcmp,
  checkIpv4,
  checkTcp,
  checkUdp,
  IP_PROTO_ICMP,
  icmpEchoId,
  icmpQuote,
  internetChecksum,
  ip,
  ipToString,
  ipv4Dst,
  ipv4Src,
  TCP_SYN,
  UNREACH_PORT,
  udpDstPort,
  udpSrcPort,
} from '../../wire/index.js';
import { iptables } from './iptables.js';
import { Netfilter } from './netfilter.js';
import { iptablesRestore } from './restore.js';
import { echo, frame, hook, routed, sToRestore, tcp, udp } from './test-packets.js';

const golden = (name: string) =>
  readFileSync(new URL(`../../../../src/kernel/netfilter/testdata/${name}`, import.meta.url), 'utf8');

const QR = 'qr-4e5f6a7b-8c';
const QG = 'qg-9a8b7c6d-5e';
const ADDRS: Record<string, string> = { [QR]: '10.0.0.1', [QG]: '172.24.4.111' };

function router(clock = { now: 0 }): Netfilter {
  const nf = new Netfilter({ clock, addressOf: (d) => (ADDRS[d] ? ip(ADDRS[d]) : null) });
  for (const [file, table] of [
    ['qrouter-nat.S.golden', 'nat'],
    ['qrouter-mangle.S.golden', 'mangle'],
    ['qrouter-filter.S.golden', 'filter'],
  ]) {
    const r = iptablesRestore(nf, sToRestore(table, golden(file)));
    assert.equal(r.status, 0, r.stderr);
  }
  return nf;
}

const src = (f: Uint8Array) => ipToString(ipv4Src(f, 14));
const dst = (f: Uint8Array) => ipToString(ipv4Dst(f, 14));
const valid = (f: Uint8Array) => {
  assert.equal(checkIpv4(f, 14, f.length - 14), null, 'IP header checksum');
  const l4len = f.length - 34;
  if (f[23] === 1) assert.equal(checkIcmp(f, 34, l4len), null, 'ICMP checksum');
  if (f[23] === 17)
    assert.equal(checkUdp(f, 34, l4len, ipv4Src(f, 14), ipv4Dst(f, 14)), null, 'UDP checksum');
  if (f[23] === 6) assert.equal(checkTcp(f, 34, l4len, ipv4Src(f, 14), ipv4Dst(f, 14)), null, 'TCP checksum');
};

test('SNAT to the gateway IP (--random-fully) and the reply translated back', () => {
  const nf = router();
  const out = routed(nf, echo('10.0.0.7', '8.8.8.8', 0x1234), QR, QG);
  assert.equal(out.v, 'ACCEPT');
  assert.equal(src(out.out), '172.24.4.111');
  assert.equal(dst(out.out), '8.8.8.8');
  valid(out.out);
  const natId = icmpEchoId(out.out, 34);
  assert.notEqual(natId, 0x1234, '--random-fully picks a new echo id');
  const snat = nf.tables.nat!.chains.get('neutron-l3-agent-snat')!.rules[1];
  assert.equal(snat.pkts, 1);

  const back = routed(nf, echo('8.8.8.8', '172.24.4.111', natId, 1, true), QG, QR);
  assert.equal(back.v, 'ACCEPT');
  assert.equal(dst(back.out), '10.0.0.7');
  assert.equal(icmpEchoId(back.out, 34), 0x1234);
  valid(back.out);
  assert.equal(snat.pkts, 1, 'the nat table sees only the first packet');

  // The second request of the same ping reuses the binding without consulting the nat table.
  const again = routed(nf, echo('10.0.0.7', '8.8.8.8', 0x1234, 2), QR, QG);
  assert.equal(icmpEchoId(again.out, 34), natId);
  assert.equal(snat.pkts, 1);
  const [entry] = nf.conntrack.all();
  assert.match(
    nf.conntrack.list()[0],
    /^icmp {5}1 30 src=10\.0\.0\.7 dst=8\.8\.8\.8 type=8 code=0 id=4660 src=8\.8\.8\.8 dst=172\.24\.4\.111 type=0 code=0 id=\d+ mark=0 use=1$/,
  );
  assert.equal(entry.packets0, 2);
});

test('floating IP: DNAT in, un-DNAT on the reply; SNAT to the FIP for the fixed IP going out', () => {
  const nf = router();
  const inbound = routed(nf, udp('203.0.113.5', 40000, '172.24.4.150', 8080), QG, QR);
  assert.equal(inbound.v, 'ACCEPT');
  assert.equal(dst(inbound.out), '10.0.0.5');
  assert.equal(
    src(inbound.out),
    '203.0.113.5',
    'mark 0x2 from mangle: no hairpin SNAT for traffic from outside',
  );
  assert.equal(udpDstPort(inbound.out, 34), 8080);
  valid(inbound.out);
  const dnat = nf.tables.nat!.chains.get('neutron-l3-agent-PREROUTING')!.rules[1];
  assert.equal(dnat.pkts, 1);
  assert.equal(nf.tables.mangle!.chains.get('neutron-l3-agent-mark')!.rules[0].pkts, 1);

  const reply = routed(nf, udp('10.0.0.5', 8080, '203.0.113.5', 40000), QR, QG);
  assert.equal(src(reply.out), '172.24.4.150');
  assert.equal(udpSrcPort(reply.out, 34), 8080);
  valid(reply.out);

  const outbound = routed(nf, tcp('10.0.0.5', 51000, '198.51.100.7', 443, TCP_SYN), QR, QG);
  assert.equal(src(outbound.out), '172.24.4.150');
  valid(outbound.out);
  assert.equal(nf.tables.nat!.chains.get('neutron-l3-agent-float-snat')!.rules[0].pkts, 1);
});

test('hairpin: a VM reaching another VM by its floating IP is SNATed to the gateway IP', () => {
  const nf = router();
  const r = routed(nf, echo('10.0.0.7', '172.24.4.150'), QR, QR);
  assert.equal(dst(r.out), '10.0.0.5');
  assert.equal(src(r.out), '172.24.4.111');
  valid(r.out);
  assert.equal(nf.tables.nat!.chains.get('neutron-l3-agent-snat')!.rules[2].pkts, 1);
  // Traffic between the router's own subnets is accepted un-NATed (! -o qg ... ! --ctstate DNAT).
  const east = routed(nf, echo('10.0.0.7', '10.0.1.9'), QR, 'qr-11112222-33');
  assert.equal(src(east.out), '10.0.0.7');
  assert.equal(nf.tables.nat!.chains.get('neutron-l3-agent-POSTROUTING')!.rules[0].pkts, 1);
});

test('metadata: REDIRECT to the proxy port on the qr- address, marked 0x1 and accepted on INPUT', () => {
  const nf = router();
  const syn = tcp('10.0.0.5', 51000, '169.254.169.254', 80, TCP_SYN);
  assert.equal(hook(nf, 'PREROUTING', syn, QR, null), 'ACCEPT');
  assert.equal(dst(syn), '10.0.0.1');
  assert.equal((syn[34 + 2] << 8) | syn[34 + 3], 9697);
  valid(syn);
  assert.equal(hook(nf, 'INPUT', syn, QR, null), 'ACCEPT');
  assert.equal(
    nf.tables.filter!.chains.get('neutron-l3-agent-INPUT')!.rules[0].pkts,
    1,
    'mark 0x1/0xffff ACCEPT',
  );
  // Straight to the proxy port without the redirect: dropped.
  const direct = tcp('10.0.0.5', 51001, '10.0.0.1', 9697, TCP_SYN);
  assert.equal(hook(nf, 'PREROUTING', direct, QR, null), 'ACCEPT');
  assert.equal(hook(nf, 'INPUT', direct, QR, null), 'DROP');
});

test('an ICMP error about a SNATed flow is RELATED and translated inside and out', () => {
  const nf = router();
  const out = routed(nf, udp('10.0.0.7', 40000, '8.8.8.8', 53), QR, QG);
  const natPort = udpSrcPort(out.out, 34);
  // 8.8.8.8's answer: port unreachable, quoting the datagram as it arrived there.
  const err = buildIcmp({
    kind: 'dest-unreachable',
    code: UNREACH_PORT,
    nextHopMtu: 0,
    quoted: icmpQuote(out.out, 14, 'rfc792'),
  });
  const f = frame(
    buildIpv4Packet(
      { src: ip('8.8.8.8'), dst: ip('172.24.4.111'), protocol: IP_PROTO_ICMP, ttl: 60, dontFragment: false },
      err,
    ),
  );
  iptables(nf, ['-I', 'FORWARD', '-m', 'state', '--state', 'RELATED', '-j', 'ACCEPT']);
  const back = routed(nf, f, QG, QR);
  assert.equal(back.v, 'ACCEPT');
  assert.equal(dst(back.out), '10.0.0.7');
  valid(back.out);
  const inner = 14 + 20 + 8;
  assert.equal(ipToString(ipv4Src(back.out, inner)), '10.0.0.7', 'quoted source un-SNATed');
  assert.equal(udpSrcPort(back.out, inner + 20), 40000);
  assert.equal(internetChecksum(back.out, inner, 20), 0, 'quoted header checksum');
  assert.notEqual(natPort, 0);
  assert.equal(nf.tables.filter!.chains.get('FORWARD')!.rules[0].pkts, 1, 'matched --state RELATED');
});

test('conntrack entries expire on virtual time; a NEW flow after expiry is NATed afresh', () => {
  const clock = { now: 0 };
  const nf = router(clock);
  routed(nf, udp('10.0.0.7', 40000, '8.8.8.8', 53), QR, QG);
  assert.equal(nf.conntrack.list().length, 1);
  assert.match(
    nf.conntrack.list()[0],
    /^udp {6}17 30 src=10\.0\.0\.7 dst=8\.8\.8\.8 sport=40000 dport=53 \[UNREPLIED\] src=8\.8\.8\.8 dst=172\.24\.4\.111 sport=53 dport=\d+ mark=0 use=1$/,
  );
  clock.now = 31e9;
  assert.equal(nf.conntrack.list().length, 0);
  assert.equal(nf.conntrack.gc(), 1);
  routed(nf, udp('10.0.0.7', 40000, '8.8.8.8', 53), QR, QG);
  assert.equal(nf.tables.nat!.chains.get('neutron-l3-agent-snat')!.rules[1].pkts, 2);
});
