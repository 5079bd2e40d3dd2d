// The agents' RPC and the change events, driven by fake agents on an in-process bus.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Bus } from '../../bus/bus.js';
import type { PortStatusEvent } from '../../bus/neutron-events.js';
import type { DeviceDetails } from '../../bus/neutron-rpc.js';
import type { Logger } from '../../sim/oslo-log.js';
import { openDatabase } from '../../store/db.js';
import { internalContext, type RequestContext } from '../policy.js';
import { Neutron } from './index.js';

const quiet: Logger = { debug() {}, info() {}, warning() {}, error() {} };
const project = (id: string, admin = false): RequestContext => ({
  ...internalContext(),
  projectId: id,
  roles: admin ? ['admin', 'member'] : ['member'],
});

function cloud(requireLiveAgent = false) {
  const bus = new Bus();
  let now = Date.parse('2026-11-24T10:00:00Z');
  const neutron = new Neutron({
    db: openDatabase(':memory:'),
    bus,
    log: quiet,
    hosts: () => ['controller', 'compute1'],
    requireLiveAgent,
    now: () => new Date(now),
  });
  neutron.serveRpc();
  neutron.bootstrap('admin-project');
  return { bus, neutron, tick: (s: number) => (now += s * 1000) };
}

const ovsAgent = (host: string, ip: string) => ({
  agent_state: {
    binary: 'neutron-openvswitch-agent',
    host,
    topic: 'N/A',
    agent_type: 'Open vSwitch agent',
    configurations: { tunnel_types: ['vxlan'], bridge_mappings: { extnet: 'br-ex' }, tunneling_ip: ip },
    start_flag: true,
  },
  time: '2026-11-24T10:00:00',
});

describe('neutron agent RPC', () => {
  it('binds ports on layout hosts until agents run, then only where a live OVS agent is', async () => {
    const { bus, neutron, tick } = cloud(true);
    const admin = project('admin-project', true);
    const net = neutron.createNetwork(admin, { name: 'n' });
    neutron.createSubnet(admin, { network_id: net.id, ip_version: 4, cidr: '10.0.0.0/24' });
    const p = neutron.createPort(admin, { network_id: net.id, 'binding:host_id': 'compute1' });
    assert.equal(p['binding:vif_type'], 'binding_failed', 'no agent on compute1 yet');

    const r = await bus.call('report_state', ovsAgent('compute1', '192.168.136.11'));
    assert.equal(r.status, 'new');
    const bound = neutron.getPort(admin, p.id);
    assert.equal(bound['binding:vif_type'], 'ovs');
    assert.deepEqual(bound['binding:vif_details'], {
      connectivity: 'l2',
      port_filter: true,
      ovs_hybrid_plug: true,
      datapath_type: 'system',
      bridge_name: 'br-int',
    });
    const agents = neutron.listAgents(admin);
    assert.equal(agents.length, 1);
    assert.equal(agents[0].alive, true);
    assert.deepEqual(neutron.listAgents(project('demo')), [], 'agents are admin-only');
    tick(76); // agent_down_time 75 s
    assert.equal(neutron.listAgents(admin)[0].alive, false);
    assert.equal((await bus.call('report_state', ovsAgent('compute1', '192.168.136.11'))).status, 'revived');

    const layoutOnly = cloud(false);
    const n2 = layoutOnly.neutron.createNetwork(admin, { name: 'n' });
    const ok = layoutOnly.neutron.createPort(admin, { network_id: n2.id, 'binding:host_id': 'compute1' });
    assert.equal(ok['binding:vif_type'], 'ovs');
    const bad = layoutOnly.neutron.createPort(admin, { network_id: n2.id, 'binding:host_id': 'nowhere' });
    assert.equal(bad['binding:vif_type'], 'binding_failed');
  });

  it('gives device details, moves the port to ACTIVE on update_device_up and tells Nova', async () => {
    const { bus, neutron } = cloud();
    const demo = project('demo');
    const net = neutron.createNetwork(demo, { name: 'private' });
    neutron.createSubnet(demo, { network_id: net.id, ip_version: 4, cidr: '10.0.0.0/24' });
    const port = neutron.createPort(demo, {
      network_id: net.id,
      device_id: 'vm-1',
      device_owner: 'compute:nova',
    });
    neutron.updatePort(internalContext(), port.id, { 'binding:host_id': 'compute1' });
    const statuses: PortStatusEvent[] = [];
    const created: unknown[] = [];
    bus.subscribe('port.status_changed', (e) => statuses.push(e));
    bus.subscribe('port.created', (e) => created.push(e));

    const [details, unknown] = await bus.call('get_devices_details_list', {
      agent_id: 'ovs-compute1',
      host: 'compute1',
      devices: [port.id, 'tap00000000-00'],
    });
    const d = details as DeviceDetails;
    assert.equal(d.network_type, 'vxlan');
    assert.ok((d.segmentation_id as number) >= 10 && (d.segmentation_id as number) <= 100);
    assert.equal(d.mtu, 1450);
    assert.equal(d.mac_address, port.mac_address);
    assert.deepEqual(unknown, { device: 'tap00000000-00' });
    assert.equal(neutron.getPort(demo, port.id).status, 'BUILD');

    const up = await bus.call('update_device_up', {
      agent_id: 'a',
      host: 'compute1',
      device: `tap${port.id.slice(0, 11)}`,
    });
    assert.deepEqual(up, { device: `tap${port.id.slice(0, 11)}`, exists: true });
    await bus.idle();
    const active = neutron.getPort(demo, port.id);
    assert.equal(active.status, 'ACTIVE');
    const last = statuses.at(-1) as PortStatusEvent;
    assert.equal(last.status, 'ACTIVE');
    assert.equal(last.device_id, 'vm-1');
    assert.equal(last.port.revision_number, active.revision_number);
    assert.equal(created.length, 0, 'events published before subscribing are not replayed');
  });

  it('answers security group info with rules and member addresses', async () => {
    const { bus, neutron } = cloud();
    const demo = project('demo');
    const net = neutron.createNetwork(demo, { name: 'private' });
    neutron.createSubnet(demo, { network_id: net.id, ip_version: 4, cidr: '10.0.0.0/24' });
    const a = neutron.createPort(demo, { network_id: net.id });
    const b = neutron.createPort(demo, { network_id: net.id });
    const sg = (a.security_groups as string[])[0];
    const info = await bus.call('security_group_info_for_devices', { devices: [a.id] });
    assert.equal(info.security_groups[sg].length, 4, "Neutron's four default rules");
    const members = info.sg_member_ips[sg].IPv4.sort();
    const ips = [a, b].map((p) => (p.fixed_ips as { ip_address: string }[])[0].ip_address).sort();
    assert.deepEqual(members, ips);
    assert.equal(info.devices[a.id].mac_address, a.mac_address);
  });

  it('syncs tunnels, routers and floating IP statuses', async () => {
    const { bus, neutron } = cloud();
    const admin = project('admin-project', true);
    const tunnels: string[] = [];
    bus.subscribe('tunnel.updated', (t) => tunnels.push(t.tunnel_ip));
    await bus.call('tunnel_sync', { tunnel_ip: '192.168.136.10', tunnel_type: 'vxlan', host: 'controller' });
    const t = await bus.call('tunnel_sync', {
      tunnel_ip: '192.168.136.11',
      tunnel_type: 'vxlan',
      host: 'compute1',
    });
    assert.deepEqual(t.tunnels.map((x) => x.host).sort(), ['compute1', 'controller']);
    await bus.idle();
    assert.deepEqual(tunnels, ['192.168.136.10', '192.168.136.11']);

    const net = neutron.createNetwork(admin, { name: 'private' });
    const sub = neutron.createSubnet(admin, { network_id: net.id, ip_version: 4, cidr: '10.0.0.0/24' });
    const pub = neutron.listNetworks(admin, { name: ['public'] })[0];
    const r = neutron.createRouter(admin, { name: 'r', external_gateway_info: { network_id: pub.id } });
    neutron.addRouterInterface(admin, r.id, { subnet_id: sub.id });
    const vm = neutron.createPort(admin, { network_id: net.id });
    const fip = neutron.createFloatingIp(admin, { floating_network_id: pub.id, port_id: vm.id });
    assert.equal(fip.router_id, r.id);

    const [synced] = await bus.call('sync_routers', { host: 'controller' });
    assert.equal(synced.id, r.id);
    assert.equal(synced._interfaces.length, 1);
    assert.equal(synced._interfaces[0].fixed_ips[0].ip_address, '10.0.0.1');
    assert.equal(synced._interfaces[0].subnets[0].cidr, '10.0.0.0/24');
    assert.match(synced.gw_port?.fixed_ips[0].ip_address ?? '', /^172\.24\.4\./);
    assert.equal(synced._floatingips[0].floating_ip_address, fip.floating_ip_address);
    const iface = neutron.getPort(admin, synced._interfaces[0].id);
    assert.equal(iface['binding:host_id'], 'controller', 'router ports are bound to the L3 agent host');

    const upd = await bus.call('update_floatingip_statuses', {
      router_id: r.id,
      fip_statuses: { [fip.id as string]: 'ACTIVE' },
    });
    assert.deepEqual(upd.updated, [fip.id]);
    assert.equal(neutron.getFloatingIp(admin, fip.id as string).status, 'ACTIVE');

    const active = await bus.call('get_active_networks_info', { host: 'controller' });
    assert.deepEqual(active, [net.id], 'the public subnet has DHCP off');
    const info = await bus.call('get_network_info', { host: 'controller', network_id: net.id });
    assert.equal(info?.subnets_detail[0].id, sub.id);
    assert.equal(info?.ports.length, 2);
    const dhcp = await bus.call('create_dhcp_port', {
      host: 'controller',
      port: { network_id: net.id, device_id: 'dhcp-1', fixed_ips: [{ subnet_id: sub.id }] },
    });
    assert.equal(dhcp?.device_owner, 'network:dhcp');
    assert.equal(dhcp?.['binding:vif_type'], 'ovs');
  });

  it('publishes every change with the whole resource, after the transaction commits', async () => {
    const { bus, neutron } = cloud();
    const admin = project('admin-project', true);
    const seen: string[] = [];
    for (const topic of ['network.created', 'network.updated', 'subnet.created', 'network.deleted'] as const)
      bus.subscribe(topic, (e) => {
        const r = (e as unknown as Record<string, { revision_number: number }>)[topic.split('.')[0]];
        seen.push(`${topic}@${r.revision_number}`);
      });
    const net = neutron.createNetwork(admin, { name: 'x' });
    neutron.createSubnet(admin, { network_id: net.id, ip_version: 4, cidr: '10.1.0.0/24' });
    assert.throws(() =>
      neutron.createSubnet(admin, { network_id: net.id, ip_version: 4, cidr: '10.1.0.0/25' }),
    );
    neutron.deleteNetwork(admin, net.id);
    await bus.idle();
    assert.deepEqual(seen, [
      'network.created@1',
      'subnet.created@0',
      'network.updated@2',
      'network.updated@3',
      'network.deleted@3',
    ]);
  });
});
