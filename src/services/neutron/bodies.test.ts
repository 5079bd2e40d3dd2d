// The resources as a real Zed neutron-server returns them (testdata/*.json, captured with ML2,
// VXLAN 10:100, extension driver port_security, the router plugin, no agents): same fields, same
// types, same defaults, field for field.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Bus } from '../../bus/bus.js';
import { loadConfig } from '../../sim/oslo-config.js';
import { openDatabase } from '../../store/db.js';
import { internalContext } from '../policy.js';
import { ml2ConfSchema, neutronConfig, neutronConfSchema } from './config.js';
import { Neutron } from './index.js';

type Body = Record<string, unknown>;
const real = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`../../../../src/services/neutron/testdata/${name}.json`, import.meta.url), 'utf8'),
  ) as Body;
const inner = (b: Body) => Object.values(b)[0] as Body;

// Values that differ by nature (ids, times, random choices) are compared by type only.
const VARIABLE = new Set([
  'id',
  'tenant_id',
  'project_id',
  'network_id',
  'created_at',
  'updated_at',
  'mac_address',
  'fixed_ips',
  'provider:segmentation_id',
  'subnets',
  'security_groups',
  'subnet_id',
  'subnet_ids',
  'port_id',
  'device_id',
  'name',
  'cidr',
  'gateway_ip',
  'allocation_pools',
]);

function sameShape(ours: Body, theirs: Body, what: string): void {
  assert.deepEqual(Object.keys(ours).sort(), Object.keys(theirs).sort(), `${what}: the same fields`);
  for (const [k, v] of Object.entries(theirs)) {
    if (VARIABLE.has(k)) assert.equal(typeof ours[k], typeof v, `${what}.${k} type`);
    else assert.deepEqual(ours[k], v, `${what}.${k}`);
  }
}

describe("resource bodies, field for field with a real neutron-server's", () => {
  const config = neutronConfig(
    loadConfig(neutronConfSchema, null),
    loadConfig(ml2ConfSchema, {
      path: 'ml2_conf.ini',
      text: '[ml2]\ntype_drivers = vxlan,flat\ntenant_network_types = vxlan\nmechanism_drivers = openvswitch\nextension_drivers = port_security\n[ml2_type_vxlan]\nvni_ranges = 10:100\n',
    }),
  );
  const quiet = { debug() {}, info() {}, warning() {}, error() {} };
  const n = new Neutron({
    db: openDatabase(':memory:'),
    bus: new Bus(),
    log: quiet,
    config,
    hosts: () => [],
  });
  const ctx = { ...internalContext(), projectId: 'fake_project_id' };

  it('network, subnet, port, router and router interface', () => {
    const net = n.createNetwork(ctx, { name: 'bench-net-0', admin_state_up: true });
    sameShape(net, inner(real('network_create')), 'network create');
    const sub = n.createSubnet(ctx, {
      name: 'bench-sub-0',
      network_id: net.id,
      ip_version: 4,
      cidr: '10.0.0.0/24',
    });
    sameShape(sub, inner(real('subnet_create')), 'subnet create');
    assert.equal(sub.gateway_ip, '10.0.0.1');
    assert.deepEqual(sub.allocation_pools, [{ start: '10.0.0.2', end: '10.0.0.254' }]);
    sameShape(n.getNetwork(ctx, net.id), inner(real('network_show')), 'network show');
    const port = n.createPort(ctx, { name: 'bench-port-0', network_id: net.id, admin_state_up: true });
    sameShape(port, inner(real('port_create')), 'port create');
    const router = n.createRouter(ctx, { name: 'bench-router-0', admin_state_up: true });
    sameShape(router, inner(real('router_create')), 'router create');
    const info = n.addRouterInterface(ctx, router.id, { subnet_id: sub.id }) as unknown as Body;
    sameShape(info, real('router_add_interface'), 'add_router_interface');
    const iface = n.listPorts(ctx, { device_owner: ['network:router_interface'] });
    sameShape(iface[0], (real('router_interface_port').ports as Body[])[0], 'router interface port');
    assert.equal((iface[0].fixed_ips as { ip_address: string }[])[0].ip_address, '10.0.0.1');
    sameShape(n.getRouter(ctx, router.id), inner(real('router_show_after_interface')), 'router show');
  });
});
