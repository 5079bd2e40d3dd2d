import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Host } from '../kernel/host.js';
import { Scheduler } from '../sim/scheduler.js';
import { runAppctl, runOfctl } from './ofctl.js';
import { Vswitchd } from './vswitchd.js';

function setup() {
  const host = new Host('net1', new Scheduler({ seed: 9 }));
  const vs = new Vswitchd(host);
  host.addVeth('qvb1', 'qvo1');
  const r = vs.vsctl([
    'add-br',
    'br0',
    '--',
    'add-port',
    'br0',
    'qvo1',
    '--',
    'add-port',
    'br0',
    'p2',
    '--',
    'set',
    'Interface',
    'p2',
    'type=internal',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const of = (...argv: string[]) => runOfctl(vs, argv);
  return { host, vs, of };
}

const lines = (s: string) =>
  s
    .split('\n')
    .filter((l) => l.startsWith(' cookie'))
    .map((l) => l.replace(/duration=[^,]+, /, '').replace(/idle_age=\d+, /, ''));

test('a fresh standalone bridge has the NORMAL flow; secure mode flushes it', () => {
  const { vs, of } = setup();
  assert.deepEqual(lines(of('dump-flows', 'br0').stdout), [
    ' cookie=0x0, table=0, n_packets=0, n_bytes=0, priority=0 actions=NORMAL',
  ]);
  vs.vsctl(['set-fail-mode', 'br0', 'secure']);
  assert.equal(of('dump-flows', 'br0').stdout, 'NXST_FLOW reply (xid=0x4):\n');
});

test('add-flows, mod-flows, del-flows by cookie/mask and --strict', () => {
  const { vs, of } = setup();
  vs.vsctl(['set-fail-mode', 'br0', 'secure']);
  const stdin = [
    '# Neutron-like flows',
    'cookie=0x1,table=0,priority=10,in_port=1,actions=resubmit(,1)',
    'cookie=0x2,table=0,priority=5,in_port=1,actions=drop',
    '',
    'cookie=0x1,table=1,priority=1,dl_dst=fa:16:3e:00:00:01,actions=output:2',
    'cookie=0x102,table=1,priority=0,actions=NORMAL',
  ].join('\n');
  assert.equal(runOfctl(vs, ['add-flows', 'br0', '-'], { stdin }).code, 0);
  assert.equal(lines(of('dump-flows', 'br0').stdout).length, 4);
  // del-flows by cookie/mask removes flows whose cookie matches under the mask.
  assert.equal(of('del-flows', 'br0', 'cookie=0x2/0xfff').code, 0);
  assert.deepEqual(
    lines(of('dump-flows', 'br0').stdout).map((l) =>
      l.replace(/ cookie=(0x[0-9a-f]+).* priority=(\d+).*/, '$1/$2'),
    ),
    ['0x1/10', '0x1/1', '0x102/0'],
  );
  // Non-strict delete with a match removes every flow at least as specific; --strict only the exact one.
  of('del-flows', 'br0', '--strict', 'table=0,priority=9,in_port=1');
  assert.equal(lines(of('dump-flows', 'br0', 'table=0').stdout).length, 1);
  of('mod-flows', 'br0', 'table=1,dl_dst=fa:16:3e:00:00:01,actions=output:1');
  assert.match(
    of('dump-flows', 'br0', 'table=1').stdout,
    /priority=1,dl_dst=fa:16:3e:00:00:01 actions=output:1\n/,
  );
  of('del-flows', 'br0', 'in_port=1');
  assert.equal(lines(of('dump-flows', 'br0', 'table=0').stdout).length, 0);
  of('del-flows', 'br0');
  assert.equal(lines(of('dump-flows', 'br0').stdout).length, 0);
});

test('dump-flows to a terminal prints port names and no idle_age; errors read like ovs-ofctl', () => {
  const { vs, of } = setup();
  vs.vsctl(['set-fail-mode', 'br0', 'secure']);
  of('add-flow', 'br0', 'table=0,priority=2,in_port=qvo1,actions=output:p2');
  const tty = runOfctl(vs, ['dump-flows', 'br0'], { tty: true }).stdout;
  assert.match(
    tty,
    /^ cookie=0x0, duration=0s, table=0, n_packets=0, n_bytes=0, priority=2,in_port=qvo1 actions=output:p2\n$/,
  );
  assert.match(of('dump-flows', 'br0').stdout, /priority=2,in_port=1 actions=output:2\n/);
  assert.deepEqual(of('dump-flows', 'br9'), {
    stdout: '',
    stderr: 'ovs-ofctl: br9 is not a bridge or a socket\n',
    code: 1,
  });
  assert.equal(of('add-flow', 'br0', 'in_port=1').stderr, 'ovs-ofctl: in_port=1: must specify an action\n');
  assert.match(
    of('dump-ports', 'br0').stdout,
    /^OFPST_PORT reply \(xid=0x2\): 3 ports\n {2}port LOCAL: rx pkts=0, /,
  );
  assert.equal(runAppctl(vs, ['fdb/show', 'br0']).stdout, ' port  VLAN  MAC                Age\n');
});

test('dump-flows header and idle_age only in the plain form (not with --names, --no-stats or --sort)', () => {
  const { vs, of } = setup();
  assert.match(
    of('dump-flows', 'br0').stdout,
    /^NXST_FLOW reply \(xid=0x4\):\n cookie=0x0, duration=0s, table=0, n_packets=0, n_bytes=0, idle_age=0, priority=0 actions=NORMAL\n$/,
  );
  assert.equal(of('dump-flows', 'br0', '--no-stats').stdout, ' priority=0 actions=NORMAL\n');
  assert.equal(
    of('dump-flows', 'br0', '--names').stdout,
    ' cookie=0x0, duration=0s, table=0, n_packets=0, n_bytes=0, priority=0 actions=NORMAL\n',
  );
  assert.match(
    runOfctl(vs, ['-O', 'OpenFlow13', 'dump-flows', 'br0']).stdout,
    /^OFPST_FLOW reply \(OF1\.3\) \(xid=0x2\):\n/,
  );
});
