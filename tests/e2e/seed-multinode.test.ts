// The seed walkthrough on `--layout multinode --computes 2` (seed-walkthrough.ts): vm1 and vm3 on
// compute1, vm2 on compute2, the DHCP and router namespaces on the controller; vm1 → vm2 crosses
// the underlay as VXLAN with VNI = vxlan10's segmentation id.
import assert from 'node:assert/strict';
import { osJson, vmExec } from './dataplane-fixtures.js';
import { describeSeedWalkthrough } from './seed-walkthrough.js';

describeSeedWalkthrough('the seed walkthrough (multinode, 2 computes)', {
  layout: { layout: 'multinode', computes: 2 },
  networkHost: 'controller',
  placement: { 'cirros-vm1': 'compute1', 'cirros-vm2': 'compute2', 'cirros-vm3': 'compute1' },
  async afterSameNetworkPing(cloud, vm) {
    assert.equal(vm['cirros-vm1'].host, 'compute1');
    assert.equal(vm['cirros-vm2'].host, 'compute2');
    const vni = (await osJson(cloud, ['network', 'show', 'vxlan10']))['provider:segmentation_id'] as number;
    // The underlay NIC's capture while vm1 pings vm2, decoded as tcpdump does.
    const world = cloud.running.cloud.world;
    const eth1 = world.host('compute1')?.nic;
    assert.ok(eth1);
    const vnis = new Set<number>();
    const stop = eth1.capture((_t, frame) => {
      // Ethernet + IPv4 (20) + UDP 4789: the VXLAN header's VNI.
      if (frame.length < 50 || frame[23] !== 17 || ((frame[36] << 8) | frame[37]) !== 4789) return;
      vnis.add((frame[46] << 16) | (frame[47] << 8) | frame[48]);
    });
    const r = await vmExec(cloud, 'cirros-vm1', 'ping', '-c', '2', vm['cirros-vm2'].ip);
    stop();
    assert.match(r.stdout, / 0% packet loss/);
    assert.deepEqual([...vnis], [vni]);
  },
});
