// A host rebooted with its Open vSwitch database kept (conf.db): the agent reads the local VLANs
// back from br-int's ports with a valid ofport (_restore_local_vlan_map) — the internal tap/qr-
// ports ovs-vswitchd recreates — and keeps them even where a fresh agent would hand out others;
// a network seen only on a qvo whose veth is not back yet gets no hint, as in Neutron; a port the
// DHCP agent replaces (same name and ofport, a new Interface row on the dead VLAN) is tagged again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Testbed } from './testbed.js';

const tag = (bed: Testbed, port: string) => bed.vsctl('compute1', 'get', 'Port', port, 'tag').trim();

/** A DHCP-like port: an internal port on br-int carrying the port's iface-id. */
function internalPort(bed: Testbed, name: string, port: { id: string; mac_address: string }): void {
  const r = bed
    .h('compute1')
    .vs.vsctl([
      ...['--if-exists', 'del-port', name, '--', 'add-port', 'br-int', name],
      ...['--', 'set', 'Port', name, 'tag=4095', 'vlan_mode=trunk', 'trunks=4095'],
      ...['--', 'set', 'Interface', name, 'type=internal', `external_ids:iface-id=${port.id}`],
      `external_ids:attached-mac=${port.mac_address}`,
    ]);
  assert.equal(r.code, 0, r.stderr);
}

test('after a reboot with conf.db the agent keeps the tags its internal ports carry; a qvo-only network gets the next free one', async () => {
  const bed = new Testbed(['compute1']);
  bed.startAgent('compute1');
  await bed.settle();
  const n = bed.neutron;
  const [netA, netX, netB, netC] = [1001, 1002, 1003, 1004].map((vni) => n.createNetwork(vni));
  const tapA = n.createPort(netA, 'compute1', '10.0.0.2');
  internalPort(bed, 'tapA', tapA);
  await bed.settle();
  const vmX = bed.plug('compute1', n.createPort(netX, 'compute1', '10.0.9.5'));
  await bed.settle();
  const tapB = n.createPort(netB, 'compute1', '10.0.1.2');
  internalPort(bed, 'tapB', tapB);
  await bed.settle();
  bed.unplug('compute1', vmX); // netX's tag 2 goes back to the pool
  const vmC = bed.plug('compute1', n.createPort(netC, 'compute1', '10.0.2.5'));
  await bed.settle();
  assert.deepEqual([tag(bed, 'tapA'), tag(bed, 'tapB'), tag(bed, vmC.qvo)], ['1', '3', '4']);
  bed.h('compute1').agent!.stop();
  const saved = JSON.parse(JSON.stringify(bed.h('compute1').vs.save()));

  // The rebooted host: a new kernel (no veths), Open vSwitch from the saved rows, the same server.
  const rebooted = new Testbed(['compute1'], 2, n.bus);
  rebooted.h('compute1').vs.restore(saved);
  assert.equal(tag(rebooted, vmC.qvo), '4', 'the qvo keeps its Port row and tag');
  assert.equal(rebooted.vsctl('compute1', 'get', 'Interface', vmC.qvo, 'ofport').trim(), '-1');
  rebooted.startAgent('compute1');
  await rebooted.settle();
  // A fresh agent would have handed out 1 and 2; the hints keep 1 and 3.
  assert.deepEqual([tag(rebooted, 'tapA'), tag(rebooted, 'tapB')], ['1', '3']);
  // The DHCP agent replaces its port: a new row on the dead VLAN, the same ofport, tagged again.
  const ofport = rebooted.vsctl('compute1', 'get', 'Interface', 'tapB', 'ofport');
  internalPort(rebooted, 'tapB', tapB);
  await rebooted.settle();
  assert.equal(rebooted.vsctl('compute1', 'get', 'Interface', 'tapB', 'ofport'), ofport);
  assert.equal(tag(rebooted, 'tapB'), '3');
  // nova-compute re-plugs vmC after the agent's first loop: no hint was read for netC (its qvo had
  // no ofport then), so it gets set.pop()'s next free tag, as the real agent gives it.
  rebooted.plug('compute1', vmC.port);
  await rebooted.settle();
  assert.equal(tag(rebooted, vmC.qvo), '2');
});
