// Every `iptables -S` rule of the reference (host-tools.md §7 and §8, dataplane.md §7 and §13) is
// accepted and printed back identically; the tables also survive iptables-save -> iptables-restore.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { iptables } from './iptables.js';
import { Netfilter } from './netfilter.js';
import { iptablesRestore, iptablesSave } from './restore.js';
import { sToRestore } from './test-packets.js';

const golden = (name: string) =>
  readFileSync(new URL(`../../../../src/kernel/netfilter/testdata/${name}`, import.meta.url), 'utf8');

const clock = { now: 0 };
const CASES: [string, string][] = [
  ['qrouter-nat.S.golden', 'nat'],
  ['qrouter-filter.S.golden', 'filter'],
  ['qrouter-mangle.S.golden', 'mangle'],
  ['compute-filter.S.golden', 'filter'],
  ['compute-raw.S.golden', 'raw'],
  ['compute-extra.S.golden', 'filter'],
];

for (const [file, table] of CASES) {
  test(`${file}: iptables-restore then iptables -t ${table} -S prints it back identically`, () => {
    const nf = new Netfilter({ clock });
    nf.ipsets.command(['create', 'NIPv4e4f3b2a1-0c9d-4e8f-a7b6-c5d4', 'hash:net', 'family', 'inet']);
    const expected = golden(file);
    const r = iptablesRestore(nf, sToRestore(table, expected));
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
    const s = iptables(nf, ['-t', table, '-S']);
    assert.equal(s.status, 0);
    assert.equal(s.stdout, expected);
  });

  test(`${file}: the same rules given one by one as iptables commands print identically`, () => {
    const nf = new Netfilter({ clock });
    nf.ipsets.command(['create', 'NIPv4e4f3b2a1-0c9d-4e8f-a7b6-c5d4', 'hash:net', 'family', 'inet']);
    const expected = golden(file);
    const lines = expected.trimEnd().split('\n');
    for (const l of lines.filter((x) => x.startsWith('-N ')))
      assert.equal(iptables(nf, ['-t', table, '-N', l.slice(3)]).status, 0);
    for (const l of lines.filter((x) => x.startsWith('-A '))) {
      // Unquote the way a shell would (the comments are the only quoted values).
      const argv = l.match(/"[^"]*"|\S+/g)!.map((a) => (a.startsWith('"') ? a.slice(1, -1) : a));
      const r = iptables(nf, ['-t', table, ...argv]);
      assert.equal(r.stderr, '', l);
    }
    assert.equal(iptables(nf, ['-t', table, '-S']).stdout, expected);
  });
}

test('iptables-save output restores to the same tables (compute host: filter + raw)', () => {
  const nf = new Netfilter({ clock });
  assert.equal(iptablesRestore(nf, sToRestore('filter', golden('compute-filter.S.golden'))).status, 0);
  assert.equal(iptablesRestore(nf, sToRestore('raw', golden('compute-raw.S.golden'))).status, 0);
  const time = 'Thu Nov 26 08:00:00 2026';
  const saved = iptablesSave(nf, { time });
  assert.equal(saved, golden('compute.save.golden'));
  const again = new Netfilter({ clock });
  assert.equal(iptablesRestore(again, saved).status, 0);
  assert.equal(iptablesSave(again, { time }), saved);
});

test('a jump to the same rule text without -m tcp gets the implicit match printed', () => {
  const nf = new Netfilter({ clock });
  assert.equal(
    iptables(nf, ['-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-s', '10.0.0.9', '-j', 'ACCEPT']).status,
    0,
  );
  assert.equal(
    iptables(nf, ['-S', 'INPUT']).stdout,
    '-P INPUT ACCEPT\n-A INPUT -s 10.0.0.9/32 -p tcp -m tcp --dport 22 -j ACCEPT\n',
  );
  assert.equal(
    iptables(nf, [
      '-A',
      'INPUT',
      '-m',
      'mac',
      '--mac-source',
      'FA:16:3E:2B:7C:11',
      '-m',
      'state',
      '--state',
      'ESTABLISHED,RELATED',
      '-j',
      'RETURN',
    ]).status,
    0,
  );
  assert.match(
    iptables(nf, ['-S']).stdout,
    /-m mac --mac-source fa:16:3e:2b:7c:11 -m state --state RELATED,ESTABLISHED -j RETURN/,
  );
});
