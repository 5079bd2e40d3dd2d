// One iptables rule: parsed from the arguments after `-A CHAIN` (the same grammar for the
// iptables command line and iptables-restore), printed back as -S/iptables-save print it
// (`-s`, `-d`, `-i`, `-o`, `-p`, `-f`, then each match, then the target — libxtables' order),
// and compiled into one predicate over the packet state.
import { ipToString, maskToPrefix, parseIp, prefixMask } from '../../wire/index.js';
import { IptablesError } from './errors.js';
import { ifaceMatcher, MATCHES } from './matches.js';
import type { CompileEnv, ExtData, MatchModule, RuleContext } from './module.js';
import { PROTOCOL_NAMES, protocolName } from './names.js';
import type { PacketState } from './packet-state.js';
import { TARGETS, type TargetModule } from './targets.js';

export interface AddrSpec {
  addr: number;
  mask: number;
  inv: boolean;
}

export interface IfSpec {
  name: string;
  inv: boolean;
}

export type TargetSpec =
  | { kind: 'none' }
  | { kind: 'standard'; verdict: 'ACCEPT' | 'DROP' | 'RETURN' }
  | { kind: 'chain'; name: string; goto: boolean }
  | { kind: 'ext'; mod: TargetModule<ExtData>; data: ExtData };

export interface RuleSpec {
  src: AddrSpec | null;
  dst: AddrSpec | null;
  inIf: IfSpec | null;
  outIf: IfSpec | null;
  /** 0 = all. */
  proto: number;
  protoInv: boolean;
  fragment: { inv: boolean } | null;
  matches: { mod: MatchModule<ExtData>; data: ExtData }[];
  target: TargetSpec;
}

const IMPLICIT_PROTO_MATCH: Record<number, string> = { 6: 'tcp', 17: 'udp', 1: 'icmp' };

function parseAddr(text: string, inv: boolean): AddrSpec | IptablesError {
  const slash = text.indexOf('/');
  const addr = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (addr === null)
    return new IptablesError(`host/network \`${slash < 0 ? text : text.slice(0, slash)}' not found`);
  let mask = 0xffffffff;
  if (slash >= 0) {
    const m = text.slice(slash + 1);
    if (/^\d{1,2}$/.test(m) && Number(m) <= 32) mask = prefixMask(Number(m));
    else {
      const dotted = parseIp(m);
      if (dotted === null) return new IptablesError(`invalid mask \`${m}' specified`);
      mask = dotted;
    }
  }
  return { addr: (addr & mask) >>> 0, mask, inv };
}

function parseProto(text: string): number | null {
  const lower = text.toLowerCase();
  if (lower in PROTOCOL_NAMES) return PROTOCOL_NAMES[lower];
  if (/^\d+$/.test(text) && Number(text) <= 255) return Number(text);
  return null;
}

const STANDARD = new Set(['ACCEPT', 'DROP', 'RETURN']);

/**
 * Parses a rule specification (everything after `-A CHAIN`, or after `-I CHAIN [n]`).
 * `table` decides which targets are allowed.
 */
export function parseRuleSpec(args: string[], table: string): RuleSpec | IptablesError {
  const spec: RuleSpec = {
    src: null,
    dst: null,
    inIf: null,
    outIf: null,
    proto: 0,
    protoInv: false,
    fragment: null,
    matches: [],
    target: { kind: 'none' },
  };
  const ctx: RuleContext = { table, proto: 0, protoInv: false };
  let inv = false;
  let ext: { mod: TargetModule<ExtData>; data: ExtData } | null = null;
  const need = (i: number, opt: string): string | IptablesError =>
    i < args.length ? args[i] : new IptablesError(`option "${opt}" requires an argument`);

  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '!') {
      if (inv) return new IptablesError("multiple `!' flags not allowed");
      inv = true;
      continue;
    }
    const invHere = inv;
    inv = false;
    switch (a) {
      case '-s':
      case '--source':
      case '--src':
      case '-d':
      case '--destination':
      case '--dst': {
        const v = need(++i, a);
        if (v instanceof IptablesError) return v;
        const addr = parseAddr(v, invHere);
        if (addr instanceof IptablesError) return addr;
        if (a === '-s' || a === '--source' || a === '--src') {
          if (spec.src) return new IptablesError('multiple -s flags not allowed');
          spec.src = addr;
        } else {
          if (spec.dst) return new IptablesError('multiple -d flags not allowed');
          spec.dst = addr;
        }
        continue;
      }
      case '-i':
      case '--in-interface':
      case '-o':
      case '--out-interface': {
        const v = need(++i, a);
        if (v instanceof IptablesError) return v;
        if (v.length > 15)
          return new IptablesError(`interface name \`${v}' must be shorter than IFNAMSIZ (15)`);
        if (a === '-i' || a === '--in-interface') spec.inIf = { name: v, inv: invHere };
        else spec.outIf = { name: v, inv: invHere };
        continue;
      }
      case '-p':
      case '--protocol': {
        const v = need(++i, a);
        if (v instanceof IptablesError) return v;
        const p = parseProto(v);
        if (p === null) return new IptablesError(`unknown protocol "${v}" specified`);
        if (p === 0 && invHere) return new IptablesError('rule would never match protocol');
        spec.proto = p;
        spec.protoInv = invHere;
        ctx.proto = p;
        ctx.protoInv = invHere;
        continue;
      }
      case '-f':
      case '--fragment':
        spec.fragment = { inv: invHere };
        continue;
      case '-m':
      case '--match': {
        if (invHere) return new IptablesError('unexpected ! flag before --match');
        const v = need(++i, a);
        if (v instanceof IptablesError) return v;
        const mod = MATCHES[v];
        if (!mod) return new IptablesError(`Couldn't load match \`${v}':No such file or directory`);
        spec.matches.push({ mod, data: mod.create() });
        continue;
      }
      case '-j':
      case '--jump':
      case '-g':
      case '--goto': {
        if (invHere) return new IptablesError(`cannot have ! before ${a}`);
        if (spec.target.kind !== 'none') return new IptablesError('multiple -j flags not allowed');
        const v = need(++i, a);
        if (v instanceof IptablesError) return v;
        const isGoto = a === '-g' || a === '--goto';
        if (!isGoto && STANDARD.has(v))
          spec.target = { kind: 'standard', verdict: v as 'ACCEPT' | 'DROP' | 'RETURN' };
        else if (!isGoto && TARGETS[v]) {
          const mod = TARGETS[v];
          if (mod.tables && !mod.tables.includes(table))
            return new IptablesError(
              `RULE_APPEND failed (Invalid argument): ${v} target only valid in ${mod.tables.join('/')} table`,
              4,
            );
          ext = { mod, data: mod.create() };
          spec.target = { kind: 'ext', ...ext };
        } else {
          if (STANDARD.has(v) || TARGETS[v]) return new IptablesError(`goto '${v}' is not a chain`);
          spec.target = { kind: 'chain', name: v, goto: isGoto };
        }
        continue;
      }
    }
    if (!a.startsWith('--')) return new IptablesError(`Bad argument \`${a}'`);
    const opt = a.slice(2);
    // Options belong to the target, or to the most recently loaded match that knows them; a
    // protocol option without its -m loads the protocol's match implicitly, as iptables does.
    let owner: { mod: MatchModule<ExtData> | TargetModule<ExtData>; data: ExtData } | null = null;
    if (ext && opt in ext.mod.options) owner = ext;
    else {
      for (let k = spec.matches.length - 1; k >= 0; k--) {
        if (opt in spec.matches[k].mod.options) {
          owner = spec.matches[k];
          break;
        }
      }
    }
    if (!owner) {
      const implicit = IMPLICIT_PROTO_MATCH[spec.proto];
      if (
        implicit &&
        opt in MATCHES[implicit].options &&
        !spec.matches.some((m) => m.mod.name === implicit)
      ) {
        const mod = MATCHES[implicit];
        owner = { mod, data: mod.create() };
        spec.matches.push(owner as { mod: MatchModule<ExtData>; data: ExtData });
      }
    }
    if (!owner) return new IptablesError(`unknown option "${a}"`);
    const n = owner.mod.options[opt];
    if (i + n > args.length - 1) return new IptablesError(`option "${a}" requires an argument`);
    const values = args.slice(i + 1, i + 1 + n);
    i += n;
    const err = owner.mod.parse(owner.data, opt, values, invHere, ctx);
    if (err) return new IptablesError(err);
  }
  if (inv) return new IptablesError("`!' without an option");
  for (const m of spec.matches) {
    const err = m.mod.finalize?.(m.data, ctx);
    if (err) return new IptablesError(err);
  }
  if (ext) {
    const err = ext.mod.finalize?.(ext.data, ctx);
    if (err) return new IptablesError(err);
  }
  return spec;
}

const bang = (inv: boolean) => (inv ? '! ' : '');

function addrText(a: AddrSpec): string {
  const len = maskToPrefix(a.mask);
  return `${ipToString(a.addr)}/${len >= 0 ? len : ipToString(a.mask)}`;
}

/** The rule as -S / iptables-save print it after "-A CHAIN" (leading space included). */
export function saveRule(spec: RuleSpec): string {
  let s = '';
  if (spec.src) s += ` ${bang(spec.src.inv)}-s ${addrText(spec.src)}`;
  if (spec.dst) s += ` ${bang(spec.dst.inv)}-d ${addrText(spec.dst)}`;
  if (spec.inIf) s += ` ${bang(spec.inIf.inv)}-i ${spec.inIf.name}`;
  if (spec.outIf) s += ` ${bang(spec.outIf.inv)}-o ${spec.outIf.name}`;
  if (spec.proto !== 0) s += ` ${bang(spec.protoInv)}-p ${protocolName(spec.proto) ?? spec.proto}`;
  if (spec.fragment) s += ` ${bang(spec.fragment.inv)}-f`;
  for (const m of spec.matches) s += ` -m ${m.mod.name}${m.mod.save(m.data)}`;
  const t = spec.target;
  if (t.kind === 'standard') s += ` -j ${t.verdict}`;
  else if (t.kind === 'chain') s += ` ${t.goto ? '-g' : '-j'} ${t.name}`;
  else if (t.kind === 'ext') s += ` -j ${t.mod.name}${t.mod.save(t.data)}`;
  return s;
}

export function targetName(t: TargetSpec): string {
  return t.kind === 'standard' ? t.verdict : t.kind === 'chain' ? t.name : t.kind === 'ext' ? t.mod.name : '';
}

/** Two specs are the same rule (for -D by specification and -C): same printed form. */
export function sameRule(a: RuleSpec, b: RuleSpec): boolean {
  return saveRule(a) === saveRule(b);
}

type Pred = (p: PacketState) => boolean;

/** One predicate for the whole rule; built once at load time, allocation-free per packet. */
export function compileRule(spec: RuleSpec, env: CompileEnv): Pred {
  const preds: Pred[] = [];
  if (spec.src) {
    const { addr, mask, inv } = spec.src;
    if (mask !== 0 || inv) preds.push((p) => ((p.src & mask) >>> 0 === addr) !== inv);
  }
  if (spec.dst) {
    const { addr, mask, inv } = spec.dst;
    if (mask !== 0 || inv) preds.push((p) => ((p.dst & mask) >>> 0 === addr) !== inv);
  }
  if (spec.inIf) {
    const m = ifaceMatcher(spec.inIf.name);
    const inv = spec.inIf.inv;
    preds.push((p) => m(p.inIf) !== inv);
  }
  if (spec.outIf) {
    const m = ifaceMatcher(spec.outIf.name);
    const inv = spec.outIf.inv;
    preds.push((p) => m(p.outIf) !== inv);
  }
  if (spec.proto !== 0) {
    const proto = spec.proto;
    const inv = spec.protoInv;
    preds.push((p) => (p.proto === proto) !== inv);
  }
  if (spec.fragment) {
    const inv = spec.fragment.inv;
    preds.push((p) => p.fragment !== inv);
  }
  for (const m of spec.matches) {
    if (m.mod.name === 'comment') continue;
    preds.push(m.mod.compile(m.data, env));
  }
  const n = preds.length;
  if (n === 0) return () => true;
  if (n === 1) return preds[0];
  if (n === 2) {
    const [a, b] = preds;
    return (p) => a(p) && b(p);
  }
  if (n === 3) {
    const [a, b, c] = preds;
    return (p) => a(p) && b(p) && c(p);
  }
  return (p) => {
    for (let i = 0; i < n; i++) if (!preds[i](p)) return false;
    return true;
  };
}
