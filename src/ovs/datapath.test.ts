import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildEthernetFrame } from '../wire/ethernet.js';
import { Datapath } from './datapath.js';
import { DpPort } from './dp-port.js';
import { formatFlowLine } from './flow-format.js';
import { parseFlow } from './flow-parse.js';
import { Flow } from './flow-table.js';

let clock = 0;
const now = () => clock;

interface Sent {
  port: string;
  frame: Uint8Array;
}

function bridge(name: string, ports: [string, number, number?][]): { dp: Datapath; sent: Sent[] } {
  const dp = new Datapath(name, now);
  const sent: Sent[] = [];
  for (const [pname, ofport, tag] of ports) {
    const p = new DpPort(ofport, pname, 'system', (frame) => sent.push({ port: pname, frame }));
    if (tag !== undefined) p.tag = tag;
    dp.addPort(p);
  }
  return { dp, sent };
}

function addFlow(dp: Datapath, text: string): Flow {
  const fm = parseFlow(text, 'add', dp);
  if (typeof fm === 'string') throw new Error(fm);
  return dp.tables.add(
    new Flow(
      fm.table ?? 0,
      fm.priority,
      fm.cookie,
      fm.match,
      fm.actions!,
      fm.idleTimeout,
      fm.hardTimeout,
      clock,
    ),
  );
}

const frame = (dst: string, src: string, payload = 46): Uint8Array =>
  buildEthernetFrame({ dst, src, ethertype: 0x0800 }, new Uint8Array(payload));

const A = 'fa:16:3e:00:00:0a';
const B = 'fa:16:3e:00:00:0b';
const C = 'fa:16:3e:00:00:0c';

test('NORMAL: access ports with the same tag reach each other, different tags do not', () => {
  const { dp, sent } = bridge('br-int', [
    ['qvoA', 1, 1],
    ['qvoB', 2, 1],
    ['qvoC', 3, 2],
  ]);
  addFlow(dp, 'priority=0,actions=NORMAL');
  dp.receive(dp.port(1)!, frame('ff:ff:ff:ff:ff:ff', A), null);
  assert.deepEqual(
    sent.map((s) => s.port),
    ['qvoB'],
    'broadcast floods only within VLAN 1',
  );
  sent.length = 0;
  dp.receive(dp.port(3)!, frame(A, C), null);
  assert.equal(
    sent.length,
    0,
    'tag 2 cannot reach a MAC learned in tag 1 (flood stays in VLAN 2: no other port)',
  );
  dp.receive(dp.port(2)!, frame(A, B), null);
  assert.deepEqual(
    sent.map((s) => s.port),
    ['qvoA'],
    'learned MAC goes unicast',
  );
  assert.equal(sent[0].frame.length, 60, 'access ports send untagged');
  assert.match(dp.macs.formatShow(), /^ port {2}VLAN {2}MAC {16}Age\n {4}1 {5}1 {2}fa:16:3e:00:00:0a {4}0\n/);
});

test('NORMAL: a trunk gets the access VLAN as a tag, and tagged frames from it reach the access port untagged', () => {
  const { dp, sent } = bridge('br-int', [
    ['patch-tun', 1],
    ['qvoA', 2, 5],
  ]);
  addFlow(dp, 'priority=0,actions=NORMAL');
  dp.receive(dp.port(2)!, frame(B, A), null);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].port, 'patch-tun');
  assert.deepEqual([...sent[0].frame.subarray(12, 16)], [0x81, 0x00, 0x00, 0x05]);
  sent.length = 0;
  // The reply comes back tagged with VLAN 5 from the trunk.
  const tagged = new Uint8Array(64);
  tagged.set(frame(A, B, 46).subarray(0, 12), 0);
  tagged.set([0x81, 0x00, 0x00, 0x05, 0x08, 0x00], 12);
  dp.receive(dp.port(1)!, tagged, null);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].port, 'qvoA');
  assert.equal(sent[0].frame.length, 60);
  assert.deepEqual([...sent[0].frame.subarray(12, 14)], [0x08, 0x00]);
  // A tagged frame arriving on the access port is dropped.
  sent.length = 0;
  dp.receive(dp.port(2)!, tagged, null);
  assert.equal(sent.length, 0);
});

test('priorities and resubmit behave as OVS documents; counters move', () => {
  const { dp, sent } = bridge('br0', [
    ['p1', 1],
    ['p2', 2],
    ['p3', 3],
  ]);
  const low = addFlow(dp, 'table=0,priority=1,actions=output:3');
  const high = addFlow(dp, 'table=0,priority=10,in_port=1,actions=resubmit(,5),output:2');
  addFlow(dp, 'table=5,priority=1,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=output:3');
  addFlow(dp, 'table=5,priority=0,actions=drop');
  dp.receive(dp.port(1)!, frame('ff:ff:ff:ff:ff:ff', A), null);
  assert.deepEqual(
    sent.map((s) => s.port),
    ['p3', 'p2'],
    'resubmit returns and the next action runs',
  );
  sent.length = 0;
  dp.receive(dp.port(2)!, frame(B, A), null);
  assert.deepEqual(
    sent.map((s) => s.port),
    ['p3'],
  );
  assert.equal(high.nPackets, 1);
  assert.equal(high.nBytes, 60);
  assert.equal(low.nPackets, 1);
  assert.equal(dp.port(1)!.rxPackets, 1);
  assert.equal(dp.port(3)!.txPackets, 2);
  // Output to the input port is skipped unless IN_PORT is used.
  sent.length = 0;
  addFlow(dp, 'table=0,priority=20,in_port=3,actions=output:3,IN_PORT');
  dp.receive(dp.port(3)!, frame(B, A), null);
  assert.deepEqual(
    sent.map((s) => s.port),
    ['p3'],
  );
});

test('a resubmit loop is cut at depth 64', () => {
  const { dp, sent } = bridge('br0', [['p1', 1]]);
  addFlow(dp, 'table=0,priority=0,actions=resubmit(,1)');
  addFlow(dp, 'table=1,priority=0,actions=resubmit(,0),output:1');
  dp.receive(dp.port(1)!, frame(B, A), null);
  assert.equal(sent.length, 0);
});

test('set_field/load/move rewrite the frame at output; the input bytes are never changed', () => {
  const { dp, sent } = bridge('br0', [
    ['p1', 1],
    ['p2', 2],
  ]);
  addFlow(
    dp,
    'priority=1,actions=mod_dl_src:fa:16:3e:00:00:99,move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],output:2',
  );
  const f = frame(B, A);
  const copy = f.slice();
  dp.receive(dp.port(1)!, f, null);
  assert.deepEqual(f, copy);
  assert.deepEqual(
    [...sent[0].frame.subarray(0, 12)],
    [0xfa, 0x16, 0x3e, 0, 0, 0x99, 0xfa, 0x16, 0x3e, 0, 0, 0x99],
  );
});

test('flows with a hard timeout expire on virtual time', () => {
  clock = 0;
  const { dp } = bridge('br0', [['p1', 1]]);
  addFlow(dp, 'priority=1,hard_timeout=10,actions=drop');
  addFlow(dp, 'priority=2,idle_timeout=5,actions=drop');
  clock = 6e9;
  assert.deepEqual(
    dp.tables.all().map((f) => formatFlowLine(f, clock)),
    [
      ' cookie=0x0, duration=6s, table=0, n_packets=0, n_bytes=0, hard_timeout=10, idle_age=6, priority=1 actions=drop',
    ],
  );
  clock = 10e9;
  assert.equal(dp.tables.all().length, 0);
});

test('learn: the same MAC seen from another tunnel port rewrites the learned flow; counters kept', () => {
  clock = 0;
  const { dp } = bridge('br-tun', [
    ['patch-int', 1],
    ['vxlan-a', 2],
    ['vxlan-b', 3],
  ]);
  addFlow(dp, 'table=0,priority=1,in_port=2,actions=resubmit(,4)');
  addFlow(dp, 'table=0,priority=1,in_port=3,actions=resubmit(,4)');
  addFlow(dp, 'table=4,priority=1,tun_id=0x3e9,actions=mod_vlan_vid:1,resubmit(,10)');
  addFlow(
    dp,
    'table=10,priority=1,actions=learn(table=20,hard_timeout=300,priority=1,cookie=0x1,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]),output:1',
  );
  const tun = { id: 1001, src: 1, dst: 2 };
  dp.receive(dp.port(2)!, frame(B, A), null, tun);
  const learned = () => dp.tables.all().filter((f) => f.table === 20);
  assert.equal(learned().length, 1);
  assert.match(
    formatFlowLine(learned()[0], clock),
    /cookie=0x1, .*hard_timeout=300, .*priority=1,vlan_tci=0x0001\/0x0fff,dl_dst=fa:16:3e:00:00:0a actions=load:0->NXM_OF_VLAN_TCI\[\],load:0x3e9->NXM_NX_TUN_ID\[\],output:2$/,
  );
  learned()[0].nPackets = 7;
  clock = 100e9;
  dp.receive(dp.port(2)!, frame(B, A), null, tun);
  assert.equal(learned().length, 1);
  assert.equal(learned()[0].modifiedNs, 100e9, 're-learning re-arms the hard timeout');
  dp.receive(dp.port(3)!, frame(B, A), null, tun);
  assert.equal(learned().length, 1);
  assert.match(
    formatFlowLine(learned()[0], clock),
    /n_packets=7, .* actions=load:0->NXM_OF_VLAN_TCI\[\],load:0x3e9->NXM_NX_TUN_ID\[\],output:3$/,
  );
  clock = 399e9;
  assert.equal(learned().length, 1);
  clock = 400e9;
  assert.equal(learned().length, 0, 'gone 300 s after the last learn');
});

test('NORMAL: learned MACs age out after 300 s of silence and the bridge floods again', () => {
  clock = 0;
  const { dp, sent } = bridge('br-int', [
    ['qvoA', 1, 1],
    ['qvoB', 2, 1],
    ['qvoC', 3, 1],
  ]);
  addFlow(dp, 'priority=0,actions=NORMAL');
  dp.receive(dp.port(1)!, frame(B, A), null);
  sent.length = 0;
  clock = 299e9;
  dp.receive(dp.port(2)!, frame(A, B), null);
  assert.deepEqual(
    sent.map((s) => s.port),
    ['qvoA'],
  );
  sent.length = 0;
  clock = 600e9;
  assert.doesNotMatch(dp.macs.formatShow(), /fa:16:3e:00:00:0a/);
  dp.receive(dp.port(2)!, frame(A, B), null);
  assert.deepEqual(
    sent.map((s) => s.port),
    ['qvoA', 'qvoC'],
  );
});

test('runt and truncated frames never throw into the engine', () => {
  const { dp, sent } = bridge('br0', [
    ['p1', 1],
    ['p2', 2],
  ]);
  addFlow(dp, 'priority=1,actions=mod_dl_src:fa:16:3e:00:00:99,mod_vlan_vid:5,output:2');
  dp.receive(dp.port(1)!, new Uint8Array(6), null);
  assert.equal(dp.port(1)!.rxErrors, 1);
  // A truncated IPv4 header and a truncated ARP still forward (fields simply not extracted).
  const ipShort = frame(B, A, 4);
  const arpShort = buildEthernetFrame({ dst: B, src: A, ethertype: 0x0806 }, new Uint8Array(10));
  dp.receive(dp.port(1)!, ipShort, null);
  dp.receive(dp.port(1)!, arpShort, null);
  assert.equal(sent.length, 2);
  assert.equal(sent[0].frame.length, ipShort.length + 4);
});
