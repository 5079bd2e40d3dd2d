// The saved Open_vSwitch database: a round trip keeps every row, UUID and reference and
// `ovs-vsctl show`; ovs-vswitchd restarted from it recreates internal ports on their stored
// ofports and reports a missing system device as OVS does; a damaged document is refused whole.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Host } from '../kernel/host.js';
import { Scheduler } from '../sim/scheduler.js';
import { OvsdbError } from './ovsdb.js';
import { dumpOvsdb, loadOvsdb } from './ovsdb-file.js';
import { Vswitchd } from './vswitchd.js';

/** Status columns ovs-vswitchd writes from the running datapath (rewritten after a restart). */
const STATUS = new Set([
  'statistics',
  'ifindex',
  'mac_in_use',
  'link_state',
  'admin_state',
  'mtu',
  'datapath_id',
]);

function configOf(vs: Vswitchd): Record<string, Record<string, Record<string, unknown>>> {
  const { tables } = dumpOvsdb(vs.db);
  for (const rows of Object.values(tables))
    for (const cols of Object.values(rows))
      for (const c of Object.keys(cols)) if (STATUS.has(c)) delete cols[c];
  return tables;
}

function vsctl(vs: Vswitchd, ...argv: string[]): string {
  const r = vs.vsctl(argv);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** A compute host as the agent and nova-compute leave it: br-int, br-tun, a tunnel, a qvo, a tap. */
function computeHost(): { host: Host; vs: Vswitchd } {
  const host = new Host('compute1', new Scheduler({ seed: 3 }));
  host.addVeth('qvb6f8a1c2d-3e', 'qvo6f8a1c2d-3e', { mtu: 1450 });
  const vs = new Vswitchd(host);
  vsctl(vs, 'set-manager', 'ptcp:6640:127.0.0.1');
  vsctl(vs, 'add-br', 'br-int', '--', 'set-fail-mode', 'br-int', 'secure');
  vsctl(vs, 'add-br', 'br-tun', '--', 'set-controller', 'br-tun', 'tcp:127.0.0.1:6633');
  vsctl(
    vs,
    'add-port',
    'br-int',
    'patch-tun',
    '--',
    'set',
    'Interface',
    'patch-tun',
    'type=patch',
    'options:peer=patch-int',
  );
  vsctl(
    vs,
    'add-port',
    'br-tun',
    'patch-int',
    '--',
    'set',
    'Interface',
    'patch-int',
    'type=patch',
    'options:peer=patch-tun',
  );
  vsctl(
    vs,
    ...['add-port', 'br-tun', 'vxlan-c0a88802', '--', 'set', 'Interface', 'vxlan-c0a88802', 'type=vxlan'],
    ...['options:remote_ip=192.168.136.2', 'options:local_ip=192.168.136.3', 'options:key=flow'],
  );
  vsctl(
    vs,
    ...['add-port', 'br-int', 'qvo6f8a1c2d-3e', '--', 'set', 'Port', 'qvo6f8a1c2d-3e', 'tag=3'],
    ...['other_config:net_uuid=9d0e3b1c-0000-4000-8000-000000000001', 'other_config:network_type=vxlan'],
    ...['other_config:segmentation_id=98', '--', 'set', 'Interface', 'qvo6f8a1c2d-3e'],
    'external_ids:iface-id=6f8a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d',
  );
  vsctl(
    vs,
    'add-port',
    'br-int',
    'tapdeadbeef-01',
    '--',
    'set',
    'Interface',
    'tapdeadbeef-01',
    'type=internal',
  );
  return { host, vs };
}

test('a saved database read back keeps rows, uuids, references and `ovs-vsctl show`', () => {
  const { vs } = computeHost();
  const saved = JSON.parse(JSON.stringify(vs.save()));
  const host2 = new Host('compute1', new Scheduler({ seed: 99 }));
  host2.addVeth('qvb6f8a1c2d-3e', 'qvo6f8a1c2d-3e', { mtu: 1450 });
  const again = new Vswitchd(host2);
  again.restore(saved);
  assert.deepEqual(configOf(again), configOf(vs));
  assert.equal(vsctl(again, 'show'), vsctl(vs, 'show'));
  assert.equal(vsctl(again, 'list', 'Port', 'qvo6f8a1c2d-3e'), vsctl(vs, 'list', 'Port', 'qvo6f8a1c2d-3e'));
});

test('ovs-vswitchd restarted from the file recreates internal ports on their stored ofports', () => {
  const { vs } = computeHost();
  // Two ports deleted before the save: a fresh allocator would hand out their numbers again.
  vsctl(vs, 'add-port', 'br-int', 'qr-0', '--', 'set', 'Interface', 'qr-0', 'type=internal');
  vsctl(vs, 'del-port', 'br-int', 'patch-tun');
  const ofports = (v: Vswitchd) =>
    Object.fromEntries(
      ['tapdeadbeef-01', 'qr-0', 'qvo6f8a1c2d-3e'].map((n) => [
        n,
        vsctl(v, 'get', 'Interface', n, 'ofport').trim(),
      ]),
    );
  const before = ofports(vs);
  const host2 = new Host('compute1', new Scheduler({ seed: 5 }));
  const again = new Vswitchd(host2);
  again.restore(vs.save());
  assert.deepEqual({ ...ofports(again), 'qvo6f8a1c2d-3e': before['qvo6f8a1c2d-3e'] }, before);
  // The veth is not back yet: the qvo is reported as OVS reports it, its configuration kept.
  const missing =
    '            Interface qvo6f8a1c2d-3e\n                error: "could not open network device qvo6f8a1c2d-3e (No such device)"\n';
  assert.equal(
    vsctl(again, 'show'),
    vsctl(vs, 'show').replace('            Interface qvo6f8a1c2d-3e\n', missing),
  );
  assert.equal(vsctl(again, 'get', 'Interface', 'qvo6f8a1c2d-3e', 'ofport'), '-1\n');
  assert.equal(vsctl(again, 'get', 'Interface', 'qvo6f8a1c2d-3e', 'mac_in_use'), '[]\n');
  assert.equal(host2.device('tapdeadbeef-01')?.kind, 'openvswitch', 'internal ports are devices again');
  // nova-compute's os-vif plug brings the veth back: `--may-exist add-port` keeps the row and its tag.
  host2.addVeth('qvb6f8a1c2d-3e', 'qvo6f8a1c2d-3e', { mtu: 1450 });
  vsctl(again, '--may-exist', 'add-port', 'br-int', 'qvo6f8a1c2d-3e');
  assert.equal(vsctl(again, 'get', 'Port', 'qvo6f8a1c2d-3e', 'tag'), '3\n');
  assert.notEqual(vsctl(again, 'get', 'Interface', 'qvo6f8a1c2d-3e', 'ofport'), '-1\n');
  assert.equal(vsctl(again, 'get', 'Interface', 'qvo6f8a1c2d-3e', 'error'), '[]\n');
  // No flows survive: a secure bridge starts empty, a standalone one with NORMAL only.
  assert.equal(again.bridge('br-int')?.tables.all().length, 0);
});

test('a damaged document is refused whole and leaves the database as it was', () => {
  const { vs } = computeHost();
  const good = vs.save();
  const target = new Vswitchd(new Host('compute1', new Scheduler({ seed: 4 })));
  const before = vsctl(target, 'show');
  const bad: unknown[] = [
    null,
    { ...good, format: 'ovsdb-log' },
    { ...good, tables: { ...good.tables, Nonsense: {} } },
    // A Port whose Interface is missing: OVSDB refuses a dangling strong reference.
    { ...good, tables: { ...good.tables, Interface: {} } },
    // A tag that is not an integer.
    {
      ...good,
      tables: {
        ...good.tables,
        Port: Object.fromEntries(
          Object.entries(good.tables.Port).map(([u, c]) => [u, { ...c, tag: 'three' }]),
        ),
      },
    },
    { ...good, tables: { ...good.tables, Open_vSwitch: {} } },
  ];
  for (const doc of bad) {
    assert.throws(() => target.restore(doc), OvsdbError);
    assert.throws(() => loadOvsdb(target.db, doc), OvsdbError);
    assert.equal(vsctl(target, 'show'), before);
  }
});

test('ovs-vsctl deletes a port at once: del-port then add-port of the same name in one run (replace_port)', () => {
  const { vs } = computeHost();
  const old = vsctl(vs, 'get', 'Interface', 'tapdeadbeef-01', '_uuid');
  vsctl(
    vs,
    ...['--if-exists', 'del-port', 'tapdeadbeef-01', '--', 'add-port', 'br-int', 'tapdeadbeef-01'],
    ...[
      '--',
      'set',
      'Port',
      'tapdeadbeef-01',
      'tag=4095',
      '--',
      'set',
      'Interface',
      'tapdeadbeef-01',
      'type=internal',
    ],
  );
  assert.notEqual(vsctl(vs, 'get', 'Interface', 'tapdeadbeef-01', '_uuid'), old);
  assert.equal(vsctl(vs, 'get', 'Port', 'tapdeadbeef-01', 'tag'), '4095\n');
  assert.equal(
    vsctl(vs, '--columns=name', 'find', 'Port', 'name=tapdeadbeef-01').split('\n').filter(Boolean).length,
    1,
  );
});
