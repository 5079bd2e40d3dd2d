import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { conntrackList } from '../../kernel/netfilter/index.js';
import { iptables } from '../../kernel/netfilter/iptables.js';
import { PcapCapture } from '../../kernel/pcap-capture.js';
import { vxlanDecapsulate } from '../../wire/vxlan.js';
import { ping, replies, S, Testbed } from './testbed.js';

const tag = (bed: Testbed, host: string, port: string) => bed.vsctl(host, 'get', 'Port', port, 'tag').trim();
const flows = (bed: Testbed, host: string, br: string, match = '') =>
  bed.h(host).agent!.agent.cli.dumpFlows(br, match);

test('at start: br-int, br-ex and br-tun with their patch ports, base flows under one cookie, report_state', async () => {
  const bed = new Testbed(['compute1', 'compute2']);
  const a = bed.startAgent('compute1');
  await bed.settle();
  const show = bed.vsctl('compute1', 'show');
  for (const want of [
    'Bridge br-int',
    'Bridge br-tun',
    'Bridge br-ex',
    'fail_mode: secure',
    'Controller "tcp:127.0.0.1:6633"',
    'options: {peer=patch-int}',
    'options: {peer=patch-tun}',
    'options: {peer=phy-br-ex}',
    'options: {peer=int-br-ex}',
  ])
    assert.ok(show.includes(want), `${want}\n${show}`);
  const int = flows(bed, 'compute1', 'br-int');
  const cookie = a.agent.intBr.cookie.toString(16);
  for (const want of [
    'table=0, n_packets=0, n_bytes=0, idle_age=0, priority=65535,vlan_tci=0x0fff/0x1fff actions=drop',
    'priority=2,in_port=1 actions=drop', // int-br-ex before patch-tun (physical bridges first)
    'table=23, n_packets=0, n_bytes=0, idle_age=0, priority=0 actions=drop',
    'table=60, n_packets=0, n_bytes=0, idle_age=0, priority=1 actions=NORMAL',
  ])
    assert.ok(int.includes(want), `${want}\n${int}`);
  assert.ok(
    int
      .split('\n')
      .filter((l) => l.startsWith(' cookie='))
      .every((l) => l.includes(`cookie=0x${cookie},`)),
  );
  const tun = flows(bed, 'compute1', 'br-tun');
  assert.match(tun, /table=0, .*priority=1,in_port=1 actions=resubmit\(,2\)/);
  assert.match(tun, /table=10, .*actions=learn\(table=20,hard_timeout=300,priority=1,cookie=0x/);
  assert.match(tun, /table=22, .*priority=0 actions=drop/);
  assert.match(flows(bed, 'compute1', 'br-ex'), /priority=2,in_port=1 actions=drop/);
  const report = bed.neutron.reports[0].agent_state as { configurations: Record<string, unknown> } & Record<
    string,
    unknown
  >;
  assert.equal(report.agent_type, 'Open vSwitch agent');
  assert.equal(report.binary, 'neutron-openvswitch-agent');
  assert.equal(report.start_flag, true);
  assert.deepEqual(report.configurations.bridge_mappings, { extnet: 'br-ex' });
  assert.deepEqual(report.configurations.tunnel_types, ['vxlan']);
  assert.equal(report.configurations.tunneling_ip, '192.168.136.66');
  assert.equal(report.configurations.l2_population, false);
  // Every 30 s of virtual time another report, without start_flag.
  bed.sched.runFor(31 * S);
  await bed.neutron.bus.idle();
  assert.equal(bed.neutron.reports.length, 2);
  assert.equal((bed.neutron.reports[1].agent_state as Record<string, unknown>).start_flag, undefined);
  a.stop();
});

test('local VLANs: one tag per network (1, 2 …), kept while a port remains; freed tags are not reused at once', async () => {
  const bed = new Testbed(['compute1']);
  bed.startAgent('compute1');
  await bed.settle();
  const n = bed.neutron;
  const netA = n.createNetwork(1001);
  const netB = n.createNetwork(1002);
  const a1 = bed.plug('compute1', n.createPort(netA, 'compute1', '10.0.0.5'));
  const a2 = bed.plug('compute1', n.createPort(netA, 'compute1', '10.0.0.6'));
  await bed.settle();
  const b1 = bed.plug('compute1', n.createPort(netB, 'compute1', '10.0.1.5'));
  await bed.settle();
  assert.equal(tag(bed, 'compute1', a1.qvo), '1');
  assert.equal(tag(bed, 'compute1', a2.qvo), '1');
  assert.equal(tag(bed, 'compute1', b1.qvo), '2');
  assert.match(
    bed.vsctl('compute1', 'get', 'Port', a1.qvo, 'other_config'),
    /net_uuid=.*segmentation_id="1001", tag="1"/,
  );
  assert.equal(n.ports.get(a1.port.id)?.status, 'ACTIVE', 'update_device_up');
  assert.match(
    flows(bed, 'compute1', 'br-tun', 'table=4'),
    /priority=1,tun_id=0x3e9 actions=mod_vlan_vid:1,resubmit\(,10\)/,
  );
  // One of netA's ports leaves: the tag stays; the last one leaves: the VLAN is reclaimed.
  bed.unplug('compute1', a1);
  await bed.settle();
  assert.equal(tag(bed, 'compute1', a2.qvo), '1');
  assert.equal(n.ports.get(a1.port.id)?.status, 'DOWN', 'update_device_down');
  bed.unplug('compute1', a2);
  await bed.settle();
  assert.doesNotMatch(flows(bed, 'compute1', 'br-tun', 'table=4'), /tun_id=0x3e9/);
  // The agent's set.pop(): a new network takes 3 (above the last one given), not the freed 1.
  const netC = n.createNetwork(1003);
  const c1 = bed.plug('compute1', n.createPort(netC, 'compute1', '10.0.2.5'));
  await bed.settle();
  assert.equal(tag(bed, 'compute1', c1.qvo), '3');
});

test('ping on one host and across hosts over VXLAN (VNI on the underlay), learned flows in table 20', async () => {
  const bed = new Testbed(['compute1', 'compute2']);
  bed.startAgent('compute1');
  bed.startAgent('compute2');
  await bed.settle();
  const n = bed.neutron;
  const sg = n.createSecurityGroup();
  const net = n.createNetwork(1001);
  const vm1 = bed.plug('compute1', n.createPort(net, 'compute1', '10.0.0.5', { security_groups: [sg] }));
  const vm2 = bed.plug('compute1', n.createPort(net, 'compute1', '10.0.0.6', { security_groups: [sg] }));
  const vm3 = bed.plug('compute2', n.createPort(net, 'compute2', '10.0.0.7', { security_groups: [sg] }));
  await bed.settle();
  assert.match(
    bed.vsctl('compute1', 'show'),
    /Port vxlan-c0a88843\n\s+Interface vxlan-c0a88843\n\s+type: vxlan\n\s+options: \{df_default="true", egress_pkt_mark="0", in_key=flow, local_ip="192.168.136.66", out_key=flow, remote_ip="192.168.136.67"\}/,
  );
  const tapBefore = vm2.tap.txPackets;
  assert.equal(replies(await ping(bed, vm1, '10.0.0.6')), 3, 'same host');
  assert.ok(vm2.tap.txPackets - tapBefore >= 3);
  const vnis: number[] = [];
  bed.h('compute1').eth1.capture((_t, f) => {
    const d = vxlanDecapsulate(f);
    if (d.ok) vnis.push(d.value.vni);
  });
  assert.equal(replies(await ping(bed, vm1, '10.0.0.7')), 3, 'across hosts');
  assert.ok(vnis.length >= 6 && vnis.every((v) => v === 1001), `${vnis}`);
  assert.match(
    flows(bed, 'compute2', 'br-tun', 'table=20'),
    /hard_timeout=300, .*priority=1,vlan_tci=0x0001\/0x0fff,dl_dst=/,
  );
  assert.match(flows(bed, 'compute1', 'br-tun', 'table=4'), /n_packets=[1-9]\d*, .*tun_id=0x3e9/);
  // A drop flow by hand on vm1's qvo: 100% loss; deleting it restores the replies.
  const of = bed.vsctl('compute1', 'get', 'Interface', vm1.qvo, 'ofport').trim();
  const cli = bed.h('compute1').agent!.agent.cli;
  cli.of.addFlow('br-int', `priority=100,in_port=${of},actions=drop`);
  assert.equal(replies(await ping(bed, vm1, '10.0.0.7')), 0);
  cli.of.delFlows('br-int', `priority=100,in_port=${of}`, true);
  assert.equal(replies(await ping(bed, vm1, '10.0.0.7')), 3);
  // Counters grow by exactly the packets sent: vm1's tap, its qvo flow on br-int (table 0,
  // priority 9) and compute1's table-4 flow for VNI 1001 (the replies coming back).
  const nPackets = (host: string, br: string, flow: string) => {
    const line =
      flows(bed, host, br)
        .split('\n')
        .find((l) => l.includes(flow)) ?? '';
    return Number(/n_packets=(\d+)/.exec(line)?.[1] ?? Number.NaN);
  };
  const qvoFlow = `priority=9,in_port=${of} `;
  const before = {
    tap: vm1.tap.rxPackets,
    qvo: nPackets('compute1', 'br-int', qvoFlow),
    tun: nPackets('compute1', 'br-tun', 'priority=1,tun_id=0x3e9 '),
  };
  assert.equal(replies(await ping(bed, vm1, '10.0.0.7')), 3);
  assert.equal(vm1.tap.rxPackets - before.tap, 3, 'tap');
  assert.equal(nPackets('compute1', 'br-int', qvoFlow) - before.qvo, 3, 'qvo flow');
  assert.equal(nPackets('compute1', 'br-tun', 'priority=1,tun_id=0x3e9 ') - before.tun, 3, 'table 4');
  // The other network is another VLAN and VNI: nothing crosses.
  const other = n.createNetwork(1002);
  const vm4 = bed.plug('compute2', n.createPort(other, 'compute2', '10.0.0.8', { security_groups: [sg] }));
  await bed.settle();
  assert.equal(tag(bed, 'compute2', vm4.qvo), '2');
  assert.equal(replies(await ping(bed, vm1, '10.0.0.8')), 0);
  void vm3;
});

test('security groups: no ingress rule blocks ping (sg-fallback counts), an ICMP rule opens it within one loop', async () => {
  const bed = new Testbed(['compute1']);
  bed.startAgent('compute1');
  await bed.settle();
  const n = bed.neutron;
  const net = n.createNetwork(1001);
  const open = n.createSecurityGroup();
  const closed = n.createSecurityGroup({ defaultRules: false });
  const vm1 = bed.plug('compute1', n.createPort(net, 'compute1', '10.0.0.5', { security_groups: [open] }));
  const vm2 = bed.plug('compute1', n.createPort(net, 'compute1', '10.0.0.6', { security_groups: [closed] }));
  await bed.settle();
  const nf = bed.h('compute1').host.root.iptables();
  const dropsBefore = nf.tables.filter!.chains.get('neutron-openvswi-sg-fallback')!.rules[0].pkts;
  assert.equal(replies(await ping(bed, vm1, '10.0.0.6')), 0);
  const drops = nf.tables.filter!.chains.get('neutron-openvswi-sg-fallback')!.rules[0].pkts;
  assert.ok(drops - dropsBefore >= 3, `fallback DROP counted ${drops - dropsBefore}`);
  n.addRule(closed, { direction: 'ingress', protocol: 'icmp' });
  // The notification kicks the loop at once; within one polling interval the rule is in place.
  await n.bus.idle();
  bed.sched.runFor(2 * S);
  await bed.settle(0);
  assert.match(
    iptables(nf, ['-S', `neutron-openvswi-i${vm2.port.id.slice(0, 10)}`]).stdout,
    /-p icmp -j RETURN/,
  );
  assert.equal(replies(await ping(bed, vm1, '10.0.0.6')), 3);
  // Deleting the rule closes the port again and forgets the connections it had let in.
  const zone = `zone=${bed.h('compute1').agent!.agent.firewall!.zones.get(vm2.port.id)}`;
  assert.match(conntrackList(nf).stdout, new RegExp(`icmp .*${zone}`));
  n.deleteRule(closed, (r) => r.protocol === 'icmp');
  await bed.settle();
  assert.doesNotMatch(
    conntrackList(nf).stdout,
    new RegExp(`icmp .*src=10\\.0\\.0\\.5 dst=10\\.0\\.0\\.6 .*${zone}`),
  );
  assert.equal(replies(await ping(bed, vm1, '10.0.0.6')), 0);
});

test('anti-spoofing: a guest that changes its IP is dropped and counted by its s chain', async () => {
  const bed = new Testbed(['compute1']);
  bed.startAgent('compute1');
  await bed.settle();
  const n = bed.neutron;
  const net = n.createNetwork(1001);
  const sg = n.createSecurityGroup();
  n.addRule(sg, { direction: 'ingress', protocol: 'icmp' });
  const vm1 = bed.plug('compute1', n.createPort(net, 'compute1', '10.0.0.5', { security_groups: [sg] }));
  bed.plug('compute1', n.createPort(net, 'compute1', '10.0.0.6', { security_groups: [sg] }));
  await bed.settle();
  assert.equal(replies(await ping(bed, vm1, '10.0.0.6', 1)), 1);
  vm1.ns.removeAddress(vm1.eth0, '10.0.0.5/24');
  vm1.ns.addAddress(vm1.eth0, '10.0.0.99/24');
  const nf = bed.h('compute1').host.root.iptables();
  const sChain = nf.tables.filter!.chains.get(`neutron-openvswi-s${vm1.port.id.slice(0, 10)}`)!;
  const before = sChain.rules.at(-1)!.pkts;
  assert.equal(replies(await ping(bed, vm1, '10.0.0.6')), 0);
  assert.ok(sChain.rules.at(-1)!.pkts - before >= 1, 'spoofed packets hit the s chain DROP');
  // With port security off the port is not filtered at all (and its spoofing flows go).
  n.updatePort(vm1.port.id, { port_security_enabled: false, security_groups: [] });
  await n.bus.idle();
  await bed.settle();
  assert.match(iptables(nf, ['-S']).stdout, /Accept all packets when port security is disabled/);
  assert.equal(nf.tables.filter!.chains.get(`neutron-openvswi-s${vm1.port.id.slice(0, 10)}`), undefined);
  assert.doesNotMatch(flows(bed, 'compute1', 'br-int', 'table=25'), new RegExp(vm1.port.mac_address));
});

test('a restarted agent converges with no change: same tags, flows (new cookie), rules; old cookies gone', async () => {
  const bed = new Testbed(['compute1', 'compute2']);
  bed.startAgent('compute1');
  bed.startAgent('compute2');
  await bed.settle();
  const n = bed.neutron;
  const sg = n.createSecurityGroup();
  const netA = n.createNetwork(1001);
  const netB = n.createNetwork(1002);
  const vm1 = bed.plug('compute1', n.createPort(netB, 'compute1', '10.0.1.5', { security_groups: [sg] }));
  const vm2 = bed.plug('compute1', n.createPort(netA, 'compute1', '10.0.0.5', { security_groups: [sg] }));
  bed.plug('compute2', n.createPort(netA, 'compute2', '10.0.0.6', { security_groups: [sg] }));
  await bed.settle();
  assert.equal(replies(await ping(bed, vm2, '10.0.0.6', 1)), 1);
  const norm = (dump: string) =>
    dump
      .split('\n')
      .filter((l) => l.startsWith(' cookie=') && !l.includes('hard_timeout=300'))
      .map((l) =>
        l
          .replace(/cookie=0x[0-9a-f]+, duration=[\d.]+s, /, '')
          .replace(/n_packets=\d+, n_bytes=\d+, (idle_age=\d+, )?(hard_age=\d+, )?/, ''),
      )
      .sort()
      .join('\n');
  const snapshot = () => ({
    show: bed.vsctl('compute1', 'show'),
    int: norm(flows(bed, 'compute1', 'br-int')),
    tun: norm(flows(bed, 'compute1', 'br-tun')),
    ex: norm(flows(bed, 'compute1', 'br-ex')),
    filter: iptables(bed.h('compute1').host.root.iptables(), ['-S']).stdout,
    raw: iptables(bed.h('compute1').host.root.iptables(), ['-t', 'raw', '-S']).stdout,
  });
  const before = snapshot();
  const oldCookie = bed.h('compute1').agent!.agent.intBr.cookie;
  bed.h('compute1').agent!.stop();
  const again = bed.startAgent('compute1');
  await bed.settle();
  const after = snapshot();
  assert.notEqual(again.agent.intBr.cookie, oldCookie);
  assert.deepEqual(after, before);
  assert.equal(tag(bed, 'compute1', vm1.qvo), '1');
  assert.doesNotMatch(flows(bed, 'compute1', 'br-int'), new RegExp(`cookie=0x${oldCookie.toString(16)},`));
  assert.equal(replies(await ping(bed, vm2, '10.0.0.6', 1)), 1);
});

test('golden: the agent writes host-tools.md §8 for the reference port (enable_ipset = False)', async () => {
  const bed = new Testbed(['compute1']);
  bed.startAgent('compute1', { enableIpset: false });
  await bed.settle();
  const n = bed.neutron;
  const net = n.createNetwork(1001, { id: '1a2b3c4d-5e6f-4071-8293-a4b5c6d7e8f9' });
  const dflt = n.createSecurityGroup({ id: 'e4f3b2a1-0c9d-4e8f-a7b6-c5d4e3f2a1b0' });
  const extra = n.createSecurityGroup({ id: '7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d', defaultRules: false });
  n.sgs.get(extra)!.push(
    {
      direction: 'ingress',
      ethertype: 'IPv4',
      protocol: 'tcp',
      port_range_min: 22,
      port_range_max: 22,
      remote_ip_prefix: null,
      remote_group_id: null,
    },
    {
      direction: 'ingress',
      ethertype: 'IPv4',
      protocol: 'icmp',
      port_range_min: null,
      port_range_max: null,
      remote_ip_prefix: null,
      remote_group_id: null,
    },
  );
  bed.plug(
    'compute1',
    n.createPort(net, 'compute1', '10.0.0.5', {
      id: '6f8a1c2d-3e4f-4a5b-9c6d-7e8f9a0b1c2d',
      mac_address: 'fa:16:3e:2b:7c:11',
      security_groups: [dflt, extra],
    }),
  );
  n.createPort(net, 'compute2', '10.0.0.9', { security_groups: [dflt] }); // the group's other member
  await bed.settle();
  const nf = bed.h('compute1').host.root.iptables();
  const golden = (name: string) =>
    readFileSync(new URL(`../../../../src/agents/ovs-agent/testdata/${name}`, import.meta.url), 'utf8');
  assert.equal(iptables(nf, ['-S']).stdout, golden('hybrid-filter.S.golden'));
  assert.equal(iptables(nf, ['-t', 'raw', '-S']).stdout, golden('hybrid-raw.S.golden'));
});

test('admin_state_up False: dead VLAN 4095 and a drop flow, reported down; back up: the network VLAN again', async () => {
  const bed = new Testbed(['compute1']);
  bed.startAgent('compute1');
  await bed.settle();
  const n = bed.neutron;
  const net = n.createNetwork(1001);
  const vm = bed.plug('compute1', n.createPort(net, 'compute1', '10.0.0.5'));
  await bed.settle();
  assert.equal(tag(bed, 'compute1', vm.qvo), '1');
  n.updatePort(vm.port.id, { admin_state_up: false });
  await bed.settle();
  assert.equal(tag(bed, 'compute1', vm.qvo), '4095');
  assert.equal(n.ports.get(vm.port.id)?.status, 'DOWN');
  // The network keeps its local VLAN (no port_unbound): its flows on br-tun stay.
  assert.match(flows(bed, 'compute1', 'br-tun', 'table=4'), /tun_id=0x3e9 actions=mod_vlan_vid:1,/);
  const of = bed.vsctl('compute1', 'get', 'Interface', vm.qvo, 'ofport').trim();
  assert.match(
    flows(bed, 'compute1', 'br-int', 'table=0'),
    new RegExp(`priority=2,in_port=${of} actions=drop`),
  );
  n.updatePort(vm.port.id, { admin_state_up: true });
  await bed.settle();
  assert.equal(n.ports.get(vm.port.id)?.status, 'ACTIVE');
  assert.doesNotMatch(
    flows(bed, 'compute1', 'br-int', 'table=0'),
    new RegExp(`priority=2,in_port=${of} actions=drop`),
  );
  assert.equal(tag(bed, 'compute1', vm.qvo), '1', 'the same local VLAN as before');
});

test('a DHCP port plugged on the dead VLAN trunk gets its tag, vlan_mode/trunks cleared, no spoofing flows, no chains', async () => {
  const bed = new Testbed(['compute1']);
  bed.startAgent('compute1');
  await bed.settle();
  const n = bed.neutron;
  const net = n.createNetwork(1001);
  const p = n.createPort(net, 'compute1', '10.0.0.2', { device_owner: 'network:dhcp' });
  const name = `tap${p.id.slice(0, 11)}`;
  // OVSInterfaceDriver.plug: internal port on the dead VLAN trunk until the agent binds it.
  bed.vsctl(
    'compute1',
    '--may-exist',
    'add-port',
    'br-int',
    name,
    '--',
    'set',
    'Port',
    name,
    'tag=4095',
    'vlan_mode=trunk',
    'trunks=4095',
    '--',
    'set',
    'Interface',
    name,
    'type=internal',
    `external_ids:iface-id=${p.id}`,
    'external_ids:iface-status=active',
    `external_ids:attached-mac=${p.mac_address}`,
  );
  await bed.settle();
  assert.equal(tag(bed, 'compute1', name), '1');
  assert.equal(bed.vsctl('compute1', 'get', 'Port', name, 'trunks').trim(), '[]');
  assert.equal(bed.vsctl('compute1', 'get', 'Port', name, 'vlan_mode').trim(), '[]');
  assert.doesNotMatch(flows(bed, 'compute1', 'br-int', 'table=25'), new RegExp(p.mac_address));
  assert.doesNotMatch(
    iptables(bed.h('compute1').host.root.iptables(), ['-S']).stdout,
    new RegExp(p.id.slice(0, 10)),
  );
});

test('flows lost (ovs-ofctl del-flows on every bridge): the canary is gone, the next loop rebuilds them', async () => {
  const bed = new Testbed(['compute1', 'compute2']);
  bed.startAgent('compute1');
  bed.startAgent('compute2');
  await bed.settle();
  const n = bed.neutron;
  const sg = n.createSecurityGroup();
  const net = n.createNetwork(1001);
  const vm1 = bed.plug('compute1', n.createPort(net, 'compute1', '10.0.0.5', { security_groups: [sg] }));
  bed.plug('compute2', n.createPort(net, 'compute2', '10.0.0.6', { security_groups: [sg] }));
  await bed.settle();
  const before =
    flows(bed, 'compute1', 'br-int').split('\n').length + flows(bed, 'compute1', 'br-tun').split('\n').length;
  const cli = bed.h('compute1').agent!.agent.cli;
  for (const br of ['br-int', 'br-tun', 'br-ex']) cli.of.delFlows(br, '');
  assert.equal(flows(bed, 'compute1', 'br-int'), 'NXST_FLOW reply (xid=0x4):\n');
  bed.sched.runFor(2 * S); // the next rpc_loop iteration
  await bed.settle();
  const after =
    flows(bed, 'compute1', 'br-int').split('\n').length + flows(bed, 'compute1', 'br-tun').split('\n').length;
  assert.ok(after >= before - 1, `${after} flows back of ${before}`);
  assert.match(
    bed.h('compute1').log.memoryLines().join(''),
    /OVS is restarted\. OVSNeutronAgent will reset bridges and recover ports\./,
  );
  assert.equal(replies(await ping(bed, vm1, '10.0.0.6', 1)), 1);
});

test('a flat network on extnet: br-ex strips the local VLAN towards the physnet, br-int tags what comes back', async () => {
  const bed = new Testbed(['network']);
  bed.startAgent('network');
  await bed.settle();
  const n = bed.neutron;
  const ext = n.createNetwork(0, { type: 'flat', vni: null, physnet: 'extnet', mtu: 1500 });
  const p = n.createPort(ext, 'network', '172.24.4.14', { device_owner: 'network:router_gateway' });
  const name = `qg-${p.id.slice(0, 11)}`;
  bed.vsctl(
    'network',
    '--may-exist',
    'add-port',
    'br-int',
    name,
    '--',
    'set',
    'Interface',
    name,
    'type=internal',
    `external_ids:iface-id=${p.id}`,
    `external_ids:attached-mac=${p.mac_address}`,
  );
  await bed.settle();
  assert.equal(tag(bed, 'network', name), '1');
  const phy = bed.vsctl('network', 'get', 'Interface', 'phy-br-ex', 'ofport').trim();
  const intp = bed.vsctl('network', 'get', 'Interface', 'int-br-ex', 'ofport').trim();
  assert.match(
    flows(bed, 'network', 'br-ex'),
    new RegExp(`priority=4,in_port=${phy},dl_vlan=1 actions=strip_vlan,NORMAL`),
  );
  assert.match(
    flows(bed, 'network', 'br-int'),
    new RegExp(`priority=3,in_port=${intp},vlan_tci=0x0000/0x1fff actions=mod_vlan_vid:1,resubmit\\(,59\\)`),
  );
  assert.match(
    bed.vsctl('network', 'get', 'Port', name, 'other_config'),
    /network_type=flat, physical_network=extnet/,
  );
  // The port goes: the VLAN is reclaimed and its translation flows with it.
  bed.vsctl('network', 'del-port', 'br-int', name);
  await bed.settle();
  assert.doesNotMatch(flows(bed, 'network', 'br-ex'), /priority=4/);
  assert.doesNotMatch(flows(bed, 'network', 'br-int'), /priority=3,in_port/);
});

const hasTshark = spawnSync('sh', ['-c', 'command -v tshark'], { stdio: 'ignore' }).status === 0;

test("tshark on the underlay capture: the network's VNI and the inner echo sequence numbers", {
  skip: !hasTshark && 'tshark not installed',
}, async () => {
  const bed = new Testbed(['compute1', 'compute2']);
  bed.startAgent('compute1');
  bed.startAgent('compute2');
  await bed.settle();
  const n = bed.neutron;
  const sg = n.createSecurityGroup();
  const net = n.createNetwork(1001);
  const vm1 = bed.plug('compute1', n.createPort(net, 'compute1', '10.0.0.5', { security_groups: [sg] }));
  bed.plug('compute2', n.createPort(net, 'compute2', '10.0.0.6', { security_groups: [sg] }));
  await bed.settle();
  const cap = new PcapCapture(bed.h('compute1').eth1, { direction: 'tx' });
  assert.equal(replies(await ping(bed, vm1, '10.0.0.6', 3)), 3);
  cap.stop();
  const dir = mkdtempSync(join(tmpdir(), 'pocketstack-ovs-agent-'));
  try {
    const file = join(dir, 'eth1.pcap');
    writeFileSync(file, cap.file());
    const r = spawnSync(
      'tshark',
      [
        '-n',
        '-r',
        file,
        '-Y',
        'icmp.type == 8',
        '-T',
        'fields',
        '-e',
        'udp.dstport',
        '-e',
        'vxlan.vni',
        '-e',
        'icmp.seq',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '4789\t1001\t1\n4789\t1001\t2\n4789\t1001\t3\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("remote group members: a port of the group created or deleted elsewhere updates this host's ipset within a loop", async () => {
  const bed = new Testbed(['compute1']);
  bed.startAgent('compute1');
  await bed.settle();
  const n = bed.neutron;
  const sg = n.createSecurityGroup();
  const other = n.createSecurityGroup();
  const net = n.createNetwork(1001);
  bed.plug('compute1', n.createPort(net, 'compute1', '10.0.0.5', { security_groups: [sg] }));
  await bed.settle();
  const nf = bed.h('compute1').host.root.iptables();
  const members = () => [...(nf.ipsets.get(`NIPv4${sg}`.slice(0, 29))?.members() ?? [])].sort();
  assert.deepEqual(members(), ['10.0.0.5']);
  const calls = () => n.calls.filter((c) => c === 'security_group_info_for_devices').length;
  const before = calls();
  n.createPort(net, 'compute9', '10.0.0.77', { security_groups: [other] }); // not a member: no refresh
  bed.sched.runFor(2 * S);
  await bed.settle();
  assert.equal(calls(), before);
  const p = n.createPort(net, 'compute9', '10.0.0.9', { security_groups: [sg] });
  bed.sched.runFor(2 * S);
  await bed.settle();
  assert.deepEqual(members(), ['10.0.0.5', '10.0.0.9']);
  n.deletePort(p.id);
  bed.sched.runFor(2 * S);
  await bed.settle();
  assert.deepEqual(members(), ['10.0.0.5']);
});
