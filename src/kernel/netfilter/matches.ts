// Match extensions Neutron's rules use: tcp, udp, icmp, multiport, state, conntrack, physdev, mac,
// set, mark, connmark, comment. Save/print formats follow the libxt_* sources of iptables 1.8.
import { parseMac } from '../../wire/index.js';
import { saveString } from './argv.js';
import type { ExtData, MatchModule, RuleContext } from './module.js';
import { ICMP_TYPES, parsePortRange, portName } from './names.js';
import {
  CT_DNAT,
  CT_ESTABLISHED,
  CT_INVALID,
  CT_NEW,
  CT_RELATED,
  CT_SNAT,
  CT_UNTRACKED,
} from './packet-state.js';

const inv = (b: boolean) => (b ? ' !' : '');

// ── tcp / udp ──────────────────────────────────────────────────────────────────
interface PortMatch {
  sport: [number, number] | null;
  sportInv: boolean;
  dport: [number, number] | null;
  dportInv: boolean;
  flagsMask: number;
  flagsCmp: number;
  flagsInv: boolean;
  hasFlags: boolean;
}

const TCP_FLAGS: [string, number][] = [
  ['FIN', 1],
  ['SYN', 2],
  ['RST', 4],
  ['PSH', 8],
  ['ACK', 16],
  ['URG', 32],
];

function parseTcpFlags(text: string): number | null {
  if (text === 'ALL') return 0x3f;
  if (text === 'NONE') return 0;
  let v = 0;
  for (const f of text.split(',')) {
    const e = TCP_FLAGS.find(([n]) => n === f);
    if (f === 'ALL') v |= 0x3f;
    else if (f === 'NONE') continue;
    else if (!e) return null;
    else v |= e[1];
  }
  return v;
}

function tcpFlagsText(v: number): string {
  const names = TCP_FLAGS.filter(([, b]) => v & b).map(([n]) => n);
  return names.length ? names.join(',') : 'NONE';
}

const portText = (r: [number, number]) => (r[0] === r[1] ? `${r[0]}` : `${r[0]}:${r[1]}`);

function printPorts(name: string, r: [number, number] | null, invert: boolean, numeric: boolean): string {
  if (!r) return '';
  const i = invert ? '!' : '';
  const [lo, hi] = [portName(r[0], numeric), portName(r[1], numeric)];
  return r[0] === r[1] ? ` ${name}:${i}${lo}` : ` ${name}s:${i}${lo}:${hi}`;
}

function portModule(name: 'tcp' | 'udp', proto: number): MatchModule<PortMatch> {
  const options: Record<string, number> = { sport: 1, 'source-port': 1, dport: 1, 'destination-port': 1 };
  if (name === 'tcp') Object.assign(options, { 'tcp-flags': 2, syn: 0 });
  return {
    name,
    options,
    create: () => ({
      sport: null,
      sportInv: false,
      dport: null,
      dportInv: false,
      flagsMask: 0,
      flagsCmp: 0,
      flagsInv: false,
      hasFlags: false,
    }),
    parse(d, opt, args, invert) {
      if (opt === 'sport' || opt === 'source-port' || opt === 'dport' || opt === 'destination-port') {
        const r = parsePortRange(args[0]);
        if (!r) return `invalid port/service \`${args[0]}' specified`;
        if (opt[0] === 's') {
          d.sport = r;
          d.sportInv = invert;
        } else {
          d.dport = r;
          d.dportInv = invert;
        }
        return null;
      }
      if (opt === 'syn') {
        d.flagsMask = 0x17;
        d.flagsCmp = 0x02;
      } else {
        const m = parseTcpFlags(args[0]);
        const c = parseTcpFlags(args[1]);
        if (m === null || c === null) return `Unknown TCP flag \`${m === null ? args[0] : args[1]}'`;
        d.flagsMask = m;
        d.flagsCmp = c;
      }
      d.hasFlags = true;
      d.flagsInv = invert;
      return null;
    },
    finalize(_d, ctx: RuleContext) {
      if (ctx.proto !== proto || ctx.protoInv) return `${name} match: only valid for protocol ${proto}`;
      return null;
    },
    save(d) {
      let s = '';
      if (d.sport) s += `${inv(d.sportInv)} --sport ${portText(d.sport)}`;
      if (d.dport) s += `${inv(d.dportInv)} --dport ${portText(d.dport)}`;
      if (d.hasFlags)
        s += `${inv(d.flagsInv)} --tcp-flags ${tcpFlagsText(d.flagsMask)} ${tcpFlagsText(d.flagsCmp)}`;
      return s;
    },
    print(d, numeric) {
      let s = ` ${name}${printPorts('spt', d.sport, d.sportInv, numeric)}${printPorts('dpt', d.dport, d.dportInv, numeric)}`;
      if (d.hasFlags) {
        const hex2 = (v: number) => `0x${v.toString(16).toUpperCase().padStart(2, '0')}`;
        s += ` flags:${d.flagsInv ? '!' : ''}`;
        s += numeric
          ? `${hex2(d.flagsMask)}/${hex2(d.flagsCmp)}`
          : `${tcpFlagsText(d.flagsMask)}/${tcpFlagsText(d.flagsCmp)}`;
      }
      return s;
    },
    compile(d) {
      const s = d.sport;
      const t = d.dport;
      const si = d.sportInv;
      const ti = d.dportInv;
      const fm = d.flagsMask;
      const fc = d.flagsCmp;
      const fi = d.flagsInv;
      const hf = d.hasFlags;
      return (p) => {
        // A non-first fragment has no ports: the tcp/udp match never matches it (xt_tcpudp).
        if (p.l4 < 0 || p.proto !== proto) return false;
        if (s !== null && (p.sport >= s[0] && p.sport <= s[1]) === si) return false;
        if (t !== null && (p.dport >= t[0] && p.dport <= t[1]) === ti) return false;
        if (hf && ((p.tcpFlags & fm) === fc) === fi) return false;
        return true;
      };
    },
  };
}

export const tcpMatch = portModule('tcp', 6);
export const udpMatch = portModule('udp', 17);

// ── icmp ───────────────────────────────────────────────────────────────────────
interface IcmpMatch {
  type: number;
  codeMin: number;
  codeMax: number;
  invert: boolean;
}

export const icmpMatch: MatchModule<IcmpMatch> = {
  name: 'icmp',
  options: { 'icmp-type': 1 },
  create: () => ({ type: 0xff, codeMin: 0, codeMax: 0xff, invert: false }),
  parse(d, _opt, args, invert) {
    const text = args[0];
    const named = ICMP_TYPES[text];
    if (named) [d.type, d.codeMin, d.codeMax] = named;
    else {
      const m = /^(\d+)(?:\/(\d+))?$/.exec(text);
      if (!m || Number(m[1]) > 255 || (m[2] !== undefined && Number(m[2]) > 255))
        return `Invalid ICMP type \`${text}'`;
      d.type = Number(m[1]);
      d.codeMin = m[2] === undefined ? 0 : Number(m[2]);
      d.codeMax = m[2] === undefined ? 0xff : Number(m[2]);
    }
    d.invert = invert;
    return null;
  },
  finalize: (_d, ctx) => (ctx.proto !== 1 || ctx.protoInv ? 'icmp match: only valid for protocol 1' : null),
  save(d) {
    if (d.type === 0xff) return `${inv(d.invert)} --icmp-type any`;
    const code = d.codeMin !== 0 || d.codeMax !== 0xff ? `/${d.codeMin}` : '';
    return `${inv(d.invert)} --icmp-type ${d.type}${code}`;
  },
  print(d, numeric) {
    if (!numeric) {
      // The first name in libipt_icmp's table with exactly this type and code range.
      const name = Object.entries(ICMP_TYPES).find(
        ([, t]) => t[0] === d.type && t[1] === d.codeMin && t[2] === d.codeMax,
      );
      if (name) return ` icmp ${d.invert ? '!' : ''}${name[0]}`;
    }
    // No space between "icmp" and "type" here: iptables prints "icmptype 8".
    let s = ` icmp${d.invert ? ' !' : ''}type ${d.type}`;
    if (d.codeMin === d.codeMax) s += ` code ${d.codeMin}`;
    else if (d.codeMin !== 0 || d.codeMax !== 0xff) s += ` codes ${d.codeMin}-${d.codeMax}`;
    return s;
  },
  compile(d) {
    const { type, codeMin, codeMax, invert } = d;
    return (p) => {
      if (p.l4 < 0 || p.proto !== 1) return false;
      const hit = type === 0xff || (p.icmpType === type && p.icmpCode >= codeMin && p.icmpCode <= codeMax);
      return hit !== invert;
    };
  },
};

// ── multiport ──────────────────────────────────────────────────────────────────
interface Multiport {
  which: 'sports' | 'dports' | 'ports';
  ranges: [number, number][];
  invert: boolean;
}

export const multiportMatch: MatchModule<Multiport> = {
  name: 'multiport',
  options: { sports: 1, 'source-ports': 1, dports: 1, 'destination-ports': 1, ports: 1 },
  create: () => ({ which: 'dports', ranges: [], invert: false }),
  parse(d, opt, args, invert) {
    if (d.ranges.length) return 'multiport can only have one option';
    d.which = opt.startsWith('s') ? 'sports' : opt.startsWith('d') ? 'dports' : 'ports';
    let count = 0;
    for (const part of args[0].split(',')) {
      const r = parsePortRange(part);
      if (!r) return `invalid port/service \`${part}' specified`;
      count += r[0] === r[1] ? 1 : 2;
      d.ranges.push(r);
    }
    if (count > 15) return 'too many ports specified';
    d.invert = invert;
    return null;
  },
  finalize(d, ctx) {
    if (!d.ranges.length) return 'multiport expects an option';
    if (![6, 17, 132, 33, 136].includes(ctx.proto) || ctx.protoInv)
      return "multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'";
    return null;
  },
  save: (d) => `${inv(d.invert)} --${d.which} ${d.ranges.map(portText).join(',')}`,
  print: (d, numeric) =>
    ` multiport ${d.which} ${d.invert ? ' !' : ''}${d.ranges
      .map((r) =>
        r[0] === r[1] ? portName(r[0], numeric) : `${portName(r[0], numeric)}:${portName(r[1], numeric)}`,
      )
      .join(',')}`,
  compile(d) {
    const lo = d.ranges.map((r) => r[0]);
    const hi = d.ranges.map((r) => r[1]);
    const n = lo.length;
    const src = d.which !== 'dports';
    const dst = d.which !== 'sports';
    const invert = d.invert;
    return (p) => {
      if (p.l4 < 0) return false;
      for (let i = 0; i < n; i++) {
        if ((src && p.sport >= lo[i] && p.sport <= hi[i]) || (dst && p.dport >= lo[i] && p.dport <= hi[i]))
          return !invert;
      }
      return invert;
    };
  },
};

// ── state / conntrack ──────────────────────────────────────────────────────────
const STATE_ORDER: [string, number][] = [
  ['INVALID', CT_INVALID],
  ['NEW', CT_NEW],
  ['RELATED', CT_RELATED],
  ['ESTABLISHED', CT_ESTABLISHED],
  ['UNTRACKED', CT_UNTRACKED],
  ['SNAT', CT_SNAT],
  ['DNAT', CT_DNAT],
];

function parseStates(text: string, allowNat: boolean): number | string {
  let mask = 0;
  for (const s of text.split(',')) {
    const e = STATE_ORDER.find(([n]) => n === s);
    if (!e || (!allowNat && (e[1] === CT_SNAT || e[1] === CT_DNAT))) return `Bad ctstate "${s}"`;
    mask |= e[1];
  }
  return mask;
}

const statesText = (mask: number) =>
  STATE_ORDER.filter(([, b]) => mask & b)
    .map(([n]) => n)
    .join(',');

interface StateMatch {
  mask: number;
  invert: boolean;
}

function stateCompile(d: StateMatch) {
  const { mask, invert } = d;
  return (p: { ctState: number }) => ((p.ctState & mask) !== 0) !== invert;
}

export const stateMatch: MatchModule<StateMatch> = {
  name: 'state',
  options: { state: 1 },
  create: () => ({ mask: 0, invert: false }),
  parse(d, _o, args, invert) {
    const m = parseStates(args[0], false);
    if (typeof m === 'string') return m.replace('ctstate', 'state');
    d.mask = m;
    d.invert = invert;
    return null;
  },
  finalize: (d) => (d.mask === 0 ? 'state match: you must specify "--state"' : null),
  save: (d) => `${inv(d.invert)} --state ${statesText(d.mask)}`,
  print: (d) => ` state ${d.invert ? '! ' : ''}${statesText(d.mask)}`,
  compile: stateCompile,
};

export const conntrackMatch: MatchModule<StateMatch> = {
  name: 'conntrack',
  options: { ctstate: 1 },
  create: () => ({ mask: 0, invert: false }),
  parse(d, _o, args, invert) {
    const m = parseStates(args[0], true);
    if (typeof m === 'string') return m;
    d.mask = m;
    d.invert = invert;
    return null;
  },
  finalize: (d) => (d.mask === 0 ? 'conntrack: At least one option is required' : null),
  save: (d) => `${inv(d.invert)} --ctstate ${statesText(d.mask)}`,
  print: (d) => `${inv(d.invert)} ctstate ${statesText(d.mask)}`,
  compile: stateCompile,
};

// ── physdev ────────────────────────────────────────────────────────────────────
interface Physdev {
  in: string | null;
  inInv: boolean;
  out: string | null;
  outInv: boolean;
  isIn: boolean | null; // null = not given; otherwise the invert flag
  isOut: boolean | null;
  isBridged: boolean | null;
}

/** Interface name comparison with iptables' trailing '+' wildcard. */
export function ifaceMatcher(pattern: string): (name: string) => boolean {
  if (pattern.endsWith('+')) {
    const prefix = pattern.slice(0, -1);
    return (name) => name.startsWith(prefix);
  }
  return (name) => name === pattern;
}

export const physdevMatch: MatchModule<Physdev> = {
  name: 'physdev',
  options: {
    'physdev-in': 1,
    'physdev-out': 1,
    'physdev-is-in': 0,
    'physdev-is-out': 0,
    'physdev-is-bridged': 0,
  },
  create: () => ({
    in: null,
    inInv: false,
    out: null,
    outInv: false,
    isIn: null,
    isOut: null,
    isBridged: null,
  }),
  parse(d, opt, args, invert) {
    if (opt === 'physdev-in') [d.in, d.inInv] = [args[0], invert];
    else if (opt === 'physdev-out') [d.out, d.outInv] = [args[0], invert];
    else if (opt === 'physdev-is-in') d.isIn = invert;
    else if (opt === 'physdev-is-out') d.isOut = invert;
    else d.isBridged = invert;
    if ((d.in?.length ?? 0) > 15 || (d.out?.length ?? 0) > 15)
      return `interface name \`${args[0]}' must be shorter than IFNAMSIZ (15)`;
    return null;
  },
  finalize: (d) =>
    d.in === null && d.out === null && d.isIn === null && d.isOut === null && d.isBridged === null
      ? 'PHYSDEV: no physdev option specified'
      : null,
  save(d) {
    let s = '';
    if (d.isIn !== null) s += `${inv(d.isIn)} --physdev-is-in`;
    if (d.in !== null) s += `${inv(d.inInv)} --physdev-in ${d.in}`;
    if (d.isOut !== null) s += `${inv(d.isOut)} --physdev-is-out`;
    if (d.out !== null) s += `${inv(d.outInv)} --physdev-out ${d.out}`;
    if (d.isBridged !== null) s += `${inv(d.isBridged)} --physdev-is-bridged`;
    return s;
  },
  print(d) {
    return ` PHYSDEV match${physdevMatch.save(d)}`;
  },
  compile(d) {
    const inM = d.in === null ? null : ifaceMatcher(d.in);
    const outM = d.out === null ? null : ifaceMatcher(d.out);
    const { inInv, outInv, isIn, isOut, isBridged } = d;
    // Packets that were not bridged match only if every option used is negated (xt_physdev.c).
    const unbridgedResult =
      !(isBridged === false) &&
      !(isIn === false) &&
      !(isOut === false) &&
      !(inM && !inInv) &&
      !(outM && !outInv);
    return (p) => {
      if (!p.bridged) return unbridgedResult;
      const hasOut = p.physOut !== '';
      if (isBridged !== null && hasOut === isBridged) return false;
      if (isIn !== null && (p.physIn !== '') === isIn) return false;
      if (isOut !== null && hasOut === isOut) return false;
      if (inM !== null && inM(p.physIn) === inInv) return false;
      if (outM !== null && outM(p.physOut) === outInv) return false;
      return true;
    };
  },
};

// ── mac ────────────────────────────────────────────────────────────────────────
interface MacMatch {
  mac: Uint8Array;
  invert: boolean;
}

const macText = (m: Uint8Array) => Array.from(m, (b) => b.toString(16).padStart(2, '0')).join(':');

export const macMatch: MatchModule<MacMatch> = {
  name: 'mac',
  options: { 'mac-source': 1 },
  create: () => ({ mac: new Uint8Array(6), invert: false }),
  parse(d, _o, args, invert) {
    const m = /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(args[0]) ? parseMac(args[0]) : null;
    if (!m) return `Bad mac address "${args[0]}"`;
    d.mac = m;
    d.invert = invert;
    return null;
  },
  // iptables 1.8.9 prints the MAC lower-case whatever case Neutron wrote (host-tools.md §8).
  save: (d) => `${inv(d.invert)} --mac-source ${macText(d.mac)}`,
  print: (d) => ` MAC${d.invert ? ' !' : ''} ${macText(d.mac)}`,
  compile(d) {
    const [m0, m1, m2, m3, m4, m5] = d.mac;
    const invert = d.invert;
    return (p) => {
      const o = p.macSrc;
      if (o < 0) return false;
      const f = p.frame;
      const eq =
        f[o] === m0 &&
        f[o + 1] === m1 &&
        f[o + 2] === m2 &&
        f[o + 3] === m3 &&
        f[o + 4] === m4 &&
        f[o + 5] === m5;
      return eq !== invert;
    };
  },
};

// ── set ────────────────────────────────────────────────────────────────────────
interface SetMatch {
  name: string;
  dirs: ('src' | 'dst')[];
  invert: boolean;
}

export const setMatch: MatchModule<SetMatch> = {
  name: 'set',
  options: { 'match-set': 2 },
  create: () => ({ name: '', dirs: [], invert: false }),
  parse(d, _o, args, invert) {
    const dirs = args[1].split(',');
    if (dirs.some((x) => x !== 'src' && x !== 'dst'))
      return `You must specify (the comma separated list of) 'src' or 'dst'`;
    d.name = args[0];
    d.dirs = dirs as ('src' | 'dst')[];
    d.invert = invert;
    return null;
  },
  save: (d) => `${inv(d.invert)} --match-set ${d.name} ${d.dirs.join(',')}`,
  print: (d) => `${inv(d.invert)} match-set ${d.name} ${d.dirs.join(',')}`,
  sets: (d) => [d.name],
  compile(d, env) {
    const name = d.name;
    const src = d.dirs[0] === 'src';
    const invert = d.invert;
    const ipsets = env.ipsets;
    return (p) => {
      // Looked up per packet: `ipset swap` changes what a name refers to without touching iptables.
      const set = ipsets.get(name);
      if (set === undefined) return invert;
      return set.has(src ? p.src : p.dst) !== invert;
    };
  },
};

// ── mark / connmark ────────────────────────────────────────────────────────────
interface MarkMatch {
  value: number;
  mask: number;
  invert: boolean;
}

export function parseMarkValue(text: string): [number, number] | null {
  const m = /^(0x[0-9a-fA-F]+|\d+)(?:\/(0x[0-9a-fA-F]+|\d+))?$/.exec(text);
  if (!m) return null;
  const v = Number(m[1]);
  const mask = m[2] === undefined ? 0xffffffff : Number(m[2]);
  if (v > 0xffffffff || mask > 0xffffffff) return null;
  return [v >>> 0, mask >>> 0];
}

export const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
const markText = (v: number, mask: number) => (mask === 0xffffffff ? hex(v) : `${hex(v)}/${hex(mask)}`);

function markModule(name: 'mark' | 'connmark'): MatchModule<MarkMatch> {
  return {
    name,
    options: { mark: 1 },
    create: () => ({ value: 0, mask: 0xffffffff, invert: false }),
    parse(d, _o, args, invert) {
      const r = parseMarkValue(args[0]);
      if (!r) return `Bad MARK value "${args[0]}"`;
      [d.value, d.mask] = r;
      d.invert = invert;
      return null;
    },
    save: (d) => `${inv(d.invert)} --mark ${markText(d.value, d.mask)}`,
    print: (d) =>
      ` ${name === 'mark' ? 'mark' : 'connmark'} match${inv(d.invert)} ${markText(d.value, d.mask)}`,
    compile(d) {
      const { value, mask, invert } = d;
      if (name === 'mark') return (p) => ((p.mark & mask) >>> 0 === value) !== invert;
      // The connection's mark is copied into the state by the engine before filtering.
      return (p) => ((p.ctMark & mask) >>> 0 === value) !== invert;
    },
  };
}

export const markMatch = markModule('mark');
export const connmarkMatch = markModule('connmark');

// ── comment ────────────────────────────────────────────────────────────────────
interface Comment {
  text: string;
}

export const commentMatch: MatchModule<Comment> = {
  name: 'comment',
  options: { comment: 1 },
  create: () => ({ text: '' }),
  parse(d, _o, args, invert) {
    if (invert) return 'comment: cannot invert';
    if (args[0].length > 255) return 'COMMENT must be shorter than 256 characters';
    d.text = args[0];
    return null;
  },
  save: (d) => ` --comment ${saveString(d.text)}`,
  print: (d) => ` /* ${d.text} */`,
  compile: () => () => true,
};

export const MATCHES: Record<string, MatchModule<ExtData>> = {
  tcp: tcpMatch,
  udp: udpMatch,
  icmp: icmpMatch,
  multiport: multiportMatch,
  state: stateMatch,
  conntrack: conntrackMatch,
  physdev: physdevMatch,
  mac: macMatch,
  set: setMatch,
  mark: markMatch,
  connmark: connmarkMatch,
  comment: commentMatch,
};
