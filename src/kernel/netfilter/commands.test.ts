// The iptables command line and iptables-restore as an operator or agent meets them: messages,
// exit codes, atomic restore, --noflush, counters, the -L listing format.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { iptables, iptablesLine } from './iptables.js';
import { formatCount } from './listing.js';
import { Netfilter } from './netfilter.js';
import { iptablesRestore, iptablesRestoreCommand, iptablesSave, iptablesSaveCommand } from './restore.js';
import { echo, hook, sToRestore } from './test-packets.js';

const golden = (name: string) =>
  readFileSync(new URL(`../../../../src/kernel/netfilter/testdata/${name}`, import.meta.url), 'utf8');
const fresh = () => new Netfilter({ clock: { now: 0 } });

test('iptables-restore is atomic per table: a bad line changes nothing and names the line', () => {
  const nf = fresh();
  assert.equal(
    iptablesRestore(nf, '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.1 -j DROP\nCOMMIT\n').status,
    0,
  );
  const before = iptables(nf, ['-S']).stdout;
  const bad =
    '*filter\n:INPUT DROP [0:0]\n:mychain - [0:0]\n-A mychain -j ACCEPT\n-A INPUT -p tcp --dport 22 -j NOSUCH\nCOMMIT\n';
  const r = iptablesRestore(nf, bad);
  assert.equal(r.status, 2);
  assert.equal(r.line, 5);
  assert.equal(
    r.stderr,
    "iptables-restore v1.8.9 (nf_tables): Chain 'NOSUCH' does not exist\nError occurred at line: 5\nTry `iptables-restore -h' or 'iptables-restore --help' for more information.\n",
  );
  assert.equal(iptables(nf, ['-S']).stdout, before, 'policy, chain and rules all left as they were');

  const unknownOption = iptablesRestore(nf, '*filter\n-A INPUT --bogus 1 -j ACCEPT\nCOMMIT\n');
  assert.equal(unknownOption.line, 2);
  assert.match(unknownOption.stderr, /unknown option "--bogus"/);

  const noChain = iptablesRestore(nf, '*filter\n:INPUT ACCEPT [0:0]\n-A FOO -j ACCEPT\nCOMMIT\n');
  assert.deepEqual([noChain.status, noChain.stderr], [1, 'iptables-restore: line 3 failed\n']);

  // A loop is found when the table is committed: the COMMIT line fails.
  const loop = iptablesRestore(nf, '*filter\n:a - [0:0]\n:b - [0:0]\n-A a -j b\n-A b -j a\nCOMMIT\n');
  assert.deepEqual([loop.status, loop.stderr], [1, 'iptables-restore: line 6 failed\n']);
  assert.equal(iptables(nf, ['-S']).stdout, before);

  const open = iptablesRestore(nf, '*filter\n-A INPUT -j ACCEPT\n');
  assert.equal(open.stderr, 'iptables-restore: COMMIT expected at line 3\n');
  assert.equal(iptables(nf, ['-S']).stdout, before);
});

test('tables committed before a failing one stay committed', () => {
  const nf = fresh();
  const r = iptablesRestore(
    nf,
    '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -d 1.2.3.4 -j DNAT --to-destination 10.0.0.5\nCOMMIT\n*filter\n-A INPUT -j NOPE\nCOMMIT\n',
  );
  assert.equal(r.status, 2);
  assert.equal(
    iptables(nf, ['-t', 'nat', '-S', 'PREROUTING']).stdout,
    '-P PREROUTING ACCEPT\n-A PREROUTING -d 1.2.3.4/32 -j DNAT --to-destination 10.0.0.5\n',
  );
  assert.equal(iptables(nf, ['-S']).stdout, '-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n');
});

test('--noflush keeps other chains, a declared chain is flushed, counters come with -c', () => {
  const nf = fresh();
  iptablesRestore(
    nf,
    '*filter\n:keep - [0:0]\n:redo - [0:0]\n-A keep -j ACCEPT\n-A redo -j DROP\n-A INPUT -j keep\nCOMMIT\n',
  );
  const r = iptablesRestore(nf, '*filter\n:redo - [0:0]\n[5:300] -A redo -s 10.0.0.0/8 -j RETURN\nCOMMIT\n', {
    noflush: true,
    counters: true,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    iptables(nf, ['-S']).stdout,
    '-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-N keep\n-N redo\n-A INPUT -j keep\n-A keep -j ACCEPT\n-A redo -s 10.0.0.0/8 -j RETURN\n',
  );
  assert.match(
    iptablesSave(nf, { time: 'T', counters: true }),
    /\[5:300\] -A redo -s 10\.0\.0\.0\/8 -j RETURN/,
  );
  // Without --noflush the table is replaced.
  iptablesRestore(nf, '*filter\n:INPUT DROP [7:700]\nCOMMIT\n', { counters: true });
  assert.equal(iptables(nf, ['-S']).stdout, '-P INPUT DROP\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n');
  assert.match(iptablesSave(nf, { time: 'T' }), /^:INPUT DROP \[7:700\]$/m);
});

test('single commands: -N/-I/-D/-R/-E/-X/-F/-Z/-P/-C with iptables messages', () => {
  const nf = fresh();
  const ok = (argv: string[]) => assert.equal(iptables(nf, argv).stderr, '', argv.join(' '));
  ok(['-N', 'sg']);
  ok(['-A', 'sg', '-p', 'icmp', '-j', 'RETURN']);
  ok(['-I', 'sg', '-s', '10.0.0.9', '-j', 'RETURN']);
  ok(['-I', 'sg', '2', '-p', 'udp', '-m', 'multiport', '--dports', '53,67:68', '-j', 'RETURN']);
  ok(['-A', 'FORWARD', '-o', 'tap+', '-g', 'sg']);
  assert.equal(
    iptables(nf, ['-S', 'sg']).stdout,
    '-N sg\n-A sg -s 10.0.0.9/32 -j RETURN\n-A sg -p udp -m multiport --dports 53,67:68 -j RETURN\n-A sg -p icmp -j RETURN\n',
  );
  assert.equal(iptables(nf, ['-C', 'sg', '-p', 'icmp', '-j', 'RETURN']).status, 0);
  const missing = iptables(nf, ['-C', 'sg', '-p', 'tcp', '-j', 'RETURN']);
  assert.deepEqual(
    [missing.status, missing.stderr],
    [1, 'iptables v1.8.9 (nf_tables): Bad rule (does a matching rule exist in that chain?).\n'],
  );
  ok(['-D', 'sg', '-p', 'icmp', '-j', 'RETURN']);
  ok(['-R', 'sg', '1', '-s', '10.0.0.8', '-j', 'RETURN']);
  ok(['-D', 'sg', '2']);
  assert.equal(iptables(nf, ['-S', 'sg']).stdout, '-N sg\n-A sg -s 10.0.0.8/32 -j RETURN\n');
  assert.equal(iptables(nf, ['-N', 'sg']).stderr, 'iptables v1.8.9 (nf_tables): Chain already exists.\n');
  assert.equal(
    iptables(nf, ['-X', 'sg']).stderr,
    'iptables v1.8.9 (nf_tables): CHAIN_USER_DEL failed (Device or resource busy): chain sg\n',
  );
  ok(['-E', 'sg', 'sg2']);
  assert.equal(iptables(nf, ['-S', 'FORWARD']).stdout, '-P FORWARD ACCEPT\n-A FORWARD -o tap+ -g sg2\n');
  ok(['-F', 'FORWARD']);
  ok(['-F', 'sg2']);
  ok(['-X', 'sg2']);
  assert.equal(
    iptables(nf, ['-A', 'nochain', '-j', 'ACCEPT']).stderr,
    'iptables v1.8.9 (nf_tables): No chain/target/match by that name.\n',
  );
  assert.equal(
    iptables(nf, ['-P', 'FORWARD', 'REJECT']).stderr,
    'iptables v1.8.9 (nf_tables): Bad policy name\n',
  );
  const badTarget = iptables(nf, ['-A', 'INPUT', '-j', 'DNAT', '--to-destination', '1.1.1.1']);
  assert.equal(badTarget.status, 4);
  const badOpt = iptables(nf, ['-A', 'INPUT', '-p', 'tcp', '--dport', 'abc', '-j', 'ACCEPT']);
  assert.equal(badOpt.status, 2);
  assert.equal(
    badOpt.stderr,
    "iptables v1.8.9 (nf_tables): invalid port/service `abc' specified\nTry `iptables -h' or 'iptables --help' for more information.\n",
  );
  ok(['-P', 'INPUT', 'DROP']);
  assert.equal(hook(nf, 'INPUT', echo('10.0.0.5', '10.0.0.1'), 'eth0', null), 'DROP');
  ok(['-Z']);
  assert.match(
    iptables(nf, ['-L', 'INPUT', '-v', '-n']).stdout,
    /^Chain INPUT \(policy DROP 0 packets, 0 bytes\)/,
  );
  assert.equal(
    iptablesLine(
      nf,
      `iptables -t nat -A POSTROUTING -o eth0 -m comment --comment "masq it" -j MASQUERADE --random-fully`,
    ).status,
    0,
  );
  assert.equal(
    iptables(nf, ['-t', 'nat', '-S', 'POSTROUTING']).stdout,
    '-P POSTROUTING ACCEPT\n-A POSTROUTING -o eth0 -m comment --comment "masq it" -j MASQUERADE --random-fully\n',
  );
  assert.equal(iptables(nf, ['-t', 'bogus', '-S']).status, 3);
});

test('iptables -t nat -L -n -v prints the iptables 1.8.9 listing (golden)', () => {
  const nf = fresh();
  iptablesRestore(nf, sToRestore('nat', golden('qrouter-nat.S.golden')));
  const out = iptables(nf, ['-t', 'nat', '-L', '-n', '-v']).stdout;
  assert.equal(out, golden('qrouter-nat.L-n-v.golden'));
  // The row the reference shows verbatim (host-tools.md §7).
  assert.ok(
    out.includes(
      '    0     0 DNAT       0    --  *      *       0.0.0.0/0            172.24.4.150         to:10.0.0.5\n',
    ),
  );
});

test('counters: K/M suffixes without -x, exact numbers with -x, line numbers', () => {
  assert.equal(formatCount(99999, false, false), '99999 ');
  assert.equal(formatCount(100000, false, false), ' 100K ');
  assert.equal(formatCount(1234567, false, false), '1235K ');
  assert.equal(formatCount(12345678, false, false), '  12M ');
  assert.equal(formatCount(12345678, true, false), '12345678 ');
  assert.equal(formatCount(12345678, false, true), '12M ');
  const nf = fresh();
  iptables(nf, ['-A', 'INPUT', '-j', 'ACCEPT']);
  const rule = nf.tables.filter!.chains.get('INPUT')!.rules[0];
  rule.pkts = 150000;
  rule.bytes = 2_000_000_000;
  assert.match(
    iptables(nf, ['-L', 'INPUT', '-n', '-v', '--line-numbers']).stdout,
    /\nnum {3}pkts bytes target .*\n1 {5}150K 2000M ACCEPT {5}0 {4}-- {2}\* {6}\* {7}0\.0\.0\.0\/0 {12}0\.0\.0\.0\/0 {11}\n$/,
  );
  assert.match(
    iptables(nf, ['-L', 'INPUT', '-nvx']).stdout,
    /\n {4}pkts {6}bytes target .*\n {2}150000 2000000000 ACCEPT/,
  );
});

test('argv forms: iptables-restore --noflush -w and iptables-save -t -c', () => {
  const nf = fresh();
  assert.equal(
    iptablesRestoreCommand(
      nf,
      ['-w', '5'],
      '*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT\n',
    ).status,
    0,
  );
  assert.equal(
    iptablesRestoreCommand(nf, ['--noflush'], '*nat\n-A POSTROUTING -o eth1 -j MASQUERADE\nCOMMIT\n').status,
    0,
  );
  const saved = iptablesSaveCommand(nf, ['-t', 'nat'], 'Thu Nov 26 09:00:00 2026');
  assert.equal(
    saved.stdout,
    '# Generated by iptables-save v1.8.9 on Thu Nov 26 09:00:00 2026\n*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o eth0 -j MASQUERADE\n-A POSTROUTING -o eth1 -j MASQUERADE\nCOMMIT\n# Completed on Thu Nov 26 09:00:00 2026\n',
  );
  assert.equal(
    iptablesRestoreCommand(nf, ['--test'], '*nat\n-A POSTROUTING -j MASQUERADE\nCOMMIT\n').status,
    0,
  );
  assert.equal(
    iptables(nf, ['-t', 'nat', '-S', 'POSTROUTING']).stdout.split('\n').length,
    4,
    '--test installs nothing',
  );
  assert.equal(iptablesSaveCommand(nf, ['-t', 'security'], 'T').status, 1);
});

test('iptables -L without -n names ports, ICMP types and "anywhere" (golden)', () => {
  const nf = fresh();
  iptablesRestore(nf, sToRestore('filter', golden('compute-filter.S.golden')));
  assert.equal(iptables(nf, ['-L']).stdout, golden('compute-filter.L.golden'));
  iptables(nf, ['-N', 'x']);
  iptables(nf, ['-A', 'x', '-p', 'icmp', '--icmp-type', 'echo-request', '-j', 'ACCEPT']);
  iptables(nf, ['-A', 'x', '-p', 'tcp', '--syn', '-j', 'MARK', '--or-mark', '0x10']);
  const named = iptables(nf, ['-L', 'x']).stdout;
  assert.match(named, /\nACCEPT {5}icmp -- {2}anywhere {13}anywhere {13}icmp echo-request\n/);
  assert.match(named, /tcp flags:FIN,SYN,RST,ACK\/SYN MARK or 0x10\n/);
  const numeric = iptables(nf, ['-L', 'x', '-n']).stdout;
  assert.match(numeric, / icmptype 8\n/);
  assert.match(numeric, / tcp flags:0x17\/0x02 MARK or 0x10\n/);
});
