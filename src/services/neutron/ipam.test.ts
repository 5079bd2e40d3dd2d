import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatIp, parseIpv6, parseNet } from './address.js';
import { defaultPools, validateSubnet } from './ipam.js';

describe('ipam', () => {
  it('takes the gateway out of the pools wherever it is', () => {
    const net = parseNet('10.0.0.0/24');
    assert.ok(net);
    assert.deepEqual(defaultPools(net, net.network + 1n), [{ start: '10.0.0.2', end: '10.0.0.254' }]);
    assert.deepEqual(defaultPools(net, net.network + 100n), [
      { start: '10.0.0.1', end: '10.0.0.99' },
      { start: '10.0.0.101', end: '10.0.0.254' },
    ]);
    assert.deepEqual(defaultPools(net, null), [{ start: '10.0.0.1', end: '10.0.0.254' }]);
  });

  it('validates subnets as Neutron does', () => {
    const ok = validateSubnet({ cidr: '172.16.10.0/24', ip_version: 4 }, 'n', []);
    assert.equal(ok.gateway_ip, '172.16.10.1');
    const outside = validateSubnet({ cidr: '10.0.0.0/24', ip_version: 4, gateway_ip: '10.1.0.1' }, 'n', []);
    assert.equal(outside.gateway_ip, '10.1.0.1', 'a gateway outside the CIDR is accepted');
    assert.throws(
      () => validateSubnet({ cidr: '10.0.0.0/24', ip_version: 4, gateway_ip: '10.0.0.0' }, 'n', []),
      /Gateway is not valid on subnet/,
    );
    assert.throws(
      () => validateSubnet({ cidr: '10.300.0.0/24', ip_version: 4 }, 'n', []),
      /is not in a CIDR format/,
    );
    assert.throws(
      () => validateSubnet({ cidr: '10.0.0.0/24', ip_version: 4 }, 'n', [{ id: 's', cidr: '10.0.0.128/25' }]),
      /overlaps with another subnet/,
    );
    assert.throws(
      () =>
        validateSubnet(
          { cidr: '10.0.0.0/24', ip_version: 4, allocation_pools: [{ start: '10.0.0.1', end: '10.0.0.10' }] },
          'n',
          [],
        ),
      /Gateway ip 10\.0\.0\.1 conflicts with allocation pool 10\.0\.0\.1-10\.0\.0\.10/,
    );
    const v6 = validateSubnet({ cidr: 'fd00:1::/64', ip_version: 6 }, 'n', []);
    assert.equal(v6.gateway_ip, 'fd00:1::1');
    assert.deepEqual(v6.allocation_pools, [{ start: 'fd00:1::2', end: 'fd00:1::ffff:ffff:ffff:ffff' }]);
  });

  it('prints IPv6 in canonical form', () => {
    assert.equal(formatIp(6, parseIpv6('2001:0db8:0:0:0:0:0:1') ?? 0n), '2001:db8::1');
    assert.equal(formatIp(6, parseIpv6('::ffff:10.0.0.1') ?? 0n), '::ffff:a00:1');
  });
});
