// `--layout multinode --computes 2` (the controller is the network node with the DHCP and L3
// agents; compute1 and compute2 run the guests): a floating IP on a guest of a compute host answers
// the controller (br-ex's 172.24.4.1 lives there), and a restart of the whole cloud on the same data
// dir brings every host back without any API call — vm1 (compute1) pings vm2 (compute2, same
// network, over VXLAN) and vm3 (compute2, the other network, through the router on the controller),
// the controller reaches the floating IP again, and the qvo tags follow Neutron's rule: exact on the
// controller (its tap/qr-/qg- ports carry them), one tag per network on the computes.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { LayoutOptions } from '../../src/sim/layout.js';
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

const layout: LayoutOptions = { layout: 'multinode', computes: 2 };

describe('multinode: a floating IP on a compute host, and a restart of the whole cloud', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pocketstack-restart-mn-'));
  let cloud: TestCloud | undefined;
  after(async () => {
    await cloud?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the controller pings vm1’s floating IP; after a restart vm1 pings vm2, vm3, 172.24.4.1 and the tags hold', async () => {
    cloud = await startTestCloud({ dataDir, ephemeral: false, layout });
    await seedNetworks(cloud);
    const vm: Record<string, Booted> = await bootServers(cloud, [
      { name: 'cirros-vm1', network: 'vxlan10', host: 'compute1' },
      { name: 'cirros-vm2', network: 'vxlan10', host: 'compute2' },
      { name: 'cirros-vm3', network: 'vxlan11', host: 'compute2' },
    ]);
    assert.deepEqual(
      ['cirros-vm1', 'cirros-vm2', 'cirros-vm3'].map((n) => vm[n].host),
      ['compute1', 'compute2', 'compute2'],
    );
    const fip = await routerWithFloatingIp(cloud, 'cirros-vm1');
    const fromController = (c: TestCloud) => hostReaches(c, 'controller', fip);
    const through = (c: TestCloud, to: string) => vmReaches(c, 'cirros-vm1', to);
    // br-ex is on the controller; the DNAT happens in the qrouter namespace there, the guest is
    // one VXLAN hop away on compute1.
    assert.match(await fromController(cloud), /ttl=63/);
    assert.match(await through(cloud, '172.24.4.1'), /ttl=63/);
    assert.match(await through(cloud, vm['cirros-vm2'].ip), /ttl=64/);
    assert.match(await through(cloud, vm['cirros-vm3'].ip), /ttl=63/);

    // The controller's br-int ports (tap of qdhcp, qr-/qg- of qrouter) and their tags.
    const controllerTags = async (c: TestCloud) => {
      const ports = (await hostExec(c, 'controller', 'ovs-vsctl', 'list-ports', 'br-int'))
        .split('\n')
        .filter((p) => /^(tap|qr-|qg-)/.test(p))
        .sort();
      const tags: Record<string, string> = {};
      for (const p of ports)
        tags[p] = (await hostExec(c, 'controller', 'ovs-vsctl', 'get', 'Port', p, 'tag')).trim();
      return tags;
    };
    const computeTags = async (c: TestCloud) => ({
      vm1: await qvoTag(c, 'compute1', vm['cirros-vm1'].portId),
      vm2: await qvoTag(c, 'compute2', vm['cirros-vm2'].portId),
      vm3: await qvoTag(c, 'compute2', vm['cirros-vm3'].portId),
    });
    // The namespaces live on the network node only.
    const netns = (c: TestCloud) =>
      Promise.all(['controller', 'compute1', 'compute2'].map((h) => netnsOf(c, h)));
    const namespaces = await netns(cloud);
    assert.equal(namespaces[0].filter((n) => /^q(dhcp|router)-/.test(n)).length, 3, namespaces[0].join(' '));
    assert.deepEqual(namespaces.slice(1), [[], []]);
    const before = await controllerTags(cloud);
    // Two DHCP taps, two qr- and one qg-, each on a real local VLAN.
    assert.equal(Object.keys(before).length, 5, JSON.stringify(before));
    assert.ok(
      Object.values(before).every((t) => /^\d+$/.test(t) && t !== '4095'),
      JSON.stringify(before),
    );
    const oneTagPerNetwork = (t: { vm1: number; vm2: number; vm3: number }) =>
      assert.ok(
        [t.vm1, t.vm2, t.vm3].every((x) => Number.isInteger(x) && x > 0 && x !== 4095) && t.vm2 !== t.vm3,
        `qvo tags ${JSON.stringify(t)}`,
      );
    oneTagPerNetwork(await computeTags(cloud));
    await cloud.stop();
    cloud = undefined;
    for (const host of ['controller', 'compute1', 'compute2'])
      assert.ok(existsSync(join(dataDir, `hosts/${host}/etc/openvswitch/conf.db`)), host);

    cloud = await startTestCloud({ dataDir, ephemeral: false, layout });
    const restarted = cloud;
    // No API call: the agents and nova-compute on each host rebuild it by themselves.
    assert.match(await through(restarted, vm['cirros-vm2'].ip), /ttl=64/);
    assert.match(await through(restarted, vm['cirros-vm3'].ip), /ttl=63/);
    assert.match(await fromController(restarted), /ttl=63/);
    assert.match(await through(restarted, '172.24.4.1'), /ttl=63/);
    // The network node's ports keep their local VLANs exactly (_restore_local_vlan_map); a compute
    // host's networks have only qvo ports, so each gets a tag again when its first port is bound.
    assert.deepEqual(await controllerTags(restarted), before);
    assert.deepEqual(await netns(restarted), namespaces);
    oneTagPerNetwork(await computeTags(restarted));
    // Each compute host's nova-compute held its guests paused until Neutron said their ports were
    // wired again (by that host's agent), so the first DHCPDISCOVER of the new boot was answered
    // by dnsmasq on the controller.
    await assertFirstDiscoverAnswered(restarted, ['cirros-vm1', 'cirros-vm2', 'cirros-vm3']);
  });
});
