// Filtering on the emulated packets, as issue 8's acceptance lists it: a drop flow added by hand on
// vm1's qvo cuts it off and deleting it restores replies; a VM in a security group without ingress
// rules is unreachable (the sg-fallback DROP counts the echoes) until an ICMP rule is added; an
// address changed inside the guest is dropped by the anti-spoofing rule.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Booted,
  bootServers,
  eventually,
  hostExec,
  os,
  osJson,
  seedNetworks,
  vmExec,
} from './dataplane-fixtures.js';
import { startTestCloud, type TestCloud } from './harness.js';

describe('layer 2 filtering: flows, security groups, anti-spoofing', () => {
  let cloud: TestCloud;
  let vm: Record<string, Booted>;
  const exec = (...argv: string[]) => hostExec(cloud, 'localhost', ...argv);
  const ping = async (from: string, to: string, count = 1) =>
    (await vmExec(cloud, from, 'ping', '-c', String(count), '-W', '1', to)).stdout;
  const replies = (out: string) => Number(/(\d+) packets received/.exec(out)?.[1] ?? -1);

  before(async () => {
    cloud = await startTestCloud();
    await seedNetworks(cloud, [10]);
    await os(cloud, ['security', 'group', 'create', 'closed']);
    vm = await bootServers(cloud, [
      { name: 'cirros-vm1', network: 'vxlan10' },
      { name: 'cirros-vm2', network: 'vxlan10' },
    ]);
  });
  after(async () => {
    await cloud?.stop();
  });

  it('drops everything from vm1 with a drop flow on its qvo, and replies again once it is deleted', async () => {
    assert.equal(replies(await ping('cirros-vm1', vm['cirros-vm2'].ip)), 1);
    const qvo = `qvo${vm['cirros-vm1'].portId.slice(0, 11)}`;
    const ofport = (await exec('ovs-vsctl', 'get', 'Interface', qvo, 'ofport')).trim();
    await exec('ovs-ofctl', 'add-flow', 'br-int', `priority=100,in_port=${ofport},actions=drop`);
    assert.match(await ping('cirros-vm1', vm['cirros-vm2'].ip, 2), /100% packet loss/);
    await exec('ovs-ofctl', 'del-flows', 'br-int', `priority=100,in_port=${ofport}`, '--strict');
    assert.equal(replies(await ping('cirros-vm1', vm['cirros-vm2'].ip)), 1);
  });

  it('blocks pings into a group without ingress rules until an ICMP rule is added', async () => {
    await os(cloud, ['server', 'remove', 'security', 'group', 'cirros-vm2', 'default']);
    await os(cloud, ['server', 'add', 'security', 'group', 'cirros-vm2', 'closed']);
    const fallback = async () => {
      const t = await exec('iptables', '-L', 'neutron-openvswi-sg-fallback', '-n', '-v', '-x');
      return Number(
        t
          .split('\n')
          .find((l) => l.includes('DROP'))
          ?.trim()
          .split(/\s+/)[0] ?? -1,
      );
    };
    await eventually('vm2 unreachable', async () =>
      replies(await ping('cirros-vm1', vm['cirros-vm2'].ip)) === 0 ? true : undefined,
    );
    const dropped = await fallback();
    assert.equal(replies(await ping('cirros-vm1', vm['cirros-vm2'].ip, 2)), 0);
    assert.ok((await fallback()) >= dropped + 2, 'sg-fallback counts the blocked echoes');
    await os(cloud, ['security', 'group', 'rule', 'create', '--protocol', 'icmp', 'closed']);
    await eventually('vm2 reachable', async () =>
      replies(await ping('cirros-vm1', vm['cirros-vm2'].ip)) === 1 ? true : undefined,
    );
  });

  it("drops vm1's packets once it takes an address that is not its own (anti-spoofing)", async () => {
    const r = await vmExec(cloud, 'cirros-vm1', 'ifconfig', 'eth0', '172.16.10.99');
    assert.equal(r.code, 0, r.stderr);
    assert.match(await ping('cirros-vm1', vm['cirros-vm2'].ip, 2), /100% packet loss/);
    const chain = `neutron-openvswi-s${vm['cirros-vm1'].portId.slice(0, 10)}`;
    const spoof = await exec('iptables', '-L', chain, '-n', '-v', '-x');
    const drop = spoof.split('\n').find((l) => /DROP/.test(l));
    assert.ok(drop && Number(drop.trim().split(/\s+/)[0]) > 0, spoof);
    const port = await osJson(cloud, ['port', 'show', vm['cirros-vm1'].portId]);
    assert.equal(port.status, 'ACTIVE');
  });
});
