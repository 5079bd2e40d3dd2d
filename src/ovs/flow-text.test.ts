import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { formatDuration, formatFlowLine } from './flow-format.js';
import { parseFlow } from './flow-parse.js';
import { Flow } from './flow-table.js';
import type { PortNames } from './ports.js';

const golden = (name: string): string =>
  readFileSync(new URL(`../../../src/ovs/testdata/${name}`, import.meta.url), 'utf8');

// The terminal rendering in host-tools.md uses port names; these are the ports those lines name.
const names: PortNames = {
  numberOf: (n) => ({ 'phy-br-ex': 1, 'vxlan-c0a87a0b': 2, 'patch-int': 1 })[n],
  nameOf: (p) => ({ 1: 'phy-br-ex', 2: 'vxlan-c0a87a0b' })[p],
};

/** Rebuilds a flow from a dump line: the flow text plus the statistics the line shows. */
function flowFromDump(line: string, now: number): { flow: Flow; usesNames: boolean; ages: boolean } {
  const usesNames = line.includes('"');
  const fm = parseFlow(line, 'add', usesNames ? names : undefined);
  if (typeof fm === 'string') throw new Error(`${fm}\n  in: ${line}`);
  const stat = (k: string): number | undefined => {
    const m = new RegExp(`(?:^|[ ,])${k}=([0-9.]+)s?,`).exec(line);
    return m ? Number(m[1]) : undefined;
  };
  const flow = new Flow(
    fm.table ?? 0,
    fm.priority,
    fm.cookie,
    fm.match,
    fm.actions!,
    fm.idleTimeout,
    fm.hardTimeout,
    now - Math.round((stat('duration') ?? 0) * 1e9),
  );
  flow.nPackets = stat('n_packets') ?? 0;
  flow.nBytes = stat('n_bytes') ?? 0;
  const idle = stat('idle_age');
  if (idle !== undefined) flow.usedNs = now - idle * 1e9 - 1;
  return { flow, usesNames, ages: idle !== undefined };
}

test('every flow line of the reference dumps is accepted and dumps back identical', () => {
  const lines = golden('reference-flows.golden').split('\n').filter(Boolean);
  assert.ok(lines.length >= 40);
  const now = 1000e9;
  for (const line of lines) {
    const { flow, usesNames, ages } = flowFromDump(line, now);
    const out = formatFlowLine(flow, now, { names: usesNames ? names : undefined, ages });
    assert.equal(out, line);
  }
});

test('Neutron OF1.3-style instructions dump in OpenFlow 1.0 spelling', () => {
  const cases: [string, string][] = [
    [
      'table=4,priority=1,tun_id=0x3e9,actions=push_vlan:0x8100,set_field:4097->vlan_vid,goto_table:10',
      'priority=1,tun_id=0x3e9 actions=mod_vlan_vid:1,resubmit(,10)',
    ],
    [
      'table=22,priority=1,dl_vlan=1,actions=pop_vlan,set_field:0x3e9->tun_id,output:2,output:3',
      'priority=1,dl_vlan=1 actions=strip_vlan,load:0x3e9->NXM_NX_TUN_ID[],output:2,output:3',
    ],
    [
      'table=21,priority=1,arp,dl_vlan=1,arp_tpa=10.0.0.7,actions=set_field:2->arp_op,set_field:fa:16:3e:5d:6e:7f->eth_src,set_field:10.0.0.7->arp_spa,IN_PORT',
      'priority=1,arp,dl_vlan=1,arp_tpa=10.0.0.7 actions=load:0x2->NXM_OF_ARP_OP[],mod_dl_src:fa:16:3e:5d:6e:7f,load:0xa000007->NXM_OF_ARP_SPA[],IN_PORT',
    ],
    [
      'priority=5,reg0=0x1/0xff,in_port=LOCAL,actions=load:0x5->NXM_NX_REG1[0..15],LOCAL',
      'priority=5,reg0=0x1/0xff,in_port=LOCAL actions=load:0x5->NXM_NX_REG1[0..15],LOCAL',
    ],
    [
      'ip,nw_src=10.0.0.0/24,nw_dst=10.0.0.5 actions=drop',
      'ip,nw_src=10.0.0.0/24,nw_dst=10.0.0.5 actions=drop',
    ],
    ['udp,tp_dst=67 actions=CONTROLLER', 'udp,tp_dst=67 actions=CONTROLLER:65535'],
    [
      'priority=1 actions=set_tunnel:0x64,note:ab,output:1',
      'priority=1 actions=set_tunnel:0x64,note:ab.00.00.00.00.00,output:1',
    ],
    [
      'priority=1,vlan_tci=0x1001 actions=resubmit:3',
      'priority=1,dl_vlan=1,dl_vlan_pcp=0 actions=resubmit:3',
    ],
    ['priority=1,dl_vlan=0xffff actions=NORMAL', 'priority=1,vlan_tci=0x0000 actions=NORMAL'],
  ];
  for (const [input, expected] of cases) {
    const fm = parseFlow(input, 'add');
    if (typeof fm === 'string') throw new Error(fm);
    const f = new Flow(fm.table ?? 0, fm.priority, fm.cookie, fm.match, fm.actions!, 0, 0, 0);
    const line = formatFlowLine(f, 0, { noStats: true });
    assert.equal(line.replace(/^ (table=\d+, )?/, ''), expected, input);
  }
});

test('parse errors read like ovs-ofctl', () => {
  assert.match(parseFlow('in_port=1', 'add') as string, /must specify an action/);
  assert.match(parseFlow('foo=1,actions=drop', 'add') as string, /unknown keyword foo/);
  assert.match(parseFlow('actions=frobnicate', 'add') as string, /unknown action frobnicate/);
  assert.match(parseFlow('table=3,actions=goto_table:2', 'add') as string, /table must be greater/);
  assert.match(parseFlow('cookie=0x1/0xff,actions=drop', 'add') as string, /cannot use a cookie mask/);
  assert.match(parseFlow('cookie=0x1', 'delete') as string, /cannot set cookie/);
});

test('a field whose prerequisite is missing is dropped with a warning (OpenFlow 1.0 normalization)', () => {
  const fm = parseFlow('nw_src=10.0.0.1,actions=drop', 'add');
  assert.ok(typeof fm !== 'string');
  assert.ok(fm.match.isCatchAll());
  assert.equal(fm.warnings.length, 1);
});

test('durations print like ofp_print_duration', () => {
  assert.equal(formatDuration(84_512_000_000), '84.512s');
  assert.equal(formatDuration(5_000_000_000), '5s');
  assert.equal(formatDuration(257_400_000), '0.257s');
});

test('-O OpenFlow13 dumps print instructions natively and no idle_age', () => {
  const fm = parseFlow('table=4,priority=1,tun_id=0x3e9,actions=mod_vlan_vid:1,resubmit(,10)', 'add');
  assert.ok(typeof fm !== 'string');
  const f = new Flow(4, fm.priority, 0x8f3c2a1b4d5e6f70n, fm.match, fm.actions!, 0, 0, 0);
  assert.equal(
    formatFlowLine(f, 84_512_000_000, { of13: true }),
    ' cookie=0x8f3c2a1b4d5e6f70, duration=84.512s, table=4, n_packets=0, n_bytes=0, priority=1,tun_id=0x3e9 actions=push_vlan:0x8100,set_field:4097->vlan_vid,resubmit(,10)',
  );
  const g = parseFlow('table=0,priority=1,in_port=1,actions=goto_table:2', 'add');
  assert.ok(typeof g !== 'string');
  const flow = new Flow(0, 1, 0n, g.match, g.actions!, 0, 0, 0);
  assert.match(formatFlowLine(flow, 0, { of13: true }), /actions=goto_table:2$/);
  assert.match(formatFlowLine(flow, 0), /actions=resubmit\(,2\)$/);
});
