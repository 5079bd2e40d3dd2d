import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Bus } from '../../bus/bus.js';
import { openDatabase } from '../../store/db.js';
import { internalContext } from '../policy.js';
import { Neutron } from './index.js';

const quiet = { debug() {}, info() {}, warning() {}, error() {} };

describe('ports and IPAM', () => {
  const n = new Neutron({ db: openDatabase(':memory:'), bus: new Bus(), log: quiet, hosts: () => [] });
  const ctx = { ...internalContext(), projectId: 'p' };
  const net = n.createNetwork(ctx, { name: 'n' });
  const sub = n.createSubnet(ctx, {
    network_id: net.id,
    ip_version: 4,
    cidr: '10.0.0.0/29',
    allocation_pools: [{ start: '10.0.0.2', end: '10.0.0.4' }],
  });
  const ips = (p: Record<string, unknown>) =>
    (p.fixed_ips as { ip_address: string }[]).map((f) => f.ip_address);

  it('keeps, adds and replaces addresses as fixed_ips asks', () => {
    const p = n.createPort(ctx, { network_id: net.id, fixed_ips: [{ ip_address: '10.0.0.6' }] });
    assert.deepEqual(ips(p), ['10.0.0.6'], 'an address outside the pools but in the subnet');
    const more = n.updatePort(ctx, p.id, { fixed_ips: [{ ip_address: '10.0.0.6' }, { subnet_id: sub.id }] });
    assert.equal(ips(more)[0], '10.0.0.6');
    assert.match(ips(more)[1], /^10\.0\.0\.[2-4]$/);
    const moved = n.updatePort(ctx, p.id, { fixed_ips: [{ ip_address: '10.0.0.5' }] });
    assert.deepEqual(ips(moved), ['10.0.0.5']);
    assert.throws(
      () => n.createPort(ctx, { network_id: net.id, fixed_ips: [{ ip_address: '10.0.0.5' }] }),
      /IP address 10\.0\.0\.5 already allocated in subnet/,
    );
    assert.throws(
      () => n.createPort(ctx, { network_id: net.id, fixed_ips: [{ ip_address: '10.0.0.7' }] }),
      /IP address 10\.0\.0\.7 is not a valid IP for the specified subnet/,
    );
    assert.throws(
      () => n.createPort(ctx, { network_id: net.id, fixed_ips: [{ ip_address: '10.9.9.9' }] }),
      /is not a valid IP for any of the subnets on the specified network/,
    );
    n.deletePort(ctx, p.id);
  });

  it('runs out of pool addresses with IpAddressGenerationFailure and frees them on delete', () => {
    const made = [1, 2, 3].map(() => n.createPort(ctx, { network_id: net.id }));
    assert.deepEqual(made.flatMap(ips).sort(), ['10.0.0.2', '10.0.0.3', '10.0.0.4']);
    assert.throws(
      () => n.createPort(ctx, { network_id: net.id }),
      (e: { type?: string; status?: number; message: string }) =>
        e.type === 'IpAddressGenerationFailure' &&
        e.status === 409 &&
        e.message === `No more IP addresses available on network ${net.id}.`,
    );
    n.deletePort(ctx, made[1].id);
    assert.deepEqual(ips(n.createPort(ctx, { network_id: net.id })), ips(made[1]));
  });

  it('refuses a taken MAC on the network and security groups without port security', () => {
    const p = n.createPort(ctx, { network_id: net.id, fixed_ips: [], mac_address: 'fa:16:3e:00:00:01' });
    assert.throws(
      () => n.createPort(ctx, { network_id: net.id, fixed_ips: [], mac_address: 'FA:16:3E:00:00:01' }),
      /The mac address fa:16:3e:00:00:01 is in use/,
    );
    assert.throws(
      () =>
        n.createPort(ctx, {
          network_id: net.id,
          fixed_ips: [],
          port_security_enabled: false,
          security_groups: p.security_groups,
        }),
      /Port security must be enabled and port must have an IP address in order to use security groups/,
    );
    const open = n.createPort(ctx, { network_id: net.id, fixed_ips: [], port_security_enabled: false });
    assert.deepEqual(open.security_groups, []);
  });

  it('gives SLAAC subnets the EUI-64 address of the MAC', () => {
    const v6 = n.createNetwork(ctx, { name: 'v6' });
    n.createSubnet(ctx, {
      network_id: v6.id,
      ip_version: 6,
      cidr: 'fd00:5::/64',
      ipv6_address_mode: 'slaac',
      ipv6_ra_mode: 'slaac',
    });
    const p = n.createPort(ctx, { network_id: v6.id, mac_address: 'fa:16:3e:12:34:56' });
    assert.deepEqual(ips(p), ['fd00:5::f816:3eff:fe12:3456']);
    assert.throws(
      () =>
        n.createSubnet(ctx, {
          network_id: v6.id,
          ip_version: 6,
          cidr: 'fd00:6::/80',
          ipv6_address_mode: 'slaac',
        }),
      /requires the prefix to be \/64/,
    );
  });
});
