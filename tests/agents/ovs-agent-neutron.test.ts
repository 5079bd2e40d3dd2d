// The Open vSwitch agent against the real neutron-server code (src/services/neutron on an
// in-memory database) over the bus: ports created through Neutron's service functions, bound to
// emulated hosts, plugged as os-vif plugs them; the agents' RPC answered by Neutron's own handlers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ping, replies, S, Testbed } from '../../src/agents/ovs-agent/testbed.js';
import { Bus } from '../../src/bus/bus.js';
import { iptables } from '../../src/kernel/netfilter/iptables.js';
import { Neutron } from '../../src/services/neutron/index.js';
import { internalContext, type RequestContext } from '../../src/services/policy.js';
import type { Logger } from '../../src/sim/oslo-log.js';
import { openDatabase } from '../../src/store/db.js';

const quiet: Logger = { debug() {}, info() {}, warning() {}, error() {} };
const admin: RequestContext = {
  ...internalContext(),
  projectId: 'admin-project',
  roles: ['admin', 'member'],
};

test('agents on two hosts with neutron-server: ports ACTIVE, agents alive, ping over VXLAN, a rule opens ICMP', async () => {
  const bus = new Bus();
  const neutron = new Neutron({
    db: openDatabase(':memory:'),
    bus,
    log: quiet,
    hosts: () => ['compute1', 'compute2'],
    requireLiveAgent: true,
    now: () => new Date(Date.parse('2026-11-24T10:00:00Z')),
  });
  neutron.serveRpc();
  neutron.bootstrap('admin-project');
  const bed = new Testbed(['compute1', 'compute2'], 1, bus);
  bed.startAgent('compute1');
  bed.startAgent('compute2');
  await bed.settle();
  const agents = neutron.listAgents(admin);
  assert.deepEqual(agents.map((a) => [a.host, a.agent_type, a.alive]).sort(), [
    ['compute1', 'Open vSwitch agent', true],
    ['compute2', 'Open vSwitch agent', true],
  ]);
  assert.equal(
    (agents.find((a) => a.host === 'compute2')!.configurations as Record<string, unknown>).tunneling_ip,
    '192.168.136.67',
  );

  const net = neutron.createNetwork(admin, { name: 'vxlan10' });
  neutron.createSubnet(admin, { network_id: net.id, ip_version: 4, cidr: '172.16.10.0/24' });
  const sg = neutron.createSecurityGroup(admin, { name: 'closed' });
  const mk = (host: string, groups?: string[]) => {
    const p = neutron.createPort(admin, {
      network_id: net.id,
      'binding:host_id': host,
      device_owner: 'compute:nova',
      device_id: `vm-${host}`,
      ...(groups ? { security_groups: groups } : {}),
    });
    assert.equal(p['binding:vif_type'], 'ovs', 'bound: a live Open vSwitch agent runs there');
    const fixed = p.fixed_ips as { ip_address: string }[];
    return { id: p.id as string, mac_address: p.mac_address as string, ip: fixed[0].ip_address };
  };
  const p1 = mk('compute1');
  const p2 = mk('compute2', [sg.id as string]);
  const vm1 = bed.plug('compute1', p1);
  bed.plug('compute2', p2);
  await bed.settle();
  assert.equal(neutron.getPort(admin, p1.id).status, 'ACTIVE');
  assert.equal(neutron.getPort(admin, p2.id).status, 'ACTIVE');
  assert.match(bed.vsctl('compute1', 'show'), /Port vxlan-c0a88843/);
  const vni = (net['provider:segmentation_id'] as number).toString(16);
  assert.match(
    bed.h('compute2').agent!.agent.cli.dumpFlows('br-tun', 'table=4'),
    new RegExp(`tun_id=0x${vni} `),
  );

  // vm2's group has no ingress rule: ping is dropped; one rule through the API opens it.
  assert.equal(replies(await ping(bed, vm1, p2.ip, 2)), 0);
  neutron.createSecurityGroupRule(admin, {
    security_group_id: sg.id,
    direction: 'ingress',
    protocol: 'icmp',
  });
  await bus.idle();
  bed.sched.runFor(2 * S);
  await bed.settle();
  const nf2 = bed.h('compute2').host.root.iptables();
  assert.match(iptables(nf2, ['-S', `neutron-openvswi-i${p2.id.slice(0, 10)}`]).stdout, /-p icmp -j RETURN/);
  assert.equal(replies(await ping(bed, vm1, p2.ip, 2)), 2);
});
