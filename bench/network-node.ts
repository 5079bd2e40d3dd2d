// The network node's agents: a DHCP agent bringing up 100 networks (namespace, OVS internal port,
// addresses, files, dnsmasq) and an L3 agent 50 routers (2 interfaces, a gateway and a floating
// IP each: ports, routes, the four iptables tables) from one full sync each, against a fake
// neutron-server on the bus; then DHCP leases through br-int and floating-IP pings through br-ex.
import { readFileSync } from 'node:fs';
import {
  dhcpExchange,
  FakeNeutron,
  guest,
  networkNode,
  OvsAgentStandIn,
  ping,
} from '../src/agents/common/test-cloud.js';
import { startDhcpAgent } from '../src/agents/dhcp-agent/index.js';
import { setupExternalNetwork, startL3Agent } from '../src/agents/l3-agent/index.js';

interface Figure {
  name: string;
  value: number;
  unit: string;
}

function rssMb(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

export async function runNetworkNodeBench(networks = 100, routers = 50, leases = 200): Promise<Figure[]> {
  const node = networkNode(11);
  const { host, vs, sched } = node;
  setupExternalNetwork({ host, vswitchd: vs });
  const neutron = new FakeNeutron();
  const ovs = new OvsAgentStandIn(vs, node.nb, neutron);
  const ext = neutron.createNetwork({ external: true });
  neutron.createSubnet(ext, '172.24.4.0/24', { enable_dhcp: false });
  ovs.lvidOf(ext);
  const nets: { id: string; sub: string }[] = [];
  for (let i = 0; i < networks; i++) {
    const id = neutron.createNetwork();
    nets.push({ id, sub: neutron.createSubnet(id, `10.${i >> 8}.${i & 255}.0/24`) });
  }
  const common = {
    host,
    vswitchd: vs,
    bus: neutron.agentBus,
    sched,
    config: { host: 'network', report_interval: 0 },
  };
  const dhcp = startDhcpAgent({ ...common, log: node.log.logger('dhcp') });
  const l3 = startL3Agent({ ...common, log: node.log.logger('l3') });
  await neutron.bus.idle();
  await dhcp.sync(); // the start-up sync (report_interval 0) may still be running: wait for a full one
  globalThis.gc?.();
  const rss0 = rssMb();
  let t0 = performance.now();
  await dhcp.sync();
  const dhcpResync = performance.now() - t0;
  // the first sync of a fresh agent (another host object) does all the work
  const node2 = networkNode(12);
  const dhcp2 = startDhcpAgent({
    ...common,
    host: node2.host,
    vswitchd: node2.vs,
    sched: node2.sched,
    log: node.log.logger('d2'),
    config: { host: 'network2', report_interval: 0 },
  });
  await neutron.bus.idle();
  t0 = performance.now();
  await dhcp2.sync();
  const dhcpFirst = performance.now() - t0;
  dhcp2.stop();

  const vmPorts = nets.slice(0, routers * 2).map((n) => neutron.createPort(n.id));
  for (let r = 0; r < routers; r++) {
    const id = neutron.createRouter();
    neutron.addInterface(id, nets[2 * r].sub);
    neutron.addInterface(id, nets[2 * r + 1].sub);
    neutron.setGateway(id, ext);
    neutron.createFloatingIp(ext, id, vmPorts[2 * r]);
  }
  await neutron.bus.idle();
  await dhcp.sync();
  await l3.sync();
  const node3 = networkNode(13);
  setupExternalNetwork({ host: node3.host, vswitchd: node3.vs });
  const l3b = startL3Agent({
    ...common,
    host: node3.host,
    vswitchd: node3.vs,
    sched: node3.sched,
    log: node.log.logger('l3b'),
    config: { host: 'network3', report_interval: 0 },
  });
  await neutron.bus.idle();
  t0 = performance.now();
  await l3b.sync();
  const l3First = performance.now() - t0;
  l3b.stop();
  ovs.run();
  globalThis.gc?.();
  const rss1 = rssMb();

  // leases through br-int: guests on the first networks
  const guests = vmPorts
    .slice(0, Math.min(leases, vmPorts.length))
    .map((p) => ({ p, g: guest(host, vs, ovs, p) }));
  t0 = performance.now();
  let ok = 0;
  for (const { p, g } of guests) {
    const ack = dhcpExchange(sched, g.ns, g.eth0, p.mac_address).ack;
    if (!ack) continue;
    ok++;
    // what udhcpc's script does with the lease
    g.ns.addAddress(g.eth0, `${p.fixed_ips[0].ip_address}/24`);
    g.ns.addRoute({ dst: 'default', via: ack.options.routers![0], dev: g.eth0 });
  }
  const leaseWall = (performance.now() - t0) / guests.length;
  if (ok !== guests.length) throw new Error(`${guests.length - ok} guests got no lease`);
  // floating IPs from the host
  t0 = performance.now();
  let replies = 0;
  for (const f of neutron.fips.values())
    if (ping(sched, host.root, f.floating_ip_address)[0]?.kind === 'reply') replies++;
  const fipWall = (performance.now() - t0) / neutron.fips.size;
  if (replies !== neutron.fips.size)
    throw new Error(`${neutron.fips.size - replies} floating IPs did not answer`);
  dhcp.stop();
  l3.stop();
  return [
    { name: `DHCP agent first sync, ${networks} networks`, value: dhcpFirst, unit: 'ms' },
    { name: `DHCP agent resync, ${networks} networks unchanged`, value: dhcpResync, unit: 'ms' },
    {
      name: `L3 agent first sync, ${routers} routers (2 interfaces, gateway, FIP each)`,
      value: l3First,
      unit: 'ms',
    },
    { name: 'RSS growth for the networks, routers and their namespaces', value: rss1 - rss0, unit: 'MB' },
    { name: 'DHCP exchange through br-int (DISCOVER…ACK), wall per lease', value: leaseWall, unit: 'ms' },
    { name: 'ping of a floating IP from the host (DNAT), wall per round trip', value: fipWall, unit: 'ms' },
  ];
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  for (const f of await runNetworkNodeBench()) console.log(`${f.name}: ${f.value.toFixed(2)} ${f.unit}`);
}
