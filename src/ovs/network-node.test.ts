import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Host } from '../kernel/host.js';
import type { PingEvent } from '../kernel/sockets.js';
import { attachNamespaceAsGuest } from '../kernel/tap-guest.js';
import { Trace } from '../kernel/trace.js';
import { Scheduler } from '../sim/scheduler.js';
import { ip } from '../wire/ipv4-address.js';
import { mac } from '../wire/mac.js';
import { buildNeutronBridges, type NeutronBridges } from './neutron-bridges.js';
import { Ofctl } from './ofctl.js';
import { Vswitchd } from './vswitchd.js';

const S = 1e9;

function vm(
  host: Host,
  nb: NeutronBridges,
  port: string,
  vmMac: string,
  cidr: string,
  gw: string,
  lvid: number,
) {
  const tap = host.addTap(`tap${port}`, { mtu: 1450 });
  const qbr = host.addBridge(`qbr${port}`, { ageing: 0 });
  const [qvb, qvo] = host.addVeth(`qvb${port}`, `qvo${port}`, { mtu: 1450 });
  for (const d of [tap, qbr, qvb, qvo]) d.setUp(true);
  qbr.addPort(tap);
  qbr.addPort(qvb);
  nb.plugPort({ name: `qvo${port}`, lvid, mac: vmMac, ips: [cidr.split('/')[0]] });
  const ns = host.addNamespace(`vm-${port}`);
  const eth0 = attachNamespaceAsGuest(tap, ns, mac(vmMac), 1450);
  ns.addAddress(eth0, cidr);
  ns.addRoute({ dst: 'default', via: ip(gw), dev: eth0 });
  return ns;
}

/**
 * An all-in-one host: a legacy router (qrouter namespace with qr-/qg- OVS internal ports on
 * br-int) between two tenant networks (local VLANs 1 and 2) and the flat external network on
 * br-ex (local VLAN 3, translated on int-br-ex/phy-br-ex), br-ex's own port holding 172.24.4.1.
 */
function allInOne() {
  const sched = new Scheduler({ seed: 11 });
  const host = new Host('allinone', sched);
  const vs = new Vswitchd(host);
  const nb = buildNeutronBridges(vs, {
    localIp: '192.168.136.20',
    networks: [
      { lvid: 1, vni: 1001 },
      { lvid: 2, vni: 1002 },
    ],
  });
  nb.addPhysicalBridge('br-ex');
  nb.addFlatNetwork(3, 'br-ex');
  const brEx = host.device('br-ex')!;
  host.root.addAddress(brEx, '172.24.4.1/24');
  brEx.setUp(true);
  const router = host.addNamespace('qrouter-5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f');
  router.setSysctl('net.ipv4.ip_forward', '1');
  for (const [name, lvid, cidr] of [
    ['qr-4e5f6a7b-8c', 1, '10.0.0.1/24'],
    ['qr-5e5f6a7b-8c', 2, '10.0.1.1/24'],
    ['qg-9a8b7c6d-5e', 3, '172.24.4.111/24'],
  ] as const) {
    nb.plugPort({ name, lvid, type: 'internal' });
    // The L3 agent moves the internal port into the router namespace and configures it there.
    const dev = host.device(name)!;
    dev.moveTo(router);
    router.addAddress(dev, cidr);
    dev.setUp(true);
  }
  router.addRoute({ dst: 'default', via: ip('172.24.4.1'), dev: router.devices.get('qg-9a8b7c6d-5e')! });
  host.root.addRoute({ dst: '10.0.0.0/24', via: ip('172.24.4.111'), dev: brEx });
  const vm1 = vm(host, nb, '1f8a1c2d-3e', 'fa:16:3e:00:00:01', '10.0.0.5/24', '10.0.0.1', 1);
  const vm2 = vm(host, nb, '2f8a1c2d-3e', 'fa:16:3e:00:00:02', '10.0.1.5/24', '10.0.1.1', 2);
  return { sched, host, vs, of: new Ofctl(vs), vm1, vm2 };
}

function ping(ns: ReturnType<typeof vm>, dst: string, trace?: Trace): PingEvent[] {
  const events: PingEvent[] = [];
  ns.openPing((e) => events.push(e)).send(ip(dst), 1, { trace });
  return events;
}

test('east-west through a legacy router: OVS internal ports moved into the qrouter namespace, ttl 63', () => {
  const { sched, vm1 } = allInOne();
  const t = new Trace('east-west');
  const events = ping(vm1, '10.0.1.5', t);
  sched.runFor(1 * S);
  assert.equal(events[0]?.kind, 'reply', t.format());
  if (events[0].kind === 'reply') assert.equal(events[0].ttl, 63);
});

test('north-south over the flat external network: br-int VLAN 3 ↔ int-br-ex/phy-br-ex ↔ br-ex untagged', () => {
  const { sched, vm1, of } = allInOne();
  const t = new Trace('north-south');
  const events = ping(vm1, '172.24.4.1', t);
  sched.runFor(1 * S);
  assert.equal(events[0]?.kind, 'reply', t.format());
  assert.match(
    of.dumpFlows('br-ex'),
    /n_packets=[1-9]\d*, n_bytes=\d+, idle_age=0, priority=4,in_port=1,dl_vlan=3 actions=strip_vlan,NORMAL/,
  );
  assert.match(
    of.dumpFlows('br-int', 'table=0'),
    /n_packets=[1-9]\d*, n_bytes=\d+, idle_age=0, priority=3,in_port=\d+,vlan_tci=0x0000\/0x1fff actions=mod_vlan_vid:3,resubmit\(,59\)/,
  );
  assert.match(
    t.format(),
    /br-ex table=0 flow: priority=4,in_port="phy-br-ex",dl_vlan=3 actions=strip_vlan,NORMAL/,
  );
});
