// Names iptables accepts and prints for protocols (/etc/protocols), ports (/etc/services, the few
// that appear in cloud rules) and ICMP types (libipt_icmp's table).

export const PROTOCOL_NAMES: Record<string, number> = {
  all: 0,
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  'ipv6-icmp': 58,
  icmpv6: 58,
  vrrp: 112,
  sctp: 132,
  udplite: 136,
};

export function protocolName(num: number): string | undefined {
  for (const [name, n] of Object.entries(PROTOCOL_NAMES)) if (n === num && name !== 'icmpv6') return name;
  return undefined;
}

// The /etc/services entries (Debian netbase) a cloud's rules tend to mention.
const SERVICES: Record<string, number> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  bootps: 67,
  bootpc: 68,
  tftp: 69,
  http: 80,
  ntp: 123,
  snmp: 161,
  ldap: 389,
  https: 443,
  rsync: 873,
  mysql: 3306,
  postgresql: 5432,
  amqp: 5672,
  'http-alt': 8080,
};

const PORT_NAMES = new Map(Object.entries(SERVICES).map(([n, p]) => [p, n]));

/** The service name iptables -L shows for a port without -n (getservbyport), else the number. */
export function portName(port: number, numeric: boolean): string {
  return numeric ? String(port) : (PORT_NAMES.get(port) ?? String(port));
}

/** A port number or service name; null when invalid. */
export function parsePort(text: string): number | null {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n <= 65535 ? n : null;
  }
  return SERVICES[text] ?? null;
}

/** 'a', 'a:b', ':b', 'a:' as iptables reads port ranges. */
export function parsePortRange(text: string): [number, number] | null {
  const i = text.indexOf(':');
  if (i < 0) {
    const p = parsePort(text);
    return p === null ? null : [p, p];
  }
  const lo = i === 0 ? 0 : parsePort(text.slice(0, i));
  const hi = i === text.length - 1 ? 65535 : parsePort(text.slice(i + 1));
  if (lo === null || hi === null || lo > hi) return null;
  return [lo, hi];
}

/** ICMP type names: [type, codeMin, codeMax]. */
export const ICMP_TYPES: Record<string, [number, number, number]> = {
  any: [0xff, 0, 0xff],
  'echo-reply': [0, 0, 0xff],
  pong: [0, 0, 0xff],
  'destination-unreachable': [3, 0, 0xff],
  'network-unreachable': [3, 0, 0],
  'host-unreachable': [3, 1, 1],
  'protocol-unreachable': [3, 2, 2],
  'port-unreachable': [3, 3, 3],
  'fragmentation-needed': [3, 4, 4],
  'source-route-failed': [3, 5, 5],
  'network-unknown': [3, 6, 6],
  'host-unknown': [3, 7, 7],
  'network-prohibited': [3, 9, 9],
  'host-prohibited': [3, 10, 10],
  'TOS-network-unreachable': [3, 11, 11],
  'TOS-host-unreachable': [3, 12, 12],
  'communication-prohibited': [3, 13, 13],
  'host-precedence-violation': [3, 14, 14],
  'precedence-cutoff': [3, 15, 15],
  'source-quench': [4, 0, 0xff],
  redirect: [5, 0, 0xff],
  'network-redirect': [5, 0, 0],
  'host-redirect': [5, 1, 1],
  'TOS-network-redirect': [5, 2, 2],
  'TOS-host-redirect': [5, 3, 3],
  'echo-request': [8, 0, 0xff],
  ping: [8, 0, 0xff],
  'router-advertisement': [9, 0, 0xff],
  'router-solicitation': [10, 0, 0xff],
  'time-exceeded': [11, 0, 0xff],
  'ttl-exceeded': [11, 0, 0xff],
  'ttl-zero-during-transit': [11, 0, 0],
  'ttl-zero-during-reassembly': [11, 1, 1],
  'parameter-problem': [12, 0, 0xff],
  'ip-header-bad': [12, 0, 0],
  'required-option-missing': [12, 1, 1],
  'timestamp-request': [13, 0, 0xff],
  'timestamp-reply': [14, 0, 0xff],
  'address-mask-request': [17, 0, 0xff],
  'address-mask-reply': [18, 0, 0xff],
};

/** REJECT --reject-with names (libipt_REJECT) -> ICMP type/code; 'tcp-reset' is type -1. */
export const REJECT_WITH: Record<string, [number, number]> = {
  'icmp-net-unreachable': [3, 0],
  'icmp-host-unreachable': [3, 1],
  'icmp-proto-unreachable': [3, 2],
  'icmp-port-unreachable': [3, 3],
  'icmp-net-prohibited': [3, 9],
  'icmp-host-prohibited': [3, 10],
  'icmp-admin-prohibited': [3, 13],
  'tcp-reset': [-1, 0],
};

/** Short aliases libipt_REJECT accepts. */
export const REJECT_ALIASES: Record<string, string> = {
  'net-unreach': 'icmp-net-unreachable',
  'host-unreach': 'icmp-host-unreachable',
  'proto-unreach': 'icmp-proto-unreachable',
  'port-unreach': 'icmp-port-unreachable',
  'net-prohib': 'icmp-net-prohibited',
  'host-prohib': 'icmp-host-prohibited',
  'admin-prohib': 'icmp-admin-prohibited',
  'tcp-rst': 'tcp-reset',
};
