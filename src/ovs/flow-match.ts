// An OpenFlow match: a value and a mask over the flow key words (flow-fields.ts), as OVS's
// `struct match` is a flow plus wildcards. Parsed from the `ovs-ofctl add-flow` syntax and
// printed back in match_format()'s canonical order (lib/match.c), which is what `dump-flows`
// shows: protocol shorthand first, then regs, tunnel, metadata, in_port, VLAN, MACs, L3, L4.

import {
  allOnes,
  type FieldDef,
  fieldByName,
  hexC,
  ipv4ToString,
  ipv6ToString,
  K,
  KEY_WORDS,
  macBigToString,
  parseIntText,
  parseIpv4,
  parseIpv6,
  parseMacBig,
  readField,
  writeField,
} from './flow-fields.js';
import { formatPort, type PortNames, parsePort } from './ports.js';

export const ETH_TYPE_IP = 0x0800;
export const ETH_TYPE_ARP = 0x0806;
export const ETH_TYPE_RARP = 0x8035;
export const ETH_TYPE_IPV6 = 0x86dd;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;
export const IPPROTO_ICMPV6 = 58;
export const VLAN_CFI = 0x1000;

/** Protocol shorthands of ovs-fields(7): name -> [dl_type, nw_proto or -1]. */
const SHORTHANDS: Record<string, [number, number]> = {
  ip: [ETH_TYPE_IP, -1],
  icmp: [ETH_TYPE_IP, IPPROTO_ICMP],
  tcp: [ETH_TYPE_IP, IPPROTO_TCP],
  udp: [ETH_TYPE_IP, IPPROTO_UDP],
  sctp: [ETH_TYPE_IP, IPPROTO_SCTP],
  arp: [ETH_TYPE_ARP, -1],
  rarp: [ETH_TYPE_RARP, -1],
  ipv6: [ETH_TYPE_IPV6, -1],
  icmp6: [ETH_TYPE_IPV6, IPPROTO_ICMPV6],
  tcp6: [ETH_TYPE_IPV6, IPPROTO_TCP],
  udp6: [ETH_TYPE_IPV6, IPPROTO_UDP],
  sctp6: [ETH_TYPE_IPV6, IPPROTO_SCTP],
};

export class Match {
  readonly value = new Int32Array(KEY_WORDS);
  readonly mask = new Int32Array(KEY_WORDS);

  static catchAll(): Match {
    return new Match();
  }

  clone(): Match {
    const m = new Match();
    m.value.set(this.value);
    m.mask.set(this.mask);
    return m;
  }

  /** Sets `field` to `value` under `mask` (bits outside the mask are wildcarded). */
  set(field: FieldDef, value: bigint, mask: bigint = allOnes(field.bits)): void {
    writeField(this.mask, field, mask);
    writeField(this.value, field, value & mask);
  }

  setWord(word: number, value: number, mask: number): void {
    this.mask[word] = mask;
    this.value[word] = value & mask;
  }

  get(field: FieldDef): { value: bigint; mask: bigint } {
    return { value: readField(this.value, field), mask: readField(this.mask, field) };
  }

  isCatchAll(): boolean {
    for (let i = 0; i < KEY_WORDS; i++) if (this.mask[i] !== 0) return false;
    return true;
  }

  equals(o: Match): boolean {
    for (let i = 0; i < KEY_WORDS; i++) {
      if (this.mask[i] !== o.mask[i] || this.value[i] !== o.value[i]) return false;
    }
    return true;
  }

  /**
   * True when every packet this match accepts is also accepted by `loose` (OVS's "non-strict"
   * selection for del-flows/mod-flows/dump-flows: the flow is at least as specific as the pattern).
   */
  isCoveredBy(loose: Match): boolean {
    for (let i = 0; i < KEY_WORDS; i++) {
      const lm = loose.mask[i];
      if ((lm & ~this.mask[i]) !== 0) return false;
      if ((this.value[i] & lm) !== loose.value[i]) return false;
    }
    return true;
  }

  /** Whether a key (flow-key.ts layout) satisfies the match; used off the hot path (the classifier compiles). */
  matchesKey(key: Int32Array): boolean {
    for (let i = 0; i < KEY_WORDS; i++) if ((key[i] & this.mask[i]) !== this.value[i]) return false;
    return true;
  }

  /** The non-wildcarded words as [word, mask, value] triples: what the classifier tests per packet. */
  compile(): Int32Array {
    const out: number[] = [];
    for (let i = 0; i < KEY_WORDS; i++) if (this.mask[i] !== 0) out.push(i, this.mask[i], this.value[i]);
    return Int32Array.from(out);
  }

  dlType(): number {
    return this.mask[K.DL_TYPE] === 0 ? -1 : this.value[K.DL_TYPE];
  }

  nwProto(): number {
    return this.mask[K.NW_PROTO] === 0 ? -1 : this.value[K.NW_PROTO];
  }
}

export interface MatchParseContext {
  names?: PortNames;
  /** Warnings OVS would print (e.g. a field dropped for unmet prerequisites). */
  warnings?: string[];
}

/**
 * Applies one `name[=value]` token of a match to `m`. Returns an error string, or null when the
 * token was a match field; returns undefined when `name` is not a match field at all.
 */
export function parseMatchField(
  m: Match,
  name: string,
  value: string | undefined,
  ctx: MatchParseContext = {},
): string | null | undefined {
  const sh = SHORTHANDS[name];
  if (sh && value === undefined) {
    m.setWord(K.DL_TYPE, sh[0], 0xffff);
    if (sh[1] >= 0) m.setWord(K.NW_PROTO, sh[1], 0xff);
    return null;
  }
  if (value === undefined) return undefined;
  switch (name) {
    case 'in_port': {
      const p = parsePort(value, ctx.names);
      if (p === null) return `${value}: invalid or unknown port for in_port`;
      m.setWord(K.IN_PORT, p, 0xffff);
      return null;
    }
    case 'dl_vlan': {
      const v = parseIntText(value);
      if (v === null) return `${value}: invalid VLAN`;
      if (v === 0xffffn) {
        // OFP10_VLAN_NONE: only frames without a tag.
        m.setWord(K.VLAN_TCI, 0, 0xffff);
      } else {
        if (v > 4095n) return `${value}: invalid VLAN`;
        m.setWord(
          K.VLAN_TCI,
          (m.value[K.VLAN_TCI] & ~0x0fff) | VLAN_CFI | Number(v),
          m.mask[K.VLAN_TCI] | 0x1fff,
        );
      }
      return null;
    }
    case 'dl_vlan_pcp': {
      const v = parseIntText(value);
      if (v === null || v > 7n) return `${value}: invalid VLAN PCP`;
      m.setWord(
        K.VLAN_TCI,
        (m.value[K.VLAN_TCI] & 0x0fff) | VLAN_CFI | (Number(v) << 13),
        m.mask[K.VLAN_TCI] | 0xf000,
      );
      return null;
    }
    case 'vlan_tci': {
      const r = parseIntMasked(value, 16);
      if (typeof r === 'string') return r;
      m.setWord(K.VLAN_TCI, Number(r.value), Number(r.mask));
      return null;
    }
    case 'nw_tos': {
      const v = parseIntText(value);
      if (v === null || v > 255n) return `${value}: invalid nw_tos`;
      // nw_tos matches the DSCP bits only (the low two ECN bits are nw_ecn).
      m.setWord(K.NW_TOS, Number(v) & 0xfc, 0xfc);
      return null;
    }
    case 'icmp_type':
    case 'icmp_code':
    case 'icmpv6_type':
    case 'icmpv6_code': {
      const word = name.endsWith('type') ? K.TP_SRC : K.TP_DST;
      const r = parseIntMasked(value, 8);
      if (typeof r === 'string') return r;
      m.setWord(word, Number(r.value), Number(r.mask));
      return null;
    }
  }
  const f = fieldByName(name);
  if (!f || f.name === 'in_port_oxm') return undefined;
  const r = parseFieldValue(f, value, ctx.names);
  if (typeof r === 'string') return r;
  m.set(f, r.value, r.mask);
  return null;
}

/** mf_parse: a field value with an optional /mask (or /prefix for addresses). */
export function parseFieldValue(
  f: FieldDef,
  text: string,
  names?: PortNames,
): { value: bigint; mask: bigint } | string {
  const full = allOnes(f.bits);
  const slash = text.indexOf('/');
  const main = slash < 0 ? text : text.slice(0, slash);
  const maskText = slash < 0 ? undefined : text.slice(slash + 1);
  switch (f.kind) {
    case 'mac': {
      const v = parseMacBig(main);
      if (v === null) return `${text}: invalid Ethernet address`;
      if (maskText === undefined) return { value: v, mask: full };
      const mk = parseMacBig(maskText);
      if (mk === null) return `${text}: invalid Ethernet address mask`;
      return { value: v & mk, mask: mk };
    }
    case 'ipv4': {
      const v = parseIpv4(main);
      if (v === null) return `${text}: invalid IP address`;
      let mk = 0xffffffff;
      if (maskText !== undefined) {
        if (/^\d{1,2}$/.test(maskText) && Number(maskText) <= 32) {
          const len = Number(maskText);
          mk = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
        } else {
          const p = parseIpv4(maskText);
          if (p === null) return `${text}: invalid IP address mask`;
          mk = p;
        }
      }
      return { value: BigInt((v & mk) >>> 0), mask: BigInt(mk >>> 0) };
    }
    case 'ipv6': {
      const v = parseIpv6(main);
      if (v === null) return `${text}: invalid IPv6 address`;
      let mk = full;
      if (maskText !== undefined) {
        if (/^\d{1,3}$/.test(maskText) && Number(maskText) <= 128) {
          const len = BigInt(maskText);
          mk = len === 0n ? 0n : (full << (128n - len)) & full;
        } else {
          const p = parseIpv6(maskText);
          if (p === null) return `${text}: invalid IPv6 address mask`;
          mk = p;
        }
      }
      return { value: v & mk, mask: mk };
    }
    case 'port': {
      const p = parsePort(text, names);
      if (p === null) return `${text}: invalid or unknown port`;
      return { value: BigInt(p), mask: full };
    }
    default: {
      const r = parseIntMasked(text, f.bits);
      return r;
    }
  }
}

function parseIntMasked(text: string, bits: number): { value: bigint; mask: bigint } | string {
  const slash = text.indexOf('/');
  const v = parseIntText(slash < 0 ? text : text.slice(0, slash));
  const full = allOnes(bits);
  if (v === null) return `${text}: invalid integer`;
  if (v > full) return `${text}: value too large for ${bits}-bit field`;
  if (slash < 0) return { value: v, mask: full };
  const mk = parseIntText(text.slice(slash + 1));
  if (mk === null || mk > full) return `${text}: invalid mask`;
  return { value: v & mk, mask: mk };
}

/**
 * OpenFlow 1.0 normalization (ofputil_normalize_match): fields whose prerequisites the match
 * does not pin are dropped, with the warning ovs-ofctl prints.
 */
export function normalizeMatch(m: Match, warnings?: string[]): void {
  const dl = m.dlType();
  const proto = m.nwProto();
  const isIp = dl === ETH_TYPE_IP;
  const isArp = dl === ETH_TYPE_ARP || dl === ETH_TYPE_RARP;
  const isV6 = dl === ETH_TYPE_IPV6;
  const drop = (words: number[], what: string) => {
    let any = false;
    for (const w of words) {
      if (m.mask[w] !== 0) any = true;
      m.mask[w] = 0;
      m.value[w] = 0;
    }
    if (any) warnings?.push(`normalization changed ofp_match: ${what} requires a matching protocol`);
  };
  if (!isIp && !isArp) drop([K.NW_SRC, K.NW_DST], 'nw_src/nw_dst');
  if (!isIp && !isArp && !isV6) drop([K.NW_PROTO], 'nw_proto');
  if (!isIp && !isV6) drop([K.NW_TOS, K.NW_TTL], 'nw_tos/nw_ttl');
  if (!isArp) drop([K.ARP_SHA_LO, K.ARP_SHA_HI, K.ARP_THA_LO, K.ARP_THA_HI], 'arp_sha/arp_tha');
  const l4 =
    (isIp || isV6) &&
    (proto === IPPROTO_TCP ||
      proto === IPPROTO_UDP ||
      proto === IPPROTO_SCTP ||
      proto === IPPROTO_ICMP ||
      proto === IPPROTO_ICMPV6);
  if (!l4) drop([K.TP_SRC, K.TP_DST], 'tp_src/tp_dst');
  if (!isV6) drop([36, 37, 38, 39, 40, 41, 42, 43], 'ipv6_src/ipv6_dst');
  const nd = isV6 && proto === IPPROTO_ICMPV6 && m.mask[K.TP_SRC] !== 0;
  if (!nd) drop([32, 33, 34, 35], 'nd_target');
}

const SHORT_IP: Record<number, string> = {
  [IPPROTO_ICMP]: 'icmp',
  [IPPROTO_TCP]: 'tcp',
  [IPPROTO_UDP]: 'udp',
  [IPPROTO_SCTP]: 'sctp',
};
const SHORT_V6: Record<number, string> = {
  [IPPROTO_ICMPV6]: 'icmp6',
  [IPPROTO_TCP]: 'tcp6',
  [IPPROTO_UDP]: 'udp6',
  [IPPROTO_SCTP]: 'sctp6',
};

const fld = (n: string): FieldDef => fieldByName(n)!;

/** match_format(): the match part of a dump-flows line, `priority=…` first when not the default 32768. */
export function formatMatch(m: Match, priority: number, names?: PortNames): string {
  const out: string[] = [];
  if (priority !== 32768) out.push(`priority=${priority}`);
  const dl = m.dlType();
  const proto = m.nwProto();
  let skipType = false;
  let skipProto = false;
  if (dl >= 0) {
    skipType = true;
    if (dl === ETH_TYPE_IP || dl === ETH_TYPE_IPV6) {
      const short = proto >= 0 ? (dl === ETH_TYPE_IP ? SHORT_IP : SHORT_V6)[proto] : undefined;
      if (short) {
        out.push(short);
        skipProto = true;
      } else out.push(dl === ETH_TYPE_IP ? 'ip' : 'ipv6');
    } else if (dl === ETH_TYPE_ARP) out.push('arp');
    else if (dl === ETH_TYPE_RARP) out.push('rarp');
    else skipType = false;
  }
  for (let i = 0; i < 8; i++) {
    const w = K.REG0 + i;
    if (m.mask[w] !== 0) out.push(`reg${i}=${hexMasked32(m.value[w], m.mask[w])}`);
  }
  const tun = m.get(fld('tun_id'));
  if (tun.mask !== 0n)
    out.push(`tun_id=${hexC(tun.value)}${tun.mask === allOnes(64) ? '' : `/${hexC(tun.mask)}`}`);
  pushIp(out, 'tun_src', m, K.TUN_SRC);
  pushIp(out, 'tun_dst', m, K.TUN_DST);
  const md = m.get(fld('metadata'));
  if (md.mask !== 0n)
    out.push(`metadata=${hexC(md.value)}${md.mask === allOnes(64) ? '' : `/${hexC(md.mask)}`}`);
  if (m.mask[K.IN_PORT] !== 0) out.push(`in_port=${formatPort(m.value[K.IN_PORT] & 0xffff, names)}`);
  formatVlan(out, m.value[K.VLAN_TCI] & 0xffff, m.mask[K.VLAN_TCI] & 0xffff);
  pushMac(out, 'dl_src', m, fld('eth_src'));
  pushMac(out, 'dl_dst', m, fld('eth_dst'));
  if (!skipType && dl >= 0) out.push(`dl_type=0x${dl.toString(16).padStart(4, '0')}`);
  const isArp = dl === ETH_TYPE_ARP || dl === ETH_TYPE_RARP;
  if (dl === ETH_TYPE_IPV6) {
    pushV6(out, 'ipv6_src', m, fld('ipv6_src'));
    pushV6(out, 'ipv6_dst', m, fld('ipv6_dst'));
  } else if (isArp) {
    pushIp(out, 'arp_spa', m, K.NW_SRC);
    pushIp(out, 'arp_tpa', m, K.NW_DST);
  } else {
    pushIp(out, 'nw_src', m, K.NW_SRC);
    pushIp(out, 'nw_dst', m, K.NW_DST);
  }
  if (!skipProto && m.mask[K.NW_PROTO] !== 0)
    out.push(`${isArp ? 'arp_op' : 'nw_proto'}=${m.value[K.NW_PROTO]}`);
  if (isArp) {
    pushMac(out, 'arp_sha', m, fld('arp_sha'));
    pushMac(out, 'arp_tha', m, fld('arp_tha'));
  }
  if ((m.mask[K.NW_TOS] & 0xfc) !== 0) out.push(`nw_tos=${m.value[K.NW_TOS] & 0xfc}`);
  if (m.mask[K.NW_TTL] !== 0) out.push(`nw_ttl=${m.value[K.NW_TTL]}`);
  const icmp =
    (dl === ETH_TYPE_IP && proto === IPPROTO_ICMP) || (dl === ETH_TYPE_IPV6 && proto === IPPROTO_ICMPV6);
  pushBe16(out, icmp ? 'icmp_type' : 'tp_src', m.value[K.TP_SRC], m.mask[K.TP_SRC], icmp ? 0xff : 0xffff);
  pushBe16(out, icmp ? 'icmp_code' : 'tp_dst', m.value[K.TP_DST], m.mask[K.TP_DST], icmp ? 0xff : 0xffff);
  if (dl === ETH_TYPE_IPV6 && proto === IPPROTO_ICMPV6) pushV6(out, 'nd_target', m, fld('nd_target'));
  return out.join(',');
}

function hexMasked32(v: number, mask: number): string {
  const full = mask >>> 0 === 0xffffffff;
  return full ? hexC(v >>> 0) : `${hexC(v >>> 0)}/${hexC(mask >>> 0)}`;
}

function pushIp(out: string[], name: string, m: Match, word: number): void {
  const mask = m.mask[word] >>> 0;
  if (mask === 0) return;
  const v = ipv4ToString(m.value[word] >>> 0);
  if (mask === 0xffffffff) out.push(`${name}=${v}`);
  else {
    // ip_format_masked: CIDR when the mask is a prefix, else dotted mask.
    const len = Math.clz32(~mask);
    const isPrefix = (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0) === mask;
    out.push(`${name}=${v}/${isPrefix ? len : ipv4ToString(mask)}`);
  }
}

function pushMac(out: string[], name: string, m: Match, f: FieldDef): void {
  const { value, mask } = m.get(f);
  if (mask === 0n) return;
  out.push(`${name}=${macBigToString(value)}${mask === allOnes(48) ? '' : `/${macBigToString(mask)}`}`);
}

function pushV6(out: string[], name: string, m: Match, f: FieldDef): void {
  const { value, mask } = m.get(f);
  if (mask === 0n) return;
  if (mask === allOnes(128)) {
    out.push(`${name}=${ipv6ToString(value)}`);
    return;
  }
  let len = 0;
  while (len < 128 && ((mask >> BigInt(127 - len)) & 1n) === 1n) len++;
  const isPrefix = ((allOnes(128) << BigInt(128 - len)) & allOnes(128)) === mask;
  out.push(`${name}=${ipv6ToString(value)}/${isPrefix ? len : ipv6ToString(mask)}`);
}

function pushBe16(out: string[], name: string, v: number, mask: number, full: number): void {
  if (mask === 0) return;
  if (mask === full || mask === 0xffff) out.push(`${name}=${v}`);
  else out.push(`${name}=0x${v.toString(16)}/0x${mask.toString(16)}`);
}

function formatVlan(out: string[], tci: number, mask: number): void {
  if (mask === 0) return;
  const vidMask = mask & 0x0fff;
  const pcpMask = mask & 0xe000;
  const cfi = mask & VLAN_CFI;
  if (
    cfi &&
    tci & VLAN_CFI &&
    (!vidMask || vidMask === 0x0fff) &&
    (!pcpMask || pcpMask === 0xe000) &&
    (vidMask || pcpMask)
  ) {
    if (vidMask) out.push(`dl_vlan=${tci & 0x0fff}`);
    if (pcpMask) out.push(`dl_vlan_pcp=${tci >>> 13}`);
  } else if (mask === 0xffff) {
    out.push(`vlan_tci=0x${tci.toString(16).padStart(4, '0')}`);
  } else {
    out.push(`vlan_tci=0x${tci.toString(16).padStart(4, '0')}/0x${mask.toString(16).padStart(4, '0')}`);
  }
}
