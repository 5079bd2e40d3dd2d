// The pcap-filter(7) expressions people type after tcpdump, compiled to a predicate over a
// frame: `host X`, `src|dst host X`, `net CIDR`, `[tcp|udp] [src|dst] port N`, `portrange A-B`,
// `ether [src|dst] host MAC`, `ip`, `arp`, `icmp`, `udp`, `tcp`, `vlan [N]`, `less N`,
// `greater N`, combined with `not`/`!`, `and`/`&&`, `or`/`||` (left to right, one precedence, as
// pcap) and parentheses. Like BPF, it looks at the outer headers only (inside a VXLAN packet
// nothing is matched).
import { parseCidr, parseIp } from '../../wire/ipv4-address.js';
import { parseMac } from '../../wire/mac.js';

export type FramePredicate = (frame: Uint8Array) => boolean;

export class FilterSyntaxError extends Error {}

interface View {
  type: number;
  l3: number;
  vlan: number;
}

function view(f: Uint8Array): View {
  if (f.length < 14) return { type: -1, l3: 14, vlan: -1 };
  const t = (f[12] << 8) | f[13];
  if (t === 0x8100 && f.length >= 18)
    return { type: (f[16] << 8) | f[17], l3: 18, vlan: ((f[14] << 8) | f[15]) & 0xfff };
  return { type: t, l3: 14, vlan: -1 };
}

const rd32 = (f: Uint8Array, o: number) =>
  ((f[o] << 24) | (f[o + 1] << 16) | (f[o + 2] << 8) | f[o + 3]) >>> 0;

function ipv4(f: Uint8Array): { v: View; proto: number; l4: number } | null {
  const v = view(f);
  if (v.type !== 0x0800 || f.length < v.l3 + 20) return null;
  return { v, proto: f[v.l3 + 9], l4: v.l3 + (f[v.l3] & 0x0f) * 4 };
}

type Dir = 'src' | 'dst' | 'either';

function addrMatch(dir: Dir, test: (a: number) => boolean): FramePredicate {
  return (f) => {
    const v = view(f);
    let s: number;
    let d: number;
    if (v.type === 0x0800 && f.length >= v.l3 + 20) {
      s = rd32(f, v.l3 + 12);
      d = rd32(f, v.l3 + 16);
    } else if (v.type === 0x0806 && f.length >= v.l3 + 28) {
      s = rd32(f, v.l3 + 14);
      d = rd32(f, v.l3 + 24);
    } else return false;
    return dir === 'src' ? test(s) : dir === 'dst' ? test(d) : test(s) || test(d);
  };
}

function portMatch(dir: Dir, lo: number, hi: number, proto: 6 | 17 | 0): FramePredicate {
  return (f) => {
    const p = ipv4(f);
    if (p === null || (p.proto !== 6 && p.proto !== 17) || (proto !== 0 && p.proto !== proto)) return false;
    if (f.length < p.l4 + 4) return false;
    const s = (f[p.l4] << 8) | f[p.l4 + 1];
    const d = (f[p.l4 + 2] << 8) | f[p.l4 + 3];
    const t = (x: number) => x >= lo && x <= hi;
    return dir === 'src' ? t(s) : dir === 'dst' ? t(d) : t(s) || t(d);
  };
}

const PROTOS: Record<string, FramePredicate> = {
  ip: (f) => view(f).type === 0x0800,
  arp: (f) => view(f).type === 0x0806,
  ip6: (f) => view(f).type === 0x86dd,
  icmp: (f) => ipv4(f)?.proto === 1,
  tcp: (f) => ipv4(f)?.proto === 6,
  udp: (f) => ipv4(f)?.proto === 17,
};

function tokenize(text: string): string[] {
  const out: string[] = [];
  const re = /\s*(&&|\|\||[()!]|[^\s()!&|]+)/y;
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while (re.lastIndex < text.length && (m = re.exec(text)) !== null) out.push(m[1]);
  if (text.slice(re.lastIndex).trim() !== '') throw new FilterSyntaxError('syntax error');
  return out;
}

/** Compiles an expression (the words after tcpdump's options, joined by spaces). */
export function compileFilter(text: string): FramePredicate {
  const toks = tokenize(text);
  if (toks.length === 0) return () => true;
  let i = 0;
  const peek = () => toks[i];
  const next = () => {
    const t = toks[i++];
    if (t === undefined) throw new FilterSyntaxError('syntax error');
    return t;
  };

  const expr = (): FramePredicate => {
    let left = unary();
    for (;;) {
      const t = peek();
      if (t === 'and' || t === '&&') {
        i++;
        const l = left;
        const r = unary();
        left = (f) => l(f) && r(f);
      } else if (t === 'or' || t === '||') {
        i++;
        const l = left;
        const r = unary();
        left = (f) => l(f) || r(f);
      } else if (t !== undefined && t !== ')') {
        throw new FilterSyntaxError('syntax error');
      } else return left;
    }
  };

  const unary = (): FramePredicate => {
    const t = peek();
    if (t === 'not' || t === '!') {
      i++;
      const inner = unary();
      return (f) => !inner(f);
    }
    if (t === '(') {
      i++;
      const e = expr();
      if (next() !== ')') throw new FilterSyntaxError('syntax error');
      return e;
    }
    return primitive();
  };

  const primitive = (): FramePredicate => {
    let t = next();
    let proto: FramePredicate | null = null;
    let l4: 0 | 6 | 17 = 0;
    if (t === 'ether') {
      let dir: Dir = 'either';
      t = next();
      if (t === 'src' || t === 'dst') {
        dir = t;
        t = next();
      }
      if (t !== 'host') throw new FilterSyntaxError('syntax error');
      const mac = parseMac(next());
      if (mac === null) throw new FilterSyntaxError('syntax error');
      const eq = (f: Uint8Array, o: number) => f.length >= 12 && mac.every((b, k) => f[o + k] === b);
      return (f) => (dir === 'src' ? eq(f, 6) : dir === 'dst' ? eq(f, 0) : eq(f, 0) || eq(f, 6));
    }
    if (t === 'vlan') {
      const n = peek() !== undefined && /^\d+$/.test(peek()!) ? Number(next()) : -1;
      return (f) => {
        const v = view(f).vlan;
        return v >= 0 && (n < 0 || v === n);
      };
    }
    if (t === 'less' || t === 'greater') {
      const n = Number(next());
      if (!Number.isInteger(n)) throw new FilterSyntaxError('syntax error');
      return t === 'less' ? (f) => f.length <= n : (f) => f.length >= n;
    }
    if (t in PROTOS) {
      proto = PROTOS[t];
      l4 = t === 'tcp' ? 6 : t === 'udp' ? 17 : 0;
      const q = peek();
      if (q === undefined || !['src', 'dst', 'host', 'net', 'port', 'portrange'].includes(q)) return proto;
      t = next();
    }
    let dir: Dir = 'either';
    if (t === 'src' || t === 'dst') {
      dir = t;
      const q = peek();
      if (q === 'and' || q === 'or') {
        i++;
        next(); // `src or dst host X` reads as either
        dir = 'either';
      }
      t = peek() !== undefined && ['host', 'net', 'port', 'portrange'].includes(peek()!) ? next() : 'host';
    }
    let pred: FramePredicate;
    if (t === 'host') {
      const a = parseIp(next());
      if (a === null) throw new FilterSyntaxError('syntax error');
      pred = addrMatch(dir, (x) => x === a);
    } else if (t === 'net') {
      const c = parseCidr(next());
      if (c === null) throw new FilterSyntaxError('syntax error');
      pred = addrMatch(dir, (x) => (x & c.mask) >>> 0 === c.network);
    } else if (t === 'port' || t === 'portrange') {
      const v = next();
      const m = t === 'port' ? /^(\d+)$/.exec(v) : /^(\d+)-(\d+)$/.exec(v);
      if (m === null) throw new FilterSyntaxError('syntax error');
      const lo = Number(m[1]);
      const hi = Number(m[2] ?? m[1]);
      if (hi > 65535) throw new FilterSyntaxError('syntax error');
      pred = portMatch(dir, lo, hi, l4);
    } else {
      const a = parseIp(t);
      if (a === null) throw new FilterSyntaxError('syntax error');
      pred = addrMatch(dir, (x) => x === a); // a bare address means `host ADDR`
    }
    if (proto === null) return pred;
    const p = proto;
    return (f) => p(f) && pred(f);
  };

  const e = expr();
  if (i < toks.length) throw new FilterSyntaxError('syntax error');
  return e;
}
