// Security group rules → iptables arguments, as neutron's iptables_firewall.py converts them
// (Zed): `_generate_plain_rule_args` (-s/-d, -p, -m proto, --sport/--dport or -m multiport,
// --icmp-type T[/C]) and `_generate_ipset_rule_args` (-m set --match-set NIPv4… src|dst), the
// provider DHCP rules the server side adds to every port (securitygroups_rpc_base
// `_add_ingress_dhcp_rule`), and the names Neutron derives from a port id.

/** One rule as the firewall driver sees it (the RPC's rule dict after the server's conversion). */
export interface FirewallRule {
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol?: string | null;
  port_range_min?: number | null;
  port_range_max?: number | null;
  source_port_range_min?: number | null;
  source_port_range_max?: number | null;
  source_ip_prefix?: string | null;
  dest_ip_prefix?: string | null;
  remote_group_id?: string | null;
}

/** binary name `neutron-openvswitch-agent` cut to 16 characters (iptables_manager's wrap). */
export const WRAP = 'neutron-openvswi';
export const LINUX_DEV_LEN = 14;

/** get_chain_name(wrap=True): a wrapped chain name keeps 11 characters. */
export const chain = (name: string) => `${WRAP}-${name.slice(0, 11)}`;
export const tapName = (portId: string) => `tap${portId}`.slice(0, LINUX_DEV_LEN);
export const qvbName = (portId: string) => `qvb${portId}`.slice(0, LINUX_DEV_LEN);

/** ipset_manager.get_name: 'N' + ethertype + sg id, at most 29 characters (room for the '-n' swap). */
export const ipsetName = (sgId: string, ethertype = 'IPv4') => `N${ethertype}${sgId}`.slice(0, 29);

// neutron-lib IPTABLES_PROTOCOL_NAME_MAP plus the names of /etc/protocols (getprotoent).
const PROTOCOL_NAMES: Record<string, string> = {
  '1': 'icmp',
  '2': 'igmp',
  '4': 'ipencap',
  '6': 'tcp',
  '17': 'udp',
  '33': 'dccp',
  '41': 'ipv6',
  '47': 'gre',
  '50': 'esp',
  '51': 'ah',
  '58': 'ipv6-icmp',
  '89': 'ospf',
  '103': 'pim',
  '112': 'vrrp',
  '132': 'sctp',
  '136': 'udplite',
  icmpv6: 'ipv6-icmp',
  'ipv6-icmp': 'ipv6-icmp',
};
const MODULE_OF: Record<string, string> = {
  dccp: 'dccp',
  icmp: 'icmp',
  'ipv6-icmp': 'icmp6',
  sctp: 'sctp',
  tcp: 'tcp',
  udp: 'udp',
};
const PORT_PROTOCOLS = new Set(['tcp', 'udp', 'udplite', 'sctp', 'dccp']);
const MULTIPORT_ONLY = new Set(['udplite']);

/** protocol zero (or none, 'any') means every protocol: no -p at all. */
export function protocolName(p: string | null | undefined): string | null {
  if (!p || p === '0' || p === 'any') return null;
  return PROTOCOL_NAMES[p] ?? p;
}

function portArgs(
  dir: 'sport' | 'dport',
  proto: string | null,
  min?: number | null,
  max?: number | null,
): string[] {
  if (min === null || min === undefined) return [];
  if (proto === 'icmp' || proto === 'ipv6-icmp') {
    const type = proto === 'icmp' ? 'icmp' : 'icmpv6';
    return [`--${type}-type`, max !== null && max !== undefined ? `${min}/${max}` : `${min}`];
  }
  if (proto === null || !PORT_PROTOCOLS.has(proto)) return [];
  if (min === max)
    return MULTIPORT_ONLY.has(proto) ? ['-m', 'multiport', `--${dir}s`, `${min}`] : [`--${dir}`, `${min}`];
  return ['-m', 'multiport', `--${dir}s`, `${min}:${max}`];
}

function protocolAndPortArgs(r: FirewallRule): string[] {
  const proto = protocolName(r.protocol);
  const isPort = r.source_port_range_min != null || r.port_range_min != null;
  const args: string[] = [];
  if (proto !== null) {
    args.push('-p', proto);
    if (isPort && MODULE_OF[proto]) args.push('-m', MODULE_OF[proto]);
  }
  args.push(...portArgs('sport', proto, r.source_port_range_min, r.source_port_range_max));
  args.push(...portArgs('dport', proto, r.port_range_min, r.port_range_max));
  return args;
}

function prefixArgs(flag: '-s' | '-d', prefix: string | null | undefined): string[] {
  if (!prefix) return [];
  if (!prefix.includes('/')) return [flag, `${prefix}/32`];
  if (prefix.endsWith('/0')) return []; // an allow for every address is no constraint
  return [flag, prefix];
}

/** _generate_plain_rule_args. */
export function plainRuleArgs(r: FirewallRule): string {
  return [
    ...prefixArgs('-s', r.source_ip_prefix),
    ...prefixArgs('-d', r.dest_ip_prefix),
    ...protocolAndPortArgs(r),
    '-j',
    'RETURN',
  ].join(' ');
}

/** _generate_ipset_rule_args: null when the group's set does not exist (no members). */
export function ipsetRuleArgs(r: FirewallRule, setExists: (name: string) => boolean): string | null {
  const name = ipsetName(r.remote_group_id!, r.ethertype);
  if (!setExists(name)) return null;
  const dir = r.direction === 'ingress' ? 'src' : 'dst';
  return [...protocolAndPortArgs(r), '-m', 'set', '--match-set', name, dir, '-j', 'RETURN'].join(' ');
}

/**
 * A rule of the API (remote_ip_prefix) as the agent receives it: the server's
 * `_convert_remote_ip_prefix` puts the prefix on the source for ingress, the destination for egress.
 */
export function fromApiRule(r: {
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  [k: string]: unknown;
}): FirewallRule {
  const out: FirewallRule = {
    direction: r.direction,
    ethertype: r.ethertype,
    protocol: r.protocol,
    port_range_min: r.port_range_min,
    port_range_max: r.port_range_max,
    remote_group_id: r.remote_group_id,
    source_ip_prefix: (r.source_ip_prefix as string | undefined) ?? null,
    dest_ip_prefix: (r.dest_ip_prefix as string | undefined) ?? null,
  };
  if (r.remote_ip_prefix) {
    if (r.direction === 'ingress') out.source_ip_prefix = r.remote_ip_prefix;
    else out.dest_ip_prefix = r.remote_ip_prefix;
  }
  return out;
}

/** _add_ingress_dhcp_rule (IPv4): DHCP replies to each fixed IP and to broadcast. */
export function dhcpProviderRules(fixedIpv4: string[]): FirewallRule[] {
  return [...fixedIpv4.map((ip) => `${ip}/32`), '255.255.255.255/32'].map((dest) => ({
    direction: 'ingress',
    ethertype: 'IPv4',
    protocol: 'udp',
    port_range_min: 68,
    port_range_max: 68,
    source_port_range_min: 67,
    source_port_range_max: 67,
    dest_ip_prefix: dest,
  }));
}

/** comment_rule: the comment goes just before `-j` (iptables-save prints it there). */
export function withComment(rule: string, comment: string): string {
  const c = `-m comment --comment "${comment}"`;
  if (rule.startsWith('-j')) return `${c} ${rule}`;
  const j = rule.indexOf(' -j ');
  return j < 0 ? `${rule} ${c}` : `${rule.slice(0, j)} ${c} ${rule.slice(j + 1)}`;
}

/** The fixed comment texts of neutron/agent/linux/iptables_comments.py. */
export const IC = {
  VM_INT_SG: 'Direct traffic from the VM interface to the security group chain.',
  SG_TO_VM_SG: 'Jump to the VM specific chain.',
  INPUT_TO_SG: 'Direct incoming traffic from VM to the security group chain.',
  PAIR_ALLOW: 'Allow traffic from defined IP/MAC pairs.',
  PAIR_DROP: 'Drop traffic without an IP/MAC allow rule.',
  DHCP_CLIENT: 'Allow DHCP client traffic.',
  DHCP_SPOOF: 'Prevent DHCP Spoofing by VM.',
  UNMATCHED: 'Send unmatched traffic to the fallback chain.',
  INVALID_DROP:
    'Drop packets that appear related to an existing connection (e.g. TCP ACK/FIN) but do not have an entry in conntrack.',
  ALLOW_ASSOC: 'Direct packets associated with a known session to the RETURN chain.',
  PORT_SEC_ACCEPT: 'Accept all packets when port security is disabled.',
  UNMATCH_DROP: 'Default drop rule for unmatched traffic.',
} as const;
