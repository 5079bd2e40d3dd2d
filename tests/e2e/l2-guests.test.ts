// The seed's layer 2 on the all-in-one host, through the emulated packets: CirrOS guests get
// their DHCP lease at boot, ping each other on the same VXLAN network, and nothing crosses to
// another network without a router; what the agents built shows in ovs-vsctl, ovs-ofctl and
// iptables as on a packstack host.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Booted,
  bootServers,
  hostExec,
  leaseLine,
  osJson,
  qvoTag,
  seedNetworks,
  vmExec,
} from './dataplane-fixtures.js';
import { startTestCloud, type TestCloud } from './harness.js';

describe('layer 2: guests on vxlan10 and vxlan11', () => {
  let cloud: TestCloud;
  let vm: Record<string, Booted>;
  const exec = (...argv: string[]) => hostExec(cloud, 'localhost', ...argv);

  before(async () => {
    cloud = await startTestCloud();
    await seedNetworks(cloud);
    vm = await bootServers(cloud, [
      { name: 'cirros-vm1', network: 'vxlan10' },
      { name: 'cirros-vm2', network: 'vxlan10' },
      { name: 'cirros-vm3', network: 'vxlan11' },
    ]);
  });
  after(async () => {
    await cloud?.stop();
  });

  it('boots each guest with its DHCP lease (86400 s) and its port ACTIVE on an ovs VIF', async () => {
    for (const name of ['cirros-vm1', 'cirros-vm2', 'cirros-vm3'])
      assert.equal(await leaseLine(cloud, name), `Lease of ${vm[name].ip} obtained, lease time 86400`);
    const port = await osJson(cloud, ['port', 'show', vm['cirros-vm1'].portId]);
    assert.equal(port.status, 'ACTIVE');
    assert.equal(port.binding_vif_type, 'ovs');
    assert.equal(port.binding_host_id, 'localhost');
  });

  it('pings vm2 from vm1 on the same network; the qvo tags are equal, vm3 has its own', async () => {
    const r = await vmExec(cloud, 'cirros-vm1', 'ping', '-c', '3', vm['cirros-vm2'].ip);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`64 bytes from ${vm['cirros-vm2'].ip.replace(/\./g, '\\.')}: seq=2 ttl=64`),
    );
    assert.match(r.stdout, /3 packets transmitted, 3 packets received, 0% packet loss/);
    const [t1, t2, t3] = await Promise.all(
      ['cirros-vm1', 'cirros-vm2', 'cirros-vm3'].map((n) => qvoTag(cloud, 'localhost', vm[n].portId)),
    );
    assert.equal(t1, t2);
    assert.notEqual(t1, t3);
  });

  it("shows Neutron's flow tables and the hybrid firewall's chains", async () => {
    const int = await exec('ovs-ofctl', 'dump-flows', 'br-int');
    for (const t of [0, 23, 24, 60]) assert.match(int, new RegExp(`table=${t}, `), `br-int table ${t}`);
    assert.match(
      int,
      new RegExp(
        `table=24, .*arp_spa=${vm['cirros-vm1'].ip.replace(/\./g, '\\.')} actions=resubmit\\(,25\\)`,
      ),
    );
    const tun = await exec('ovs-ofctl', 'dump-flows', 'br-tun');
    for (const t of [0, 2, 3, 4, 6, 10, 20, 22])
      assert.match(tun, new RegExp(`table=${t}, `), `br-tun table ${t}`);
    const rules = await exec('iptables', '-S');
    for (const n of ['cirros-vm1', 'cirros-vm2']) {
      const chain = vm[n].portId.slice(0, 10);
      for (const c of ['i', 'o', 's'])
        assert.match(rules, new RegExp(`^-N neutron-openvswi-${c}${chain}$`, 'm'));
      assert.match(rules, new RegExp(`--physdev-in tap${vm[n].portId.slice(0, 11)} --physdev-is-bridged`));
    }
    assert.match(rules, /^-N neutron-openvswi-sg-chain$/m);
    assert.match(rules, /^-N neutron-openvswi-sg-fallback$/m);
  });

  it('loses every packet to vm3 on another network without a router', async () => {
    const r = await vmExec(cloud, 'cirros-vm1', 'ping', '-c', '2', vm['cirros-vm3'].ip);
    assert.match(r.stdout, /2 packets transmitted, 0 packets received, 100% packet loss/);
  });
});
