// The hybrid firewall on a compute host, end to end: two VMs on one host plugged as os-vif plugs
// them (tap → qbr → qvb/qvo → br-int), the OVS agent's br-int flows, and the host's iptables
// loaded with the security-group rules Neutron writes for VM1's port (host-tools.md §8, the
// netfilter golden `compute.save.golden`). Bridged frames reach those rules through
// br_netfilter with --physdev-in/--physdev-out on the qbr ports.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Host } from '../../src/kernel/host.js';
import { iptables, iptablesRestore } from '../../src/kernel/netfilter/index.js';
import type { Namespace } from '../../src/kernel/netns.js';
import type { PingEvent } from '../../src/kernel/sockets.js';
import { attachNamespaceAsGuest } from '../../src/kernel/tap-guest.js';
import { Trace } from '../../src/kernel/trace.js';
import { buildNeutronBridges, type NeutronBridges } from '../../src/ovs/neutron-bridges.js';
import { Vswitchd } from '../../src/ovs/vswitchd.js';
import { Scheduler } from '../../src/sim/scheduler.js';
import { ip } from '../../src/wire/ipv4-address.js';
import { mac } from '../../src/wire/mac.js';

function plug(host: Host, nb: NeutronBridges, port: string, vmMac: string, vmIp: string) {
  const tap = host.addTap(`tap${port}`, { mtu: 1450 });
  const qbr = host.addBridge(`qbr${port}`, { ageing: 0 });
  const [qvb, qvo] = host.addVeth(`qvb${port}`, `qvo${port}`, { mtu: 1450 });
  for (const d of [tap, qbr, qvb, qvo]) d.setUp(true);
  qvb.setPromisc(true);
  qvo.setPromisc(true);
  qbr.addPort(tap);
  qbr.addPort(qvb);
  nb.plugPort({ name: `qvo${port}`, lvid: 1, mac: vmMac, ips: [vmIp] });
  const ns = host.addNamespace(`vm-${port}`);
  const eth0 = attachNamespaceAsGuest(tap, ns, mac(vmMac), 1450);
  ns.addAddress(eth0, `${vmIp}/24`);
  return { ns, eth0, tap, qbr };
}

function compute() {
  const sched = new Scheduler({ seed: 31 });
  const host = new Host('compute1', sched);
  const vs = new Vswitchd(host);
  const nb = buildNeutronBridges(vs, { localIp: '192.168.136.11', networks: [{ lvid: 1, vni: 1001 }] });
  const vm1 = plug(host, nb, '6f8a1c2d-3e', 'fa:16:3e:2b:7c:11', '10.0.0.5');
  const vm2 = plug(host, nb, '7a9b0c1d-2e', 'fa:16:3e:2b:7c:22', '10.0.0.6');
  const nf = host.root.iptables();
  const save = readFileSync('src/kernel/netfilter/testdata/compute.save.golden', 'utf8');
  const r = iptablesRestore(nf, save);
  assert.equal(r.stderr, '');
  return { sched, host, vm1, vm2, nf };
}

function ping(ns: Namespace, dst: string, trace?: Trace): PingEvent[] {
  const events: PingEvent[] = [];
  ns.openPing((e) => events.push(e)).send(ip(dst), 1, { trace });
  return events;
}

const counter = (nf: ReturnType<typeof compute>['nf'], chain: string, n: number) =>
  Number(iptables(nf, ['-L', chain, '-n', '-v', '-x']).stdout.split('\n')[n + 1].trim().split(/\s+/)[0]);

test('security-group rules on qbr: ICMP allowed in, the reply allowed out as ESTABLISHED', () => {
  const { sched, vm2, nf } = compute();
  const t = new Trace();
  const ev = ping(vm2.ns, '10.0.0.5', t);
  sched.runFor(1e9);
  assert.equal(ev[0]?.kind, 'reply', t.format());
  // the i-chain's `-p icmp -j RETURN` (rule 6) let the request in; the reply matched the o-chain's
  // RELATED,ESTABLISHED rule (5) after the IP/MAC anti-spoofing chain returned
  assert.equal(counter(nf, 'neutron-openvswi-i6f8a1c2d-3', 6), 1);
  assert.equal(counter(nf, 'neutron-openvswi-o6f8a1c2d-3', 5), 1);
  assert.equal(counter(nf, 'neutron-openvswi-s6f8a1c2d-3', 1), 1);
  assert.match(
    t.format(),
    /qbr6f8a1c2d-3e netfilter: FORWARD ACCEPT \(bridged qvb6f8a1c2d-3e -> tap6f8a1c2d-3e\)/,
  );
});

test('without the ICMP rule the request falls to sg-fallback and is dropped', () => {
  const { sched, vm2, nf } = compute();
  assert.equal(iptables(nf, ['-D', 'neutron-openvswi-i6f8a1c2d-3', '-p', 'icmp', '-j', 'RETURN']).status, 0);
  const ev = ping(vm2.ns, '10.0.0.5');
  sched.runFor(2e9);
  assert.equal(ev.length, 0);
  assert.equal(counter(nf, 'neutron-openvswi-sg-fallback', 1), 1);
});

test('a VM sending from an address that is not its own is dropped by the anti-spoofing chain', () => {
  const { sched, vm1, vm2, nf } = compute();
  vm1.ns.addAddress(vm1.eth0, '10.0.0.99/32');
  // skip ARP (br-int's table 24 would stop an ARP from 10.0.0.99 before iptables sees anything)
  vm1.ns.neigh.set(ip('10.0.0.6'), vm1.eth0, vm2.eth0.mac);
  const events: PingEvent[] = [];
  vm1.ns.openPing((e) => events.push(e)).send(ip('10.0.0.6'), 1, { src: ip('10.0.0.99') });
  sched.runFor(1e9);
  assert.equal(events.length, 0);
  assert.equal(
    counter(nf, 'neutron-openvswi-s6f8a1c2d-3', 2),
    1,
    'the "Drop traffic without an IP/MAC allow rule." rule',
  );
  assert.equal(vm2.tap.txPackets, 0);
});
