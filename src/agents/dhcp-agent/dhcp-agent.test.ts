import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipToString } from '../../wire/ipv4-address.js';
import {
  dhcpExchange,
  FakeNeutron,
  guest,
  networkNode,
  OvsAgentStandIn,
  ping,
} from '../common/test-cloud.js';
import { startDhcpAgent } from './index.js';

function bench() {
  const node = networkNode();
  const neutron = new FakeNeutron();
  const ovs = new OvsAgentStandIn(node.vs, node.nb, neutron);
  const registered = new Map<string, () => string>();
  const files = {
    register(path: string, render: () => string) {
      registered.set(path, render);
      return () => registered.delete(path);
    },
  };
  const dhcp = startDhcpAgent({
    host: node.host,
    vswitchd: node.vs,
    bus: neutron.agentBus,
    sched: node.sched,
    log: node.log.logger('neutron.agent.dhcp.agent'),
    files,
    wallMs: () => 1_700_000_000_000 + node.sched.now / 1e6,
    config: { host: 'network' },
  });
  /** Lets notifications and RPC finish, then the Open vSwitch agent tag the new ports. */
  const settle = async () => {
    await neutron.bus.idle();
    await dhcp.sync();
    ovs.run();
  };
  const cat = (path: string) => registered.get(path)?.() ?? null;
  return { ...node, neutron, ovs, dhcp, settle, cat };
}

test('DHCP agent: qdhcp namespace with the DHCP port, a guest leases its address through br-int', async () => {
  const b = bench();
  const { host, neutron, sched } = b;
  const net = neutron.createNetwork();
  const sub = neutron.createSubnet(net, '10.0.0.0/24');
  await b.settle();

  // the DHCP port was created through Neutron, .2 on a fresh subnet, device_owner network:dhcp
  const dhcpPort = [...neutron.ports.values()].find((p) => p.device_owner === 'network:dhcp')!;
  assert.equal(dhcpPort.fixed_ips[0].ip_address, '10.0.0.2');
  assert.match(dhcpPort.device_id, new RegExp(`^dhcp[0-9a-f-]{36}-${net}$`));
  const ns = host.namespaces.get(`qdhcp-${net}`);
  assert.ok(ns, 'qdhcp namespace');
  const tap = ns.dev(`tap${dhcpPort.id.slice(0, 11)}`)!;
  assert.ok(tap, 'tap device in the namespace');
  assert.equal(tap.mtu, 1450);
  assert.deepEqual(
    tap.addresses.map((a) => `${ipToString(a.address)}/${a.prefixLen}`),
    ['10.0.0.2/24'],
  );
  const def = ns.routes.routes.find((r) => r.prefixLen === 0)!;
  assert.equal(ipToString(def.via), '10.0.0.1');
  assert.equal(def.proto, 'static');
  // the OVS port carries the port's identity, so the Open vSwitch agent can tag it
  const iface = b.vs.ops.findIface(tap.name)!;
  assert.equal(iface.iface.map('external_ids').get('iface-id'), dhcpPort.id);
  assert.equal(iface.iface.map('external_ids').get('attached-mac'), dhcpPort.mac_address);
  assert.equal(iface.port.scalar<number>('tag'), 1, 'tagged by the Open vSwitch agent');

  const vmPort = neutron.createPort(net);
  await b.settle();
  const vm = guest(host, b.vs, b.ovs, vmPort);
  const r = dhcpExchange(sched, vm.ns, vm.eth0, vmPort.mac_address);
  assert.ok(r.offer, 'DHCPOFFER');
  assert.equal(r.offerDstMac, vmPort.mac_address, 'offer unicast to the client MAC');
  const ack = r.ack!;
  assert.ok(ack, 'DHCPACK');
  assert.equal(ipToString(ack.yiaddr), '10.0.0.3');
  const o = ack.options;
  assert.equal(ipToString(o.serverId!), '10.0.0.2');
  assert.equal(ipToString(o.subnetMask!), '255.255.255.0');
  assert.deepEqual(o.routers!.map(ipToString), ['10.0.0.1']);
  assert.deepEqual(o.dnsServers!.map(ipToString), ['10.0.0.2'], 'dnsmasq offers itself as DNS');
  assert.equal(o.interfaceMtu, 1450);
  assert.equal(o.leaseTime, 86400);
  assert.equal(o.renewalTime, 43200);
  assert.equal(o.rebindingTime, 75600);
  assert.equal(o.hostName, 'host-10-0-0-3');
  assert.equal(o.domainName, 'openstacklocal');
  assert.equal(o.classlessRoutes, undefined, 'no classless routes on an isolated subnet');

  const dir = `/var/lib/neutron/dhcp/${net}`;
  assert.equal(b.cat(`${dir}/host`), `${vmPort.mac_address},host-10-0-0-3.openstacklocal,10.0.0.3\n`);
  assert.equal(b.cat(`${dir}/opts`), `tag:subnet-${sub},option:router,10.0.0.1`);
  assert.equal(b.cat(`${dir}/addn_hosts`), '10.0.0.3\thost-10-0-0-3.openstacklocal host-10-0-0-3\n');
  assert.equal(b.cat(`${dir}/interface`), `tap${dhcpPort.id.slice(0, 11)}\n`);
  const [expiry, ...lease] = b.cat(`${dir}/leases`)!.trimEnd().split(' ');
  assert.ok(Math.abs(Number(expiry) - (1_700_000_000 + sched.now / 1e9 + 86400)) < 2, 'expiry = now + 86400');
  assert.deepEqual(lease, [vmPort.mac_address, '10.0.0.3', 'host-10-0-0-3', `01:${vmPort.mac_address}`]);
  assert.match(
    b.dhcp.agent.dnsmasqOf(net)!.argv.join(' '),
    new RegExp(
      `dnsmasq --no-hosts --no-resolv --pid-file=${dir}/pid --dhcp-hostsfile=${dir}/host .*--dhcp-range=set:subnet-${sub},10.0.0.0,static,255.255.255.0,86400s --dhcp-option-force=option:mtu,1450 --dhcp-lease-max=256 --conf-file=/dev/null --domain=openstacklocal$`,
    ),
  );

  // with the address configured the guest reaches the DHCP port
  vm.ns.addAddress(vm.eth0, '10.0.0.3/24');
  assert.equal(ping(sched, vm.ns, '10.0.0.2')[0]?.kind, 'reply');

  // a wrong address is refused, an unknown MAC is ignored
  const nak = dhcpExchange(sched, vm.ns, vm.eth0, vmPort.mac_address, { requestIp: '10.0.0.77' });
  assert.ok(nak.nak, 'DHCPNAK for a wrong address');
  assert.equal(nak.ack, null);
  const stranger = guest(host, b.vs, b.ovs, {
    ...vmPort,
    id: 'ffffffff-0000-4000-8000-000000000000',
    mac_address: 'fa:16:3e:99:99:99',
  });
  const ignored = dhcpExchange(sched, stranger.ns, stranger.eth0, 'fa:16:3e:99:99:99');
  assert.equal(ignored.offer, null, 'no offer for a MAC Neutron does not know');

  // a router interface on the subnet: host entry for it, the metadata and default classless routes
  const rport = neutron.createPort(net, {
    device_owner: 'network:router_interface',
    device_id: 'r1',
    fixed_ips: [{ subnet_id: sub, ip_address: '10.0.0.1' }],
  });
  await b.settle();
  assert.equal(
    b.cat(`${dir}/opts`),
    [
      `tag:subnet-${sub},option:classless-static-route,169.254.169.254/32,10.0.0.1,0.0.0.0/0,10.0.0.1`,
      `tag:subnet-${sub},249,169.254.169.254/32,10.0.0.1,0.0.0.0/0,10.0.0.1`,
      `tag:subnet-${sub},option:router,10.0.0.1`,
    ].join('\n'),
  );
  assert.equal(
    b.cat(`${dir}/host`),
    `${vmPort.mac_address},host-10-0-0-3.openstacklocal,10.0.0.3\n${rport.mac_address},host-10-0-0-1.openstacklocal,10.0.0.1\n`,
  );
  const renewed = dhcpExchange(sched, vm.ns, vm.eth0, vmPort.mac_address);
  assert.deepEqual(
    renewed.ack!.options.classlessRoutes!.map(
      (x) => `${ipToString(x.network)}/${x.prefixLen} via ${ipToString(x.gateway)}`,
    ),
    ['169.254.169.254/32 via 10.0.0.1', '0.0.0.0/0 via 10.0.0.1'],
  );

  // report_state carries the real agent's configurations
  await b.dhcp.agent.reportState();
  const last = neutron.reports.at(-1)!.agent_state as { configurations: Record<string, unknown> } & Record<
    string,
    unknown
  >;
  assert.equal(last.binary, 'neutron-dhcp-agent');
  assert.equal(last.agent_type, 'DHCP agent');
  assert.equal(last.topic, 'dhcp_agent');
  assert.deepEqual(last.configurations, {
    dhcp_driver: 'neutron.agent.linux.dhcp.Dnsmasq',
    dhcp_lease_duration: 86400,
    log_agent_heartbeats: false,
    networks: 1,
    subnets: 1,
    ports: 3,
  });
  assert.equal((neutron.reports[0].agent_state as { start_flag?: boolean }).start_flag, true);

  // the VM port goes: its host entry and its lease go with it
  neutron.deletePort(vmPort.id);
  await b.settle();
  assert.doesNotMatch(b.cat(`${dir}/host`)!, /10\.0\.0\.3/);
  assert.doesNotMatch(b.cat(`${dir}/leases`)!, /10\.0\.0\.3/);

  // the subnet loses DHCP: namespace, tap port and DHCP port are gone
  neutron.subnets.get(sub)!.enable_dhcp = false;
  neutron.loose.publish('subnet.updated', { subnet: neutron.subnets.get(sub) });
  await b.settle();
  assert.equal(host.namespaces.has(`qdhcp-${net}`), false);
  assert.equal(b.vs.ops.findPort(tap.name), undefined);
  assert.equal(neutron.ports.has(dhcpPort.id), false, 'release_dhcp_port');
  assert.equal(b.cat(`${dir}/host`), null);
  b.dhcp.stop();
});

test('DHCP agent: isolated metadata and a second subnet (the port is updated through Neutron)', async () => {
  const node = networkNode(9);
  const neutron = new FakeNeutron();
  const ovs = new OvsAgentStandIn(node.vs, node.nb, neutron);
  const dhcp = startDhcpAgent({
    host: node.host,
    vswitchd: node.vs,
    bus: neutron.agentBus,
    sched: node.sched,
    log: node.log.logger('dhcp'),
    config: { host: 'network', enable_isolated_metadata: true },
  });
  const settle = async () => {
    await neutron.bus.idle();
    await dhcp.sync();
    ovs.run();
  };
  const net = neutron.createNetwork();
  const sub1 = neutron.createSubnet(net, '10.0.0.0/24', { dns_nameservers: ['8.8.8.8'] });
  await settle();
  const sub2 = neutron.createSubnet(net, '10.0.1.0/24');
  await settle();
  const port = [...neutron.ports.values()].find((p) => p.device_owner === 'network:dhcp')!;
  assert.deepEqual(
    port.fixed_ips.map((f) => f.ip_address),
    ['10.0.0.2', '10.0.1.2'],
  );
  assert.ok(neutron.calls.includes('update_dhcp_port'));
  const tap = node.host.namespaces.get(`qdhcp-${net}`)!.dev(`tap${port.id.slice(0, 11)}`)!;
  assert.deepEqual(
    tap.addresses.map((a) => `${ipToString(a.address)}/${a.prefixLen}`),
    ['10.0.0.2/24', '169.254.169.254/32', '10.0.1.2/24'],
    'init_l3 adds the new subnet address after the existing ones',
  );
  const files = dhcp.agent.files();
  assert.equal(
    files.get(`/var/lib/neutron/dhcp/${net}/opts`),
    [
      `tag:subnet-${sub1},option:dns-server,8.8.8.8`,
      `tag:subnet-${sub1},option:classless-static-route,10.0.1.0/24,0.0.0.0,169.254.169.254/32,10.0.0.2,0.0.0.0/0,10.0.0.1`,
      `tag:subnet-${sub1},249,10.0.1.0/24,0.0.0.0,169.254.169.254/32,10.0.0.2,0.0.0.0/0,10.0.0.1`,
      `tag:subnet-${sub1},option:router,10.0.0.1`,
      `tag:subnet-${sub2},option:classless-static-route,10.0.0.0/24,0.0.0.0,169.254.169.254/32,10.0.1.2,0.0.0.0/0,10.0.1.1`,
      `tag:subnet-${sub2},249,10.0.0.0/24,0.0.0.0,169.254.169.254/32,10.0.1.2,0.0.0.0/0,10.0.1.1`,
      `tag:subnet-${sub2},option:router,10.0.1.1`,
    ].join('\n'),
  );
  // a guest on the first subnet gets the configured DNS server and the routes
  const vmPort = neutron.createPort(net, { fixed_ips: [{ subnet_id: sub1 }] });
  await settle();
  const vm = guest(node.host, node.vs, ovs, vmPort);
  const ack = dhcpExchange(node.sched, vm.ns, vm.eth0, vmPort.mac_address).ack!;
  assert.deepEqual(ack.options.dnsServers!.map(ipToString), ['8.8.8.8']);
  assert.equal(ack.options.classlessRoutes!.length, 3);
  dhcp.stop();
});

test('DHCP agent: tells neutron-server which ports dnsmasq serves (dhcp_ready_on_ports), after the reload', async () => {
  const b = bench();
  const { neutron, sched } = b;
  /** Lets notifications and the agent's queued refresh finish (no full resync). */
  const drain = async (done: () => boolean) => {
    for (let i = 0; i < 50 && !done(); i++) {
      await neutron.bus.idle();
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(done(), 'the agent got there');
  };
  const sent = () => neutron.dhcpReadyCalls;
  /** One round of the 0.1 s loop, and its call answered. */
  const loop = async () => {
    sched.runFor(100_000_000);
    await neutron.bus.idle();
  };
  const net = neutron.createNetwork();
  const sub = neutron.createSubnet(net, '10.0.0.0/24');
  await b.settle();
  const dhcpPort = [...neutron.ports.values()].find((p) => p.device_owner === 'network:dhcp')!;
  await loop();
  assert.deepEqual(sent().at(-1), [dhcpPort.id], 'enabling a network reports every port of it');

  // a port's own notification: reported once the host file has it, alone and first
  const calls = sent().length;
  const vmPort = neutron.createPort(net);
  await drain(() => b.dhcp.agent.ready.pending().includes(vmPort.id));
  assert.match(b.cat(`/var/lib/neutron/dhcp/${net}/host`)!, new RegExp(vmPort.mac_address));
  assert.equal(sent().length, calls, 'nothing sent before the loop comes round');
  await loop();
  assert.deepEqual(sent().slice(calls), [[vmPort.id]]);

  // the agent's own port and a floating IP port need no host entry: nothing to report for them
  neutron.createPort(net, { device_owner: 'network:floatingip', fixed_ips: [{ subnet_id: sub }] });
  const vm2 = neutron.createPort(net);
  const after = sent().length;
  await drain(() => b.dhcp.agent.ready.pending().includes(vm2.id));
  await loop();
  assert.deepEqual(sent().slice(after), [[vm2.id]]);

  // a resync reports every port, 64 at most in one call
  for (let i = 0; i < 70; i++) neutron.createPort(net);
  await b.settle();
  const total = neutron.networkInfo(net)!.ports.length;
  const before = sent().length;
  await loop();
  await loop();
  await loop();
  const batches = sent().slice(before);
  assert.ok(batches.every((ids) => ids.length <= 64));
  assert.equal(new Set(batches.flat()).size, total, 'every port of the network');
  b.dhcp.stop();
});
