import assert from 'node:assert/strict';
import { test } from 'node:test';
import { vxlanDecapsulate } from '../../wire/vxlan.js';
import { ping, replies, Testbed } from './testbed.js';

const l2 = { l2Population: true, arpResponder: true };

/** compute1 and compute2 with l2population and the ARP responder, a port of one network on each. */
async function twoHosts() {
  const bed = new Testbed(['compute1', 'compute2']);
  bed.startAgent('compute1', l2);
  bed.startAgent('compute2', l2);
  await bed.settle();
  const n = bed.neutron;
  const sg = n.createSecurityGroup();
  const net = n.createNetwork(1001);
  const vm1 = bed.plug('compute1', n.createPort(net, 'compute1', '10.0.0.5', { security_groups: [sg] }));
  const vm2 = bed.plug('compute2', n.createPort(net, 'compute2', '10.0.0.6', { security_groups: [sg] }));
  await bed.settle();
  return { bed, n, net, vm1, vm2 };
}

test('l2population: tunnels only on fdb_add, unicast and ARP responder flows, flooding to the hosts of the network', async () => {
  const { bed, n, net, vm1, vm2 } = await twoHosts();
  const a = bed.h('compute1').agent!;
  assert.doesNotMatch(bed.vsctl('compute1', 'show'), /vxlan-/, 'no full mesh with l2population');
  // The server's l2pop driver fans the network's entries out to its agents.
  n.publish('fdb_add', { fdb_entries: n.fdbFor(net) });
  await bed.settle();
  assert.match(bed.vsctl('compute1', 'show'), /Port vxlan-c0a88843/);
  const dump = a.agent.cli.dumpFlows('br-tun');
  assert.match(
    dump,
    new RegExp(
      `table=20, .*priority=2,dl_vlan=1,dl_dst=${vm2.port.mac_address} actions=strip_vlan,load:0x3e9->NXM_NX_TUN_ID\\[\\],output:`,
    ),
  );
  assert.match(
    dump,
    /table=21, .*priority=1,arp,dl_vlan=1,arp_tpa=10\.0\.0\.6 actions=load:0x2->NXM_OF_ARP_OP\[\]/,
  );
  assert.match(
    dump,
    /table=22, .*priority=1,dl_vlan=1 actions=strip_vlan,load:0x3e9->NXM_NX_TUN_ID\[\],output:/,
  );
  let arpRequests = 0;
  bed.h('compute1').eth1.capture((_t, f, dir) => {
    const d = vxlanDecapsulate(f);
    const i = d.ok ? d.value.inner : null;
    if (dir === 'tx' && i !== null && i[12] === 0x08 && i[13] === 0x06 && i[21] === 1) arpRequests++;
  });
  assert.equal(replies(await ping(bed, vm1, '10.0.0.6')), 3);
  assert.equal(arpRequests, 0, 'answered by br-tun table 21');
  // The remote port goes: its flows go, and with them the tunnel nobody needs.
  n.publish('fdb_remove', { fdb_entries: n.fdbFor(net) });
  await bed.settle();
  assert.doesNotMatch(a.agent.cli.dumpFlows('br-tun', 'table=20'), /priority=2/);
  assert.doesNotMatch(bed.vsctl('compute1', 'show'), /vxlan-/);
  void vm2;
});

test('l2population after an agent restart: refresh_tunnels on the first loop, the fdb entries cast to this host restore the flows', async () => {
  const { bed, n, net, vm1, vm2 } = await twoHosts();
  // Each port's first report: alone on the network, its tunnels are missing.
  assert.deepEqual(n.refreshTunnels.sort(), [vm1.port.id, vm2.port.id].sort());
  n.publish('fdb_add', { fdb_entries: n.fdbFor(net) });
  await bed.settle();
  const ucast = new RegExp(`priority=2,dl_vlan=1,dl_dst=${vm2.port.mac_address} `);
  assert.match(bed.h('compute1').agent!.agent.cli.dumpFlows('br-tun', 'table=20'), ucast);
  // An updated port is reported up again; its network has its tunnel now, so nothing is asked.
  n.refreshTunnels.length = 0;
  const p1 = n.ports.get(vm1.port.id)!;
  p1.allowed_address_pairs = [{ ip_address: '10.0.0.99', mac_address: p1.mac_address }];
  n.publish('port.updated', { port: n.apiPort(p1) });
  const ups = n.calls.filter((c) => c === 'update_device_up').length;
  await bed.settle();
  assert.equal(n.calls.filter((c) => c === 'update_device_up').length, ups + 1);
  assert.deepEqual(n.refreshTunnels, []);

  // A new run: its first loop deletes the old cookies' flows, fdb entries included, and asks again.
  bed.h('compute1').agent!.stop();
  const a = bed.startAgent('compute1', l2);
  await bed.settle();
  assert.deepEqual(n.refreshTunnels, [vm1.port.id]);
  assert.doesNotMatch(a.agent.cli.dumpFlows('br-tun', 'table=20'), ucast);
  assert.equal(replies(await ping(bed, vm1, '10.0.0.6')), 0);
  // The server's answer is a cast to this host; one for another host is not for this agent.
  n.publish('fdb_add', { fdb_entries: n.fdbFor(net), host: 'compute2' });
  await bed.settle();
  assert.doesNotMatch(a.agent.cli.dumpFlows('br-tun', 'table=20'), ucast);
  n.publish('fdb_add', { fdb_entries: n.fdbFor(net), host: 'compute1' });
  await bed.settle();
  assert.match(a.agent.cli.dumpFlows('br-tun', 'table=20'), ucast);
  assert.match(bed.vsctl('compute1', 'show'), /Port vxlan-c0a88843/);
  assert.equal(replies(await ping(bed, vm1, '10.0.0.6')), 3);
});

test('l2population chg_ip: the ARP responder follows a remote port’s new and lost addresses, its own host ignores it', async () => {
  const { bed, n, net, vm2 } = await twoHosts();
  n.publish('fdb_add', { fdb_entries: n.fdbFor(net) });
  await bed.settle();
  const t21 = (host: string) => bed.h(host).agent!.agent.cli.dumpFlows('br-tun', 'table=21');
  const mac = vm2.port.mac_address;
  n.publish('fdb_update', {
    fdb_entries: {
      chg_ip: { [net]: { '192.168.136.67': { before: [[mac, '10.0.0.6']], after: [[mac, '10.0.0.99']] } } },
    },
  });
  await bed.settle();
  assert.match(t21('compute1'), /arp_tpa=10\.0\.0\.99 actions=/);
  assert.doesNotMatch(t21('compute1'), /arp_tpa=10\.0\.0\.6 /);
  assert.doesNotMatch(t21('compute2'), /arp_tpa=10\.0\.0\.99 /);
  // The unicast flow is the MAC's and stays.
  assert.match(
    bed.h('compute1').agent!.agent.cli.dumpFlows('br-tun', 'table=20'),
    new RegExp(`dl_dst=${mac} `),
  );
});
