// Security group rules as securitygroups_db checks them: protocol by name or number, port ranges
// for the protocols that have ports, ICMP type/code, a remote prefix or group (not both) of the
// rule's ethertype; and what makes two rules the same (SecurityGroupRuleExists).
import { ServiceError } from '../errors.js';
import { formatNet, parseNet } from './address.js';

// neutron_lib.constants.IP_PROTOCOL_MAP
export const IP_PROTOCOLS: Record<string, number> = {
  ah: 51,
  dccp: 33,
  egp: 8,
  esp: 50,
  gre: 47,
  hopopt: 0,
  icmp: 1,
  igmp: 2,
  ip: 0,
  ipip: 4,
  'ipv6-encap': 41,
  'ipv6-frag': 44,
  'ipv6-icmp': 58,
  icmpv6: 58,
  'ipv6-nonxt': 59,
  'ipv6-opts': 60,
  'ipv6-route': 43,
  ospf: 89,
  pgm: 113,
  rsvp: 46,
  sctp: 132,
  tcp: 6,
  udp: 17,
  udplite: 136,
  vrrp: 112,
};
const PORT_PROTOCOLS = new Set([6, 17, 132, 33, 136]);
const ICMP_PROTOCOLS = new Set([1, 58]);

/** A security-group exception of Neutron's (the class name is the API's type). */
export const sgError = (kind: 'BadRequest' | 'Conflict', type: string, msg: string) =>
  new ServiceError(kind, msg, type);

/** Checks a rule as securitygroups_db does; `findGroup` throws for an unknown remote group. */
export function validateRule(
  body: Record<string, unknown>,
  findGroup: (id: string) => unknown,
): Record<string, unknown> {
  const ethertype = (body.ethertype as string | undefined) ?? 'IPv4';
  let protocol = body.protocol;
  let proto: number | null = null;
  if (protocol !== undefined && protocol !== null && protocol !== '' && protocol !== 'any') {
    const text = String(protocol).toLowerCase();
    if (/^\d+$/.test(text) && Number(text) <= 255) proto = Number(text);
    else if (Object.hasOwn(IP_PROTOCOLS, text)) proto = IP_PROTOCOLS[text];
    else
      throw sgError(
        'BadRequest',
        'SecurityGroupRuleInvalidProtocol',
        `Security group rule protocol ${String(protocol)} not supported. Only protocol values [${Object.keys(
          IP_PROTOCOLS,
        )
          .map((p) => `'${p}'`)
          .join(', ')}] and integer representations [0 to 255] are supported.`,
      );
    protocol = String(protocol);
  } else protocol = null;

  const port = (name: string): number | null => {
    const v = body[name];
    if (v === undefined || v === null || v === '') return null;
    const n = typeof v === 'number' ? v : /^\d+$/.test(String(v)) ? Number(v) : Number.NaN;
    if (!Number.isInteger(n) || n < 0 || n > 65535)
      throw sgError('BadRequest', 'SecurityGroupInvalidPortValue', `Invalid value for port ${String(v)}`);
    return n;
  };
  const min = port('port_range_min');
  const max = port('port_range_max');
  if ((min !== null || max !== null) && proto === null)
    throw sgError(
      'BadRequest',
      'SecurityGroupProtocolRequiredWithPorts',
      'Must also specify protocol if port range is given.',
    );
  if (proto !== null && PORT_PROTOCOLS.has(proto)) {
    if (min === 0 || max === 0)
      throw sgError('BadRequest', 'SecurityGroupInvalidPortValue', 'Invalid value for port 0');
    if (min !== null && max !== null && min > max)
      throw sgError(
        'BadRequest',
        'SecurityGroupInvalidPortRange',
        'For TCP/UDP protocols, port_range_min must be <= port_range_max',
      );
  } else if (proto !== null && ICMP_PROTOCOLS.has(proto)) {
    for (const [field, attr, v] of [
      ['type', 'port_range_min', min],
      ['code', 'port_range_max', max],
    ] as const)
      if (v !== null && v > 255)
        throw sgError(
          'BadRequest',
          'SecurityGroupInvalidIcmpValue',
          `Invalid value for ICMP ${field} (${attr}) ${v}. It must be 0 to 255.`,
        );
    if (min === null && max !== null)
      throw sgError(
        'BadRequest',
        'SecurityGroupMissingIcmpType',
        `ICMP code (port-range-max) ${max} is provided but ICMP type (port-range-min) is missing.`,
      );
  } else if (min !== null || max !== null)
    throw sgError(
      'BadRequest',
      'SecurityGroupInvalidProtocolForPort',
      `Ports cannot be specified for protocol ${String(protocol)}.`,
    );

  const prefix = (body.remote_ip_prefix as string | null | undefined) ?? null;
  const remoteGroup = (body.remote_group_id as string | null | undefined) ?? null;
  if (prefix && remoteGroup)
    throw sgError(
      'BadRequest',
      'SecurityGroupRemoteGroupAndRemoteIpPrefix',
      'Only remote_ip_prefix or remote_group_id may be provided.',
    );
  if (prefix) {
    const net = parseNet(prefix);
    if (net && `IPv${net.version}` !== ethertype)
      throw sgError(
        'BadRequest',
        'SecurityGroupRuleParameterConflict',
        `Conflicting value ethertype ${ethertype} for CIDR ${prefix}`,
      );
  }
  if (remoteGroup) findGroup(remoteGroup);
  return {
    direction: body.direction,
    ethertype,
    protocol,
    port_range_min: min,
    port_range_max: max,
    remote_ip_prefix: prefix,
    remote_group_id: remoteGroup,
    description: body.description,
  };
}

/** What makes two rules the same: protocol by number, "anywhere" prefixes as none. */
export function ruleKey(r: Record<string, unknown>): string {
  const p = r.protocol === null || r.protocol === undefined ? null : String(r.protocol).toLowerCase();
  const proto = p === null ? null : /^\d+$/.test(p) ? Number(p) : (IP_PROTOCOLS[p] ?? p);
  const prefix = r.remote_ip_prefix as string | null;
  const net = prefix ? parseNet(prefix) : null;
  const normalized = net && net.prefixLen === 0 ? null : net ? formatNet(net) : null;
  return JSON.stringify([
    r.direction,
    r.ethertype,
    proto,
    r.port_range_min ?? null,
    r.port_range_max ?? null,
    normalized,
    r.remote_group_id ?? null,
  ]);
}
