// OpenFlow actions: parsed from the `actions=` text of ovs-ofctl and printed as OVS prints them
// in an OpenFlow 1.0 + Nicira dump (the default `dump-flows`): goto_table shows as resubmit(,N),
// push_vlan+set_field vlan_vid as mod_vlan_vid:N, set_field on fields without an OpenFlow 1.0
// action as load:0x…->NXM_…[] (lib/ofp-actions.c encode_SET_FIELD / format_*).

import {
  allOnes,
  type FieldDef,
  fieldByName,
  hexC,
  ipv4ToString,
  macBigToString,
  parseIntText,
} from './flow-fields.js';
import { parseFieldValue } from './flow-match.js';
import { formatLearn, type LearnAction, parseLearn } from './learn.js';
import {
  formatPort,
  OFPP_CONTROLLER,
  OFPP_IN_PORT,
  OFPP_LOCAL,
  OFPP_MAX,
  OFPP_NORMAL,
  type PortNames,
  parsePort,
} from './ports.js';
import { formatSubfield, parseSubfield, type Subfield } from './subfield.js';

export type Action =
  | { t: 'output'; port: number }
  | { t: 'output_reg'; src: Subfield }
  | { t: 'controller'; maxLen: number }
  | { t: 'resubmit'; port: number; table: number }
  | { t: 'goto_table'; table: number }
  /** mod_vlan_vid (push a tag when there is none) or set_field vlan_vid / set_vlan_vid (only when tagged). */
  | { t: 'set_vlan_vid'; vid: number; push: boolean }
  | { t: 'set_vlan_pcp'; pcp: number; push: boolean }
  | { t: 'strip_vlan'; spelledPop: boolean }
  | { t: 'push_vlan'; ethertype: number }
  /** set_field / load / mod_dl_src …: `raw` remembers the spelling, as OVS's ofpact.raw does. */
  | { t: 'set_field'; field: FieldDef; value: bigint; mask: bigint; raw: 'load' | 'set_field' | 'legacy' }
  | { t: 'set_tunnel'; value: bigint; is64: boolean }
  | { t: 'move'; src: Subfield; dst: Subfield }
  | { t: 'learn'; learn: LearnAction }
  | { t: 'note'; bytes: Uint8Array }
  | { t: 'dec_ttl' };

/** OpenFlow 1.0 actions that a whole-field set_field is encoded as (set_field_to_legacy_openflow). */
const LEGACY_SET: Record<string, string> = {
  eth_src: 'mod_dl_src',
  eth_dst: 'mod_dl_dst',
  ip_src: 'mod_nw_src',
  ip_dst: 'mod_nw_dst',
  tcp_src: 'mod_tp_src',
  tcp_dst: 'mod_tp_dst',
  udp_src: 'mod_tp_src',
  udp_dst: 'mod_tp_dst',
  nw_tos: 'mod_nw_tos',
};
const LEGACY_PARSE: Record<string, string> = {
  mod_dl_src: 'eth_src',
  mod_dl_dst: 'eth_dst',
  mod_nw_src: 'ip_src',
  mod_nw_dst: 'ip_dst',
  mod_tp_src: 'tcp_src',
  mod_tp_dst: 'tcp_dst',
  mod_nw_tos: 'nw_tos',
};

export interface ActionParseContext {
  names?: PortNames;
  /** The table the flow goes into (goto_table must point forward). */
  table?: number;
}

/** Splits at commas outside parentheses and brackets (ofputil_parse_key_value's nesting rule). */
export function splitTopLevel(text: string, sep = ','): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (quoted) continue;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === sep && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Splits one action into keyword and argument: `output:2`, `resubmit(,2)`, `NORMAL`. */
function keyValue(token: string): [string, string | undefined] {
  const m = /^([A-Za-z0-9_]+)\s*(?:(:|=)(.*)|\((.*)\))?$/s.exec(token);
  if (!m) return [token, undefined];
  if (m[3] !== undefined) return [m[1], m[3]];
  if (m[4] !== undefined) return [m[1], m[4]];
  return [m[1], undefined];
}

/** Parses an `actions=` value into actions; an error string when OVS would refuse it. */
export function parseActions(text: string, ctx: ActionParseContext = {}): Action[] | string {
  const tokens = splitTopLevel(text);
  const out: Action[] = [];
  if (tokens.length === 1 && tokens[0] === 'drop') return out;
  for (const tok of tokens) {
    const r = parseAction(tok, ctx);
    if (typeof r === 'string') return r;
    out.push(r);
  }
  const gi = out.findIndex((a) => a.t === 'goto_table');
  if (gi >= 0 && gi !== out.length - 1) return 'goto_table must be the last instruction';
  return out;
}

function parseAction(tok: string, ctx: ActionParseContext): Action | string {
  const [key, arg] = keyValue(tok);
  const lower = key.toLowerCase();
  // A bare port number or reserved port name means output to it.
  if (arg === undefined && /^\d+$/.test(key)) return { t: 'output', port: Number(key) };
  switch (lower) {
    case 'output': {
      if (arg === undefined) return 'output: missing argument';
      if (arg.includes('[')) {
        const sf = parseSubfield(arg);
        return typeof sf === 'string' ? sf : { t: 'output_reg', src: sf };
      }
      const p = parsePort(arg, ctx.names);
      if (p === null) return `${arg}: output to unknown port`;
      return p === OFPP_CONTROLLER ? { t: 'controller', maxLen: 0xffff } : { t: 'output', port: p };
    }
    case 'in_port':
      return { t: 'output', port: OFPP_IN_PORT };
    case 'normal':
      return { t: 'output', port: OFPP_NORMAL };
    case 'local':
      return { t: 'output', port: OFPP_LOCAL };
    case 'flood':
      return { t: 'output', port: 0xfffb };
    case 'all':
      return { t: 'output', port: 0xfffc };
    case 'controller': {
      if (arg === undefined) return { t: 'controller', maxLen: 0xffff };
      const ml = /max_len=(\d+)/.exec(arg);
      if (ml) return { t: 'controller', maxLen: Number(ml[1]) };
      if (/^\d+$/.test(arg)) return { t: 'controller', maxLen: Number(arg) };
      return { t: 'controller', maxLen: 0xffff };
    }
    case 'drop':
      return 'drop must be the only action';
    case 'resubmit': {
      if (arg === undefined) return 'resubmit: missing argument';
      if (!tok.includes('(')) {
        const p = parsePort(arg, ctx.names);
        return p === null ? `${arg}: resubmit to unknown port` : { t: 'resubmit', port: p, table: 255 };
      }
      const parts = arg.split(',').map((s) => s.trim());
      const port = parts[0] === '' ? OFPP_IN_PORT : parsePort(parts[0], ctx.names);
      if (port === null) return `${parts[0]}: resubmit to unknown port`;
      const table = parts[1] === undefined || parts[1] === '' ? 255 : Number(parts[1]);
      if (!Number.isInteger(table) || table < 0 || table > 255) return `${parts[1]}: invalid table`;
      if (port === OFPP_IN_PORT && table === 255)
        return 'at least one "in_port" or "table" must be specified on resubmit';
      return { t: 'resubmit', port, table };
    }
    case 'goto_table': {
      const t = Number(arg);
      if (!Number.isInteger(t) || t < 0 || t > 254) return `${arg}: invalid table`;
      if (ctx.table !== undefined && t <= ctx.table)
        return `goto_table:${t}: table must be greater than ${ctx.table}`;
      return { t: 'goto_table', table: t };
    }
    case 'mod_vlan_vid':
    case 'set_vlan_vid': {
      const v = arg === undefined ? null : parseIntText(arg);
      if (v === null || v > 4095n) return `${arg}: not a valid VLAN VID`;
      return { t: 'set_vlan_vid', vid: Number(v), push: lower === 'mod_vlan_vid' };
    }
    case 'mod_vlan_pcp':
    case 'set_vlan_pcp': {
      const v = arg === undefined ? null : parseIntText(arg);
      if (v === null || v > 7n) return `${arg}: not a valid VLAN PCP`;
      return { t: 'set_vlan_pcp', pcp: Number(v), push: lower === 'mod_vlan_pcp' };
    }
    case 'strip_vlan':
      return { t: 'strip_vlan', spelledPop: false };
    case 'pop_vlan':
      return { t: 'strip_vlan', spelledPop: true };
    case 'push_vlan': {
      const v = arg === undefined ? null : parseIntText(arg);
      if (v !== 0x8100n && v !== 0x88a8n) return `${arg}: not a valid VLAN ethertype`;
      return { t: 'push_vlan', ethertype: Number(v) };
    }
    case 'set_tunnel':
    case 'set_tunnel64': {
      const v = arg === undefined ? null : parseIntText(arg);
      if (v === null || v > allOnes(64)) return `${arg}: invalid tunnel id`;
      return { t: 'set_tunnel', value: v, is64: lower === 'set_tunnel64' };
    }
    case 'load': {
      if (arg === undefined) return 'load: missing argument';
      const i = arg.indexOf('->');
      if (i < 0) return `load: missing \`->' in \`${arg}'`;
      const v = parseIntText(arg.slice(0, i).trim());
      if (v === null) return `${arg}: cannot parse integer value`;
      const dst = parseSubfield(arg.slice(i + 2));
      if (typeof dst === 'string') return dst;
      if (v > allOnes(dst.nbits)) return `${arg}: value ${hexC(v)} does not fit into ${dst.nbits} bits`;
      return setFieldFrom(dst, v, 'load');
    }
    case 'set_field': {
      if (arg === undefined) return 'set_field: missing argument';
      const i = arg.lastIndexOf('->');
      if (i < 0) return `set_field: missing \`->' in \`${arg}'`;
      const fname = arg.slice(i + 2).trim();
      const vtext = arg.slice(0, i).trim();
      if (fname === 'vlan_vid') {
        // OXM vlan_vid carries the OFPVID_PRESENT bit (0x1000): 4097 means VID 1.
        const v = parseIntText(vtext);
        if (v === null || (v & 0x1000n) === 0n || v > 0x1fffn)
          return `${vtext} is not a valid value for field vlan_vid`;
        return { t: 'set_vlan_vid', vid: Number(v & 0xfffn), push: false };
      }
      if (fname === 'vlan_pcp') {
        const v = parseIntText(vtext);
        if (v === null || v > 7n) return `${vtext} is not a valid value for field vlan_pcp`;
        return { t: 'set_vlan_pcp', pcp: Number(v), push: false };
      }
      const f = fieldByName(fname);
      if (!f) return `${fname} is not a valid OXM field name`;
      if (!f.writable) return `${fname} is read-only`;
      const r = parseFieldValue(f, vtext, ctx.names);
      if (typeof r === 'string') return r;
      return { t: 'set_field', field: f, value: r.value, mask: r.mask, raw: 'set_field' };
    }
    case 'move': {
      if (arg === undefined) return 'move: missing argument';
      const i = arg.indexOf('->');
      if (i < 0) return `move: missing \`->' in \`${arg}'`;
      const src = parseSubfield(arg.slice(0, i));
      if (typeof src === 'string') return src;
      const dst = parseSubfield(arg.slice(i + 2));
      if (typeof dst === 'string') return dst;
      if (src.nbits !== dst.nbits)
        return `${arg}: source field is ${src.nbits} bits wide but destination is ${dst.nbits} bits wide`;
      return { t: 'move', src, dst };
    }
    case 'learn': {
      if (arg === undefined) return 'learn: missing argument';
      const l = parseLearn(arg, ctx.names);
      return typeof l === 'string' ? l : { t: 'learn', learn: l };
    }
    case 'note': {
      const hex = (arg ?? '').replace(/[.\s]/g, '');
      if (!/^([0-9a-fA-F]{2})*$/.test(hex)) return `${arg}: invalid note`;
      const bytes = hex.match(/../g)?.map((b) => Number.parseInt(b, 16)) ?? [];
      // The NXAST_NOTE action pads its data to 6 + 8n bytes; the padding comes back in dumps.
      let len = 6;
      while (len < bytes.length) len += 8;
      const padded = new Uint8Array(len);
      padded.set(bytes);
      return { t: 'note', bytes: padded };
    }
    case 'dec_ttl':
      return { t: 'dec_ttl' };
  }
  const legacy = LEGACY_PARSE[lower];
  if (legacy) {
    if (arg === undefined) return `${key}: missing argument`;
    const f = fieldByName(legacy)!;
    const r = parseFieldValue(f, arg, ctx.names);
    if (typeof r === 'string') return r;
    return { t: 'set_field', field: f, value: r.value, mask: allOnes(f.bits), raw: 'legacy' };
  }
  const port = parsePort(key);
  if (arg === undefined && port !== null && key === key.toUpperCase()) return { t: 'output', port };
  return `unknown action ${key}`;
}

function setFieldFrom(dst: Subfield, v: bigint, raw: 'load' | 'set_field'): Action {
  const mask = allOnes(dst.nbits) << BigInt(dst.ofs);
  return { t: 'set_field', field: dst.field, value: v << BigInt(dst.ofs), mask, raw };
}

export interface ActionFormatOptions {
  names?: PortNames;
  /**
   * OpenFlow 1.3 reply (`-O OpenFlow13`): instructions and set_field print natively
   * (goto_table:N, push_vlan:0x8100,set_field:4097->vlan_vid, pop_vlan, set_field:V->F).
   */
  of13?: boolean;
  /** Whether the flow's match pins a VLAN tag (mod_vlan_vid then needs no push in OF1.3). */
  matchHasVlan?: boolean;
}

/** ofpacts_format() for an OpenFlow 1.0 dump: `drop` when empty. */
export function formatActions(actions: readonly Action[], opts: ActionFormatOptions = {}): string {
  const parts: string[] = [];
  for (const a of actions) {
    const s = formatAction(a, opts);
    if (s !== '') parts.push(s);
  }
  return parts.length === 0 ? 'drop' : parts.join(',');
}

function formatAction(a: Action, opts: ActionFormatOptions): string {
  if (opts.of13) {
    const s = formatAction13(a, opts);
    if (s !== undefined) return s;
  }
  switch (a.t) {
    case 'output':
      return a.port < OFPP_MAX ? `output:${formatPort(a.port, opts.names)}` : formatPort(a.port, opts.names);
    case 'output_reg':
      return `output:${formatSubfield(a.src)}`;
    case 'controller':
      return `CONTROLLER:${a.maxLen}`;
    case 'resubmit':
      if (a.port !== OFPP_IN_PORT && a.table === 255) return `resubmit:${formatPort(a.port, opts.names)}`;
      return `resubmit(${a.port === OFPP_IN_PORT ? '' : formatPort(a.port, opts.names)},${a.table === 255 ? '' : a.table})`;
    case 'goto_table':
      // Encoded for OpenFlow 1.0 as Nicira resubmit to the table.
      return `resubmit(,${a.table})`;
    case 'set_vlan_vid':
      return `mod_vlan_vid:${a.vid}`;
    case 'set_vlan_pcp':
      return `mod_vlan_pcp:${a.pcp}`;
    case 'strip_vlan':
      return 'strip_vlan';
    case 'push_vlan':
      // OpenFlow 1.0 has no push: it is a side effect of the mod_vlan_vid that follows.
      return '';
    case 'set_field':
      return formatSetField(a);
    case 'set_tunnel':
      return `set_tunnel${a.is64 || a.value > 0xffffffffn ? '64' : ''}:${hexC(a.value)}`;
    case 'move':
      return `move:${formatSubfield(a.src)}->${formatSubfield(a.dst)}`;
    case 'learn':
      return formatLearn(a.learn, opts.names);
    case 'note':
      return `note:${Array.from(a.bytes, (b) => b.toString(16).padStart(2, '0')).join('.')}`;
    case 'dec_ttl':
      return 'dec_ttl';
  }
}

/** The OpenFlow 1.3 spellings that differ from the 1.0 ones (encode_* for OF1.3, then format_*). */
function formatAction13(a: Action, opts: ActionFormatOptions): string | undefined {
  switch (a.t) {
    case 'goto_table':
      return `goto_table:${a.table}`;
    case 'set_vlan_vid':
      return `${a.push && !opts.matchHasVlan ? 'push_vlan:0x8100,' : ''}set_field:${4096 + a.vid}->vlan_vid`;
    case 'set_vlan_pcp':
      return `${a.push && !opts.matchHasVlan ? 'push_vlan:0x8100,' : ''}set_field:${a.pcp}->vlan_pcp`;
    case 'strip_vlan':
      return 'pop_vlan';
    case 'push_vlan':
      return `push_vlan:0x${a.ethertype.toString(16)}`;
    case 'set_field':
      if (a.raw === 'load' || a.mask !== allOnes(a.field.bits)) return undefined;
      return `set_field:${formatValue13(a.field, a.value)}->${a.field.name}`;
  }
  return undefined;
}

function formatValue13(f: FieldDef, v: bigint): string {
  if (f.kind === 'mac') return macBigToString(v);
  if (f.kind === 'ipv4') return ipv4ToString(Number(v));
  // mf_format: registers, metadata and tunnel ids in hex, the rest in decimal.
  if (f.name === 'tun_id' || f.name === 'metadata' || /^reg\d$/.test(f.name)) return hexC(v);
  return v.toString();
}

function formatSetField(a: Extract<Action, { t: 'set_field' }>): string {
  const f = a.field;
  const whole = a.mask === allOnes(f.bits);
  const legacy = LEGACY_SET[f.name];
  if (a.raw !== 'load' && whole && legacy) {
    if (f.kind === 'mac') return `${legacy}:${macBigToString(a.value)}`;
    if (f.kind === 'ipv4') return `${legacy}:${ipv4ToString(Number(a.value))}`;
    return `${legacy}:${a.value}`;
  }
  // NXAST_REG_LOAD: one load per contiguous run of mask bits (next_load_segment).
  const out: string[] = [];
  let ofs = 0;
  while (ofs < f.bits) {
    if (((a.mask >> BigInt(ofs)) & 1n) === 0n) {
      ofs++;
      continue;
    }
    let n = 0;
    while (ofs + n < f.bits && ((a.mask >> BigInt(ofs + n)) & 1n) === 1n) n++;
    const v = (a.value >> BigInt(ofs)) & allOnes(n);
    out.push(`load:${hexC(v)}->${formatSubfield({ field: f, ofs, nbits: n })}`);
    ofs += n;
  }
  return out.join(',');
}
