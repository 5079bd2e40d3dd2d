import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { iptables } from '../../../kernel/netfilter/iptables.js';
import { Netfilter } from '../../../kernel/netfilter/netfilter.js';
import { type FirewallPort, HybridIptablesFirewall, type SecurityGroupState } from './hybrid-firewall.js';
import type { FirewallRule } from './sg-rules.js';

const golden = (name: string) =>
  readFileSync(new URL(`../../../../../src/agents/ovs-agent/testdata/${name}`, import.meta.url), 'utf8');

const PORT_ID = '6f8a1c2d-3e4f-4a5b-9c6d-7e8f9a0b1c2d';
const DEFAULT_SG = 'e4f3b2a1-0c9d-4e8f-a7b6-c5d4e3f2a1b0';
const EXTRA_SG = '7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d';

const port = (more: Partial<FirewallPort> = {}): FirewallPort => ({
  id: PORT_ID,
  networkId: '1a2b3c4d-5e6f-4071-8293-a4b5c6d7e8f9',
  mac: 'fa:16:3e:2b:7c:11',
  fixedIps: ['10.0.0.5'],
  allowedAddressPairs: [],
  securityGroups: [DEFAULT_SG, EXTRA_SG],
  portSecurityEnabled: true,
  deviceOwner: 'compute:nova',
  ...more,
});

const r = (x: Partial<FirewallRule> & Pick<FirewallRule, 'direction' | 'ethertype'>): FirewallRule => ({
  protocol: null,
  port_range_min: null,
  port_range_max: null,
  remote_group_id: null,
  ...x,
});

/** host-tools.md §8's input: the default group (a member at 10.0.0.9) plus tcp/22 and icmp. */
const referenceGroups = (): SecurityGroupState => ({
  rules: {
    [DEFAULT_SG]: [
      r({ direction: 'ingress', ethertype: 'IPv4', remote_group_id: DEFAULT_SG }),
      r({ direction: 'ingress', ethertype: 'IPv6', remote_group_id: DEFAULT_SG }),
      r({ direction: 'egress', ethertype: 'IPv4' }),
      r({ direction: 'egress', ethertype: 'IPv6' }),
    ],
    [EXTRA_SG]: [
      r({ direction: 'egress', ethertype: 'IPv4' }),
      r({ direction: 'egress', ethertype: 'IPv6' }),
      r({ direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22 }),
      r({ direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' }),
    ],
  },
  members: {
    [DEFAULT_SG]: { IPv4: ['10.0.0.5', '10.0.0.9'], IPv6: [] },
    [EXTRA_SG]: { IPv4: ['10.0.0.5'], IPv6: [] },
  },
});

test('golden: iptables -S and -t raw -S for the reference port equal host-tools.md §8', () => {
  const nf = new Netfilter({ clock: { now: 0 } });
  const fw = new HybridIptablesFirewall(nf, { enableIpset: false });
  const res = fw.apply([port()], referenceGroups());
  assert.deepEqual(res, { filterChanged: true, rawChanged: true });
  assert.equal(iptables(nf, ['-S']).stdout, golden('hybrid-filter.S.golden'));
  assert.equal(iptables(nf, ['-t', 'raw', '-S']).stdout, golden('hybrid-raw.S.golden'));
  // Applying the same state again writes nothing.
  assert.deepEqual(fw.apply([port()], referenceGroups()), { filterChanged: false, rawChanged: false });
});

test('with ipsets (the default) a remote group is one -m set rule and the set holds the members', () => {
  const nf = new Netfilter({ clock: { now: 0 } });
  const fw = new HybridIptablesFirewall(nf, { enableIpset: true });
  fw.apply([port()], referenceGroups());
  const s = iptables(nf, ['-S', 'neutron-openvswi-i6f8a1c2d-3']).stdout;
  assert.match(
    s,
    /-A neutron-openvswi-i6f8a1c2d-3 -m set --match-set NIPv4e4f3b2a1-0c9d-4e8f-a7b6- src -j RETURN\n/,
  );
  assert.deepEqual([...(nf.ipsets.get('NIPv4e4f3b2a1-0c9d-4e8f-a7b6-')?.members() ?? [])].sort(), [
    '10.0.0.5',
    '10.0.0.9',
  ]);
  // A member leaves: the set follows; the group's last rule goes: the set is destroyed.
  const g = referenceGroups();
  g.members[DEFAULT_SG].IPv4 = ['10.0.0.5'];
  fw.apply([port()], g);
  assert.deepEqual(nf.ipsets.get('NIPv4e4f3b2a1-0c9d-4e8f-a7b6-')?.members(), ['10.0.0.5']);
  fw.apply([port({ securityGroups: [EXTRA_SG] })], g);
  assert.equal(nf.ipsets.get('NIPv4e4f3b2a1-0c9d-4e8f-a7b6-'), undefined);
});

test('port security disabled: no i/o/s chains, ACCEPT rules with their comment; foreign rules and counters stay', () => {
  const nf = new Netfilter({ clock: { now: 0 } });
  iptables(nf, ['-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT']);
  const fw = new HybridIptablesFirewall(nf, { enableIpset: true });
  fw.apply([port()], referenceGroups());
  fw.apply([port({ portSecurityEnabled: false, securityGroups: [] })], referenceGroups());
  const s = iptables(nf, ['-S']).stdout;
  assert.doesNotMatch(s, /neutron-openvswi-[ios]6f8a1c2d/);
  assert.match(
    s,
    /-A neutron-openvswi-FORWARD -m physdev --physdev-out tap6f8a1c2d-3e --physdev-is-bridged -m comment --comment "Accept all packets when port security is disabled." -j ACCEPT/,
  );
  assert.match(s, /-A INPUT -j neutron-openvswi-INPUT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n/);
  assert.doesNotMatch(iptables(nf, ['-t', 'raw', '-S']).stdout, /CT --zone/);
});

test('zones: one per port from 4097, the next above the highest, read back by a new firewall', () => {
  const nf = new Netfilter({ clock: { now: 0 } });
  const fw = new HybridIptablesFirewall(nf, { enableIpset: true });
  const a = port();
  const b = port({ id: '7f8a1c2d-3e4f-4a5b-9c6d-7e8f9a0b1c2d', fixedIps: ['10.0.0.6'] });
  const c = port({ id: '8f8a1c2d-3e4f-4a5b-9c6d-7e8f9a0b1c2d', fixedIps: ['10.0.0.7'] });
  fw.apply([a, b], referenceGroups());
  fw.apply([b], referenceGroups());
  fw.apply([b, c], referenceGroups());
  assert.equal(fw.zones.get(b.id), 4098);
  assert.equal(fw.zones.get(c.id), 4099);
  const again = new HybridIptablesFirewall(nf, { enableIpset: true });
  assert.equal(again.zones.get(c.id), 4099);
  assert.deepEqual(again.apply([b, c], referenceGroups()), { filterChanged: false, rawChanged: false });
});

test('allowed address pairs and rule shapes: CIDR pairs, port ranges, icmp type/code, egress prefixes', () => {
  const nf = new Netfilter({ clock: { now: 0 } });
  const fw = new HybridIptablesFirewall(nf, { enableIpset: true });
  const sg: SecurityGroupState = {
    rules: {
      [EXTRA_SG]: [
        r({
          direction: 'ingress',
          ethertype: 'IPv4',
          protocol: 'tcp',
          port_range_min: 8000,
          port_range_max: 8080,
        }),
        r({
          direction: 'ingress',
          ethertype: 'IPv4',
          protocol: 'icmp',
          port_range_min: 8,
          port_range_max: 0,
        }),
        r({
          direction: 'ingress',
          ethertype: 'IPv4',
          protocol: 'udp',
          port_range_min: 53,
          port_range_max: 53,
          source_ip_prefix: '10.0.0.0/24',
        }),
        r({ direction: 'egress', ethertype: 'IPv4', dest_ip_prefix: '0.0.0.0/0' }),
        r({ direction: 'egress', ethertype: 'IPv4', protocol: '6', dest_ip_prefix: '192.168.0.0/16' }),
      ],
    },
    members: {},
  };
  fw.apply(
    [
      port({
        securityGroups: [EXTRA_SG],
        allowedAddressPairs: [{ ip_address: '10.0.0.100/31', mac_address: 'fa:16:3e:00:00:aa' }],
      }),
    ],
    sg,
  );
  const s = iptables(nf, ['-S']).stdout;
  for (const want of [
    '-A neutron-openvswi-i6f8a1c2d-3 -p tcp -m tcp -m multiport --dports 8000:8080 -j RETURN',
    '-A neutron-openvswi-i6f8a1c2d-3 -p icmp -m icmp --icmp-type 8/0 -j RETURN',
    '-A neutron-openvswi-i6f8a1c2d-3 -s 10.0.0.0/24 -p udp -m udp --dport 53 -j RETURN',
    '-A neutron-openvswi-o6f8a1c2d-3 -j RETURN',
    '-A neutron-openvswi-o6f8a1c2d-3 -d 192.168.0.0/16 -p tcp -j RETURN',
    '-A neutron-openvswi-s6f8a1c2d-3 -s 10.0.0.100/31 -m mac --mac-source fa:16:3e:00:00:aa -m comment --comment "Allow traffic from defined IP/MAC pairs." -j RETURN\n-A neutron-openvswi-s6f8a1c2d-3 -s 10.0.0.5/32 -m mac',
  ])
    assert.ok(s.includes(want), `${want}\n---\n${s}`);
});
