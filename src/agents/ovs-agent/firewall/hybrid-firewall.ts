// OVSHybridIptablesFirewallDriver (neutron/agent/linux/iptables_firewall.py, Zed) for the host's
// root namespace: from the ports bound here and their security groups it computes the whole set
// of chains Neutron keeps — per port `neutron-openvswi-i/o/s<port id[:10]>`, the shared
// sg-chain and sg-fallback, the physdev jumps on the tap from FORWARD and INPUT, the anti-spoof
// chain, DHCP and spoofing allowances, the security group rules (remote groups through ipsets
// `NIPv4<sg id>`), the conntrack zone per port in the raw table — and applies it through
// iptables-restore (reference/host-tools.md §8, dataplane.md §13). IPv4 only: the emulated
// kernel has no ip6tables, so the IPv6 halves of the rules are not written.

import { conntrackCommand } from '../../../kernel/netfilter/conntrack-tool.js';
import { iptables } from '../../../kernel/netfilter/iptables.js';
import type { Netfilter } from '../../../kernel/netfilter/netfilter.js';
import { ConntrackZones } from './conntrack-zones.js';
import { applyTable, type TableWant } from './iptables-manager.js';
import {
  chain,
  dhcpProviderRules,
  type FirewallRule,
  IC,
  ipsetName,
  ipsetRuleArgs,
  plainRuleArgs,
  protocolName,
  qvbName,
  tapName,
  withComment,
} from './sg-rules.js';

/** A port as the firewall needs it (get_devices_details_list / security_group_info_for_devices). */
export interface FirewallPort {
  id: string;
  networkId: string;
  mac: string;
  fixedIps: string[];
  allowedAddressPairs: { ip_address: string; mac_address?: string | null }[];
  securityGroups: string[];
  portSecurityEnabled: boolean;
  deviceOwner: string;
}

/** The groups' rules and members (security_group_info_for_devices' security_groups / sg_member_ips). */
export interface SecurityGroupState {
  rules: Record<string, FirewallRule[]>;
  members: Record<string, { IPv4: string[]; IPv6: string[] }>;
}

export interface FirewallApplyResult {
  filterChanged: boolean;
  rawChanged: boolean;
}

const SG_CHAIN = chain('sg-chain');
const FALLBACK = chain('sg-fallback');
const isV4 = (a: string) => !a.includes(':');

/** Ports of network:* owners (router, DHCP) are never filtered (dataplane.md §4 notes). */
export const isFirewalled = (p: FirewallPort) => !p.deviceOwner.startsWith('network:');

export class HybridIptablesFirewall {
  readonly zones = new ConntrackZones();
  private sgChainsKept: boolean;
  /** port id → its security group rules at the last apply (to find removed ones). */
  private readonly lastRules = new Map<string, Set<string>>();

  constructor(
    readonly nf: Netfilter,
    readonly opts: { enableIpset: boolean },
  ) {
    const raw = iptables(nf, ['-t', 'raw', '-S']).stdout;
    this.zones.restoreFrom(raw);
    this.sgChainsKept = iptables(nf, ['-S']).stdout.includes(`-N ${SG_CHAIN}\n`);
  }

  /** Brings the filter and raw tables (and the ipsets) to what `ports` and `sg` call for. */
  apply(ports: FirewallPort[], sg: SecurityGroupState): FirewallApplyResult {
    const mine = ports.filter(isFirewalled).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const filtered = mine.filter((p) => p.portSecurityEnabled);
    const unfiltered = mine.filter((p) => !p.portSecurityEnabled);
    this.zones.forgetExcept(new Set(filtered.map((p) => p.id)));
    const sets = this.syncIpsets(filtered, sg);
    if (mine.length > 0) this.sgChainsKept = true;
    const filter = this.filterTable(filtered, unfiltered, sg, sets);
    const raw = this.rawTable(filtered);
    const filterChanged = applyTable(this.nf, 'filter', filter);
    const rawChanged = applyTable(this.nf, 'raw', raw);
    this.destroyUnusedIpsets(sets);
    this.forgetRemovedRuleState(filtered, sg);
    return { filterChanged, rawChanged };
  }

  /**
   * A removed rule no longer allows what it allowed: conntrack entries it let in go too
   * (_clean_deleted_sg_rule_conntrack_entries → `conntrack -D -p PROTO -f ipv4 -d PORT_IP -w ZONE`).
   */
  private forgetRemovedRuleState(filtered: FirewallPort[], sg: SecurityGroupState): void {
    const seen = new Set<string>();
    for (const p of filtered) {
      seen.add(p.id);
      const now = new Set<string>();
      for (const g of p.securityGroups)
        for (const r of sg.rules[g] ?? []) if (r.ethertype === 'IPv4') now.add(JSON.stringify(r));
      const before = this.lastRules.get(p.id);
      this.lastRules.set(p.id, now);
      if (!before) continue;
      const zone = this.zones.get(p.id);
      for (const k of before) {
        if (now.has(k) || zone === undefined) continue;
        const r = JSON.parse(k) as FirewallRule;
        const proto = protocolName(r.protocol);
        for (const ip of p.fixedIps.filter(isV4))
          conntrackCommand(this.nf, [
            '-D',
            ...(proto ? ['-p', proto] : []),
            '-f',
            'ipv4',
            r.direction === 'ingress' ? '-d' : '-s',
            ip,
            '-w',
            String(zone),
          ]);
      }
    }
    for (const id of [...this.lastRules.keys()]) if (!seen.has(id)) this.lastRules.delete(id);
  }

  // ── filter ────────────────────────────────────────────────────────────────

  private filterTable(
    filtered: FirewallPort[],
    unfiltered: FirewallPort[],
    sg: SecurityGroupState,
    sets: Set<string>,
  ): TableWant {
    const chains = [chain('INPUT'), chain('OUTPUT'), chain('FORWARD'), chain('local'), 'neutron-filter-top'];
    const rules: TableWant['rules'] = [];
    const add = (c: string, args: string) => rules.push({ chain: c, args });
    add('INPUT', `-j ${chain('INPUT')}`);
    add('FORWARD', '-j neutron-filter-top');
    add('FORWARD', `-j ${chain('FORWARD')}`);
    add('OUTPUT', '-j neutron-filter-top');
    add('OUTPUT', `-j ${chain('OUTPUT')}`);
    add('neutron-filter-top', `-j ${chain('local')}`);
    if (this.sgChainsKept) chains.push(SG_CHAIN, FALLBACK);

    for (const p of filtered) {
      const tap = tapName(p.id);
      const i = chain(`i${p.id}`);
      const o = chain(`o${p.id}`);
      chains.push(i, o);
      // _add_chain, ingress then egress: FORWARD → sg-chain (top), sg-chain → port chain, INPUT → o.
      for (const [dir, target] of [
        ['out', i],
        ['in', o],
      ] as const) {
        const m = `-m physdev --physdev-${dir} ${tap} --physdev-is-bridged`;
        add(chain('FORWARD'), withComment(`${m} -j ${SG_CHAIN}`, IC.VM_INT_SG));
        add(SG_CHAIN, withComment(`${m} -j ${target}`, IC.SG_TO_VM_SG));
        if (dir === 'in') add(chain('INPUT'), withComment(`${m} -j ${o}`, IC.INPUT_TO_SG));
      }
      for (const args of this.ingressRules(p, sg, sets)) add(i, args);
      const spoof = this.spoofChain(p);
      if (spoof) {
        chains.push(spoof.name);
        for (const args of spoof.rules) add(spoof.name, args);
      }
      for (const args of this.egressRules(p, sg, sets, spoof?.name ?? null)) add(o, args);
    }
    // Rules are kept in the order iptables_manager writes them: the sg-chain jumps are "top"
    // rules of the wrapped FORWARD chain, so they precede every port-security ACCEPT.
    for (const p of unfiltered) {
      const tap = tapName(p.id);
      for (const dir of ['out', 'in'] as const)
        add(
          chain('FORWARD'),
          withComment(
            `-m physdev --physdev-${dir} ${tap} --physdev-is-bridged -j ACCEPT`,
            IC.PORT_SEC_ACCEPT,
          ),
        );
      add(
        chain('INPUT'),
        withComment(`-m physdev --physdev-in ${tap} --physdev-is-bridged -j ACCEPT`, IC.PORT_SEC_ACCEPT),
      );
    }
    if (this.sgChainsKept) {
      add(SG_CHAIN, '-j ACCEPT');
      add(FALLBACK, withComment('-j DROP', IC.UNMATCH_DROP));
    }
    return { chains, rules: orderFilterRules(rules) };
  }

  /** _select_sg_rules_for_port for one direction, IPv4, remote groups expanded or as ipsets. */
  private groupRules(
    p: FirewallPort,
    dir: 'ingress' | 'egress',
    sg: SecurityGroupState,
    sets: Set<string>,
  ): string[] {
    const out: string[] = [];
    const portIps = new Set(p.fixedIps);
    for (const sgId of p.securityGroups) {
      for (const r of sg.rules[sgId] ?? []) {
        if (r.direction !== dir || r.ethertype !== 'IPv4') continue;
        if (!r.remote_group_id) {
          out.push(plainRuleArgs(r));
          continue;
        }
        if (this.opts.enableIpset) {
          const a = ipsetRuleArgs(r, (n) => sets.has(n));
          if (a) out.push(a);
          continue;
        }
        for (const ip of sg.members[r.remote_group_id]?.IPv4 ?? []) {
          if (portIps.has(ip)) continue;
          const prefix = ip.includes('/') ? ip : `${ip}/32`;
          out.push(
            plainRuleArgs(
              dir === 'ingress' ? { ...r, source_ip_prefix: prefix } : { ...r, dest_ip_prefix: prefix },
            ),
          );
        }
      }
    }
    return out;
  }

  /** _convert_sgr_to_iptables_rules: established first, duplicates pruned, invalid drop, fallback. */
  private converted(rules: string[]): string[] {
    const seen = new Set<string>();
    const out = [withComment('-m state --state RELATED,ESTABLISHED -j RETURN', IC.ALLOW_ASSOC)];
    for (const r of rules) {
      if (seen.has(r)) continue;
      seen.add(r);
      out.push(r);
    }
    out.push(withComment('-m state --state INVALID -j DROP', IC.INVALID_DROP));
    out.push(withComment(`-j ${FALLBACK}`, IC.UNMATCHED));
    return out;
  }

  private ingressRules(p: FirewallPort, sg: SecurityGroupState, sets: Set<string>): string[] {
    const provider = dhcpProviderRules(p.fixedIps.filter(isV4)).map(plainRuleArgs);
    return this.converted([...provider, ...this.groupRules(p, 'ingress', sg, sets)]);
  }

  private egressRules(
    p: FirewallPort,
    sg: SecurityGroupState,
    sets: Set<string>,
    spoof: string | null,
  ): string[] {
    // _add_fixed_egress_rules: DHCP discover, the spoof chain, DHCP client, no DHCP server.
    const fixed = [
      withComment(
        '-s 0.0.0.0/32 -d 255.255.255.255/32 -p udp -m udp --sport 68 --dport 67 -j RETURN',
        IC.DHCP_CLIENT,
      ),
    ];
    if (spoof) fixed.push(`-j ${spoof}`);
    fixed.push(withComment('-p udp -m udp --sport 68 --dport 67 -j RETURN', IC.DHCP_CLIENT));
    fixed.push(withComment('-p udp -m udp --sport 67 --dport 68 -j DROP', IC.DHCP_SPOOF));
    return [...fixed, ...this.converted(this.groupRules(p, 'egress', sg, sets))];
  }

  /** _setup_spoof_filter_chain: (IP, MAC) pairs of the address pairs, then of the fixed IPs. */
  private spoofChain(p: FirewallPort): { name: string; rules: string[] } | null {
    const pairs: [string, string | null][] = [];
    for (const ap of p.allowedAddressPairs)
      if (isV4(ap.ip_address)) pairs.push([ap.mac_address || p.mac, ap.ip_address]);
    for (const ip of p.fixedIps) if (isV4(ip)) pairs.push([p.mac, ip]);
    if (p.fixedIps.length === 0) pairs.push([p.mac, null]);
    if (pairs.length === 0) return null;
    const name = chain(`s${p.id}`);
    const rules = pairs.map(([mac, ip]) =>
      withComment(
        `${ip === null ? '' : `-s ${ip.includes('/') ? ip : `${ip}/32`} `}-m mac --mac-source ${mac.toUpperCase()} -j RETURN`,
        IC.PAIR_ALLOW,
      ),
    );
    rules.push(withComment('-j DROP', IC.PAIR_DROP));
    return { name, rules };
  }

  // ── raw: conntrack zones ───────────────────────────────────────────────────

  private rawTable(filtered: FirewallPort[]): TableWant {
    const pre = chain('PREROUTING');
    const out = chain('OUTPUT');
    const rules: TableWant['rules'] = [
      { chain: 'PREROUTING', args: `-j ${pre}` },
      { chain: 'OUTPUT', args: `-j ${out}` },
    ];
    for (const p of filtered) {
      const zone = this.zones.zoneOf(p.id);
      const comment = `Set zone for ${p.id}`;
      for (const m of [
        `-m physdev --physdev-in ${qvbName(p.id)}`,
        `-i ${qvbName(p.id)}`,
        `-m physdev --physdev-in ${tapName(p.id)}`,
      ])
        rules.push({ chain: pre, args: `${m} -m comment --comment "${comment}" -j CT --zone ${zone}` });
    }
    return { chains: [out, pre], rules };
  }

  // ── ipsets ────────────────────────────────────────────────────────────────

  /** ipset_manager.set_members for every remote group of the filtered ports' rules (non-empty only). */
  private syncIpsets(filtered: FirewallPort[], sg: SecurityGroupState): Set<string> {
    const wanted = new Set<string>();
    if (!this.opts.enableIpset) return wanted;
    const groups = new Set<string>();
    for (const p of filtered)
      for (const sgId of p.securityGroups)
        for (const r of sg.rules[sgId] ?? [])
          if (r.remote_group_id && r.ethertype === 'IPv4') groups.add(r.remote_group_id);
    const ipsets = this.nf.ipsets;
    for (const g of groups) {
      const members = [...new Set(sg.members[g]?.IPv4 ?? [])];
      if (members.length === 0) continue;
      const name = ipsetName(g);
      wanted.add(name);
      ipsets.command(['create', name, 'hash:net', 'family', 'inet', '-exist']);
      const set = ipsets.get(name)!;
      const want = new Set(members.map((m) => (m.includes('/') ? m : `${m}`)));
      const have = new Set(set.members());
      for (const m of want)
        if (!have.has(m) && !have.has(`${m}/32`)) ipsets.command(['add', name, m, '-exist']);
      for (const m of have)
        if (!want.has(m) && !want.has(m.replace(/\/32$/, ''))) ipsets.command(['del', name, m, '-exist']);
    }
    return wanted;
  }

  /** Sets of groups no rule refers to any more go, after the rules that used them. */
  private destroyUnusedIpsets(wanted: Set<string>): void {
    for (const name of this.nf.ipsets.names())
      if (/^NIPv[46]/.test(name) && !wanted.has(name)) this.nf.ipsets.command(['destroy', name, '-exist']);
  }
}

/**
 * iptables_manager's order inside the wrapped FORWARD chain: the sg-chain jumps (added with
 * top=True) come before the port-security ACCEPT rules; every other chain keeps insertion order.
 */
function orderFilterRules(rules: TableWant['rules']): TableWant['rules'] {
  const fwd = chain('FORWARD');
  const top = rules.filter((r) => r.chain === fwd && r.args.includes(`-j ${SG_CHAIN}`));
  const rest = rules.filter((r) => !(r.chain === fwd && r.args.includes(`-j ${SG_CHAIN}`)));
  return [...top, ...rest];
}
