// l2population with fake agents: fdb_add when a port comes up on a host (with the flooding entry
// for the host's first port of the network), fdb_remove when it goes or moves to another host,
// chg_ip when its fixed IPs change, and the network's entries cast to an agent that asks with
// refresh_tunnels.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Bus } from '../../../bus/bus.js';
import type { FdbEntries } from '../../../bus/neutron-l2pop.js';
import { loadConfig } from '../../../sim/oslo-config.js';
import { openDatabase } from '../../../store/db.js';
import { internalContext } from '../../policy.js';
import { ml2ConfSchema, neutronConfig, neutronConfSchema } from '../config.js';
import { Neutron } from '../index.js';

const quiet = { debug() {}, info() {}, warning() {}, error() {} };

describe('l2population mechanism driver', () => {
  it('tells the agents where each active port is', async () => {
    const config = neutronConfig(
      loadConfig(neutronConfSchema, null),
      loadConfig(ml2ConfSchema, {
        path: 'ml2_conf.ini',
        text: '[ml2]\ntype_drivers = vxlan\ntenant_network_types = vxlan\nmechanism_drivers = openvswitch,l2population\n[ml2_type_vxlan]\nvni_ranges = 10:100\n',
      }),
    );
    const bus = new Bus();
    const n = new Neutron({
      db: openDatabase(':memory:'),
      bus,
      log: quiet,
      config,
      hosts: () => ['c1', 'c2'],
    });
    n.serveRpc();
    for (const [host, ip] of [
      ['c1', '192.168.136.11'],
      ['c2', '192.168.136.12'],
    ])
      await bus.call('report_state', {
        agent_state: {
          binary: 'neutron-openvswitch-agent',
          host,
          topic: 'N/A',
          agent_type: 'Open vSwitch agent',
          configurations: { tunnel_types: ['vxlan'], tunneling_ip: ip, l2_population: true },
        },
        time: '',
      });
    const added: FdbEntries[] = [];
    const removed: FdbEntries[] = [];
    const addedTo: (string | undefined)[] = [];
    bus.subscribe('fdb_add', (e) => {
      added.push(e.fdb_entries);
      addedTo.push(e.host);
    });
    bus.subscribe('fdb_remove', (e) => removed.push(e.fdb_entries));

    const ctx = { ...internalContext(), projectId: 'p' };
    const net = n.createNetwork(ctx, { name: 'n' });
    n.createSubnet(ctx, { network_id: net.id, ip_version: 4, cidr: '10.0.0.0/24' });
    const a = n.createPort(ctx, { network_id: net.id, 'binding:host_id': 'c1' });
    const b = n.createPort(ctx, { network_id: net.id, 'binding:host_id': 'c2' });
    const ipOf = (p: typeof a) => (p.fixed_ips as { ip_address: string }[])[0].ip_address;
    await bus.call('update_device_up', { agent_id: 'x', host: 'c1', device: a.id });
    await bus.call('update_device_up', { agent_id: 'x', host: 'c2', device: b.id });
    await bus.idle();
    const flood: [string, string] = ['00:00:00:00:00:00', '0.0.0.0'];
    // b, c2's first port of the network: c2's agent alone learns c1's entries, then every agent
    // learns b behind c2, with c2's flooding entry (update_port_up).
    const head = { segment_id: net['provider:segmentation_id'], network_type: 'vxlan' };
    assert.deepEqual(added.slice(-2), [
      { [net.id]: { ...head, ports: { '192.168.136.11': [flood, [a.mac_address, ipOf(a)]] } } },
      { [net.id]: { ...head, ports: { '192.168.136.12': [flood, [b.mac_address, ipOf(b)]] } } },
    ]);
    assert.deepEqual(addedTo.slice(-2), ['c2', undefined]);
    // A second port on c1 is announced alone, without a flooding entry.
    const a2 = n.createPort(ctx, { network_id: net.id, 'binding:host_id': 'c1' });
    await bus.call('update_device_up', { agent_id: 'x', host: 'c1', device: a2.id });
    await bus.idle();
    assert.deepEqual(added.at(-1), {
      [net.id]: { ...head, ports: { '192.168.136.11': [[a2.mac_address, ipOf(a2)]] } },
    });
    assert.equal(addedTo.at(-1), undefined);
    n.deletePort(ctx, a2.id);
    await bus.idle();
    // c1's agent restarted: its first report asks again (refresh_tunnels) and gets the other
    // hosts' entries, cast to it alone; a plain report of an ACTIVE port sends nothing.
    const casts: { host?: string; fdb: FdbEntries }[] = [];
    bus.subscribe('fdb_add', (e) => casts.push({ host: e.host, fdb: e.fdb_entries }));
    await bus.call('update_device_up', { agent_id: 'x', host: 'c1', device: a.id, refresh_tunnels: true });
    await bus.call('update_device_up', { agent_id: 'x', host: 'c2', device: b.id });
    await bus.idle();
    assert.deepEqual(casts, [
      {
        host: 'c1',
        fdb: {
          [net.id]: {
            segment_id: net['provider:segmentation_id'],
            network_type: 'vxlan',
            ports: { '192.168.136.12': [flood, [b.mac_address, ipOf(b)]] },
          },
        },
      },
    ]);
    // A second address on b, then the first one gone: chg_ip behind c2's tunneling IP.
    const updates: unknown[] = [];
    bus.subscribe('fdb_update', (e) => updates.push(e.fdb_entries));
    const subnetId = (b.fixed_ips as { subnet_id: string }[])[0].subnet_id;
    n.updatePort(ctx, b.id, {
      fixed_ips: [...(b.fixed_ips as object[]), { subnet_id: subnetId, ip_address: '10.0.0.99' }],
    });
    n.updatePort(ctx, b.id, { fixed_ips: [{ subnet_id: subnetId, ip_address: '10.0.0.99' }] });
    await bus.idle();
    assert.deepEqual(updates, [
      { chg_ip: { [net.id]: { '192.168.136.12': { after: [[b.mac_address, '10.0.0.99']] } } } },
      { chg_ip: { [net.id]: { '192.168.136.12': { before: [[b.mac_address, ipOf(b)]] } } } },
    ]);
    // a moved to c2 (its status DOWN until c2's agent reports it): c1 loses it, flooding included.
    n.updatePort(ctx, a.id, { 'binding:host_id': 'c2' });
    await bus.idle();
    assert.deepEqual(removed.at(-1)?.[net.id].ports, { '192.168.136.11': [flood, [a.mac_address, ipOf(a)]] });
    n.deletePort(ctx, b.id);
    await bus.idle();
    assert.deepEqual(removed.at(-1)?.[net.id].ports, {
      '192.168.136.12': [flood, [b.mac_address, '10.0.0.99']],
    });
  });
});
