// The Nicira `learn(...)` action (ovs-actions(7), lib/learn.c): builds a flow from the packet
// being processed and adds it to a table. Neutron's br-tun table 10 uses it to teach table 20
// which tunnel port reaches a MAC: learn(table=20,hard_timeout=300,priority=1,cookie=…,
// NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],
// load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]).

import { allOnes, hexC, parseIntText } from './flow-fields.js';
import { parseFieldValue } from './flow-match.js';
import type { PortNames } from './ports.js';
import { formatSubfield, isWhole, parseSubfield, type Subfield } from './subfield.js';

export type LearnSpec =
  /** Match the learned flow's `dst` against the value `src` has in this packet. */
  | { k: 'match_field'; dst: Subfield; src: Subfield }
  /** Match the learned flow's `dst` against a constant. */
  | { k: 'match_imm'; dst: Subfield; value: bigint }
  /** The learned flow loads this packet's `src` value into `dst`. */
  | { k: 'load_field'; src: Subfield; dst: Subfield }
  | { k: 'load_imm'; value: bigint; dst: Subfield }
  /** The learned flow outputs to the port number `src` holds in this packet. */
  | { k: 'output'; src: Subfield };

export interface LearnAction {
  table: number;
  priority: number;
  idleTimeout: number;
  hardTimeout: number;
  finIdleTimeout: number;
  finHardTimeout: number;
  cookie: bigint;
  sendFlowRem: boolean;
  deleteLearned: boolean;
  specs: LearnSpec[];
}

export function parseLearn(text: string, names?: PortNames): LearnAction | string {
  const l: LearnAction = {
    table: 1,
    priority: 32768,
    idleTimeout: 0,
    hardTimeout: 0,
    finIdleTimeout: 0,
    finHardTimeout: 0,
    cookie: 0n,
    sendFlowRem: false,
    deleteLearned: false,
    specs: [],
  };
  for (const tok of splitCommas(text)) {
    const eq = tok.indexOf('=');
    const colon = tok.indexOf(':');
    const name =
      eq >= 0 && (colon < 0 || eq < colon) ? tok.slice(0, eq) : colon >= 0 ? tok.slice(0, colon) : tok;
    const value = name.length < tok.length ? tok.slice(name.length + 1) : '';
    const num = (): number | string => {
      const v = parseIntText(value);
      return v === null ? `${tok}: invalid number` : Number(v);
    };
    let n: number | string;
    switch (name) {
      case 'table':
        n = num();
        if (typeof n === 'string') return n;
        l.table = n;
        continue;
      case 'priority':
        n = num();
        if (typeof n === 'string') return n;
        l.priority = n;
        continue;
      case 'idle_timeout':
        n = num();
        if (typeof n === 'string') return n;
        l.idleTimeout = n;
        continue;
      case 'hard_timeout':
        n = num();
        if (typeof n === 'string') return n;
        l.hardTimeout = n;
        continue;
      case 'fin_idle_timeout':
        n = num();
        if (typeof n === 'string') return n;
        l.finIdleTimeout = n;
        continue;
      case 'fin_hard_timeout':
        n = num();
        if (typeof n === 'string') return n;
        l.finHardTimeout = n;
        continue;
      case 'cookie': {
        const c = parseIntText(value);
        if (c === null) return `${tok}: invalid cookie`;
        l.cookie = c;
        continue;
      }
      case 'send_flow_rem':
        l.sendFlowRem = true;
        continue;
      case 'delete_learned':
        l.deleteLearned = true;
        continue;
    }
    const spec = parseSpec(tok, names);
    if (typeof spec === 'string') return spec;
    l.specs.push(spec);
  }
  return l;
}

function splitCommas(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return out.filter((s) => s !== '');
}

function parseSpec(tok: string, names?: PortNames): LearnSpec | string {
  if (tok.startsWith('load:')) {
    const body = tok.slice(5);
    const i = body.indexOf('->');
    if (i < 0) return `load: missing \`->' in \`${body}'`;
    const dst = parseSubfield(body.slice(i + 2));
    if (typeof dst === 'string') return dst;
    const srcText = body.slice(0, i);
    const imm = parseIntText(srcText);
    if (imm !== null) {
      if (imm > allOnes(dst.nbits)) return `${tok}: value does not fit into ${dst.nbits} bits`;
      return { k: 'load_imm', value: imm, dst };
    }
    const src = parseSubfield(srcText);
    if (typeof src === 'string') return src;
    if (src.nbits !== dst.nbits) return `${tok}: bit widths differ`;
    return { k: 'load_field', src, dst };
  }
  if (tok.startsWith('output:')) {
    const src = parseSubfield(tok.slice(7));
    return typeof src === 'string' ? src : { k: 'output', src };
  }
  const eq = tok.indexOf('=');
  const dst = parseSubfield(eq < 0 ? tok : tok.slice(0, eq));
  if (typeof dst === 'string') return `${tok}: unknown learn spec (${dst})`;
  if (eq < 0) return { k: 'match_field', dst, src: dst };
  const right = tok.slice(eq + 1);
  const src = parseSubfield(right);
  if (typeof src !== 'string') {
    if (src.nbits !== dst.nbits) return `${tok}: bit widths of ${dst.nbits} and ${src.nbits} differ`;
    return { k: 'match_field', dst, src };
  }
  if (isWhole(dst)) {
    const v = parseFieldValue(dst.field, right, names);
    if (typeof v === 'string') return `${tok}: ${v}`;
    return { k: 'match_imm', dst, value: v.value };
  }
  const v = parseIntText(right);
  if (v === null || v > allOnes(dst.nbits)) return `${tok}: cannot parse integer value`;
  return { k: 'match_imm', dst, value: v };
}

/** learn_format(): table always; timeouts, priority, cookie only when not the defaults. */
export function formatLearn(l: LearnAction, _names?: PortNames): string {
  const parts = [`table=${l.table}`];
  if (l.idleTimeout) parts.push(`idle_timeout=${l.idleTimeout}`);
  if (l.hardTimeout) parts.push(`hard_timeout=${l.hardTimeout}`);
  if (l.finIdleTimeout) parts.push(`fin_idle_timeout=${l.finIdleTimeout}`);
  if (l.finHardTimeout) parts.push(`fin_hard_timeout=${l.finHardTimeout}`);
  if (l.priority !== 32768) parts.push(`priority=${l.priority}`);
  if (l.sendFlowRem) parts.push('send_flow_rem');
  if (l.deleteLearned) parts.push('delete_learned');
  if (l.cookie !== 0n) parts.push(`cookie=${hexC(l.cookie)}`);
  for (const s of l.specs) {
    switch (s.k) {
      case 'match_field':
        parts.push(
          s.src.field === s.dst.field && s.src.ofs === s.dst.ofs
            ? formatSubfield(s.dst)
            : `${formatSubfield(s.dst)}=${formatSubfield(s.src)}`,
        );
        break;
      case 'match_imm':
        parts.push(
          isWhole(s.dst)
            ? `${s.dst.field.name}=${hexC(s.value)}`
            : `${formatSubfield(s.dst)}=${hexC(s.value)}`,
        );
        break;
      case 'load_imm':
        parts.push(`load:${hexC(s.value)}->${formatSubfield(s.dst)}`);
        break;
      case 'load_field':
        parts.push(`load:${formatSubfield(s.src)}->${formatSubfield(s.dst)}`);
        break;
      case 'output':
        parts.push(`output:${formatSubfield(s.src)}`);
        break;
    }
  }
  return `learn(${parts.join(',')})`;
}
