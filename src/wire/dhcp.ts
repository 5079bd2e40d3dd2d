// DHCP / BOOTP (RFC 2131, RFC 2132 options, RFC 3442 classless static routes). The message is
// the UDP payload (client port 68, server port 67). Options are kept typed for meaning, plus the
// order they came in and the padded length, so parse -> emit gives back identical bytes.
import { readU16, readU32, writeU16, writeU32 } from './byte-order.js';
import { readIp, writeIp } from './ipv4-address.js';
import { macToString, writeMac } from './mac.js';
import { fail, ok, type ParseResult } from './result.js';

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
export const DHCP_FIXED_LEN = 236;
export const DHCP_MAGIC_COOKIE = 0x63825363;
/** RFC 1542: BOOTP relays and old clients expect at least 300 bytes; dnsmasq pads replies to it. */
export const BOOTP_MIN_LEN = 300;

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;

export const DHCPDISCOVER = 1;
export const DHCPOFFER = 2;
export const DHCPREQUEST = 3;
export const DHCPDECLINE = 4;
export const DHCPACK = 5;
export const DHCPNAK = 6;
export const DHCPRELEASE = 7;
export const DHCPINFORM = 8;

export const DHCP_MESSAGE_TYPE_NAMES: Record<number, string> = {
  1: 'DHCPDISCOVER',
  2: 'DHCPOFFER',
  3: 'DHCPREQUEST',
  4: 'DHCPDECLINE',
  5: 'DHCPACK',
  6: 'DHCPNAK',
  7: 'DHCPRELEASE',
  8: 'DHCPINFORM',
};

export const OPT_PAD = 0;
export const OPT_SUBNET_MASK = 1;
export const OPT_ROUTER = 3;
export const OPT_DNS = 6;
export const OPT_HOST_NAME = 12;
export const OPT_DOMAIN_NAME = 15;
export const OPT_INTERFACE_MTU = 26;
export const OPT_BROADCAST = 28;
export const OPT_REQUESTED_IP = 50;
export const OPT_LEASE_TIME = 51;
export const OPT_MESSAGE_TYPE = 53;
export const OPT_SERVER_ID = 54;
export const OPT_PARAMETER_LIST = 55;
export const OPT_MESSAGE = 56;
export const OPT_MAX_MESSAGE_SIZE = 57;
export const OPT_RENEWAL_TIME = 58;
export const OPT_REBINDING_TIME = 59;
export const OPT_VENDOR_CLASS = 60;
export const OPT_CLIENT_ID = 61;
export const OPT_CLASSLESS_ROUTES = 121;
export const OPT_END = 255;

export interface ClasslessRoute {
  /** Destination network address (host bits clear). */
  network: number;
  prefixLen: number;
  gateway: number;
}

/** The options pocketstack's guests and DHCP server read and write, typed; the rest raw in `other`. */
export interface DhcpOptions {
  messageType?: number;
  subnetMask?: number;
  routers?: number[];
  dnsServers?: number[];
  hostName?: string;
  domainName?: string;
  interfaceMtu?: number;
  broadcastAddress?: number;
  requestedIp?: number;
  leaseTime?: number;
  serverId?: number;
  parameterRequestList?: number[];
  message?: string;
  maxMessageSize?: number;
  renewalTime?: number;
  rebindingTime?: number;
  vendorClassId?: string;
  clientId?: Uint8Array;
  classlessRoutes?: ClasslessRoute[];
  /** Options without a typed field, by code. */
  other?: Map<number, Uint8Array>;
}

export interface DhcpRepr {
  op: number;
  hops: number;
  xid: number;
  secs: number;
  /** The BOOTP broadcast flag (reply must be broadcast). */
  broadcast: boolean;
  ciaddr: number;
  yiaddr: number;
  siaddr: number;
  giaddr: number;
  /** Client hardware address (Ethernet). */
  chaddr: string;
  sname: string;
  file: string;
  options: DhcpOptions;
  /**
   * Option codes in the order they are written. Parsing records the packet's order; when absent,
   * emit uses DEFAULT_OPTION_ORDER (then any `other` codes).
   */
  optionOrder?: number[];
  /** Zero padding after the END option up to this total length (BOOTP_MIN_LEN for dnsmasq replies). */
  minLength?: number;
}

/** Order dnsmasq writes a reply's options in (message type, server id, lease times, then the rest). */
export const DEFAULT_OPTION_ORDER = [
  OPT_MESSAGE_TYPE,
  OPT_SERVER_ID,
  OPT_LEASE_TIME,
  OPT_RENEWAL_TIME,
  OPT_REBINDING_TIME,
  OPT_MESSAGE,
  OPT_SUBNET_MASK,
  OPT_BROADCAST,
  OPT_DOMAIN_NAME,
  OPT_HOST_NAME,
  OPT_CLASSLESS_ROUTES,
  OPT_ROUTER,
  OPT_DNS,
  OPT_INTERFACE_MTU,
  OPT_REQUESTED_IP,
  OPT_CLIENT_ID,
  OPT_MAX_MESSAGE_SIZE,
  OPT_VENDOR_CLASS,
  OPT_PARAMETER_LIST,
];

const latin1 = (b: Uint8Array): string => String.fromCharCode(...b);
const ipList = (b: Uint8Array): number[] => {
  const out: number[] = [];
  for (let i = 0; i + 3 < b.length; i += 4) out.push(readIp(b, i));
  return out;
};

/** RFC 3442: each route is <width><significant destination octets><router>. */
export function decodeClasslessRoutes(b: Uint8Array): ClasslessRoute[] | null {
  const routes: ClasslessRoute[] = [];
  let i = 0;
  while (i < b.length) {
    const prefixLen = b[i++];
    if (prefixLen > 32) return null;
    const octets = (prefixLen + 7) >>> 3;
    if (i + octets + 4 > b.length) return null;
    let network = 0;
    for (let k = 0; k < 4; k++) network = network * 256 + (k < octets ? b[i + k] : 0);
    i += octets;
    routes.push({ network, prefixLen, gateway: readIp(b, i) });
    i += 4;
  }
  return routes;
}

export function encodeClasslessRoutes(routes: ClasslessRoute[]): Uint8Array {
  const out: number[] = [];
  for (const r of routes) {
    out.push(r.prefixLen);
    const octets = (r.prefixLen + 7) >>> 3;
    for (let k = 0; k < octets; k++) out.push((r.network >>> (24 - 8 * k)) & 0xff);
    out.push(
      (r.gateway >>> 24) & 0xff,
      (r.gateway >>> 16) & 0xff,
      (r.gateway >>> 8) & 0xff,
      r.gateway & 0xff,
    );
  }
  return Uint8Array.from(out);
}

function setOption(o: DhcpOptions, code: number, d: Uint8Array): boolean {
  const fixed = (n: number) => d.length === n;
  switch (code) {
    case OPT_MESSAGE_TYPE:
      if (!fixed(1)) return false;
      o.messageType = d[0];
      return true;
    case OPT_SUBNET_MASK:
      if (!fixed(4)) return false;
      o.subnetMask = readIp(d, 0);
      return true;
    case OPT_ROUTER:
      if (d.length % 4) return false;
      o.routers = ipList(d);
      return true;
    case OPT_DNS:
      if (d.length % 4) return false;
      o.dnsServers = ipList(d);
      return true;
    case OPT_HOST_NAME:
      o.hostName = latin1(d);
      return true;
    case OPT_DOMAIN_NAME:
      o.domainName = latin1(d);
      return true;
    case OPT_INTERFACE_MTU:
      if (!fixed(2)) return false;
      o.interfaceMtu = readU16(d, 0);
      return true;
    case OPT_BROADCAST:
      if (!fixed(4)) return false;
      o.broadcastAddress = readIp(d, 0);
      return true;
    case OPT_REQUESTED_IP:
      if (!fixed(4)) return false;
      o.requestedIp = readIp(d, 0);
      return true;
    case OPT_LEASE_TIME:
      if (!fixed(4)) return false;
      o.leaseTime = readU32(d, 0);
      return true;
    case OPT_SERVER_ID:
      if (!fixed(4)) return false;
      o.serverId = readIp(d, 0);
      return true;
    case OPT_PARAMETER_LIST:
      o.parameterRequestList = Array.from(d);
      return true;
    case OPT_MESSAGE:
      o.message = latin1(d);
      return true;
    case OPT_MAX_MESSAGE_SIZE:
      if (!fixed(2)) return false;
      o.maxMessageSize = readU16(d, 0);
      return true;
    case OPT_RENEWAL_TIME:
      if (!fixed(4)) return false;
      o.renewalTime = readU32(d, 0);
      return true;
    case OPT_REBINDING_TIME:
      if (!fixed(4)) return false;
      o.rebindingTime = readU32(d, 0);
      return true;
    case OPT_VENDOR_CLASS:
      o.vendorClassId = latin1(d);
      return true;
    case OPT_CLIENT_ID:
      o.clientId = d.slice();
      return true;
    case OPT_CLASSLESS_ROUTES: {
      const routes = decodeClasslessRoutes(d);
      if (!routes) return false;
      o.classlessRoutes = routes;
      return true;
    }
  }
  o.other ??= new Map();
  o.other.set(code, d.slice());
  return true;
}

const bytesOfString = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
const u32 = (v: number): Uint8Array => {
  const b = new Uint8Array(4);
  writeU32(b, 0, v);
  return b;
};
const u16 = (v: number): Uint8Array => Uint8Array.of((v >>> 8) & 0xff, v & 0xff);
const ips = (list: number[]): Uint8Array => {
  const b = new Uint8Array(list.length * 4);
  for (let i = 0; i < list.length; i++) writeIp(b, i * 4, list[i]);
  return b;
};

/** Encoded value of option `code` from the typed fields, or undefined when not set. */
function optionBytes(o: DhcpOptions, code: number): Uint8Array | undefined {
  switch (code) {
    case OPT_MESSAGE_TYPE:
      return o.messageType === undefined ? undefined : Uint8Array.of(o.messageType);
    case OPT_SUBNET_MASK:
      return o.subnetMask === undefined ? undefined : u32(o.subnetMask);
    case OPT_ROUTER:
      return o.routers && ips(o.routers);
    case OPT_DNS:
      return o.dnsServers && ips(o.dnsServers);
    case OPT_HOST_NAME:
      return o.hostName === undefined ? undefined : bytesOfString(o.hostName);
    case OPT_DOMAIN_NAME:
      return o.domainName === undefined ? undefined : bytesOfString(o.domainName);
    case OPT_INTERFACE_MTU:
      return o.interfaceMtu === undefined ? undefined : u16(o.interfaceMtu);
    case OPT_BROADCAST:
      return o.broadcastAddress === undefined ? undefined : u32(o.broadcastAddress);
    case OPT_REQUESTED_IP:
      return o.requestedIp === undefined ? undefined : u32(o.requestedIp);
    case OPT_LEASE_TIME:
      return o.leaseTime === undefined ? undefined : u32(o.leaseTime);
    case OPT_SERVER_ID:
      return o.serverId === undefined ? undefined : u32(o.serverId);
    case OPT_PARAMETER_LIST:
      return o.parameterRequestList && Uint8Array.from(o.parameterRequestList);
    case OPT_MESSAGE:
      return o.message === undefined ? undefined : bytesOfString(o.message);
    case OPT_MAX_MESSAGE_SIZE:
      return o.maxMessageSize === undefined ? undefined : u16(o.maxMessageSize);
    case OPT_RENEWAL_TIME:
      return o.renewalTime === undefined ? undefined : u32(o.renewalTime);
    case OPT_REBINDING_TIME:
      return o.rebindingTime === undefined ? undefined : u32(o.rebindingTime);
    case OPT_VENDOR_CLASS:
      return o.vendorClassId === undefined ? undefined : bytesOfString(o.vendorClassId);
    case OPT_CLIENT_ID:
      return o.clientId;
    case OPT_CLASSLESS_ROUTES:
      return o.classlessRoutes && encodeClasslessRoutes(o.classlessRoutes);
  }
  return o.other?.get(code);
}

const cString = (b: Uint8Array, off: number, len: number): string => {
  let end = off;
  while (end < off + len && b[end] !== 0) end++;
  return latin1(b.subarray(off, end));
};

/** Parses a DHCP message (the UDP payload at `off`, `len` bytes). */
export function parseDhcp(b: Uint8Array, off: number, len = b.length - off): ParseResult<DhcpRepr> {
  if (len < DHCP_FIXED_LEN + 4 || b.length - off < len) return fail('truncated');
  if (b[off + 1] !== 1 || b[off + 2] !== 6) return fail('unsupported');
  if (readU32(b, off + DHCP_FIXED_LEN) !== DHCP_MAGIC_COOKIE) return fail('malformed');
  const options: DhcpOptions = {};
  const optionOrder: number[] = [];
  const end = off + len;
  let i = off + DHCP_FIXED_LEN + 4;
  let sawEnd = false;
  while (i < end) {
    const code = b[i++];
    if (code === OPT_PAD) continue;
    if (code === OPT_END) {
      sawEnd = true;
      break;
    }
    if (i >= end) return fail('malformed');
    const l = b[i++];
    if (i + l > end) return fail('malformed');
    if (!setOption(options, code, b.subarray(i, i + l))) return fail('malformed');
    optionOrder.push(code);
    i += l;
  }
  if (!sawEnd) return fail('malformed');
  return ok({
    op: b[off],
    hops: b[off + 3],
    xid: readU32(b, off + 4),
    secs: readU16(b, off + 8),
    broadcast: (b[off + 10] & 0x80) !== 0,
    ciaddr: readIp(b, off + 12),
    yiaddr: readIp(b, off + 16),
    siaddr: readIp(b, off + 20),
    giaddr: readIp(b, off + 24),
    chaddr: macToString(b, off + 28),
    sname: cString(b, off + 44, 64),
    file: cString(b, off + 108, 128),
    options,
    optionOrder,
    minLength: len,
  });
}

function orderedOptions(repr: DhcpRepr): [number, Uint8Array][] {
  const order = repr.optionOrder ?? [...DEFAULT_OPTION_ORDER, ...(repr.options.other?.keys() ?? [])];
  const out: [number, Uint8Array][] = [];
  const seen = new Set<number>();
  for (const code of order) {
    if (seen.has(code)) continue;
    seen.add(code);
    const v = optionBytes(repr.options, code);
    if (v) out.push([code, v]);
  }
  return out;
}

/** Bytes emitDhcp writes for `repr`. */
export function dhcpLen(repr: DhcpRepr): number {
  let n = DHCP_FIXED_LEN + 4 + 1;
  // Values over 255 bytes are split into several instances of the option (RFC 3396).
  for (const [, v] of orderedOptions(repr)) n += v.length + 2 * Math.max(1, Math.ceil(v.length / 255));
  return Math.max(n, repr.minLength ?? 0);
}

export function emitDhcp(repr: DhcpRepr, b: Uint8Array, off: number): number {
  const total = dhcpLen(repr);
  b.fill(0, off, off + total);
  b[off] = repr.op;
  b[off + 1] = 1;
  b[off + 2] = 6;
  b[off + 3] = repr.hops;
  writeU32(b, off + 4, repr.xid);
  writeU16(b, off + 8, repr.secs);
  writeU16(b, off + 10, repr.broadcast ? 0x8000 : 0);
  writeIp(b, off + 12, repr.ciaddr);
  writeIp(b, off + 16, repr.yiaddr);
  writeIp(b, off + 20, repr.siaddr);
  writeIp(b, off + 24, repr.giaddr);
  writeMac(b, off + 28, repr.chaddr);
  b.set(bytesOfString(repr.sname).subarray(0, 63), off + 44);
  b.set(bytesOfString(repr.file).subarray(0, 127), off + 108);
  writeU32(b, off + DHCP_FIXED_LEN, DHCP_MAGIC_COOKIE);
  let i = off + DHCP_FIXED_LEN + 4;
  for (const [code, v] of orderedOptions(repr)) {
    let start = 0;
    do {
      const chunk = v.subarray(start, start + 255);
      b[i++] = code;
      b[i++] = chunk.length;
      b.set(chunk, i);
      i += chunk.length;
      start += 255;
    } while (start < v.length);
  }
  b[i] = OPT_END;
  return total;
}

export function buildDhcp(repr: DhcpRepr): Uint8Array {
  const b = new Uint8Array(dhcpLen(repr));
  emitDhcp(repr, b, 0);
  return b;
}
