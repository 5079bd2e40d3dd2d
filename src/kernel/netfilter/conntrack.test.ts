// Connection-tracking behaviour the security groups depend on: states, INVALID, zones, notrack,
// TCP flags, MASQUERADE and DNAT with ports, skb marks carried across hooks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ip,
  ipToString,
  ipv4Dst,
  ipv4Src,
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
  tcpDstPort,
} from '../../wire/index.js';
import { conntrackCommand } from './conntrack-tool.js';
import { iptables } from './iptables.js';
import { Netfilter } from './netfilter.js';
import { echo, hook, routed, tcp, udp } from './test-packets.js';

const fresh = () =>
  new Netfilter({ clock: { now: 0 }, addressOf: (d) => (d === 'eth0' ? ip('198.51.100.2') : null) });

/** A FORWARD chain that counts each state in its own rule, then drops INVALID. */
function stateCounter(nf: Netfilter): (state: string) => number {
  for (const s of ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'])
    iptables(nf, ['-A', 'FORWARD', '-m', 'conntrack', '--ctstate', s]);
  iptables(nf, ['-A', 'FORWARD', '-m', 'state', '--state', 'INVALID', '-j', 'DROP']);
  const rules = nf.tables.filter!.chains.get('FORWARD')!.rules;
  const names = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'];
  return (state) => rules[names.indexOf(state)].pkts;
}

test('ping: request NEW, reply and later requests ESTABLISHED; a reply without request INVALID', () => {
  const nf = fresh();
  const count = stateCounter(nf);
  routed(nf, echo('10.0.0.5', '10.0.1.5', 7), 'a', 'b');
  routed(nf, echo('10.0.0.5', '10.0.1.5', 7, 2), 'a', 'b');
  assert.equal(count('NEW'), 2, 'until a reply is seen the flow stays NEW');
  routed(nf, echo('10.0.1.5', '10.0.0.5', 7, 1, true), 'b', 'a');
  routed(nf, echo('10.0.0.5', '10.0.1.5', 7, 3), 'a', 'b');
  assert.equal(count('ESTABLISHED'), 2);
  const stray = routed(nf, echo('10.0.1.5', '10.0.0.5', 99, 1, true), 'b', 'a');
  assert.equal(stray.v, 'DROP');
  assert.equal(count('INVALID'), 1);
});

test('TCP: SYN opens, SYN/ACK and ACK establish, a lone FIN or RST is INVALID, a mid-stream ACK is picked up', () => {
  const nf = fresh();
  const count = stateCounter(nf);
  routed(nf, tcp('10.0.0.5', 40000, '10.0.1.5', 22, TCP_SYN), 'a', 'b');
  routed(nf, tcp('10.0.1.5', 22, '10.0.0.5', 40000, TCP_SYN | TCP_ACK), 'b', 'a');
  routed(nf, tcp('10.0.0.5', 40000, '10.0.1.5', 22, TCP_ACK), 'a', 'b');
  assert.deepEqual([count('NEW'), count('ESTABLISHED')], [1, 2]);
  assert.match(
    nf.conntrack.list()[0],
    /^tcp {6}6 432000 ESTABLISHED src=10\.0\.0\.5 dst=10\.0\.1\.5 sport=40000 dport=22 src=10\.0\.1\.5 dst=10\.0\.0\.5 sport=22 dport=40000 \[ASSURED\] mark=0 use=1$/,
  );
  assert.equal(routed(nf, tcp('10.0.0.9', 1, '10.0.1.5', 22, TCP_FIN | TCP_ACK), 'a', 'b').v, 'DROP');
  assert.equal(routed(nf, tcp('10.0.0.9', 2, '10.0.1.5', 22, TCP_RST), 'a', 'b').v, 'DROP');
  assert.equal(count('INVALID'), 2);
  assert.equal(routed(nf, tcp('10.0.0.9', 3, '10.0.1.5', 22, TCP_ACK), 'a', 'b').v, 'ACCEPT');
  assert.equal(count('NEW'), 2, 'nf_conntrack_tcp_loose: a mid-stream ACK opens a NEW entry');
  routed(nf, tcp('10.0.0.5', 40000, '10.0.1.5', 22, TCP_RST), 'a', 'b');
  assert.match(nf.conntrack.list()[0], /^tcp {6}6 10 CLOSE /);
});

test('CT --notrack makes packets UNTRACKED; CT --zone keeps equal tuples apart', () => {
  const nf = fresh();
  const count = stateCounter(nf);
  iptables(nf, ['-t', 'raw', '-A', 'PREROUTING', '-i', 'notrack0', '-j', 'CT', '--notrack']);
  iptables(nf, ['-t', 'raw', '-A', 'PREROUTING', '-i', 'z1', '-j', 'CT', '--zone', '1']);
  iptables(nf, ['-t', 'raw', '-A', 'PREROUTING', '-i', 'z2', '-j', 'CT', '--zone', '2']);
  routed(nf, udp('10.0.0.5', 1, '10.0.1.5', 2), 'notrack0', 'b');
  assert.equal(count('UNTRACKED'), 1);
  assert.equal(nf.conntrack.size, 0);
  routed(nf, udp('10.0.0.5', 1, '10.0.1.5', 2), 'z1', 'b');
  routed(nf, udp('10.0.0.5', 1, '10.0.1.5', 2), 'z2', 'b');
  assert.equal(count('NEW'), 2, 'the same tuple in another zone is another connection');
  assert.deepEqual([...nf.conntrack.all()].map((e) => e.zone).sort(), [1, 2]);
});

test('MASQUERADE takes the out-interface address; DNAT can change the port; replies come back', () => {
  const nf = fresh();
  iptables(nf, ['-t', 'nat', '-A', 'POSTROUTING', '-o', 'eth0', '-j', 'MASQUERADE']);
  iptables(nf, [
    '-t',
    'nat',
    '-A',
    'PREROUTING',
    '-i',
    'eth0',
    '-p',
    'tcp',
    '--dport',
    '2222',
    '-j',
    'DNAT',
    '--to-destination',
    '10.0.0.5:22',
  ]);
  const out = routed(nf, udp('10.0.0.5', 5353, '8.8.8.8', 53), 'br0', 'eth0');
  assert.equal(ipToString(ipv4Src(out.out, 14)), '198.51.100.2');
  const inbound = routed(nf, tcp('203.0.113.9', 50000, '198.51.100.2', 2222, TCP_SYN), 'eth0', 'br0');
  assert.equal(ipToString(ipv4Dst(inbound.out, 14)), '10.0.0.5');
  assert.equal(tcpDstPort(inbound.out, 34), 22);
  const reply = routed(nf, tcp('10.0.0.5', 22, '203.0.113.9', 50000, TCP_SYN | TCP_ACK), 'br0', 'eth0');
  assert.equal(ipToString(ipv4Src(reply.out, 14)), '198.51.100.2');
  assert.equal((reply.out[34] << 8) | reply.out[35], 2222);
  // MASQUERADE on a device without an address drops (nothing to masquerade to).
  iptables(nf, ['-t', 'nat', '-A', 'POSTROUTING', '-o', 'eth1', '-j', 'MASQUERADE']);
  assert.equal(routed(nf, udp('10.0.0.6', 1, '8.8.4.4', 53), 'br0', 'eth1').v, 'DROP');
});

test('a mark set in mangle PREROUTING is seen in FORWARD and POSTROUTING, also when the caller carries it', () => {
  const nf = fresh();
  iptables(nf, ['-t', 'mangle', '-A', 'PREROUTING', '-i', 'in0', '-j', 'MARK', '--set-mark', '0x4/0xff']);
  iptables(nf, ['-A', 'FORWARD', '-m', 'mark', '--mark', '0x4/0xff', '-j', 'DROP']);
  assert.equal(
    routed(nf, udp('10.0.0.5', 1, '10.0.1.5', 2), 'in0', 'out0').v,
    'DROP',
    'mark carried by conntrack across the copy',
  );
  assert.equal(routed(nf, udp('10.0.0.5', 1, '10.0.1.5', 2), 'in1', 'out0').v, 'ACCEPT');
  const pkt = {
    hook: 'PREROUTING' as const,
    frame: udp('10.0.0.6', 1, '10.0.1.5', 2),
    l3: 14,
    inDev: { name: 'in0' },
    outDev: null,
    mark: 0,
  };
  assert.equal(nf.run(pkt), 'ACCEPT');
  assert.equal(pkt.mark, 4, 'written back for a caller that carries skb->mark');
});

test('goto: falling off the goto target applies the builtin policy; RETURN goes back past the goto', () => {
  const nf = fresh();
  iptables(nf, ['-N', 'g']);
  iptables(nf, ['-N', 'j']);
  iptables(nf, ['-P', 'FORWARD', 'DROP']);
  iptables(nf, ['-A', 'FORWARD', '-j', 'j']);
  iptables(nf, ['-A', 'FORWARD', '-j', 'ACCEPT']);
  iptables(nf, ['-A', 'j', '-g', 'g']);
  iptables(nf, ['-A', 'g', '-p', 'udp', '-j', 'RETURN']);
  // tcp falls off g (reached by goto from j): back to FORWARD after the jump to j -> ACCEPT.
  assert.equal(hook(nf, 'FORWARD', tcp('10.0.0.5', 1, '10.0.1.5', 2, TCP_SYN), 'a', 'b'), 'ACCEPT');
  assert.equal(hook(nf, 'FORWARD', udp('10.0.0.5', 1, '10.0.1.5', 2), 'a', 'b'), 'ACCEPT');
  const top = new Netfilter({ clock: { now: 0 } });
  iptables(top, ['-N', 'g']);
  iptables(top, ['-P', 'INPUT', 'DROP']);
  iptables(top, ['-A', 'INPUT', '-g', 'g']);
  iptables(top, ['-A', 'INPUT', '-j', 'ACCEPT']);
  assert.equal(
    hook(top, 'INPUT', udp('10.0.0.5', 1, '10.0.0.1', 2), 'a', null),
    'DROP',
    'goto from the builtin: policy',
  );
  assert.equal(top.explain(), 'filter INPUT policy DROP');
});

test('physdev on a packet that was not bridged matches only negated options', () => {
  const nf = fresh();
  iptables(nf, ['-A', 'INPUT', '-m', 'physdev', '--physdev-in', 'tap1', '-j', 'DROP']);
  iptables(nf, ['-A', 'INPUT', '-m', 'physdev', '!', '--physdev-is-bridged', '-j', 'ACCEPT']);
  assert.equal(hook(nf, 'INPUT', udp('10.0.0.5', 1, '10.0.0.1', 2), 'eth0', null), 'ACCEPT');
  const r = nf.tables.filter!.chains.get('INPUT')!.rules;
  assert.deepEqual([r[0].pkts, r[1].pkts], [0, 1]);
});

test('expired connections are swept even when never looked up again', () => {
  const clock = { now: 0 };
  const nf = new Netfilter({ clock });
  for (let i = 0; i < 3000; i++) hook(nf, 'OUTPUT', udp('10.0.0.5', 1024 + i, '10.0.1.5', 53), null, 'eth0');
  assert.equal(nf.conntrack.size, 3000);
  clock.now = 31e9; // past the 30 s UDP timeout
  for (let i = 0; i < 1200; i++) hook(nf, 'OUTPUT', udp('10.0.0.6', 1024 + i, '10.0.1.5', 53), null, 'eth0');
  assert.ok(nf.conntrack.size <= 1200, `old entries swept (${nf.conntrack.size} left)`);
});

test("conntrack -L/-D/-F/-C as Neutron calls it (delete a port's entries by address and zone)", () => {
  const nf = fresh();
  iptables(nf, ['-t', 'raw', '-A', 'PREROUTING', '-i', 'z1', '-j', 'CT', '--zone', '4097']);
  routed(nf, udp('10.0.0.5', 1000, '10.0.1.5', 53), 'z1', 'b');
  routed(nf, udp('10.0.0.6', 1000, '10.0.1.5', 53), 'z1', 'b');
  routed(nf, echo('10.0.0.5', '10.0.1.5'), 'other', 'b');
  const all = conntrackCommand(nf, ['-L']);
  assert.equal(all.stdout.split('\n').length - 1, 3);
  assert.equal(all.stderr, 'conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown.\n');
  assert.equal(conntrackCommand(nf, ['-C']).stdout, '3\n');
  const del = conntrackCommand(nf, ['-D', '-f', 'ipv4', '-s', '10.0.0.5', '-w', '4097']);
  assert.equal(del.status, 0);
  assert.match(
    del.stdout,
    /^udp {6}17 30 src=10\.0\.0\.5 dst=10\.0\.1\.5 sport=1000 dport=53 \[UNREPLIED\] .* zone=4097 use=1\n$/,
  );
  assert.equal(del.stderr, 'conntrack v1.4.7 (conntrack-tools): 1 flow entries have been deleted.\n');
  assert.equal(conntrackCommand(nf, ['-D', '-s', '10.0.0.5', '-w', '4097']).status, 1);
  assert.equal(conntrackCommand(nf, ['-L', '-p', 'icmp']).stdout.split('\n').length - 1, 1);
  assert.equal(
    conntrackCommand(nf, ['-F']).stderr,
    'conntrack v1.4.7 (conntrack-tools): connection tracking table has been emptied.\n',
  );
  assert.equal(conntrackCommand(nf, ['-C']).stdout, '0\n');
  assert.equal(conntrackCommand(nf, ['-L', '-s', 'bogus']).status, 2);
});
