import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Host } from '../kernel/host.js';
import { Scheduler } from '../sim/scheduler.js';
import { Vswitchd } from './vswitchd.js';

const golden = (name: string): string =>
  readFileSync(new URL(`../../../src/ovs/testdata/${name}`, import.meta.url), 'utf8');

/**
 * UUIDs in creation order, chosen so that OVSDB's UUID order (which `show` follows) gives the
 * order of the reference capture: br-tun's ports patch-int < br-tun < vxlan, br-int's ports
 * patch-tun < qvo < br-int.
 */
function orderedUuids(): () => string {
  const keys = new Map<number, number>([
    [3, 75], // Port br-tun between Port patch-int (70) and Port vxlan (90)
    [11, 175], // Port br-int after Port qvo (170)
  ]);
  let i = 0;
  return () => {
    const n = i++;
    if (n === 0) return '1cd616cc-7463-4d0a-a279-a6725f51fc28';
    const k = keys.get(n) ?? n * 10;
    return `${k.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
  };
}

function computeNode(): { vs: Vswitchd; run: (...a: string[]) => string } {
  const host = new Host('compute1', new Scheduler({ seed: 1 }));
  host.addVeth('qvb6f8a1c2d-3e', 'qvo6f8a1c2d-3e', { mtu: 1450 });
  const vs = new Vswitchd(host, { uuid: orderedUuids() });
  const run = (...argv: string[]) => {
    const r = vs.vsctl(argv);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  run('set-manager', 'ptcp:6640:127.0.0.1');
  for (const [br, ports] of [
    [
      'br-tun',
      [
        ['patch-int', 'type=patch', 'options:peer=patch-tun'],
        ['vxlan-c0a87a0b', 'type=vxlan'],
      ],
    ],
    ['br-int', [['patch-tun', 'type=patch', 'options:peer=patch-int'], ['qvo6f8a1c2d-3e']]],
  ] as const) {
    run('--may-exist', 'add-br', br, '--', 'set', 'Bridge', br, 'datapath_type=system', 'fail_mode=secure');
    run('set-controller', br, 'tcp:127.0.0.1:6633');
    for (const [name, ...settings] of ports) {
      const argv = ['--may-exist', 'add-port', br, name];
      if (settings.length) argv.push('--', 'set', 'Interface', name, ...settings);
      run(...argv);
    }
  }
  run(
    'set',
    'Interface',
    'vxlan-c0a87a0b',
    'options:df_default=true',
    'options:egress_pkt_mark=0',
    'options:in_key=flow',
    'options:local_ip=192.168.122.10',
    'options:out_key=flow',
    'options:remote_ip=192.168.122.11',
  );
  run('set', 'Port', 'qvo6f8a1c2d-3e', 'tag=1', 'other_config:net_uuid=1a2b3c4d-5e6f-4071-8293-a4b5c6d7e8f9');
  return { vs, run };
}

test('ovs-vsctl show of a compute node matches the real output', () => {
  const { run } = computeNode();
  assert.equal(run('show'), golden('vsctl-show-compute.golden'));
});

test('ofports: LOCAL for the bridge port, then 1, 2 … in order of addition; ofport_request honoured', () => {
  const { run } = computeNode();
  assert.equal(run('get', 'Interface', 'br-int', 'ofport'), '65534\n');
  assert.equal(run('get', 'Interface', 'patch-tun', 'ofport'), '1\n');
  assert.equal(run('get', 'Interface', 'qvo6f8a1c2d-3e', 'ofport'), '2\n');
  assert.equal(run('get', 'Interface', 'vxlan-c0a87a0b', 'ofport'), '2\n');
  run(
    'add-port',
    'br-int',
    'qr-4e5f6a7b-8c',
    '--',
    'set',
    'Interface',
    'qr-4e5f6a7b-8c',
    'type=internal',
    'ofport_request=10',
  );
  assert.equal(run('get', 'Interface', 'qr-4e5f6a7b-8c', 'ofport'), '10\n');
  run('add-port', 'br-int', 'tap0c5d7e9f-1a', '--', 'set', 'Interface', 'tap0c5d7e9f-1a', 'type=internal');
  assert.equal(run('get', 'Interface', 'tap0c5d7e9f-1a', 'ofport'), '3\n');
  // A deleted port's number is not handed to the next new port.
  run('del-port', 'br-int', 'tap0c5d7e9f-1a');
  run('add-port', 'br-int', 'tapffffffff-ff', '--', 'set', 'Interface', 'tapffffffff-ff', 'type=internal');
  assert.equal(run('get', 'Interface', 'tapffffffff-ff', 'ofport'), '4\n');
});

test('get/set/list/remove/clear and the errors ovs-vsctl prints', () => {
  const { vs, run } = computeNode();
  assert.equal(run('get', 'Port', 'qvo6f8a1c2d-3e', 'tag'), '1\n');
  assert.equal(
    run('get', 'Port', 'qvo6f8a1c2d-3e', 'other_config:net_uuid'),
    '"1a2b3c4d-5e6f-4071-8293-a4b5c6d7e8f9"\n',
  );
  assert.equal(run('list-br'), 'br-int\nbr-tun\n');
  assert.equal(run('list-ports', 'br-int'), 'patch-tun\nqvo6f8a1c2d-3e\n');
  assert.equal(run('port-to-br', 'patch-int'), 'br-tun\n');
  assert.equal(run('get', 'Interface', 'vxlan-c0a87a0b', 'options:remote_ip'), '"192.168.122.11"\n');
  run(
    'set',
    'Interface',
    'qvo6f8a1c2d-3e',
    'external_ids:iface-id=6f8a1c2d-3e4f-4a5b-9c6d-7e8f9a0b1c2d',
    'external_ids:attached-mac="fa:16:3e:2b:7c:11"',
  );
  const list = run('list', 'Interface', 'qvo6f8a1c2d-3e');
  assert.match(list, /^_uuid {15}: [0-9a-f-]{36}\n/);
  assert.match(
    list,
    /\nexternal_ids {8}: \{attached-mac="fa:16:3e:2b:7c:11", iface-id="6f8a1c2d-3e4f-4a5b-9c6d-7e8f9a0b1c2d"\}\n/,
  );
  assert.match(list, /\nofport {14}: 2\n/);
  assert.match(list, /\nname {16}: qvo6f8a1c2d-3e\n/);
  assert.match(list, /\ntype {16}: ""\n/);
  run('remove', 'Port', 'qvo6f8a1c2d-3e', 'other_config', 'net_uuid');
  assert.equal(run('get', 'Port', 'qvo6f8a1c2d-3e', 'other_config'), '{}\n');
  run('clear', 'Port', 'qvo6f8a1c2d-3e', 'tag');
  assert.equal(run('get', 'Port', 'qvo6f8a1c2d-3e', 'tag'), '[]\n');

  const err = (argv: string[]) => vs.vsctl(argv);
  assert.deepEqual(err(['add-br', 'br-int']), {
    stdout: '',
    stderr: 'ovs-vsctl: cannot create a bridge named br-int because a bridge named br-int already exists\n',
    code: 1,
  });
  assert.equal(err(['del-port', 'br-int', 'nope']).stderr, 'ovs-vsctl: no port named nope\n');
  assert.equal(err(['get', 'Port', 'nope', 'tag']).stderr, 'ovs-vsctl: no row "nope" in table Port\n');
  assert.equal(
    err(['get', 'Port', 'patch-tun', 'bogus']).stderr,
    'ovs-vsctl: Port does not contain a column whose name matches "bogus"\n',
  );
  assert.equal(err(['br-exists', 'br-ex']).code, 2);
  assert.equal(err(['--if-exists', 'del-br', 'br-ex']).code, 0);
  // A failing command undoes the whole transaction.
  assert.equal(err(['add-br', 'br-ex', '--', 'add-br', 'br-int']).code, 1);
  assert.equal(run('list-br'), 'br-int\nbr-tun\n');
});

test('a failing invocation leaves every row as it was; del-port takes the Interface with the Port', () => {
  const { vs, run } = computeNode();
  const before = run('list', 'Port') + run('list', 'Interface') + run('list', 'Bridge');
  // Changes a row, deletes a port (and so its Interface), adds one, then fails on the last command.
  const r = vs.vsctl([
    'set',
    'Port',
    'qvo6f8a1c2d-3e',
    'tag=7',
    '--',
    'del-port',
    'br-tun',
    'patch-int',
    '--',
    'add-port',
    'br-int',
    'tapnew',
    '--',
    'add-br',
    'br-int',
  ]);
  assert.equal(r.code, 1);
  assert.equal(run('list', 'Port') + run('list', 'Interface') + run('list', 'Bridge'), before);
  assert.equal(run('get', 'Port', 'qvo6f8a1c2d-3e', 'tag'), '1\n');

  run('del-port', 'br-tun', 'patch-int');
  assert.equal(
    vs.vsctl(['get', 'Interface', 'patch-int', 'type']).stderr,
    'ovs-vsctl: no row "patch-int" in table Interface\n',
  );
  assert.equal(run('list-ports', 'br-tun'), 'vxlan-c0a87a0b\n');
  run('del-br', 'br-tun');
  assert.equal(run('--columns=name', 'find', 'Interface', 'type=vxlan'), '');
});

test('a port whose device does not exist shows the error OVS reports', () => {
  const { run } = computeNode();
  run('add-port', 'br-int', 'qvoghost');
  assert.match(
    run('show'),
    /Port qvoghost\n {12}Interface qvoghost\n {16}error: "could not open network device qvoghost \(No such device\)"\n/,
  );
});

test('list/find with --columns, --bare and --format=json (what scripts parse)', () => {
  const { run } = computeNode();
  run('set', 'Interface', 'qvo6f8a1c2d-3e', 'external_ids:iface-id=6f8a1c2d-3e4f-4a5b-9c6d-7e8f9a0b1c2d');
  assert.equal(
    run(
      '--format=json',
      '--columns=name,external_ids,ofport',
      'find',
      'Interface',
      'external_ids:iface-id=6f8a1c2d-3e4f-4a5b-9c6d-7e8f9a0b1c2d',
    ),
    '{"data":[["qvo6f8a1c2d-3e",["map",[["iface-id","6f8a1c2d-3e4f-4a5b-9c6d-7e8f9a0b1c2d"]]],2]],"headings":["name","external_ids","ofport"]}\n',
  );
  assert.equal(run('--bare', '--columns=ofport', 'list', 'Interface', 'patch-tun'), '1\n');
  assert.equal(
    run('--columns=name,tag', 'find', 'Port', 'tag=1'),
    'name                : qvo6f8a1c2d-3e\ntag                 : 1\n',
  );
});
