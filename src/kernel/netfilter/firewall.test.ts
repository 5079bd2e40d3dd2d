// The filter table at work: a DROP rule stops a ping; the hybrid security-group chains of a
// compute host (host-tools.md §8) drop spoofed traffic and unmatched traffic and let allowed and
// established traffic through, with conntrack zones from the raw table.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ip, ipv4Src } from '../../wire/index.js';
import { iptables } from './iptables.js';
import { Netfilter } from './netfilter.js';
import { iptablesRestore } from './restore.js';
import { bridged, echo, hook, sToRestore, udp } from './test-packets.js';

const golden = (name: string) =>
  readFileSync(new URL(`../../../../src/kernel/netfilter/testdata/${name}`, import.meta.url), 'utf8');

test('an iptables DROP rule stops a ping, and its counters move', () => {
  const nf = new Netfilter({ clock: { now: 0 } });
  assert.equal(hook(nf, 'FORWARD', echo('10.0.0.5', '10.1.0.5'), 'qr-a', 'qr-b'), 'ACCEPT');
  assert.equal(iptables(nf, ['-I', 'FORWARD', '-s', '10.0.0.5/32', '-p', 'icmp', '-j', 'DROP']).status, 0);
  assert.equal(hook(nf, 'FORWARD', echo('10.0.0.5', '10.1.0.5'), 'qr-a', 'qr-b'), 'DROP');
  assert.equal(hook(nf, 'FORWARD', udp('10.0.0.5', 5000, '10.1.0.5', 53), 'qr-a', 'qr-b'), 'ACCEPT');
  const rule = nf.tables.filter!.chains.get('FORWARD')!.rules[0];
  assert.deepEqual([rule.pkts, rule.bytes], [1, 84]);
  assert.equal(nf.explain(), 'filter FORWARD policy ACCEPT');
  hook(nf, 'FORWARD', echo('10.0.0.5', '10.1.0.5'), 'qr-a', 'qr-b');
  assert.equal(nf.explain(), 'filter FORWARD rule 1');
  assert.match(
    iptables(nf, ['-L', 'FORWARD', '-n', '-v']).stdout,
    /\n {4}2 {3}168 DROP {7}1 {4}-- {2}\* {6}\* {7}10\.0\.0\.5 {13}0\.0\.0\.0\/0 {11}\n/,
  );
});

const TAP = 'tap6f8a1c2d-3e';
const QVB = 'qvb6f8a1c2d-3e';
const BR = 'qbr6f8a1c2d-3e';

function computeHost(): Netfilter {
  const nf = new Netfilter({ clock: { now: 0 } });
  assert.equal(iptablesRestore(nf, sToRestore('filter', golden('compute-filter.S.golden'))).status, 0);
  assert.equal(iptablesRestore(nf, sToRestore('raw', golden('compute-raw.S.golden'))).status, 0);
  return nf;
}

const ruleOf = (nf: Netfilter, chain: string, n: number) =>
  nf.tables.filter!.chains.get(`neutron-openvswi-${chain}`)!.rules[n - 1];

test('anti-spoofing: a wrong source IP or MAC from the VM is dropped by the s-chain', () => {
  const nf = computeHost();
  const drop = ruleOf(nf, 's6f8a1c2d-3', 2);
  assert.equal(bridged(nf, echo('10.0.0.99', '10.0.0.7'), BR, TAP, QVB), 'DROP');
  assert.equal(drop.pkts, 1, 'spoofed IP');
  assert.equal(
    bridged(nf, echo('10.0.0.5', '10.0.0.7', 1, 1, false, 'fa:16:3e:00:00:01'), BR, TAP, QVB),
    'DROP',
  );
  assert.equal(drop.pkts, 2, 'spoofed MAC');
  assert.equal(
    bridged(nf, echo('10.0.0.5', '10.0.0.7'), BR, TAP, QVB),
    'ACCEPT',
    'the port IP/MAC pair passes',
  );
  assert.equal(drop.pkts, 2);
  assert.equal(ruleOf(nf, 's6f8a1c2d-3', 1).pkts, 1);
  assert.equal(
    nf.tables.filter!.chains.get('neutron-openvswi-sg-chain')!.rules[2].pkts,
    1,
    'egress ends in sg-chain -j ACCEPT',
  );
});

test('ingress: allowed ICMP passes, unmatched traffic hits sg-fallback DROP, replies are ESTABLISHED', () => {
  const nf = computeHost();
  // ICMP to the VM from an address outside its groups: the `-p icmp -j RETURN` rule lets it in.
  assert.equal(
    bridged(nf, echo('10.0.0.7', '10.0.0.5', 9, 1, false, 'fa:16:3e:aa:bb:cc'), BR, QVB, TAP),
    'ACCEPT',
  );
  assert.equal(ruleOf(nf, 'i6f8a1c2d-3', 6).pkts, 1);
  // UDP to the VM matches no rule: the fallback chain drops it.
  const fallback = nf.tables.filter!.chains.get('neutron-openvswi-sg-fallback')!.rules[0];
  assert.equal(
    bridged(nf, udp('10.0.0.7', 5000, '10.0.0.5', 6000, 'fa:16:3e:aa:bb:cc'), BR, QVB, TAP),
    'DROP',
  );
  assert.equal(fallback.pkts, 1);
  assert.equal(nf.explain(), 'filter neutron-openvswi-sg-fallback rule 1');
  // tcp/22 is allowed by the extra group (`-p tcp -m tcp --dport 22 -j RETURN`) — but a UDP reply to
  // the VM's own request is let in by conntrack: the VM asks first, in its zone 4097 (raw table).
  assert.equal(bridged(nf, udp('10.0.0.5', 6000, '10.0.0.7', 5000), BR, TAP, QVB), 'ACCEPT');
  assert.equal(
    bridged(nf, udp('10.0.0.7', 5000, '10.0.0.5', 6000, 'fa:16:3e:aa:bb:cc'), BR, QVB, TAP),
    'ACCEPT',
  );
  assert.equal(ruleOf(nf, 'i6f8a1c2d-3', 1).pkts, 1, 'RELATED,ESTABLISHED RETURN');
  assert.equal(fallback.pkts, 1);
  const entries = [...nf.conntrack.all()];
  assert.equal(entries.length, 2, 'the ICMP and the UDP flows (the dropped one left nothing)');
  assert.ok(entries.every((e) => e.zone === 4097));
  // The raw table set the zone: CT --zone 4097 counted for both directions.
  const raw = nf.tables.raw!.chains.get('neutron-openvswi-PREROUTING')!.rules;
  assert.equal(raw[0].pkts + raw[2].pkts, 4);
});

test('br_netfilter drops a bridged frame with a broken IPv4 header before any rule', () => {
  const nf = computeHost();
  const bad = echo('10.0.0.5', '10.0.0.7');
  bad[14 + 10] ^= 0xff; // header checksum
  assert.equal(bridged(nf, bad, BR, TAP, QVB), 'DROP');
  assert.equal(ruleOf(nf, 's6f8a1c2d-3', 1).pkts + ruleOf(nf, 's6f8a1c2d-3', 2).pkts, 0);
});

test('DHCP from the VM is allowed before it has an address; a rogue DHCP server in the VM is not', () => {
  const nf = computeHost();
  assert.equal(bridged(nf, udp('0.0.0.0', 68, '255.255.255.255', 67), BR, TAP, QVB), 'ACCEPT');
  assert.equal(ruleOf(nf, 'o6f8a1c2d-3', 1).pkts, 1);
  assert.equal(bridged(nf, udp('10.0.0.5', 67, '10.0.0.7', 68), BR, TAP, QVB), 'DROP');
  assert.equal(ruleOf(nf, 'o6f8a1c2d-3', 4).pkts, 1, 'Prevent DHCP Spoofing by VM');
});

test('-m set matches ipset members; swapping the set changes what the rule admits', () => {
  const nf = new Netfilter({ clock: { now: 0 } });
  const set = 'NIPv4e4f3b2a1-0c9d-4e8f-a7b6-c5d4';
  assert.equal(nf.ipsets.command(['create', set, 'hash:net', 'family', 'inet']).status, 0);
  assert.equal(nf.ipsets.command(['add', set, '10.0.0.9']).status, 0);
  assert.equal(iptables(nf, ['-P', 'FORWARD', 'DROP']).status, 0);
  assert.equal(
    iptables(nf, ['-A', 'FORWARD', '-m', 'set', '--match-set', set, 'src', '-j', 'ACCEPT']).status,
    0,
  );
  assert.equal(hook(nf, 'FORWARD', udp('10.0.0.9', 1, '10.0.0.5', 2), 'a', 'b'), 'ACCEPT');
  assert.equal(hook(nf, 'FORWARD', udp('10.0.0.8', 1, '10.0.0.5', 2), 'a', 'b'), 'DROP');
  // Neutron's refresh: fill a -new set, swap, destroy.
  assert.equal(
    nf.ipsets.restore(`create ${set}-new hash:net family inet\nadd ${set}-new 10.0.0.8\n`, true).status,
    0,
  );
  assert.equal(nf.ipsets.command(['swap', `${set}-new`, set]).status, 0);
  assert.equal(nf.ipsets.command(['destroy', `${set}-new`]).status, 0);
  assert.equal(hook(nf, 'FORWARD', udp('10.0.0.8', 1, '10.0.0.5', 2), 'a', 'b'), 'ACCEPT');
  assert.equal(hook(nf, 'FORWARD', udp('10.0.0.9', 1, '10.0.0.5', 2), 'a', 'b'), 'DROP');
  const destroy = nf.ipsets.command(['destroy', set]);
  assert.equal(destroy.status, 1);
  assert.equal(destroy.stderr, 'ipset v7.17: Set cannot be destroyed: it is in use by a kernel component\n');
  assert.equal(
    iptables(nf, ['-A', 'FORWARD', '-m', 'set', '--match-set', 'nope', 'src', '-j', 'ACCEPT']).stderr.split(
      '\n',
    )[0],
    "iptables v1.8.9 (nf_tables): Set nope doesn't exist.",
  );
  assert.match(
    nf.ipsets.command(['list', set]).stdout,
    /^Name: NIPv4e4f3b2a1-0c9d-4e8f-a7b6-c5d4\nType: hash:net\nRevision: 7\nHeader: family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x[0-9a-f]{8}\nSize in memory: \d+\nReferences: 1\nNumber of entries: 1\nMembers:\n10\.0\.0\.8\n$/,
  );
});

test('REJECT hands the ICMP error to the kernel and steals the packet', () => {
  const sent: [string, number, number][] = [];
  const nf = new Netfilter({ clock: { now: 0 }, onReject: (p, t, c) => sent.push([p.hook, t, c]) });
  iptables(nf, ['-A', 'INPUT', '-p', 'udp', '--dport', '53', '-j', 'REJECT']);
  iptables(nf, ['-A', 'INPUT', '-p', 'tcp', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
  iptables(nf, ['-A', 'INPUT', '-j', 'REJECT', '--reject-with', 'icmp-host-prohibited']);
  assert.equal(hook(nf, 'INPUT', udp('10.0.0.5', 1, '10.0.0.1', 53), 'eth0', null), 'STOLEN');
  assert.equal(hook(nf, 'INPUT', echo('10.0.0.5', '10.0.0.1'), 'eth0', null), 'STOLEN');
  assert.deepEqual(sent, [
    ['INPUT', 3, 3],
    ['INPUT', 3, 10],
  ]);
  const noSink = new Netfilter({ clock: { now: 0 } });
  iptables(noSink, ['-A', 'OUTPUT', '-j', 'REJECT']);
  assert.equal(hook(noSink, 'OUTPUT', echo('10.0.0.1', '10.0.0.5'), null, 'eth0'), 'DROP');
  assert.deepEqual([noSink.lastRejectType, noSink.lastRejectCode], [3, 3]);
  assert.equal(ipv4Src(echo('10.0.0.1', '10.0.0.5'), 14), ip('10.0.0.1'));
});
