// Neutron's iptables_manager for one namespace: the agent owns its wrapped chains
// (`neutron-openvswi-*`) and `neutron-filter-top`; everything else in the table is left as it
// is. Applying reads the table with `iptables-save -c`, replaces the agent's chains and jumps
// with the wanted ones (the agent's jumps first in each builtin chain), keeps the packet/byte
// counters of every rule that stays, and writes the whole table back with one
// `iptables-restore -c` — atomic per table, as the real manager does. Nothing is written when
// the table already holds exactly the wanted rules.
import { splitArgs } from '../../../kernel/netfilter/argv.js';
import { IptablesError } from '../../../kernel/netfilter/errors.js';
import type { Netfilter } from '../../../kernel/netfilter/netfilter.js';
import { iptablesRestore, iptablesSave } from '../../../kernel/netfilter/restore.js';
import { parseRuleSpec, saveRule } from '../../../kernel/netfilter/rule.js';
import { BUILTIN_CHAINS, type TableName } from '../../../kernel/netfilter/table.js';
import { WRAP } from './sg-rules.js';

/** What the agent wants in one table: its chains (full names) and rules (`chain`, `args`). */
export interface TableWant {
  chains: string[];
  rules: { chain: string; args: string }[];
}

export class IptablesApplyError extends Error {}

const isOurs = (chain: string) => chain.startsWith(`${WRAP}-`) || chain === 'neutron-filter-top';

interface SavedRule {
  chain: string;
  spec: string; // as iptables-save prints it after `-A chain`
  counters: string;
}

function parseSaved(text: string): { chains: Map<string, string>; rules: SavedRule[] } {
  const chains = new Map<string, string>(); // name → ':name POLICY [p:b]' line
  const rules: SavedRule[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) chains.set(line.slice(1).split(' ')[0], line);
    else {
      const m = /^(\[\d+:\d+\]) -A (\S+)(.*)$/.exec(line);
      if (m) rules.push({ counters: m[1], chain: m[2], spec: m[3] });
    }
  }
  return { chains, rules };
}

const canonicalCache = new Map<string, string>();

/** A rule in the exact text iptables-save prints for it (the key that carries counters). */
function canonical(table: TableName, args: string): string {
  const key = `${table} ${args}`;
  const hit = canonicalCache.get(key);
  if (hit !== undefined) return hit;
  const text = parseCanonical(table, args);
  // The same few rule texts come back every apply; a bounded memo keeps the parse off the loop.
  if (canonicalCache.size > 100_000) canonicalCache.clear();
  canonicalCache.set(key, text);
  return text;
}

function parseCanonical(table: TableName, args: string): string {
  const split = splitArgs(args);
  if (!split.ok) throw new IptablesApplyError(`${args}: ${split.error}`);
  const spec = parseRuleSpec(split.args, table);
  if (spec instanceof IptablesError) throw new IptablesApplyError(`${args}: ${spec.message}`);
  return saveRule(spec);
}

/** Brings `table` of `nf` to the wanted state; true when something was written. */
export function applyTable(nf: Netfilter, table: TableName, want: TableWant): boolean {
  const saved = parseSaved(iptablesSave(nf, { table, counters: true, time: '' }));
  const builtins = BUILTIN_CHAINS[table] as string[];
  const wantRules = want.rules.map((r) => ({ chain: r.chain, spec: canonical(table, r.args) }));

  // Unchanged? Compare our part of the saved table with the wanted one.
  const ourSaved = saved.rules.filter(
    (r) => isOurs(r.chain) || (builtins.includes(r.chain) && isJumpToOurs(r.spec)),
  );
  const ourChains = [...saved.chains.keys()].filter(isOurs).sort();
  const same =
    ourChains.join('\n') === [...new Set(want.chains)].sort().join('\n') &&
    sameRuleLists(ourSaved, wantRules) &&
    builtinOrderKept(saved.rules, builtins);
  if (same) return false;

  // Counters of rules that stay, by (chain, text); duplicates take them in order.
  const counters = new Map<string, string[]>();
  for (const r of saved.rules) {
    const k = `${r.chain}\t${r.spec}`;
    const q = counters.get(k);
    if (q) q.push(r.counters);
    else counters.set(k, [r.counters]);
  }
  const line = (chain: string, spec: string) =>
    `${counters.get(`${chain}\t${spec}`)?.shift() ?? '[0:0]'} -A ${chain}${spec}`;

  let text = `*${table}\n`;
  for (const [name, decl] of saved.chains) if (!isOurs(name)) text += `${decl}\n`;
  for (const name of new Set(want.chains))
    text += `:${name} - ${saved.chains.get(name)?.split(' ')[2] ?? '[0:0]'}\n`;
  const foreign = saved.rules.filter(
    (r) => !isOurs(r.chain) && !(builtins.includes(r.chain) && isJumpToOurs(r.spec)),
  );
  for (const b of builtins) {
    for (const r of wantRules) if (r.chain === b) text += `${line(b, r.spec)}\n`;
    for (const r of foreign) if (r.chain === b) text += `${line(b, r.spec)}\n`;
  }
  for (const r of foreign) if (!builtins.includes(r.chain)) text += `${line(r.chain, r.spec)}\n`;
  for (const r of wantRules) if (!builtins.includes(r.chain)) text += `${line(r.chain, r.spec)}\n`;
  text += 'COMMIT\n';
  const res = iptablesRestore(nf, text, { counters: true });
  if (res.status !== 0) throw new IptablesApplyError(`iptables-restore: ${res.stderr.trim()}\n${text}`);
  return true;
}

function isJumpToOurs(spec: string): boolean {
  const m = / -[jg] (\S+)$/.exec(spec);
  return m !== null && isOurs(m[1]);
}

/** Same rules in every chain, in the same order within each chain. */
function sameRuleLists(a: SavedRule[], b: { chain: string; spec: string }[]): boolean {
  if (a.length !== b.length) return false;
  const group = (rs: { chain: string; spec: string }[]) => {
    const m = new Map<string, string[]>();
    for (const r of rs) {
      const l = m.get(r.chain);
      if (l) l.push(r.spec);
      else m.set(r.chain, [r.spec]);
    }
    return m;
  };
  const ga = group(a);
  const gb = group(b);
  if (ga.size !== gb.size) return false;
  for (const [c, l] of ga) if (gb.get(c)?.join('\n') !== l.join('\n')) return false;
  return true;
}

/** Our jumps must still lead each builtin chain (someone may have inserted rules above them). */
function builtinOrderKept(rules: SavedRule[], builtins: string[]): boolean {
  for (const b of builtins) {
    let seenForeign = false;
    for (const r of rules) {
      if (r.chain !== b) continue;
      const ours = isJumpToOurs(r.spec);
      if (ours && seenForeign) return false;
      if (!ours) seenForeign = true;
    }
  }
  return true;
}
