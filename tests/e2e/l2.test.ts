// Layer 2 in the running cloud: Neutron's agents on the all-in-one host, seen through the real
// `openstack` client and `pocketstack host exec` — the agents alive, the DHCP namespace of a
// network, a port plugged as os-vif plugs it going ACTIVE (and its server with it: Nova waits for
// network-vif-plugged), the bridges with their patch ports, and ML2's binding_failed on a host
// without an Open vSwitch agent.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as dp from './dataplane-fixtures.js';
import { startTestCloud, type TestCloud } from './harness.js';
import { uploadImage } from './nova-fixtures.js';

describe('layer 2: the agents in the cloud', () => {
  let cloud: TestCloud;
  const hostExec = (...argv: string[]) => dp.hostExec(cloud, 'localhost', ...argv);
  const json = (args: string[]) => dp.osJson(cloud, args);
  const eventually = dp.eventually;
  /**
   * os-vif's hybrid plug of a port, typed as an operator would (what nova-compute's libvirt
   * driver does; the tap is libvirt's, left out here).
   */
  const plug = async (port: { id: string; mac_address: string }, vmUuid: string) => {
    const dev = port.id.slice(0, 11);
    await hostExec('brctl', 'addbr', `qbr${dev}`);
    await hostExec('ip', 'link', 'add', `qvb${dev}`, 'type', 'veth', 'peer', 'name', `qvo${dev}`);
    await hostExec('brctl', 'addif', `qbr${dev}`, `qvb${dev}`);
    for (const d of ['qbr', 'qvb', 'qvo']) await hostExec('ip', 'link', 'set', `${d}${dev}`, 'up');
    await hostExec(
      'ovs-vsctl',
      '--',
      '--may-exist',
      'add-port',
      'br-int',
      `qvo${dev}`,
      '--',
      'set',
      'Interface',
      `qvo${dev}`,
      `external_ids:iface-id=${port.id}`,
      'external_ids:iface-status=active',
      `external_ids:attached-mac=${port.mac_address}`,
      `external_ids:vm-uuid=${vmUuid}`,
    );
  };

  before(async () => {
    cloud = await startTestCloud();
  });
  after(async () => {
    await cloud?.stop();
  });

  it('lists the Open vSwitch, DHCP and L3 agents alive, with what they report', async () => {
    const agents = (await json(['network', 'agent', 'list'])) as Record<string, unknown>[];
    const byType = new Map(agents.map((a) => [a['Agent Type'], a]));
    assert.deepEqual([...byType.keys()].sort(), ['DHCP agent', 'L3 agent', 'Open vSwitch agent']);
    for (const a of agents) {
      assert.equal(a.Host, 'localhost');
      assert.equal(a.Alive, true);
      assert.equal(a.State, true);
    }
    assert.equal(byType.get('Open vSwitch agent')?.Binary, 'neutron-openvswitch-agent');
    const ovs = await json(['network', 'agent', 'show', String(byType.get('Open vSwitch agent')?.ID)]);
    assert.equal(ovs.configuration.tunneling_ip, '192.168.136.66');
    assert.deepEqual(ovs.configuration.bridge_mappings, { extnet: 'br-ex' });
    assert.deepEqual(ovs.configuration.tunnel_types, ['vxlan']);
    const l3 = await json(['network', 'agent', 'show', String(byType.get('L3 agent')?.ID)]);
    assert.equal(l3.configuration.agent_mode, 'legacy');
  });

  it('builds br-int, br-tun and br-ex with their patch ports, and br-ex carries 172.24.4.1/24', async () => {
    const show = await hostExec('ovs-vsctl', 'show');
    for (const br of ['br-int', 'br-tun', 'br-ex']) assert.match(show, new RegExp(`Bridge ${br}\\n`));
    for (const [port, peer] of [
      ['patch-tun', 'patch-int'],
      ['patch-int', 'patch-tun'],
      ['int-br-ex', 'phy-br-ex'],
      ['phy-br-ex', 'int-br-ex'],
    ])
      assert.match(
        show,
        new RegExp(
          `Port ${port}\\n\\s+Interface ${port}\\n\\s+type: patch\\n\\s+options: \\{peer=${peer}\\}`,
        ),
      );
    assert.match(await hostExec('ip', 'addr', 'show', 'br-ex'), /inet 172\.24\.4\.1\/24 /);
    // Neutron's base flows: the canary of table 23, br-tun's learn() in table 10.
    assert.match(await hostExec('ovs-ofctl', 'dump-flows', 'br-int'), /table=23, .*priority=0 actions=drop/);
    assert.match(await hostExec('ovs-ofctl', 'dump-flows', 'br-tun'), /table=10, .*learn\(/);
  });

  let net: { id: string };
  it('serves a new network from qdhcp-<network id> with the DHCP port at .2', async () => {
    net = await json(['network', 'create', 'vxlan10']);
    await json([
      'subnet',
      'create',
      '--network',
      'vxlan10',
      '--subnet-range',
      '172.16.10.0/24',
      'subnet172_16_10_0',
    ]);
    await eventually('qdhcp namespace', async () =>
      (await hostExec('ip', 'netns')).includes(`qdhcp-${net.id}`) ? true : undefined,
    );
    const ports = (await json([
      'port',
      'list',
      '--network',
      'vxlan10',
      '--device-owner',
      'network:dhcp',
    ])) as {
      ID: string;
    }[];
    assert.equal(ports.length, 1);
    const dhcpPort = await json(['port', 'show', ports[0].ID]);
    const addr = await hostExec('ip', 'netns', 'exec', `qdhcp-${net.id}`, 'ip', 'addr');
    const tap = `tap${dhcpPort.id.slice(0, 11)}`;
    assert.match(addr, new RegExp(`: ${tap}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 `));
    const ip = dhcpPort.fixed_ips[0].ip_address.replace(/\./g, '\\.');
    assert.match(addr, new RegExp(`inet ${ip}/24 brd 172\\.16\\.10\\.255 scope global ${tap}`));
    assert.equal(dhcpPort['binding:host_id'] ?? dhcpPort.binding_host_id, 'localhost');
    await eventually('DHCP port ACTIVE', async () =>
      (await json(['port', 'show', ports[0].ID])).status === 'ACTIVE' ? true : undefined,
    );
  });

  it('binds a port only where an Open vSwitch agent lives', async () => {
    const p = await json(['port', 'create', '--network', 'vxlan10', '--host', 'nowhere', 'stray']);
    assert.equal(p.binding_vif_type, 'binding_failed');
  });

  it("brings a port plugged as os-vif plugs it ACTIVE on its network's local VLAN, with its firewall", async () => {
    const port = await json(['port', 'create', '--network', 'vxlan10', '--host', 'localhost', 'plugged']);
    assert.equal(port.status, 'DOWN');
    assert.equal(port.binding_vif_type, 'ovs');
    assert.equal(port.binding_vif_details.ovs_hybrid_plug, true);
    await plug(port, 'a5a5a5a5-0000-4000-8000-000000000001');
    await eventually('port ACTIVE', async () =>
      (await json(['port', 'show', port.id])).status === 'ACTIVE' ? true : undefined,
    );
    const dev = port.id.slice(0, 11);
    // The DHCP port came first: the network's local VLAN is 1.
    assert.match(
      await hostExec('ovs-vsctl', 'show'),
      new RegExp(`Port qvo${dev}\\n\\s+tag: 1\\n\\s+Interface qvo${dev}\\n`),
    );
    const vni = (await json(['network', 'show', net.id]))['provider:segmentation_id'] as number;
    assert.match(
      await hostExec('ovs-ofctl', 'dump-flows', 'br-tun'),
      new RegExp(`table=4, .*tun_id=0x${vni.toString(16)} actions=mod_vlan_vid:1,resubmit\\(,10\\)`),
    );
    assert.match(
      await hostExec('ovs-ofctl', 'dump-flows', 'br-int'),
      new RegExp(`table=24, .*arp_spa=${port.fixed_ips[0].ip_address}`),
    );
    const rules = await hostExec('iptables', '-S');
    const chain = port.id.slice(0, 10);
    assert.match(rules, new RegExp(`^-N neutron-openvswi-i${chain}$`, 'm'));
    assert.match(rules, new RegExp(`^-N neutron-openvswi-o${chain}$`, 'm'));
    assert.match(
      rules,
      new RegExp(
        `^-A neutron-openvswi-sg-chain -m physdev --physdev-out tap${dev} --physdev-is-bridged .*-j neutron-openvswi-i${chain}$`,
        'm',
      ),
    );
    assert.match(
      await hostExec('cat', '/var/log/neutron/openvswitch-agent.log'),
      new RegExp(`Port ${port.id} updated\\.`),
    );
  });

  it('keeps a server in BUILD until Neutron reports its port ACTIVE (network-vif-plugged)', async () => {
    await uploadImage(cloud);
    // The Open vSwitch agent stopped (as `systemctl stop neutron-openvswitch-agent`): it stays
    // alive for agent_down_time, so the port binds, but nobody reports the plugged VIF up.
    const agents = cloud.running.cloud.neutronAgents;
    assert.ok(agents.stopAgent('localhost', 'ovs'));
    const server = await json([
      'server',
      'create',
      '--image',
      'cirros-0.3.4-x86_64',
      '--flavor',
      'm1.tiny',
      '--network',
      'vxlan10',
      'cirros-vm1',
    ]);
    const [row] = (await json(['port', 'list', '--device-id', server.id])) as { ID: string }[];
    await eventually('the VIF plugged', async () =>
      (await hostExec('ovs-vsctl', 'list-ports', 'br-int')).includes(`qvo${row.ID.slice(0, 11)}`)
        ? true
        : undefined,
    );
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal((await json(['port', 'show', row.ID])).status, 'DOWN');
    assert.equal((await json(['server', 'show', server.id])).status, 'BUILD');

    assert.ok(agents.startAgent('localhost', 'ovs'));
    await eventually('server ACTIVE', async () =>
      (await json(['server', 'show', server.id])).status === 'ACTIVE' ? true : undefined,
    );
    const port = await json(['port', 'show', row.ID]);
    assert.equal(port.status, 'ACTIVE');
    assert.equal(port.binding_vif_type, 'ovs');
    assert.equal(port.binding_host_id, 'localhost');
    const log = await hostExec('cat', '/var/log/neutron/server.log');
    assert.match(
      log,
      new RegExp(`'name': 'network-vif-plugged', 'status': 'completed', 'tag': '${row.ID}', 'code': 200`),
    );
  });

  it('keeps a wired port in BUILD until the DHCP agent serves it, so the guest leases on its first DISCOVER', async () => {
    // The DHCP agent stopped: its row stays, so ML2 puts a DHCP provisioning block on the new
    // port besides the L2 one; the Open vSwitch agent reports the port up, nobody lifts the DHCP block.
    const agents = cloud.running.cloud.neutronAgents;
    assert.ok(agents.stopAgent('localhost', 'dhcp'));
    const server = await json([
      ...['server', 'create', '--image', 'cirros-0.3.4-x86_64', '--flavor', 'm1.tiny'],
      ...['--network', 'vxlan10', 'cirros-vm2'],
    ]);
    const [row] = (await json(['port', 'list', '--device-id', server.id])) as { ID: string }[];
    await eventually('the port wired (BUILD)', async () =>
      (await json(['port', 'show', row.ID])).status === 'BUILD' ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await json(['port', 'show', row.ID])).status, 'BUILD');
    assert.equal((await json(['server', 'show', server.id])).status, 'BUILD');

    // Back, it resyncs: dnsmasq gets the port's host entry and the agent tells the server.
    assert.ok(agents.startAgent('localhost', 'dhcp'));
    await eventually('server ACTIVE', async () =>
      (await json(['server', 'show', server.id])).status === 'ACTIVE' ? true : undefined,
    );
    assert.equal((await json(['port', 'show', row.ID])).status, 'ACTIVE');
    assert.match(
      await hostExec('cat', '/var/log/neutron/dhcp-agent.log'),
      new RegExp(`DHCP configuration for ports \\{[^}]*'${row.ID}'[^}]*\\} is completed`),
    );
    await dp.leaseLine(cloud, 'cirros-vm2');
    const boot = await dp.os(cloud, ['console', 'log', 'show', 'cirros-vm2']);
    assert.equal(boot.match(/^Sending discover\.\.\.$/gm)?.length, 1, boot);
  });
});
