import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Bus } from '../../../bus/bus.js';
import { loadConfig } from '../../../sim/oslo-config.js';
import { openDatabase } from '../../../store/db.js';
import { internalContext } from '../../policy.js';
import { ml2ConfSchema, neutronConfig, neutronConfSchema } from '../config.js';
import { Neutron } from '../index.js';

const quiet = { debug() {}, info() {}, warning() {}, error() {} };

function neutronWith(ml2: string, conf = '') {
  const config = neutronConfig(
    loadConfig(neutronConfSchema, { path: 'neutron.conf', text: conf }),
    loadConfig(ml2ConfSchema, { path: 'ml2_conf.ini', text: ml2 }),
  );
  return new Neutron({
    db: openDatabase(':memory:'),
    bus: new Bus(),
    log: quiet,
    config,
    hosts: () => ['h'],
  });
}

describe('ML2 type drivers', () => {
  it('gives VLAN tenant networks from network_vlan_ranges, MTU from physical_network_mtus', () => {
    const n = neutronWith(
      '[ml2]\ntype_drivers = vlan,vxlan\ntenant_network_types = vlan,vxlan\nphysical_network_mtus = physnet1:9000\npath_mtu = 9000\n' +
        '[ml2_type_vlan]\nnetwork_vlan_ranges = physnet1:100:101\n[ml2_type_vxlan]\nvni_ranges = 7:7\n',
      '[DEFAULT]\nglobal_physnet_mtu = 9000\n',
    );
    const ctx = { ...internalContext(), projectId: 'p' };
    const nets = [1, 2, 3].map((i) => n.createNetwork(ctx, { name: `n${i}` }));
    assert.deepEqual(
      nets
        .map(
          (x) =>
            `${x['provider:network_type']}:${x['provider:physical_network']}:${x['provider:segmentation_id']}:${x.mtu}`,
        )
        .sort(),
      ['vlan:physnet1:100:9000', 'vlan:physnet1:101:9000', 'vxlan:null:7:8950'],
      'VLANs first (tenant_network_types order), then VXLAN; VXLAN MTU = 9000 − 50',
    );
    assert.throws(() => n.createNetwork(ctx, { name: 'n4' }), /No tenant network is available/);
    assert.throws(
      () =>
        n.createNetwork(ctx, {
          'provider:network_type': 'vlan',
          'provider:physical_network': 'physnet1',
          'provider:segmentation_id': 100,
        }),
      /The VLAN 100 on physical network physnet1 is in use/,
    );
    assert.throws(
      () => n.createNetwork(ctx, { 'provider:network_type': 'gre' }),
      /network_type value 'gre' not supported/,
    );
  });

  it('refuses an unknown type driver at start, as ML2 does', () => {
    assert.throws(
      () => neutronWith('[ml2]\ntype_drivers = vxlan,opflex\n'),
      /type driver 'opflex' is not available/,
    );
    assert.throws(
      () => neutronWith('[ml2]\ntype_drivers = flat\ntenant_network_types = vxlan\n'),
      /tenant network type 'vxlan' is not in type_drivers/,
    );
  });
});
