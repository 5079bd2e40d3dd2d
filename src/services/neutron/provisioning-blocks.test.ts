// Provisioning blocks: a port goes ACTIVE (and Nova hears vif-plugged) only once the L2 agent and
// the DHCP agent have both reported it, driven through the agents' RPC on an in-process bus.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Bus } from '../../bus/bus.js';
import type { AgentState } from '../../bus/neutron-rpc.js';
import type { Logger } from '../../sim/oslo-log.js';
import { openDatabase } from '../../store/db.js';
import { NeutronRepo } from '../../store/neutron-repo.js';
import { internalContext, type RequestContext } from '../policy.js';
import { Neutron } from './index.js';

const quiet: Logger = { debug() {}, info() {}, warning() {}, error() {} };
const admin: RequestContext = {
  ...internalContext(),
  projectId: 'admin-project',
  roles: ['admin', 'member'],
};

const agent = (
  agent_type: string,
  binary: string,
  host: string,
): { agent_state: AgentState; time: string } => ({
  agent_state: {
    binary,
    host,
    topic: 'N/A',
    agent_type,
    configurations: { tunnel_types: ['vxlan'], tunneling_ip: '192.168.136.11' },
    start_flag: true,
  },
  time: '2026-11-24T10:00:00',
});

async function cloud(o: { dhcpAgent?: boolean; path?: string } = {}) {
  const bus = new Bus();
  const db = openDatabase(o.path ?? ':memory:');
  const neutron = new Neutron({
    db,
    bus,
    log: quiet,
    hosts: () => ['controller', 'compute1'],
    requireLiveAgent: true,
    now: () => new Date('2026-11-24T10:00:00Z'),
  });
  neutron.serveRpc();
  neutron.bootstrap('admin-project');
  await bus.call('report_state', agent('Open vSwitch agent', 'neutron-openvswitch-agent', 'compute1'));
  await bus.call('report_state', agent('Open vSwitch agent', 'neutron-openvswitch-agent', 'controller'));
  if (o.dhcpAgent ?? true)
    await bus.call('report_state', agent('DHCP agent', 'neutron-dhcp-agent', 'controller'));
  const repo = new NeutronRepo(db);
  const statuses: string[] = [];
  bus.subscribe('port.status_changed', (e) => statuses.push(`${e.port_id}:${e.status}`));
  const status = (id: string) => neutron.getPort(admin, id).status;
  const l2Up = async (id: string, host = 'compute1') => {
    await bus.call('get_devices_details_list', { agent_id: 'ovs', host, devices: [id] });
    await bus.call('update_device_up', { agent_id: 'ovs', host, device: `tap${id.slice(0, 11)}` });
    await bus.idle();
  };
  const dhcpReady = async (...ids: string[]) => {
    await bus.call('dhcp_ready_on_ports', { host: 'controller', port_ids: ids });
    await bus.idle();
  };
  const network = (enable_dhcp = true) => {
    const net = neutron.createNetwork(admin, { name: 'private' });
    neutron.createSubnet(admin, { network_id: net.id, ip_version: 4, cidr: '10.0.0.0/24', enable_dhcp });
    return net.id as string;
  };
  /** A port as pocketstack's Nova makes one: created for the server, then bound to its host. */
  const serverPort = (networkId: string) => {
    const p = neutron.createPort(admin, {
      network_id: networkId,
      device_id: 'vm-1',
      device_owner: 'compute:nova',
    });
    neutron.updatePort(admin, p.id, { 'binding:host_id': 'compute1' });
    return p.id as string;
  };
  return { bus, db, neutron, repo, statuses, status, l2Up, dhcpReady, network, serverPort };
}

describe('provisioning blocks', () => {
  it('keeps a server port in BUILD after update_device_up until the DHCP agent reports it, once', async () => {
    const c = await cloud();
    const id = c.serverPort(c.network());
    assert.deepEqual(c.repo.provisioningBlocks(id), ['DHCP', 'L2']);
    await c.l2Up(id);
    assert.equal(c.status(id), 'BUILD', 'wired, but dnsmasq does not know it yet');
    assert.deepEqual(c.repo.provisioningBlocks(id), ['DHCP']);
    assert.deepEqual(c.statuses, [`${id}:BUILD`]);
    await c.dhcpReady(id);
    assert.equal(c.status(id), 'ACTIVE');
    assert.deepEqual(c.statuses, [`${id}:BUILD`, `${id}:ACTIVE`], 'one ACTIVE: one network-vif-plugged');
    assert.deepEqual(c.repo.provisioningBlocks(id), []);
  });

  it('and the other way round: DHCP ready first, ACTIVE on update_device_up', async () => {
    const c = await cloud();
    const id = c.serverPort(c.network());
    await c.dhcpReady(id);
    assert.equal(c.status(id), 'DOWN');
    assert.deepEqual(c.repo.provisioningBlocks(id), ['L2']);
    await c.l2Up(id);
    assert.equal(c.status(id), 'ACTIVE');
  });

  it('needs only the L2 agent on a network without DHCP, or without a DHCP agent', async () => {
    const c = await cloud();
    const id = c.serverPort(c.network(false));
    assert.deepEqual(c.repo.provisioningBlocks(id), ['L2']);
    await c.l2Up(id);
    assert.equal(c.status(id), 'ACTIVE');

    const none = await cloud({ dhcpAgent: false });
    const other = none.serverPort(none.network());
    assert.deepEqual(none.repo.provisioningBlocks(other), ['L2'], 'no DHCP agent serves the network');
    await none.l2Up(other);
    assert.equal(none.status(other), 'ACTIVE');
  });

  it("blocks neither Neutron's own ports nor a port without device_owner (NO_PBLOCKS_TYPES)", async () => {
    const c = await cloud();
    const net = c.network();
    const plain = c.neutron.createPort(admin, { network_id: net, 'binding:host_id': 'compute1' });
    assert.deepEqual(c.repo.provisioningBlocks(plain.id), []);
    await c.l2Up(plain.id);
    assert.equal(c.status(plain.id), 'ACTIVE');
    const dhcp = await c.bus.call('create_dhcp_port', {
      host: 'controller',
      port: { network_id: net, device_id: 'dhcp-1' },
    });
    assert.deepEqual(c.repo.provisioningBlocks(dhcp?.id as string), []);
    await c.l2Up(dhcp?.id as string, 'controller');
    assert.equal(c.status(dhcp?.id as string), 'ACTIVE');
  });

  it('waits for the binding: DHCP ready on an unbound port, ACTIVE once bound and wired', async () => {
    const c = await cloud();
    const net = c.network();
    const p = c.neutron.createPort(admin, {
      network_id: net,
      device_id: 'vm-2',
      device_owner: 'compute:nova',
    });
    assert.deepEqual(c.repo.provisioningBlocks(p.id), ['DHCP'], 'no host: no L2 block yet');
    await c.dhcpReady(p.id);
    assert.equal(c.status(p.id), 'DOWN', 'not bound: _port_provisioned leaves it');
    c.neutron.updatePort(admin, p.id, { 'binding:host_id': 'compute1' });
    assert.deepEqual(c.repo.provisioningBlocks(p.id), ['L2']);
    await c.l2Up(p.id);
    assert.equal(c.status(p.id), 'ACTIVE');

    // a new address needs the DHCP agent again (the port stays ACTIVE meanwhile, as in Neutron)
    c.neutron.updatePort(admin, p.id, { fixed_ips: [{ ip_address: '10.0.0.77' }] });
    assert.deepEqual(c.repo.provisioningBlocks(p.id), ['DHCP']);
    c.neutron.updatePort(admin, p.id, { name: 'renamed' });
    assert.deepEqual(c.repo.provisioningBlocks(p.id), ['DHCP'], 'other changes leave the blocks');
  });

  it('leaves an administratively down port DOWN', async () => {
    const c = await cloud();
    const id = c.serverPort(c.network());
    c.neutron.updatePort(admin, id, { admin_state_up: false });
    await c.dhcpReady(id);
    await c.bus.call('update_device_up', { agent_id: 'ovs', host: 'compute1', device: id });
    await c.bus.idle();
    assert.equal(c.status(id), 'DOWN');
  });

  it("drops a port's blocks with the port; keeps them across a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pocketstack-pb-'));
    try {
      const c = await cloud({ path: join(dir, 'cloud.db') });
      const net = c.network();
      const a = c.serverPort(net);
      const b = c.serverPort(net);
      c.neutron.deletePort(admin, a);
      assert.deepEqual(c.repo.provisioningBlocks(a), []);
      await c.dhcpReady(a);
      c.db.close();

      const again = await cloud({ path: join(dir, 'cloud.db') });
      assert.deepEqual(again.repo.provisioningBlocks(b), ['DHCP', 'L2']);
      await again.l2Up(b);
      assert.equal(again.status(b), 'BUILD');
      again.db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
