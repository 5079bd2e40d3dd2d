// Protocol matches: tcp, udp (ports, TCP flags), icmp (type/code, names as libipt_icmp) and
// multiport. Save/print formats follow libxt_tcp, libxt_udp, libipt_icmp and libxt_multiport.
import type { MatchModule, RuleContext } from './module.js';
import { ICMP_TYPES, parsePortRange, portName } from './names.js';

/** " !" before an inverted option, as the save functions print it. */
export const inv = (b: boolean) => (b ? ' !' : '');

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
