// IPv4 addresses as unsigned 32-bit numbers on the hot path (no strings per packet), with the
// dotted-quad text used by every tool and API.

/** Dotted quad from an unsigned 32-bit number. */
export function ipToString(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

/** Parses a strict dotted quad ('10.0.0.5'); null when invalid. */
export function parseIp(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n;
}

/** As parseIp but throws: for constants and configuration, never for packet data. */
export function ip(text: string): number {
  const n = parseIp(text);
  if (n === null) throw new Error(`invalid IPv4 address: ${text}`);
  return n;
}

/** Netmask of a prefix length as an unsigned number: 24 -> 0xffffff00. */
export function prefixMask(prefixLen: number): number {
  return prefixLen <= 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
}

/** Prefix length of a contiguous netmask, or -1 when the mask has holes. */
export function maskToPrefix(mask: number): number {
  const len = Math.clz32(~mask);
  return prefixMask(len) === mask >>> 0 ? len : -1;
}

export interface Cidr {
  /** Network address (host bits cleared). */
  network: number;
  prefixLen: number;
  mask: number;
  /** The address as written (host bits kept), e.g. 10.0.0.1 of '10.0.0.1/24' for an interface address. */
  address: number;
}

/** Parses '10.0.0.0/24' (or a bare address as /32); null when invalid. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const address = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (address === null) return null;
  let prefixLen = 32;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,2}$/.test(p) || Number(p) > 32) return null;
    prefixLen = Number(p);
  }
  const mask = prefixMask(prefixLen);
  return { network: (address & mask) >>> 0, prefixLen, mask, address };
}

export function cidrContains(cidr: Cidr, ipAddr: number): boolean {
  return (ipAddr & cidr.mask) >>> 0 === cidr.network;
}

export function cidrToString(cidr: Cidr): string {
  return `${ipToString(cidr.network)}/${cidr.prefixLen}`;
}

export const BROADCAST_IP = 0xffffffff;

export function isMulticastIp(ipAddr: number): boolean {
  return ipAddr >>> 28 === 0xe;
}

/** Broadcast address of a subnet: 10.0.0.0/24 -> 10.0.0.255. */
export function subnetBroadcast(cidr: Cidr): number {
  return (cidr.network | ~cidr.mask) >>> 0;
}

export function readIp(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

export function writeIp(buf: Uint8Array, off: number, ipAddr: number): void {
  buf[off] = (ipAddr >>> 24) & 0xff;
  buf[off + 1] = (ipAddr >>> 16) & 0xff;
  buf[off + 2] = (ipAddr >>> 8) & 0xff;
  buf[off + 3] = ipAddr & 0xff;
}
