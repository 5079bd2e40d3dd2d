// Both network-node agents on one host with a real CirrOS guest (src/guest) behind a tap on
// br-int: the guest's udhcpc gets its lease from the DHCP agent's dnsmasq at boot, as the console
// log shows, then reaches its router's gateway and, through SNAT, 172.24.4.1 on br-ex.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Guest } from '../../guest/index.js';
import { ipToString } from '../../wire/ipv4-address.js';
import { startDhcpAgent } from '../dhcp-agent/index.js';
import { setupExternalNetwork, startL3Agent } from '../l3-agent/index.js';
import { FakeNeutron, networkNode, OvsAgentStandIn, S } from './test-cloud.js';

test('a CirrOS guest boots with its lease from the DHCP agent and reaches the outside through the L3 agent', async () => {
  const node = networkNode(3);
  const { sched, host, vs } = node;
  setupExternalNetwork({ host, vswitchd: vs });
  const neutron = new FakeNeutron();
  const ovs = new OvsAgentStandIn(vs, node.nb, neutron);
  const common = { host, vswitchd: vs, bus: neutron.agentBus, sched, files: undefined };
  const dhcp = startDhcpAgent({ ...common, log: node.log.logger('dhcp'), config: { host: 'network' } });
  const l3 = startL3Agent({ ...common, log: node.log.logger('l3'), config: { host: 'network' } });
  const settle = async () => {
    await neutron.bus.idle();
    await dhcp.sync();
    await l3.sync();
    ovs.run();
  };

  const ext = neutron.createNetwork({ external: true });
  neutron.createSubnet(ext, '172.24.4.0/24', { enable_dhcp: false });
  ovs.lvidOf(ext);
  const net = neutron.createNetwork();
  const sub = neutron.createSubnet(net, '10.0.0.0/24');
  await settle();
  const router = neutron.createRouter();
  neutron.addInterface(router, sub);
  neutron.setGateway(router, ext);
  const port = neutron.createPort(net);
  await settle();

  const tapName = `tap${port.id.slice(0, 11)}`;
  const tap = host.addTap(tapName, { mtu: 1450 });
  tap.setUp(true);
  assert.equal(
    vs.vsctl(['add-port', 'br-int', tapName, '--', 'set', 'Port', tapName, `tag=${ovs.lvidOf(net)}`]).code,
    0,
  );
  const vm = new Guest({
    sched,
    name: 'cirros-vm1',
    instanceId: 1,
    uuid: '11111111-2222-4333-8444-555555555555',
    mac: port.mac_address,
    tap,
    flavor: { ram: 512, vcpus: 1, disk: 1 },
    image: 'cirros-0.3.4-x86_64',
  });
  vm.boot();
  assert.ok(
    sched.runUntil(() => vm.isBooted, 600 * S),
    'booted',
  );
  const log = vm.console.text;
  const ip = port.fixed_ips[0].ip_address;
  for (const line of [
    `Sending select for ${ip}...`,
    `Lease of ${ip} obtained, lease time 86400`,
    // option 121 carries the default route too, so the router option's route add fails (reference/guest.md)
    'route: SIOCADDRT: File exists',
  ])
    assert.ok(log.includes(`${line}\n`), `console log lacks: ${line}`);
  assert.ok(!log.includes('pinging gateway failed'), 'the router answered the status block ping');
  const eth0 = vm.os!.eth0;
  assert.equal(eth0.mtu, 1450);
  assert.equal(ipToString(eth0.addresses[0].address), ip);

  const run = (cmd: string) => {
    const p = vm.run(cmd);
    sched.runFor(10 * S);
    return p;
  };
  const resolv = await run('cat /etc/resolv.conf');
  assert.equal(resolv.output, 'search openstacklocal\nnameserver 10.0.0.2\n');
  const out = await run('ping -c 1 172.24.4.1');
  assert.match(out.output, /64 bytes from 172\.24\.4\.1: seq=0 ttl=63/);
  // at T1 (12 h) udhcpc renews by unicast to the DHCP port; dnsmasq ACKs and moves the expiry
  const leaseOf = () => dhcp.agent.dnsmasqOf(net)!.server!.leases.get(port.mac_address)!.expiry;
  const before = leaseOf();
  sched.runFor(43_300 * S);
  assert.ok(leaseOf() >= before + 43_200, 'lease renewed at T1');
  assert.equal(ipToString(eth0.addresses[0].address), ip);
  dhcp.stop();
  l3.stop();
});
