// Match extensions Neutron's rules use (the protocol ones are in matches-l4.ts): state,
// conntrack, physdev, mac, set, mark, connmark, comment. Save/print formats follow the libxt_*
// sources of iptables 1.8.
import { parseMac } from '../../wire/index.js';
import { saveString } from './argv.js';
import { icmpMatch, inv, multiportMatch, tcpMatch, udpMatch } from './matches-l4.js';
import type { ExtData, MatchModule } from './module.js';
import {
  CT_DNAT,
  CT_ESTABLISHED,
  CT_INVALID,
  CT_NEW,
  CT_RELATED,
  CT_SNAT,
  CT_UNTRACKED,
} from './packet-state.js';

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
