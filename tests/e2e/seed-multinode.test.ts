// The seed walkthrough on `--layout multinode --computes 2` (seed-walkthrough.ts): vm1 and vm3 on
// compute1, vm2 on compute2, the DHCP and router namespaces on the controller. vm1 → vm2 crosses
// the underlay: `tcpdump -i eth1 -nn` on compute1 shows the VXLAN packets with VNI = vxlan10's
// segmentation id, and br-tun learns vm2's MAC in table 20.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { hostExec, osJson, vmExec } from './dataplane-fixtures.js';
import { repoRoot } from './harness.js';
import { describeSeedWalkthrough } from './seed-walkthrough.js';

describeSeedWalkthrough('the seed walkthrough (multinode, 2 computes)', {
  layout: { layout: 'multinode', computes: 2 },
  networkHost: 'controller',
  placement: { 'cirros-vm1': 'compute1', 'cirros-vm2': 'compute2', 'cirros-vm3': 'compute1' },
  async afterSameNetworkPing(cloud, vm) {
    assert.equal(vm['cirros-vm1'].host, 'compute1');
    assert.equal(vm['cirros-vm2'].host, 'compute2');
    const agents = (await osJson(cloud, ['network', 'agent', 'list'])) as Record<string, string>[];
    assert.deepEqual(agents.map((a) => `${a['Agent Type']}@${a.Host}`).sort(), [
      'DHCP agent@controller',
      'L3 agent@controller',
      'Open vSwitch agent@compute1',
      'Open vSwitch agent@compute2',
      'Open vSwitch agent@controller',
    ]);
    const vni = (await osJson(cloud, ['network', 'show', 'vxlan10']))['provider:segmentation_id'] as number;
    // tcpdump on the underlay NIC until Ctrl-C, as a user watches it while the guests ping.
    const tcpdump = spawn(process.execPath, [
      ...[join(repoRoot, 'bin/pocketstack'), 'host', 'exec', '--data-dir', cloud.dataDir, 'compute1', '--'],
      ...['tcpdump', '-i', 'eth1', '-nn', 'udp', 'port', '4789'],
    ]);
    let dump = '';
    tcpdump.stdout.on('data', (d: Buffer) => {
      dump += d.toString();
    });
    const exited = new Promise((r) => tcpdump.once('exit', r));
    await new Promise((r) => setTimeout(r, 700));
    const r = await vmExec(cloud, 'cirros-vm1', 'ping', '-c', '2', vm['cirros-vm2'].ip);
    tcpdump.kill('SIGINT');
    await exited;
    assert.match(r.stdout, / 0% packet loss/);
    const [ip1, ip2] = [vm['cirros-vm1'].ip, vm['cirros-vm2'].ip].map((a) => a.replace(/\./g, '\\.'));
    assert.match(
      dump,
      new RegExp(
        `IP 192\\.168\\.136\\.11\\.\\d+ > 192\\.168\\.136\\.12\\.4789: VXLAN, flags \\[I\\] \\(0x08\\), vni ${vni}\\nIP ${ip1} > ${ip2}: ICMP echo request`,
      ),
    );
    assert.match(dump, new RegExp(`vni ${vni}\\nIP ${ip2} > ${ip1}: ICMP echo reply`));
    const learned = await hostExec(cloud, 'compute1', 'ovs-ofctl', 'dump-flows', 'br-tun', 'table=20');
    assert.match(learned, /hard_timeout=300, .*priority=1,vlan_tci=0x0001\/0x0fff,dl_dst=/);
  },
});
