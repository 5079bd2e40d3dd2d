import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BOOTP_MIN_LEN,
  BOOTREPLY,
  buildDhcp,
  DHCPACK,
  DHCPDISCOVER,
  DHCPOFFER,
  decodeClasslessRoutes,
  encodeClasslessRoutes,
  parseDhcp,
} from './dhcp.js';
import { ETHERTYPE_IPV4, emitEthernet } from './ethernet.js';
import { buildIpv4Packet, IP_PROTO_UDP } from './ipv4.js';
import { ipToString, parseIp } from './ipv4-address.js';
import { hasTshark, testdataHex, tshark, tsharkFields, tsharkProblems } from './tshark.js';
import { buildUdp } from './udp.js';

const discover = testdataHex('udhcpc-discover.hex');
const ack = testdataHex('dnsmasq-ack.hex');
const BOOTP = 14 + 20 + 8;
const ip = (s: string) => parseIp(s)!;

test('busybox udhcpc DHCPDISCOVER: fields, options, identical re-emit', () => {
  const r = parseDhcp(discover, BOOTP);
  assert.ok(r.ok);
  const d = r.value;
  assert.equal(d.options.messageType, DHCPDISCOVER);
  assert.equal(d.xid, 0x3903f326);
  assert.equal(d.chaddr, 'fa:16:3e:2b:7c:11');
  assert.equal(d.broadcast, false);
  assert.deepEqual(d.options.parameterRequestList, [1, 3, 6, 12, 15, 26, 28, 42, 121]);
  assert.equal(d.options.maxMessageSize, 576);
  assert.equal(d.options.hostName, 'cirros');
  assert.deepEqual([...d.options.clientId!], [1, 0xfa, 0x16, 0x3e, 0x2b, 0x7c, 0x11]);
  assert.equal(d.minLength, BOOTP_MIN_LEN, 'udhcpc pads to the BOOTP minimum of 300 bytes');
  assert.deepEqual(buildDhcp(d), discover.subarray(BOOTP));
});

test('dnsmasq DHCPACK with MTU 26 and classless routes 121: identical re-emit', () => {
  const r = parseDhcp(ack, BOOTP);
  assert.ok(r.ok);
  const o = r.value.options;
  assert.equal(o.messageType, DHCPACK);
  assert.equal(ipToString(r.value.yiaddr), '10.0.0.5');
  assert.equal(ipToString(o.serverId!), '10.0.0.2');
  assert.equal(o.leaseTime, 86400);
  assert.equal(o.renewalTime, 43200);
  assert.equal(o.rebindingTime, 75600);
  assert.equal(ipToString(o.subnetMask!), '255.255.255.0');
  assert.deepEqual(o.routers!.map(ipToString), ['10.0.0.1']);
  assert.deepEqual(o.dnsServers!.map(ipToString), ['10.0.0.2']);
  assert.equal(o.interfaceMtu, 1450);
  assert.equal(o.domainName, 'openstacklocal');
  assert.equal(o.hostName, 'host-10-0-0-5');
  assert.deepEqual(o.classlessRoutes, [
    { network: ip('169.254.169.254'), prefixLen: 32, gateway: ip('10.0.0.2') },
    { network: 0, prefixLen: 0, gateway: ip('10.0.0.1') },
  ]);
  assert.deepEqual(buildDhcp(r.value), ack.subarray(BOOTP));
});

test('RFC 3442 encoding uses only the significant octets', () => {
  const routes = [
    { network: ip('10.17.0.0'), prefixLen: 16, gateway: ip('10.0.0.1') },
    { network: ip('10.27.129.0'), prefixLen: 24, gateway: ip('10.0.0.1') },
    { network: ip('10.229.0.128'), prefixLen: 25, gateway: ip('10.0.0.1') },
    { network: 0, prefixLen: 0, gateway: ip('10.0.0.1') },
  ];
  const bytes = encodeClasslessRoutes(routes);
  // RFC 3442 section 5 table: 10.17/16 -> 16.10.17, 10.27.129/24 -> 24.10.27.129, 10.229.0.128/25 -> 25.10.229.0.128, 0/0 -> 0
  assert.deepEqual(
    [...bytes],
    [16, 10, 17, 10, 0, 0, 1, 24, 10, 27, 129, 10, 0, 0, 1, 25, 10, 229, 0, 128, 10, 0, 0, 1, 0, 10, 0, 0, 1],
  );
  assert.deepEqual(decodeClasslessRoutes(bytes), routes);
  assert.equal(decodeClasslessRoutes(Uint8Array.of(24, 10, 0)), null, 'truncated route');
});

test('malformed DHCP messages give typed errors', () => {
  assert.deepEqual(parseDhcp(ack.subarray(0, BOOTP + 100), BOOTP), { ok: false, error: 'truncated' });
  const cookie = ack.slice();
  cookie[BOOTP + 236] = 0;
  assert.deepEqual(parseDhcp(cookie, BOOTP), { ok: false, error: 'malformed' });
  const overrun = ack.slice(0, BOOTP + 243);
  overrun[BOOTP + 241] = 200; // option 53 claims 200 bytes
  assert.deepEqual(parseDhcp(overrun, BOOTP), { ok: false, error: 'malformed' });
});

test('an OFFER built from typed options decodes in tshark', {
  skip: !hasTshark() && 'tshark not installed',
}, () => {
  const offer = buildDhcp({
    op: BOOTREPLY,
    hops: 0,
    xid: 0x3903f326,
    secs: 0,
    broadcast: false,
    ciaddr: 0,
    yiaddr: ip('10.0.0.5'),
    siaddr: ip('10.0.0.2'),
    giaddr: 0,
    chaddr: 'fa:16:3e:2b:7c:11',
    sname: '',
    file: '',
    minLength: BOOTP_MIN_LEN,
    options: {
      messageType: DHCPOFFER,
      serverId: ip('10.0.0.2'),
      leaseTime: 86400,
      subnetMask: ip('255.255.255.0'),
      routers: [ip('10.0.0.1')],
      interfaceMtu: 1450,
      classlessRoutes: [{ network: ip('169.254.169.254'), prefixLen: 32, gateway: ip('10.0.0.2') }],
      domainName: 'openstacklocal',
    },
  });
  const udp = buildUdp({ srcPort: 67, dstPort: 68, payload: offer }, ip('10.0.0.2'), ip('10.0.0.5'));
  const pkt = buildIpv4Packet(
    { src: ip('10.0.0.2'), dst: ip('10.0.0.5'), protocol: IP_PROTO_UDP, ttl: 64, dontFragment: true },
    udp,
  );
  const frame = new Uint8Array(14 + pkt.length);
  emitEthernet({ dst: 'fa:16:3e:2b:7c:11', src: 'fa:16:3e:0c:5d:7e', ethertype: ETHERTYPE_IPV4 }, frame, 0);
  frame.set(pkt, 14);
  const frames = [discover, ack, frame];
  const verbose = tshark(frames, ['-V']);
  assert.deepEqual(tsharkProblems(verbose), []);
  assert.match(verbose, / 169\.254\.169\.254\/32-10\.0\.0\.2/);
  assert.match(verbose, / default-10\.0\.0\.1/);
  const rows = tsharkFields(frames, [
    'dhcp.option.dhcp',
    'dhcp.ip.your',
    'dhcp.option.interface_mtu',
    'dhcp.option.classless_static_route',
    'dhcp.option.router',
    'dhcp.option.hostname',
  ]);
  assert.deepEqual(rows, [
    ['1', '0.0.0.0', '', '', '', 'cirros'],
    // tshark prints each classless route as its RFC 3442 bytes: width, significant octets, router.
    ['5', '10.0.0.5', '1450', '20a9fea9fe0a000002,000a000001', '10.0.0.1', 'host-10-0-0-5'],
    ['2', '10.0.0.5', '1450', '20a9fea9fe0a000002', '10.0.0.1', ''],
  ]);
});
