// Target extensions: REJECT, SNAT, DNAT, MASQUERADE, REDIRECT, MARK, CONNMARK, CT, CHECKSUM, LOG.
// (ACCEPT, DROP, RETURN and chain names are standard targets, handled by the rule parser.)
// Save/print formats follow the libxt_* / libipt_* sources of iptables 1.8.
import { ipToString, parseIp } from '../../wire/index.js';
import { saveString } from './argv.js';
import { hex, parseMarkValue } from './matches.js';
import type { ExtData, Extension } from './module.js';
import { REJECT_ALIASES, REJECT_WITH } from './names.js';

export interface TargetModule<D = unknown> extends Extension<D> {
  /** Tables the target may be used in (the kernel refuses it elsewhere). */
  tables?: string[];
  /** Built-in hooks it is valid from (checked against the chains that reach it: not modelled, documented). */
}

// ── REJECT ─────────────────────────────────────────────────────────────────────
export interface RejectData {
  with: string;
  icmpType: number;
  icmpCode: number;
}

export const rejectTarget: TargetModule<RejectData> = {
  name: 'REJECT',
  options: { 'reject-with': 1 },
  tables: ['filter', 'mangle', 'raw'],
  create: () => ({ with: 'icmp-port-unreachable', icmpType: 3, icmpCode: 3 }),
  parse(d, _o, args) {
    const name = REJECT_ALIASES[args[0]] ?? args[0];
    const tc = REJECT_WITH[name];
    if (!tc) return `unknown reject type "${args[0]}"`;
    d.with = name;
    [d.icmpType, d.icmpCode] = tc;
    return null;
  },
  finalize: (d, ctx) => (d.with === 'tcp-reset' && ctx.proto !== 6 ? 'TCP_RESET invalid for non-tcp' : null),
  save: (d) => ` --reject-with ${d.with}`,
  print: (d) => ` reject-with ${d.with}`,
};

// ── SNAT / DNAT / MASQUERADE / REDIRECT ────────────────────────────────────────
export interface NatData {
  /** Address range, 0/0 when none (MASQUERADE/REDIRECT). */
  minIp: number;
  maxIp: number;
  /** Port range, 0/0 when not given. */
  minPort: number;
  maxPort: number;
  random: boolean;
  randomFully: boolean;
  persistent: boolean;
  given: boolean;
}

const natCreate = (): NatData => ({
  minIp: 0,
  maxIp: 0,
  minPort: 0,
  maxPort: 0,
  random: false,
  randomFully: false,
  persistent: false,
  given: false,
});

function parseNatRange(d: NatData, text: string): string | null {
  // a.b.c.d[-e.f.g.h][:port[-port]]
  const m = /^([\d.]+)(?:-([\d.]+))?(?::(\d+)(?:-(\d+))?)?$/.exec(text);
  const lo = m ? parseIp(m[1]) : null;
  const hi = m?.[2] ? parseIp(m[2]) : lo;
  if (!m || lo === null || hi === null) return `Bad IP address "${text}"`;
  d.minIp = lo;
  d.maxIp = hi;
  if (m[3] !== undefined) {
    d.minPort = Number(m[3]);
    d.maxPort = m[4] !== undefined ? Number(m[4]) : d.minPort;
    if (d.maxPort > 65535 || d.minPort > d.maxPort || d.minPort === 0) return `Port "${m[3]}" not valid`;
  }
  d.given = true;
  return null;
}

function parsePorts(d: NatData, text: string): string | null {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) return `Port "${text}" not valid`;
  d.minPort = Number(m[1]);
  d.maxPort = m[2] !== undefined ? Number(m[2]) : d.minPort;
  if (d.maxPort > 65535 || d.minPort > d.maxPort) return `Port "${text}" not valid`;
  return null;
}

function rangeText(d: NatData): string {
  let s = ipToString(d.minIp);
  if (d.maxIp !== d.minIp) s += `-${ipToString(d.maxIp)}`;
  if (d.minPort) s += `:${d.minPort}${d.maxPort !== d.minPort ? `-${d.maxPort}` : ''}`;
  return s;
}

const portsText = (d: NatData) => `${d.minPort}${d.maxPort !== d.minPort ? `-${d.maxPort}` : ''}`;

const natFlags = (d: NatData, printing: boolean) =>
  (d.random ? (printing ? ' random' : ' --random') : '') +
  (d.randomFully ? (printing ? ' random-fully' : ' --random-fully') : '') +
  (d.persistent ? (printing ? ' persistent' : ' --persistent') : '');

function addressNat(name: 'SNAT' | 'DNAT', option: string): TargetModule<NatData> {
  return {
    name,
    options: { [option]: 1, random: 0, 'random-fully': 0, persistent: 0 },
    tables: ['nat'],
    create: natCreate,
    parse(d, opt, args) {
      if (opt === option) return parseNatRange(d, args[0]);
      if (opt === 'random') d.random = true;
      else if (opt === 'random-fully') d.randomFully = true;
      else d.persistent = true;
      return null;
    },
    finalize: (d) => (d.given ? null : `You must specify --${option}`),
    save: (d) => ` --${option} ${rangeText(d)}${natFlags(d, false)}`,
    print: (d) => ` to:${rangeText(d)}${natFlags(d, true)}`,
  };
}

export const snatTarget = addressNat('SNAT', 'to-source');
export const dnatTarget = addressNat('DNAT', 'to-destination');

export const masqueradeTarget: TargetModule<NatData> = {
  name: 'MASQUERADE',
  options: { 'to-ports': 1, random: 0, 'random-fully': 0 },
  tables: ['nat'],
  create: natCreate,
  parse(d, opt, args) {
    if (opt === 'to-ports') return parsePorts(d, args[0]);
    if (opt === 'random') d.random = true;
    else d.randomFully = true;
    return null;
  },
  save: (d) => (d.minPort ? ` --to-ports ${portsText(d)}` : '') + natFlags(d, false),
  print: (d) => (d.minPort ? ` masq ports: ${portsText(d)}` : '') + natFlags(d, true),
};

export const redirectTarget: TargetModule<NatData> = {
  name: 'REDIRECT',
  options: { 'to-ports': 1, random: 0 },
  tables: ['nat'],
  create: natCreate,
  parse(d, opt, args) {
    if (opt === 'to-ports') return parsePorts(d, args[0]);
    d.random = true;
    return null;
  },
  save: (d) => (d.minPort ? ` --to-ports ${portsText(d)}` : '') + (d.random ? ' --random' : ''),
  print: (d) => (d.minPort ? ` redir ports ${portsText(d)}` : '') + (d.random ? ' random' : ''),
};

// ── MARK / CONNMARK ────────────────────────────────────────────────────────────
/** mark = (mark & ~mask) ^ value: every MARK form reduces to this (xt_MARK's --set-xmark). */
export interface XmarkData {
  value: number;
  mask: number;
  given: boolean;
}

function parseXmark(d: XmarkData, opt: string, text: string): string | null {
  const r = parseMarkValue(text);
  if (!r) return `Bad MARK value "${text}"`;
  const [v, m] = r;
  switch (opt) {
    case 'set-xmark':
      [d.value, d.mask] = [v, m];
      break;
    case 'set-mark':
      // --set-mark value/mask: zero the mask bits then OR the value in.
      [d.value, d.mask] = [v, (m | v) >>> 0];
      break;
    case 'and-mark':
      [d.value, d.mask] = [0, ~v >>> 0];
      break;
    case 'or-mark':
      [d.value, d.mask] = [v, v];
      break;
    case 'xor-mark':
      [d.value, d.mask] = [v, 0];
      break;
  }
  d.given = true;
  return null;
}

export const markTarget: TargetModule<XmarkData> = {
  name: 'MARK',
  options: { 'set-xmark': 1, 'set-mark': 1, 'and-mark': 1, 'or-mark': 1, 'xor-mark': 1 },
  create: () => ({ value: 0, mask: 0, given: false }),
  parse: (d, opt, args) => parseXmark(d, opt, args[0]),
  finalize: (d) => (d.given ? null : 'MARK target: Parameter --set/and/or/xor-mark is required'),
  save: (d) => ` --set-xmark ${hex(d.value)}/${hex(d.mask)}`,
  // libxt_MARK's mark_tg_print names the special cases of the xmark operation.
  print: (d) =>
    d.value === 0
      ? ` MARK and ${hex(~d.mask)}`
      : d.value === d.mask
        ? ` MARK or ${hex(d.value)}`
        : d.mask === 0
          ? ` MARK xor ${hex(d.value)}`
          : d.mask === 0xffffffff
            ? ` MARK set ${hex(d.value)}`
            : ` MARK xset ${hex(d.value)}/${hex(d.mask)}`,
};

export interface ConnmarkData {
  mode: 'set' | 'save' | 'restore';
  value: number;
  mask: number;
  ctmask: number;
  nfmask: number;
}

export const connmarkTarget: TargetModule<ConnmarkData> = {
  name: 'CONNMARK',
  options: {
    'set-xmark': 1,
    'set-mark': 1,
    'save-mark': 0,
    'restore-mark': 0,
    mask: 1,
    nfmask: 1,
    ctmask: 1,
  },
  tables: ['mangle'],
  create: () => ({ mode: 'set', value: 0, mask: 0, ctmask: 0xffffffff, nfmask: 0xffffffff }),
  parse(d, opt, args) {
    if (opt === 'save-mark' || opt === 'restore-mark') {
      d.mode = opt === 'save-mark' ? 'save' : 'restore';
      return null;
    }
    const r = parseMarkValue(args[0]);
    if (!r) return `Bad CONNMARK value "${args[0]}"`;
    if (opt === 'mask') [d.ctmask, d.nfmask] = [r[0], r[0]];
    else if (opt === 'ctmask') d.ctmask = r[0];
    else if (opt === 'nfmask') d.nfmask = r[0];
    else {
      const x: XmarkData = { value: 0, mask: 0, given: false };
      parseXmark(x, opt, args[0]);
      d.mode = 'set';
      [d.value, d.mask] = [x.value, x.mask];
    }
    return null;
  },
  save(d) {
    if (d.mode === 'set') return ` --set-xmark ${hex(d.value)}/${hex(d.mask)}`;
    return ` --${d.mode}-mark --nfmask ${hex(d.nfmask)} --ctmask ${hex(d.ctmask)}`;
  },
  print(d) {
    if (d.mode === 'set') return ` CONNMARK xset ${hex(d.value)}/${hex(d.mask)}`;
    if (d.ctmask === d.nfmask) return ` CONNMARK ${d.mode} mask ${hex(d.ctmask)}`;
    return ` CONNMARK ${d.mode} ctmask ${hex(d.ctmask)} nfmask ~${hex(d.nfmask)}`;
  },
};

// ── CT / CHECKSUM / LOG ────────────────────────────────────────────────────────
export interface CtData {
  notrack: boolean;
  zone: number;
}

export const ctTarget: TargetModule<CtData> = {
  name: 'CT',
  options: { notrack: 0, zone: 1, 'zone-orig': 1, 'zone-reply': 1 },
  tables: ['raw'],
  create: () => ({ notrack: false, zone: 0 }),
  parse(d, opt, args) {
    if (opt === 'notrack') d.notrack = true;
    else {
      if (!/^\d+$/.test(args[0]) || Number(args[0]) > 65535) return `Bad zone value "${args[0]}"`;
      d.zone = Number(args[0]);
    }
    return null;
  },
  save: (d) => (d.notrack ? ' --notrack' : '') + (d.zone ? ` --zone ${d.zone}` : ''),
  print: (d) => ` CT${d.notrack ? ' notrack' : ''}${d.zone ? ` zone ${d.zone}` : ''}`,
};

export const checksumTarget: TargetModule<{ fill: boolean }> = {
  name: 'CHECKSUM',
  options: { 'checksum-fill': 0 },
  tables: ['mangle'],
  create: () => ({ fill: false }),
  parse(d) {
    d.fill = true;
    return null;
  },
  finalize: (d) => (d.fill ? null : 'CHECKSUM target: Parameter --checksum-fill is required'),
  save: () => ' --checksum-fill',
  print: () => ' CHECKSUM fill',
};

export interface LogData {
  prefix: string;
  level: number;
}

const LOG_LEVELS = ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug'];

export const logTarget: TargetModule<LogData> = {
  name: 'LOG',
  options: {
    'log-prefix': 1,
    'log-level': 1,
    'log-tcp-sequence': 0,
    'log-tcp-options': 0,
    'log-ip-options': 0,
    'log-uid': 0,
  },
  create: () => ({ prefix: '', level: 4 }),
  parse(d, opt, args) {
    if (opt === 'log-prefix') {
      if (args[0].length > 29) return 'Maximum prefix length 29 for --log-prefix';
      d.prefix = args[0];
    } else if (opt === 'log-level') {
      const n = /^\d$/.test(args[0]) ? Number(args[0]) : LOG_LEVELS.indexOf(args[0]);
      if (n < 0 || n > 7) return `log-level \`${args[0]}' unknown`;
      d.level = n;
    }
    return null;
  },
  save: (d) =>
    (d.prefix ? ` --log-prefix ${saveString(d.prefix)}` : '') +
    (d.level !== 4 ? ` --log-level ${d.level}` : ''),
  print: (d) => ` LOG flags 0 level ${d.level}${d.prefix ? ` prefix "${d.prefix}"` : ''}`,
};

export const TARGETS: Record<string, TargetModule<ExtData>> = {
  REJECT: rejectTarget,
  SNAT: snatTarget,
  DNAT: dnatTarget,
  MASQUERADE: masqueradeTarget,
  REDIRECT: redirectTarget,
  MARK: markTarget,
  CONNMARK: connmarkTarget,
  CT: ctTarget,
  CHECKSUM: checksumTarget,
  LOG: logTarget,
};
