// Two compute hosts (`--layout multinode --computes 2`): vm1 on compute1 and vm2 on compute2 on
// vxlan10 ping each other through br-tun and VXLAN on the underlay, and tcpdump on compute1's
// eth1 shows the encapsulated echoes with VNI = the network's segmentation id.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type Booted,
  bootServers,
  hostExec,
  leaseLine,
  osJson,
  seedNetworks,
  vmExec,
} from './dataplane-fixtures.js';
import { repoRoot, startTestCloud, type TestCloud } from './harness.js';

describe('layer 2 across hosts: VXLAN between compute1 and compute2', () => {
  let cloud: TestCloud;
  let vm: Record<string, Booted>;
  let vni: number;

  before(async () => {
    cloud = await startTestCloud({ layout: { layout: 'multinode', computes: 2 } });
    const nets = await seedNetworks(cloud, [10]);
    vni = (await osJson(cloud, ['network', 'show', nets[10]]))['provider:segmentation_id'];
    vm = await bootServers(cloud, [
      { name: 'cirros-vm1', network: 'vxlan10', host: 'compute1' },
      { name: 'cirros-vm2', network: 'vxlan10', host: 'compute2' },
    ]);
  });
  after(async () => {
    await cloud?.stop();
  });

  it('runs an Open vSwitch agent on every host, DHCP and L3 on the controller', async () => {
    const agents = (await osJson(cloud, ['network', 'agent', 'list'])) as unknown as Record<string, string>[];
    const rows = agents.map((a) => `${a['Agent Type']}@${a.Host}`).sort();
    assert.deepEqual(rows, [
      'DHCP agent@controller',
      'L3 agent@controller',
      'Open vSwitch agent@compute1',
      'Open vSwitch agent@compute2',
      'Open vSwitch agent@controller',
    ]);
    assert.equal(vm['cirros-vm1'].host, 'compute1');
    assert.equal(vm['cirros-vm2'].host, 'compute2');
    // The DHCP server is on the controller: the leases crossed the underlay too.
    assert.match(await leaseLine(cloud, 'cirros-vm2'), /lease time 86400$/);
    assert.match(
      await hostExec(cloud, 'compute1', 'ovs-vsctl', 'show'),
      /Port vxlan-c0a8880c\n\s+Interface vxlan-c0a8880c\n\s+type: vxlan\n\s+options: \{df_default="true", egress_pkt_mark="0", in_key=flow, local_ip="192\.168\.136\.11", out_key=flow, remote_ip="192\.168\.136\.12"\}/,
    );
  });

  it('pings vm2 on compute2 from vm1 on compute1; eth1 carries VXLAN with the network VNI', async () => {
    // tcpdump until Ctrl-C, as a user watches the underlay while the guests ping.
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
    const r = await vmExec(cloud, 'cirros-vm1', 'ping', '-c', '3', vm['cirros-vm2'].ip);
    assert.match(r.stdout, /3 packets transmitted, 3 packets received, 0% packet loss/);
    tcpdump.kill('SIGINT');
    await exited;
    assert.match(
      dump,
      new RegExp(
        `IP 192\\.168\\.136\\.11\\.\\d+ > 192\\.168\\.136\\.12\\.4789: VXLAN, flags \\[I\\] \\(0x08\\), vni ${vni}\\n`,
      ),
    );
    assert.match(
      dump,
      new RegExp(
        `${vm['cirros-vm1'].ip.replace(/\./g, '\\.')} > ${vm['cirros-vm2'].ip.replace(/\./g, '\\.')}: ICMP echo request`,
      ),
    );
    assert.match(dump, /ICMP echo reply/);
    const learned = await hostExec(cloud, 'compute1', 'ovs-ofctl', 'dump-flows', 'br-tun', 'table=20');
    assert.match(learned, /hard_timeout=300, .*priority=1,vlan_tci=0x0001\/0x0fff,dl_dst=/);
  });
});
