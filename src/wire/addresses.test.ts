import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cidrContains,
  ipToString,
  maskToPrefix,
  parseCidr,
  parseIp,
  prefixMask,
  readIp,
  subnetBroadcast,
  writeIp,
} from './ipv4-address.js';
import { isBroadcastMac, isMulticastMac, mac48ToString, macToString, parseMac, readMac48 } from './mac.js';

test('MAC text <-> bytes <-> 48-bit number', () => {
  const m = parseMac('FA:16:3E:2B:7C:11')!;
  assert.equal(macToString(m), 'fa:16:3e:2b:7c:11');
  assert.equal(readMac48(m, 0), 0xfa163e2b7c11);
  assert.equal(mac48ToString(0xfa163e2b7c11), 'fa:16:3e:2b:7c:11');
  assert.equal(parseMac('fa:16:3e:2b:7c'), null);
  assert.equal(parseMac('fa:16:3e:2b:7c:zz'), null);
  assert.ok(isBroadcastMac(parseMac('ff:ff:ff:ff:ff:ff')!, 0));
  assert.ok(isMulticastMac(parseMac('01:00:5e:00:00:01')!, 0));
  assert.ok(!isMulticastMac(m, 0));
});

test('IPv4 dotted quad <-> unsigned number', () => {
  assert.equal(parseIp('172.24.4.150'), 0xac180496);
  assert.equal(ipToString(0xffffffff), '255.255.255.255');
  assert.equal(ipToString(parseIp('10.0.0.5')!), '10.0.0.5');
  assert.equal(parseIp('10.0.0.256'), null);
  assert.equal(parseIp('10.0.0'), null);
  const b = new Uint8Array(4);
  writeIp(b, 0, 0xc0a87a0a);
  assert.deepEqual([...b], [192, 168, 122, 10]);
  assert.equal(readIp(b, 0), 0xc0a87a0a);
});

test('CIDR parse, masks, contains', () => {
  const c = parseCidr('10.0.0.1/24')!;
  assert.equal(c.network, parseIp('10.0.0.0'));
  assert.equal(c.address, parseIp('10.0.0.1'));
  assert.equal(c.mask, 0xffffff00);
  assert.ok(cidrContains(c, parseIp('10.0.0.200')!));
  assert.ok(!cidrContains(c, parseIp('10.0.1.1')!));
  assert.equal(subnetBroadcast(c), parseIp('10.0.0.255'));
  assert.equal(prefixMask(0), 0);
  assert.equal(prefixMask(32), 0xffffffff);
  assert.equal(maskToPrefix(0xffffff00), 24);
  assert.equal(maskToPrefix(0xffffffff), 32);
  assert.equal(maskToPrefix(0), 0);
  assert.equal(maskToPrefix(0xff00ff00), -1);
  assert.ok(cidrContains(parseCidr('0.0.0.0/0')!, 0xdeadbeef));
  assert.equal(parseCidr('10.0.0.0/33'), null);
  assert.equal(parseCidr('169.254.169.254')!.prefixLen, 32);
});
