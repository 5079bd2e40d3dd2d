// IPv4 and IPv6 addresses and networks as numbers (bigint), as netaddr gives them to Neutron's
// IPAM: parse, print in canonical form, contain, overlap.

export interface IpNet {
  version: 4 | 6;
  /** The network address (host bits zero). */
  network: bigint;
  prefixLen: number;
  /** The address as written, before masking (netaddr keeps it too). */
  ip: bigint;
}

const bits = (v: 4 | 6) => (v === 4 ? 32 : 128);

export function parseIpv4(text: string): bigint | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  let n = 0n;
  for (let i = 1; i <= 4; i++) {
    if (m[i].length > 1 && m[i].startsWith('0')) return null;
    const o = Number(m[i]);
    if (o > 255) return null;
    n = (n << 8n) | BigInt(o);
  }
  return n;
}

export function parseIpv6(text: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length < 2) return null;
  let head = text;
  let tailV4: bigint | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    tailV4 = parseIpv4(text.slice(lastColon + 1));
    if (tailV4 === null) return null;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - left.length - right.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return null;
  const all = [...left, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...right];
  let n = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    n = (n << 16n) | BigInt(Number.parseInt(g, 16));
  }
  if (tailV4 !== null) n = (n & ~0xffffffffn) | tailV4;
  return n;
}

export function parseIp(text: string): { version: 4 | 6; value: bigint } | null {
  const v4 = parseIpv4(text);
  if (v4 !== null) return { version: 4, value: v4 };
  const v6 = text.includes(':') ? parseIpv6(text) : null;
  return v6 === null ? null : { version: 6, value: v6 };
}

export function formatIp(version: 4 | 6, n: bigint): string {
  if (version === 4) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952: the longest run (≥ 2) of zero groups becomes '::'.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function mask(version: 4 | 6, prefixLen: number): bigint {
  const b = BigInt(bits(version));
  return ((1n << b) - 1n) ^ ((1n << (b - BigInt(prefixLen))) - 1n);
}

/** `10.0.0.0/24` (or a bare address, as a host network). */
export function parseNet(text: string): IpNet | null {
  const [addr, len, ...rest] = text.split('/');
  if (rest.length) return null;
  const ip = parseIp(addr);
  if (!ip) return null;
  const max = bits(ip.version);
  let prefixLen = max;
  if (len !== undefined) {
    if (!/^\d{1,3}$/.test(len)) return null;
    prefixLen = Number(len);
    if (prefixLen > max) return null;
  }
  return { version: ip.version, ip: ip.value, network: ip.value & mask(ip.version, prefixLen), prefixLen };
}

export const netSize = (n: IpNet) => 1n << BigInt(bits(n.version) - n.prefixLen);
export const lastAddress = (n: IpNet) => n.network + netSize(n) - 1n;
export const netContains = (n: IpNet, version: 4 | 6, ip: bigint) =>
  version === n.version && ip >= n.network && ip <= lastAddress(n);
export const netsOverlap = (a: IpNet, b: IpNet) =>
  a.version === b.version && a.network <= lastAddress(b) && b.network <= lastAddress(a);
export const formatNet = (n: IpNet) => `${formatIp(n.version, n.network)}/${n.prefixLen}`;

/** The address in canonical form, or null when it is not an address. */
export function canonicalIp(text: string): string | null {
  const ip = parseIp(text);
  return ip ? formatIp(ip.version, ip.value) : null;
}
