// `iptables -L [-n] [-v] [-x] [--line-numbers]` as iptables 1.8.9 prints it (print_header,
// print_firewall and xtables_print_num in iptables/xshared.c): fixed-width columns, K/M/G
// suffixes unless -x, one block per chain separated by blank lines. 1.8.9 prints the protocol as
// a number under -n ("0", "6"); older 1.8 releases printed names ("all", "tcp").
import { ipToString, maskToPrefix } from '../../wire/index.js';
import { protocolName } from './names.js';
import type { AddrSpec } from './rule.js';
import type { Chain, Table } from './table.js';

export interface ListOptions {
  numeric?: boolean;
  verbose?: boolean;
  exact?: boolean;
  lineNumbers?: boolean;
  /** Print protocol numbers under -n (iptables >= 1.8.9, the default) or names (1.8.7/1.8.8). */
  protoNumbers?: boolean;
}

/** xtables_print_num: "%5llu " style with K/M/G/T above 99999 unless exact. */
export function formatCount(n: number, exact: boolean, notable: boolean, width8 = true): string {
  if (exact) return notable ? `${n} ` : `${String(n).padStart(width8 ? 8 : 5)} `;
  if (n <= 99999) return notable ? `${n} ` : `${String(n).padStart(5)} `;
  let v = n;
  for (const suffix of ['K', 'M', 'G', 'T']) {
    v = Math.floor((v + 500) / 1000);
    if (v <= 9999 || suffix === 'T') return notable ? `${v}${suffix} ` : `${String(v).padStart(4)}${suffix} `;
  }
  return `${n} `;
}

function addrText(a: AddrSpec | null, numeric: boolean): string {
  if (a === null || a.mask === 0) return numeric ? '0.0.0.0/0' : 'anywhere';
  if (a.mask === 0xffffffff) return ipToString(a.addr);
  const len = maskToPrefix(a.mask);
  return `${ipToString(a.addr)}/${len >= 0 ? len : ipToString(a.mask)}`;
}

function header(chain: Chain, table: Table, o: ListOptions): string {
  let s = `Chain ${chain.name}`;
  if (chain.builtin) {
    s += ` (policy ${chain.policy}`;
    if (o.verbose)
      s += ` ${formatCount(chain.pkts, !!o.exact, true)}packets, ${formatCount(chain.bytes, !!o.exact, true)}bytes`;
    s += ')\n';
  } else {
    s += ` (${table.references(chain.name)} references)\n`;
  }
  if (o.lineNumbers) s += 'num  ';
  if (o.verbose)
    s += o.exact
      ? `${'pkts'.padStart(8)} ${'bytes'.padStart(10)} `
      : `${'pkts'.padStart(5)} ${'bytes'.padStart(5)} `;
  s += 'target    ';
  s += ' prot opt';
  if (o.verbose) s += ` ${'in'.padEnd(6)} ${'out'.padEnd(6)} `;
  s += ` ${'source'.padEnd(19)} `;
  s += ` ${'destination'.padEnd(19)} `;
  return `${s}\n`;
}

function ruleLine(chain: Chain, index: number, o: ListOptions): string {
  const r = chain.rules[index];
  const spec = r.spec;
  const numeric = !!o.numeric;
  let s = '';
  if (o.lineNumbers) s += `${String(index + 1).padEnd(4)} `;
  if (o.verbose) s += formatCount(r.pkts, !!o.exact, false) + formatCount(r.bytes, !!o.exact, false);
  const t = spec.target;
  const target =
    t.kind === 'standard' ? t.verdict : t.kind === 'chain' ? t.name : t.kind === 'ext' ? t.mod.name : '';
  s += `${target.padEnd(9)} `;
  s += spec.protoInv ? '!' : ' ';
  const pname =
    o.protoNumbers !== false && numeric
      ? String(spec.proto)
      : (protocolName(spec.proto) ?? String(spec.proto));
  s += `${pname.padEnd(4)} `;
  s += spec.fragment ? (spec.fragment.inv ? '!f ' : '-f ') : '-- ';
  if (o.verbose) {
    const iface = (i: { name: string; inv: boolean } | null) =>
      i === null ? (numeric ? '*' : 'any') : `${i.inv ? '!' : ''}${i.name}`;
    s += ` ${iface(spec.inIf).padEnd(6)} `;
    s += `${iface(spec.outIf).padEnd(6)} `;
  }
  s += spec.src?.inv ? '!' : ' ';
  s += `${addrText(spec.src, numeric).padEnd(19)} `;
  s += spec.dst?.inv ? '!' : ' ';
  s += `${addrText(spec.dst, numeric).padEnd(19)} `;
  if (t.kind === 'chain' && t.goto) s += '[goto] ';
  for (const m of spec.matches) s += m.mod.print(m.data, numeric);
  if (t.kind === 'ext') s += t.mod.print(t.data, numeric);
  return `${s}\n`;
}

/** One chain's block (header and rules), or every chain of the table when `chain` is undefined. */
export function listChains(table: Table, chains: Chain[], o: ListOptions): string {
  return chains
    .map((c) => {
      let s = header(c, table, o);
      for (let i = 0; i < c.rules.length; i++) s += ruleLine(c, i, o);
      return s;
    })
    .join('\n');
}
