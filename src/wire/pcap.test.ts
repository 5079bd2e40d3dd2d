import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildEthernetFrame, ETHERTYPE_IPV4 } from './ethernet.js';
import { buildIcmp } from './icmp.js';
import { buildIpv4Packet, IP_PROTO_ICMP } from './ipv4.js';
import { parseIp } from './ipv4-address.js';
import { PcapWriter, readPcap, writePcap } from './pcap.js';
import { hasTshark, testdataHex, tshark, tsharkFields, tsharkProblems } from './tshark.js';
import { vxlanEncapsulate } from './vxlan.js';

test('pcap write -> read round-trips frames and virtual timestamps', () => {
  const a = testdataHex('arp-request.hex');
  const b = testdataHex('ping-echo-request.hex');
  const records = [
    { timeNs: 0, frame: a },
    { timeNs: 1_500_000_123, frame: b },
  ];
  const us = writePcap(records);
  assert.deepEqual([...us.subarray(0, 4)], [0xd4, 0xc3, 0xb2, 0xa1], 'magic a1b2c3d4 little-endian');
  assert.equal(us[20], 1, 'linktype 1 (Ethernet)');
  const r = readPcap(us);
  assert.ok(r.ok);
  assert.equal(r.value.nanoseconds, false);
  assert.deepEqual(r.value.records[1].frame, b);
  assert.equal(r.value.records[1].timeNs, 1_500_000_000, 'microsecond resolution truncates');
  const ns = readPcap(writePcap(records, { nanoseconds: true }));
  assert.ok(ns.ok);
  assert.equal(ns.value.records[1].timeNs, 1_500_000_123);
  const cut = new PcapWriter({ snaplen: 64 }).record({ timeNs: 0, frame: b });
  assert.equal(cut.length, 16 + 64);
  assert.deepEqual(readPcap(us.subarray(0, us.length - 3)), { ok: false, error: 'truncated' });
  assert.deepEqual(readPcap(new Uint8Array(24)), { ok: false, error: 'malformed' });
});

test('tshark decodes an ICMP echo request inside VXLAN completely', {
  skip: !hasTshark() && 'tshark not installed',
}, () => {
  const ip = (s: string) => parseIp(s)!;
  const icmp = buildIcmp({
    kind: 'echo-request',
    id: 0x1f2e,
    seq: 7,
    data: Uint8Array.from({ length: 56 }, (_, i) => i),
  });
  const inner = buildEthernetFrame(
    { dst: 'fa:16:3e:5a:41:02', src: 'fa:16:3e:2b:7c:11', ethertype: ETHERTYPE_IPV4 },
    buildIpv4Packet(
      {
        src: ip('10.0.0.5'),
        dst: ip('10.0.0.7'),
        protocol: IP_PROTO_ICMP,
        ttl: 64,
        dontFragment: true,
        id: 0x4d2,
      },
      icmp,
    ),
  );
  const frame = vxlanEncapsulate(
    {
      srcMac: '52:54:00:12:34:0a',
      dstMac: '52:54:00:12:34:0b',
      srcIp: ip('192.168.122.10'),
      dstIp: ip('192.168.122.11'),
      srcPort: 49152,
      vni: 10,
    },
    inner,
  );
  const verbose = tshark([frame], ['-V']);
  assert.deepEqual(tsharkProblems(verbose), []);
  assert.match(verbose, /Virtual eXtensible Local Area Network/);
  assert.match(verbose, /VXLAN Network Identifier \(VNI\): 10/);
  const [row] = tsharkFields(
    [frame],
    [
      'ip.src',
      'ip.dst',
      'udp.dstport',
      'vxlan.vni',
      'eth.src',
      'eth.dst',
      'icmp.type',
      'icmp.ident',
      'icmp.seq',
      'ip.checksum.status',
      'icmp.checksum.status',
    ],
  );
  assert.deepEqual(row, [
    '192.168.122.10,10.0.0.5',
    '192.168.122.11,10.0.0.7',
    '4789',
    '10',
    '52:54:00:12:34:0a,fa:16:3e:2b:7c:11',
    '52:54:00:12:34:0b,fa:16:3e:5a:41:02',
    '8',
    '7982',
    '7',
    '1,1',
    '1',
  ]);
});
