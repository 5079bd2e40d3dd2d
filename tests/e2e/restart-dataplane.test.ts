// A restart of pocketstack on the same data dir rebuilds every host from the stored state: the
// agents resync (same qdhcp/qrouter namespaces, same qvo tags), nova-compute adopts its guests,
// which boot and get their leases again, and the pings work again without any API call.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  assertFirstDiscoverAnswered,
  type Booted,
  bootServers,
  hostExec,
  hostReaches,
  netnsOf,
  qvoTag,
  routerWithFloatingIp,
  seedNetworks,
  vmReaches,
} from './dataplane-fixtures.js';
import { startTestCloud, type TestCloud } from './harness.js';

describe('restart: the data plane comes back from the stored state', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pocketstack-restart-dp-'));
  let cloud: TestCloud | undefined;
  after(async () => {
    await cloud?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('has the same devices and tags after a restart; vm1 pings vm2, vm3 and 172.24.4.1, the host its floating IP', async () => {
    cloud = await startTestCloud({ dataDir, ephemeral: false });
    await seedNetworks(cloud);
    const vm: Record<string, Booted> = await bootServers(cloud, [
      { name: 'cirros-vm1', network: 'vxlan10' },
      { name: 'cirros-vm2', network: 'vxlan10' },
      { name: 'cirros-vm3', network: 'vxlan11' },
    ]);
    // The command block's outside pings too: a gateway, a floating IP on vm1, ICMP let in.
    const fip = await routerWithFloatingIp(cloud, 'cirros-vm1');
    const fromHost = (c: TestCloud) => hostReaches(c, 'localhost', fip);
    const through = (c: TestCloud, to: string) => vmReaches(c, 'cirros-vm1', to);
    assert.match(await through(cloud, vm['cirros-vm3'].ip), /ttl=63/);
    assert.match(await fromHost(cloud), /ttl=63/);
    const snapshot = async (c: TestCloud) => ({
      netns: await netnsOf(c, 'localhost'),
      ports: (await hostExec(c, 'localhost', 'ovs-vsctl', 'list-ports', 'br-int')).split('\n').sort(),
      // conf.db keeps each Port's tag and other_config, and the agent reads them back from the
      // tap/qr-/qg- ports ovs-vswitchd recreates at start: every network keeps its local VLAN.
      tags: await Promise.all(
        ['cirros-vm1', 'cirros-vm2', 'cirros-vm3'].map((n) => qvoTag(c, 'localhost', vm[n].portId)),
      ),
      // The Linux bridges and their interfaces (bridge ids and column layout aside).
      bridges: (
        (await hostExec(c, 'localhost', 'brctl', 'show')).match(
          /\b(qbr|qvb|tap)[0-9a-f]{8}-[0-9a-f]{2}\b/g,
        ) ?? []
      ).sort(),
    });
    const before = await snapshot(cloud);
    assert.equal(before.netns.filter((n) => /^q(dhcp|router)-/.test(n)).length, 3);
    assert.equal(before.ports.filter((p) => /^(qvo|tap|qr-)/.test(p)).length, 7);
    assert.equal(before.bridges.length, 9);
    const [t1, t2, t3] = before.tags;
    assert.ok(t1 === t2 && t3 !== t1 && t1 !== 4095 && t3 !== 4095, `qvo tags ${before.tags.join(', ')}`);
    await cloud.stop();
    // The host's switch configuration outlives the process, as /etc/openvswitch/conf.db does.
    assert.ok(existsSync(join(dataDir, 'hosts/localhost/etc/openvswitch/conf.db')));

    cloud = await startTestCloud({ dataDir, ephemeral: false });
    const restarted = cloud;
    // No API call: the agents and nova-compute rebuild the host by themselves.
    assert.match(await through(restarted, vm['cirros-vm2'].ip), /ttl=64/);
    assert.match(await through(restarted, vm['cirros-vm3'].ip), /ttl=63/);
    assert.match(await fromHost(restarted), /ttl=63/);
    assert.match(await through(restarted, '172.24.4.1'), /ttl=63/);
    assert.deepEqual(await snapshot(restarted), before);
    // nova-compute held each guest paused until Neutron said its port was wired again, so the
    // first DHCPDISCOVER of the new boot got its answer (no 60 s retry).
    await assertFirstDiscoverAnswered(restarted, ['cirros-vm1', 'cirros-vm2', 'cirros-vm3']);
  });
});
