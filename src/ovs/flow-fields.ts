// The fields an OpenFlow match or action can name, laid out as OVS's `struct flow` is: every
// field lives in fixed 32-bit words of a flat key (an Int32Array), so a match is a (value, mask)
// pair of such arrays and a lookup is a few `(key[i] & mask) === value` tests with no strings or
// objects per packet. Several names share words exactly as in OVS: arp_spa/arp_tpa are nw_src/
// nw_dst, arp_op is nw_proto, icmp_type/icmp_code are tp_src/tp_dst (lib/meta-flow.xml).

/** Word indices of the flow key. Fields wider than 32 bits take several words (least significant first). */
export const K = {
  IN_PORT: 0,
  DL_SRC_LO: 1,
  DL_SRC_HI: 2,
  DL_DST_LO: 3,
  DL_DST_HI: 4,
  /** OVS semantics: the CFI bit (0x1000) set means "a tag is present"; 0 means untagged. */
  VLAN_TCI: 5,
  DL_TYPE: 6,
  NW_SRC: 7,
  NW_DST: 8,
  NW_PROTO: 9,
  NW_TOS: 10,
  NW_TTL: 11,
  TP_SRC: 12,
  TP_DST: 13,
  ARP_SHA_LO: 14,
  ARP_SHA_HI: 15,
  ARP_THA_LO: 16,
  ARP_THA_HI: 17,
  TUN_ID_LO: 18,
  TUN_ID_HI: 19,
  TUN_SRC: 20,
  TUN_DST: 21,
  METADATA_LO: 22,
  METADATA_HI: 23,
  REG0: 24, // reg0..reg7 = 24..31
  ND_TARGET: 32, // 4 words, 32..35 (least significant first)
  IPV6_SRC: 36, // 36..39
  IPV6_DST: 40, // 40..43
  CT_STATE: 44,
  CT_ZONE: 45,
} as const;

export const KEY_WORDS = 46;

export type FieldKind = 'mac' | 'ipv4' | 'ipv6' | 'int' | 'port' | 'tci';

/** A prerequisite as lib/meta-flow.c states it: what dl_type/nw_proto the match must also pin. */
export type Prereq = 'none' | 'ip' | 'arp' | 'ip-or-arp' | 'ipv6' | 'l4' | 'icmp' | 'icmp6' | 'nd';

export interface FieldDef {
  /** Canonical OVS name (as `set_field:…->NAME` prints it). */
  name: string;
  /** The name printed in load/move/learn subfields (`NXM_NX_TUN_ID`). */
  nxm: string;
  bits: number;
  /** Key words holding the field, least significant 32 bits first. */
  words: number[];
  kind: FieldKind;
  prereq: Prereq;
  /** Whether set_field/load may write it. */
  writable: boolean;
}

const F = (
  name: string,
  nxm: string,
  bits: number,
  words: number[],
  kind: FieldKind,
  prereq: Prereq = 'none',
  writable = true,
): FieldDef => ({ name, nxm, bits, words, kind, prereq, writable });

const regs = Array.from({ length: 8 }, (_, i) => F(`reg${i}`, `NXM_NX_REG${i}`, 32, [K.REG0 + i], 'int'));

export const FIELDS: readonly FieldDef[] = [
  F('in_port', 'NXM_OF_IN_PORT', 16, [K.IN_PORT], 'port'),
  F('in_port_oxm', 'OXM_OF_IN_PORT', 32, [K.IN_PORT], 'port'),
  F('eth_src', 'NXM_OF_ETH_SRC', 48, [K.DL_SRC_LO, K.DL_SRC_HI], 'mac'),
  F('eth_dst', 'NXM_OF_ETH_DST', 48, [K.DL_DST_LO, K.DL_DST_HI], 'mac'),
  F('eth_type', 'NXM_OF_ETH_TYPE', 16, [K.DL_TYPE], 'int', 'none', false),
  F('vlan_tci', 'NXM_OF_VLAN_TCI', 16, [K.VLAN_TCI], 'tci'),
  F('ip_src', 'NXM_OF_IP_SRC', 32, [K.NW_SRC], 'ipv4', 'ip'),
  F('ip_dst', 'NXM_OF_IP_DST', 32, [K.NW_DST], 'ipv4', 'ip'),
  F('nw_proto', 'NXM_OF_IP_PROTO', 8, [K.NW_PROTO], 'int', 'ip', false),
  F('nw_tos', 'NXM_OF_IP_TOS', 8, [K.NW_TOS], 'int', 'ip'),
  F('nw_ttl', 'NXM_NX_IP_TTL', 8, [K.NW_TTL], 'int', 'ip'),
  F('tcp_src', 'NXM_OF_TCP_SRC', 16, [K.TP_SRC], 'int', 'l4'),
  F('tcp_dst', 'NXM_OF_TCP_DST', 16, [K.TP_DST], 'int', 'l4'),
  F('udp_src', 'NXM_OF_UDP_SRC', 16, [K.TP_SRC], 'int', 'l4'),
  F('udp_dst', 'NXM_OF_UDP_DST', 16, [K.TP_DST], 'int', 'l4'),
  F('icmp_type', 'NXM_OF_ICMP_TYPE', 8, [K.TP_SRC], 'int', 'icmp'),
  F('icmp_code', 'NXM_OF_ICMP_CODE', 8, [K.TP_DST], 'int', 'icmp'),
  F('arp_op', 'NXM_OF_ARP_OP', 16, [K.NW_PROTO], 'int', 'arp'),
  F('arp_spa', 'NXM_OF_ARP_SPA', 32, [K.NW_SRC], 'ipv4', 'arp'),
  F('arp_tpa', 'NXM_OF_ARP_TPA', 32, [K.NW_DST], 'ipv4', 'arp'),
  F('arp_sha', 'NXM_NX_ARP_SHA', 48, [K.ARP_SHA_LO, K.ARP_SHA_HI], 'mac', 'arp'),
  F('arp_tha', 'NXM_NX_ARP_THA', 48, [K.ARP_THA_LO, K.ARP_THA_HI], 'mac', 'arp'),
  F('tun_id', 'NXM_NX_TUN_ID', 64, [K.TUN_ID_LO, K.TUN_ID_HI], 'int'),
  F('tun_src', 'NXM_NX_TUN_IPV4_SRC', 32, [K.TUN_SRC], 'ipv4'),
  F('tun_dst', 'NXM_NX_TUN_IPV4_DST', 32, [K.TUN_DST], 'ipv4'),
  F('metadata', 'OXM_OF_METADATA', 64, [K.METADATA_LO, K.METADATA_HI], 'int'),
  ...regs,
  F('nd_target', 'NXM_NX_ND_TARGET', 128, [32, 33, 34, 35], 'ipv6', 'nd'),
  F('ipv6_src', 'NXM_NX_IPV6_SRC', 128, [36, 37, 38, 39], 'ipv6', 'ipv6'),
  F('ipv6_dst', 'NXM_NX_IPV6_DST', 128, [40, 41, 42, 43], 'ipv6', 'ipv6'),
  F('ct_zone', 'NXM_NX_CT_ZONE', 16, [K.CT_ZONE], 'int', 'none', false),
];

const byName = new Map<string, FieldDef>();
for (const f of FIELDS) {
  byName.set(f.name, f);
  byName.set(f.nxm, f);
}
// Other spellings OVS accepts for the same fields (lib/meta-flow.xml "also known as").
const ALIASES: Record<string, string> = {
  dl_src: 'eth_src',
  dl_dst: 'eth_dst',
  dl_type: 'eth_type',
  OXM_OF_ETH_SRC: 'eth_src',
  OXM_OF_ETH_DST: 'eth_dst',
  OXM_OF_ETH_TYPE: 'eth_type',
  nw_src: 'ip_src',
  nw_dst: 'ip_dst',
  OXM_OF_IPV4_SRC: 'ip_src',
  OXM_OF_IPV4_DST: 'ip_dst',
  ip_proto: 'nw_proto',
  OXM_OF_IP_PROTO: 'nw_proto',
  tp_src: 'tcp_src',
  tp_dst: 'tcp_dst',
  icmpv4_type: 'icmp_type',
  icmpv4_code: 'icmp_code',
  tunnel_id: 'tun_id',
  OXM_OF_TUNNEL_ID: 'tun_id',
  NXM_NX_TUN_ID: 'tun_id',
  OXM_OF_ARP_OP: 'arp_op',
  OXM_OF_ARP_SPA: 'arp_spa',
  OXM_OF_ARP_TPA: 'arp_tpa',
  OXM_OF_ARP_SHA: 'arp_sha',
  OXM_OF_ARP_THA: 'arp_tha',
  OXM_OF_IN_PORT: 'in_port_oxm',
  NXM_NX_IP_TTL: 'nw_ttl',
};
for (let i = 0; i < 8; i++) ALIASES[`OXM_OF_PKT_REG${i}`] = `reg${i}`;

/** The field for any of its OVS names (`eth_src`, `dl_src`, `NXM_OF_ETH_SRC` …), or undefined. */
export function fieldByName(name: string): FieldDef | undefined {
  return byName.get(name) ?? byName.get(ALIASES[name] ?? '');
}

export const MASK64 = (1n << 64n) - 1n;
export const allOnes = (bits: number): bigint => (1n << BigInt(bits)) - 1n;

/** Reads a field's words from a key-shaped array as one unsigned bigint (off the hot path). */
export function readField(arr: Int32Array, f: FieldDef): bigint {
  let v = 0n;
  for (let i = f.words.length - 1; i >= 0; i--) v = (v << 32n) | BigInt(arr[f.words[i]] >>> 0);
  return v & allOnes(f.bits);
}

/** Writes `value` into the bits of `mask` of a field (other bits of the words kept). */
export function writeField(
  arr: Int32Array,
  f: FieldDef,
  value: bigint,
  mask: bigint = allOnes(f.bits),
): void {
  for (let i = 0; i < f.words.length; i++) {
    const m = Number((mask >> BigInt(32 * i)) & 0xffffffffn);
    if (m === 0) continue;
    const v = Number((value >> BigInt(32 * i)) & 0xffffffffn);
    const w = f.words[i];
    arr[w] = (arr[w] & ~m) | (v & m);
  }
}

// Text forms of values, as mf_format/mf_parse write and read them.

export function macBigToString(v: bigint): string {
  const h = v.toString(16).padStart(12, '0');
  return `${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}:${h.slice(6, 8)}:${h.slice(8, 10)}:${h.slice(10, 12)}`;
}

export function parseMacBig(text: string): bigint | null {
  if (!/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/.test(text)) return null;
  return text.split(':').reduce((acc, p) => (acc << 8n) | BigInt(Number.parseInt(p, 16)), 0n);
}

export function ipv4ToString(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

export function parseIpv4(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

/** RFC 5952 text of a 128-bit address (lower case, longest zero run compressed). */
export function ipv6ToString(v: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((v >> BigInt(16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function parseIpv6(text: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  if (!head || !tail) return null;
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) return null;
  const groups = [...head, ...new Array(fill).fill(0), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** Parses an integer as OVS does (decimal, or 0x hex); null when invalid. */
export function parseIntText(text: string): bigint | null {
  if (/^0x[0-9a-fA-F]+$/i.test(text)) return BigInt(text);
  if (/^\d+$/.test(text)) return BigInt(text);
  return null;
}

/** `%#x` of C: "0" for zero, "0x…" otherwise (how OVS prints load values, tun_id, cookies in learn). */
export function hexC(v: bigint | number): string {
  const b = typeof v === 'bigint' ? v : BigInt(v);
  return b === 0n ? '0' : `0x${b.toString(16)}`;
}
