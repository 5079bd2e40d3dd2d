import assert from 'node:assert/strict';
import { test } from 'node:test';
import { iptables, iptablesSave } from '../../kernel/netfilter/index.js';
import type { Namespace } from '../../kernel/netns.js';
import { ip, ipToString } from '../../wire/ipv4-address.js';
import type { Port } from '../common/neutron-payloads.js';
import { FakeNeutron, guest, networkNode, OvsAgentStandIn, ping, S } from '../common/test-cloud.js';
import { setupExternalNetwork, startL3Agent } from './index.js';

function bench() {
  const node = networkNode(5);
  setupExternalNetwork({ host: node.host, vswitchd: node.vs });
  const neutron = new FakeNeutron();
  const ovs = new OvsAgentStandIn(node.vs, node.nb, neutron);
  const l3 = startL3Agent({
    host: node.host,
    vswitchd: node.vs,
    bus: neutron.agentBus,
    sched: node.sched,
    log: node.log.logger('neutron.agent.l3.agent'),
    config: { host: 'network' },
  });
  const settle = async () => {
    await neutron.bus.idle();
    await l3.sync();
    ovs.run();
    node.sched.runFor(3 * S); // the GARPs
  };
  const ext = neutron.createNetwork({ external: true });
  neutron.createSubnet(ext, '172.24.4.0/24', { enable_dhcp: false });
  ovs.lvidOf(ext);
  return { ...node, neutron, ovs, l3, settle, ext };
}

/** A VM on `port` with its address and default route (as DHCP would give them). */
function vm(b: ReturnType<typeof bench>, port: Port): Namespace {
  const g = guest(b.host, b.vs, b.ovs, port);
  const subnet = b.neutron.subnets.get(port.fixed_ips[0].subnet_id)!;
  g.ns.addAddress(g.eth0, `${port.fixed_ips[0].ip_address}/${subnet.cidr.split('/')[1]}`);
  g.ns.addRoute({ dst: 'default', via: ip(subnet.gateway_ip!), dev: g.eth0 });
  return g.ns;
}

function dnatCounter(ns: Namespace, fip: string): number {
  const saved = iptablesSave(ns.iptables(), { time: 'x', counters: true, table: 'nat' });
  const m = new RegExp(
    `^\\[(\\d+):\\d+\\] -A neutron-l3-agent-PREROUTING -d ${fip.replace(/\./g, '\\.')}/32 -j DNAT`,
    'm',
  ).exec(saved);
  return m ? Number(m[1]) : -1;
}

test('L3 agent: a legacy router forwards between subnets, SNATs out through br-ex and DNATs a floating IP', async () => {
  const b = bench();
  const { neutron, host, sched } = b;
  const net1 = neutron.createNetwork();
  const sub1 = neutron.createSubnet(net1, '10.0.0.0/24');
  const net2 = neutron.createNetwork();
  const sub2 = neutron.createSubnet(net2, '10.0.1.0/24');
  const p1 = neutron.createPort(net1);
  const p2 = neutron.createPort(net2);
  const vm1 = vm(b, p1);
  vm(b, p2);
  await b.settle();
  assert.equal(
    ping(sched, vm1, ipToString(ip(p2.fixed_ips[0].ip_address)))[0]?.kind,
    undefined,
    'no router: lost',
  );

  const r = neutron.createRouter();
  const qr1 = neutron.addInterface(r, sub1);
  const qr2 = neutron.addInterface(r, sub2);
  const gw = neutron.setGateway(r, b.ext);
  await b.settle();

  const ns = host.namespaces.get(`qrouter-${r}`)!;
  assert.ok(ns, 'qrouter namespace');
  assert.equal(ns.getSysctl('net.ipv4.ip_forward'), '1');
  const addr = (name: string) =>
    ns.dev(name)?.addresses.map((a) => `${ipToString(a.address)}/${a.prefixLen}`);
  assert.deepEqual(addr(`qr-${qr1.id.slice(0, 11)}`), ['10.0.0.1/24']);
  assert.deepEqual(addr(`qr-${qr2.id.slice(0, 11)}`), ['10.0.1.1/24']);
  const gwIp = gw.fixed_ips[0].ip_address;
  assert.match(gwIp, /^172\.24\.4\.\d+$/);
  assert.deepEqual(addr(`qg-${gw.id.slice(0, 11)}`), [`${gwIp}/24`]);
  const def = ns.routes.routes.find((x) => x.prefixLen === 0)!;
  assert.equal(ipToString(def.via), '172.24.4.1');
  assert.equal(def.dev.name, `qg-${gw.id.slice(0, 11)}`);
  assert.equal(ns.dev(`qr-${qr1.id.slice(0, 11)}`)!.mtu, 1450);
  assert.equal(ns.dev(`qg-${gw.id.slice(0, 11)}`)!.mtu, 1500);

  // east-west: one hop through the router
  const ew = ping(sched, vm1, p2.fixed_ips[0].ip_address);
  assert.equal(ew[0]?.kind, 'reply');
  if (ew[0].kind === 'reply') assert.equal(ew[0].ttl, 63);

  // north-south: out through qg- → br-int VLAN → int-br-ex/phy-br-ex → br-ex, SNAT to the gateway IP
  const seen: string[] = [];
  const brEx = host.device('br-ex')!;
  const stop = brEx.capture((_t, frame, dir) => {
    if (dir === 'rx' && frame[23] === 1)
      seen.push(ipToString((frame[26] << 24) | (frame[27] << 16) | (frame[28] << 8) | frame[29]));
  });
  const ns1 = ping(sched, vm1, '172.24.4.1');
  stop();
  assert.equal(ns1[0]?.kind, 'reply');
  assert.deepEqual(seen, [gwIp], 'br-ex sees the echo request from the router gateway IP');

  // a floating IP: DNAT from the host's root namespace (172.24.4.1 on br-ex); 3 GARPs announce it
  const garps: string[] = [];
  const stopArp = brEx.capture((_t, frame, dir) => {
    if (dir !== 'rx' || frame[12] !== 8 || frame[13] !== 6) return;
    const spa = ipToString((frame[28] << 24) | (frame[29] << 16) | (frame[30] << 8) | frame[31]);
    const tpa = ipToString((frame[38] << 24) | (frame[39] << 16) | (frame[40] << 8) | frame[41]);
    if (spa === tpa) garps.push(spa);
  });
  const fip = neutron.createFloatingIp(b.ext, r, p1);
  await b.settle();
  stopArp();
  assert.deepEqual(garps, [fip.floating_ip_address, fip.floating_ip_address, fip.floating_ip_address]);
  assert.equal(neutron.fips.get(fip.id)!.status, 'ACTIVE');
  assert.ok(addr(`qg-${gw.id.slice(0, 11)}`)!.includes(`${fip.floating_ip_address}/32`));
  const before = dnatCounter(ns, fip.floating_ip_address);
  const fromHost = ping(sched, host.root, fip.floating_ip_address);
  assert.equal(fromHost[0]?.kind, 'reply');
  if (fromHost[0].kind === 'reply') assert.equal(fromHost[0].ttl, 63);
  assert.equal(dnatCounter(ns, fip.floating_ip_address), before + 1, 'the DNAT rule counted the packet');
  // the host reached the floating IP at the qg- port's MAC
  const neigh = host.root.neigh.get(ip(fip.floating_ip_address), brEx);
  assert.equal(
    neigh?.mac && [...neigh.mac].map((x) => x.toString(16).padStart(2, '0')).join(':'),
    gw.mac_address,
  );
  // VM → outside now leaves with the floating IP
  seen.length = 0;
  const stop2 = brEx.capture((_t, frame, dir) => {
    if (dir === 'rx' && frame[23] === 1)
      seen.push(ipToString((frame[26] << 24) | (frame[27] << 16) | (frame[28] << 8) | frame[29]));
  });
  assert.equal(ping(sched, vm1, '172.24.4.1')[0]?.kind, 'reply');
  stop2();
  assert.deepEqual(seen, [fip.floating_ip_address]);

  // the NAT table is the reference's shape for these names
  const natS = iptables(ns.iptables(), ['-t', 'nat', '-S']).stdout;
  const qg = `qg-${gw.id.slice(0, 11)}`;
  for (const line of [
    `-A neutron-l3-agent-OUTPUT -d ${fip.floating_ip_address}/32 -j DNAT --to-destination ${p1.fixed_ips[0].ip_address}`,
    `-A neutron-l3-agent-POSTROUTING ! -o ${qg} -m conntrack ! --ctstate DNAT -j ACCEPT`,
    `-A neutron-l3-agent-float-snat -s ${p1.fixed_ips[0].ip_address}/32 -j SNAT --to-source ${fip.floating_ip_address} --random-fully`,
    `-A neutron-l3-agent-snat -o ${qg} -j SNAT --to-source ${gwIp} --random-fully`,
  ])
    assert.ok(natS.includes(`${line}\n`), line);

  // report_state
  await b.l3.agent.reportState();
  const st = neutron.reports.at(-1)!.agent_state as { configurations: Record<string, unknown> } & Record<
    string,
    unknown
  >;
  assert.equal(st.binary, 'neutron-l3-agent');
  assert.equal(st.agent_type, 'L3 agent');
  assert.deepEqual(
    { ...st.configurations },
    {
      agent_mode: 'legacy',
      handle_internal_only_routers: true,
      interface_driver: 'neutron.agent.linux.interface.OVSInterfaceDriver',
      log_agent_heartbeats: false,
      extensions: [],
      routers: 1,
      ex_gw_ports: 1,
      interfaces: 2,
      floating_ips: 1,
    },
  );

  // disassociating: the address and rules go, the floating IP is DOWN, the host's pings are lost
  neutron.disassociate(fip.id);
  await b.settle();
  assert.equal(neutron.fips.get(fip.id)!.status, 'DOWN');
  assert.ok(!addr(qg)!.includes(`${fip.floating_ip_address}/32`));
  assert.doesNotMatch(iptables(ns.iptables(), ['-t', 'nat', '-S']).stdout, /DNAT --to-destination/);
  host.root.neigh.flushDev(brEx);
  assert.notEqual(ping(sched, host.root, fip.floating_ip_address)[0]?.kind, 'reply');

  // a second router on a third network; deleting the first removes exactly its namespace and ports
  const net3 = neutron.createNetwork();
  const sub3 = neutron.createSubnet(net3, '10.0.3.0/24');
  const r2 = neutron.createRouter();
  const qr3 = neutron.addInterface(r2, sub3);
  await b.settle();
  const portsBefore = b.vs.ops.refRows(b.vs.ops.findBridge('br-int')!, 'ports').map((p) => p.str('name'));
  neutron.deleteRouter(r);
  await b.settle();
  assert.equal(host.namespaces.has(`qrouter-${r}`), false);
  assert.ok(host.namespaces.has(`qrouter-${r2}`));
  const portsAfter = b.vs.ops.refRows(b.vs.ops.findBridge('br-int')!, 'ports').map((p) => p.str('name'));
  assert.deepEqual(
    portsBefore.filter((n) => !portsAfter.includes(n)).sort(),
    [`qg-${gw.id.slice(0, 11)}`, `qr-${qr1.id.slice(0, 11)}`, `qr-${qr2.id.slice(0, 11)}`].sort(),
  );
  assert.ok(portsAfter.includes(`qr-${qr3.id.slice(0, 11)}`));
  assert.equal(ping(sched, vm1, p2.fixed_ips[0].ip_address)[0]?.kind, undefined, 'router gone: lost again');
  b.l3.stop();
});

test('L3 agent: removing an interface unplugs only its qr- port; extra routes follow the router', async () => {
  const b = bench();
  const { neutron, host } = b;
  const net1 = neutron.createNetwork();
  const sub1 = neutron.createSubnet(net1, '10.0.0.0/24');
  const net2 = neutron.createNetwork();
  const sub2 = neutron.createSubnet(net2, '10.0.1.0/24');
  const r = neutron.createRouter();
  const qr1 = neutron.addInterface(r, sub1);
  const qr2 = neutron.addInterface(r, sub2);
  await b.settle();
  const ns = host.namespaces.get(`qrouter-${r}`)!;
  neutron.routers.get(r)!.routes = [{ destination: '192.168.50.0/24', nexthop: '10.0.0.9' }];
  neutron.loose.publish('router.updated', { router: { id: r } });
  await b.settle();
  const extra = ns.routes.routes.find((x) => x.prefixLen === 24 && ipToString(x.dst) === '192.168.50.0')!;
  assert.equal(ipToString(extra.via), '10.0.0.9');
  neutron.removeInterface(r, qr2.id);
  await b.settle();
  assert.ok(ns.dev(`qr-${qr1.id.slice(0, 11)}`));
  assert.equal(ns.dev(`qr-${qr2.id.slice(0, 11)}`), undefined);
  assert.equal(b.vs.ops.findPort(`qr-${qr2.id.slice(0, 11)}`), undefined);
  neutron.routers.get(r)!.routes = [];
  neutron.loose.publish('router.updated', { router: { id: r } });
  await b.settle();
  assert.equal(
    ns.routes.routes.some((x) => ipToString(x.dst) === '192.168.50.0'),
    false,
  );
  b.l3.stop();
});
