// iptables-restore and iptables-save (the text format agents program tables with, and operators
// read). Restore is atomic per table: a table's lines are applied to a scratch copy and installed
// at its COMMIT only if every line parsed and every jump resolves; on an error nothing of that
// table changes (tables committed before it stay), and the line is reported as iptables-restore does.
import { splitArgs } from './argv.js';
import { IptablesError } from './errors.js';
import type { ToolResult } from './ipset.js';
import { applyEdit, IPTABLES_VERSION } from './iptables.js';
import type { Netfilter } from './netfilter.js';
import { saveRule } from './rule.js';
import { BUILTIN_CHAINS, Chain, isTableName, Table, type TableName } from './table.js';

export interface RestoreOptions {
  /** --noflush: edit the current tables instead of replacing them. */
  noflush?: boolean;
  /** -c / --counters: take chain and rule counters from the `[pkts:bytes]` fields. */
  counters?: boolean;
  /** -T / --table: restore only this table. */
  table?: string;
  /** --test: parse and check, install nothing. */
  test?: boolean;
}

export interface RestoreResult extends ToolResult {
  /** 1-based line of the first error, when status != 0. */
  line?: number;
}

const PROG = `iptables-restore v${IPTABLES_VERSION} (nf_tables)`;

function parseError(line: number, e: IptablesError): RestoreResult {
  return {
    status: e.status === 1 ? 1 : 2,
    stdout: '',
    stderr: `${PROG}: ${e.message}\nError occurred at line: ${line}\nTry \`iptables-restore -h' or 'iptables-restore --help' for more information.\n`,
    line,
  };
}

/** The kernel (or commit) refused what parsed fine: iptables-restore's terse report. */
function lineFailed(line: number): RestoreResult {
  return { status: 1, stdout: '', stderr: `iptables-restore: line ${line} failed\n`, line };
}

const COUNTERS = /^\[(\d+):(\d+)\]$/;

export function iptablesRestore(nf: Netfilter, text: string, opts: RestoreOptions = {}): RestoreResult {
  const lines = text.split('\n');
  let table: Table | null = null;
  let tableLine = 0;
  const pending: Table[] = [];
  for (let n = 1; n <= lines.length; n++) {
    const raw = lines[n - 1];
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      if (table !== null) return lineFailed(n);
      const name = line.slice(1).trim();
      if (!isTableName(name)) return parseError(n, new IptablesError(`table '${name}' does not exist`));
      tableLine = n;
      const current = nf.tables[name as TableName];
      table = opts.noflush && current ? current.clone() : new Table(name as TableName);
      if (!opts.noflush && current) {
        // Without --noflush the builtin policies start from the old ones until a ':' line sets them.
        for (const h of BUILTIN_CHAINS[table.name])
          table.chains.get(h)!.policy = current.chains.get(h)!.policy;
      }
      continue;
    }
    if (table === null) return parseError(n, new IptablesError(`no command specified`));
    if (line === 'COMMIT') {
      const bad = table.resolve();
      if (bad) return lineFailed(n);
      if (opts.table === undefined || opts.table === table.name) pending.push(table);
      table = null;
      // Each COMMIT installs its table: later errors do not undo it (as iptables-restore).
      if (!opts.test) for (const t of pending.splice(0)) nf.setTable(t);
      continue;
    }
    if (line.startsWith(':')) {
      const parts = line.slice(1).trim().split(/\s+/);
      const [name, policy, counters] = parts;
      if (!name || !policy) return lineFailed(n);
      const builtin = (BUILTIN_CHAINS[table.name] as string[]).includes(name);
      const cm = counters !== undefined ? COUNTERS.exec(counters) : null;
      if (counters !== undefined && !cm)
        return parseError(n, new IptablesError(`Bad parameter \`${counters}'`));
      if (builtin) {
        if (policy !== 'ACCEPT' && policy !== 'DROP') return lineFailed(n);
        const c = table.chains.get(name)!;
        c.policy = policy;
        if (opts.counters && cm) [c.pkts, c.bytes] = [Number(cm[1]), Number(cm[2])];
        else if (!opts.noflush) c.pkts = c.bytes = 0;
      } else {
        if (policy !== '-') return lineFailed(n);
        if (name.length > 28) return parseError(n, new IptablesError(`Invalid chain name \`${name}'`));
        const existing = table.chains.get(name);
        // --noflush: declaring an existing user chain flushes it.
        if (existing) existing.rules = [];
        else table.chains.set(name, new Chain(name, false, null));
      }
      continue;
    }
    const split = splitArgs(line);
    if (!split.ok) return parseError(n, new IptablesError(split.error));
    let args = split.args;
    let counters: [number, number] | undefined;
    const cm = COUNTERS.exec(args[0] ?? '');
    if (cm) {
      if (opts.counters) counters = [Number(cm[1]), Number(cm[2])];
      args = args.slice(1);
    }
    const cmd = args[0];
    if (!cmd || !/^-[AIDRNXFZPEC]$/.test(cmd))
      return parseError(n, new IptablesError(`Bad argument \`${cmd ?? ''}'`));
    const err = applyEdit(nf, table, cmd, args.slice(1), { counters });
    if (err) return err.status === 2 ? parseError(n, err) : lineFailed(n);
  }
  if (table !== null) {
    // iptables-restore counts the lines it read; a final newline does not start another one.
    const read = text.endsWith('\n') ? lines.length - 1 : lines.length;
    return {
      status: 1,
      stdout: '',
      stderr: `iptables-restore: COMMIT expected at line ${read + 1}\n`,
      line: tableLine,
    };
  }
  return { status: 0, stdout: '', stderr: '' };
}

/** Tables in the order iptables-nft-save prints them (its builtin table array: mangle, raw, filter, nat). */
const SAVE_ORDER: TableName[] = ['mangle', 'raw', 'filter', 'nat'];

export interface SaveOptions {
  /** ctime(3)-style time for the comment lines, e.g. "Thu Nov 26 08:00:00 2026" (from the virtual clock). */
  time: string;
  /** -c: print rule counters as `[pkts:bytes]` before each rule. */
  counters?: boolean;
  /** -t: only this table. */
  table?: TableName;
  /** Name in the comment line: "iptables-save" (legacy or the Debian alternative) or "iptables-nft-save". */
  program?: string;
}

/** `iptables-save`: every table in use (or one), with chain counters, comment lines from the given time. */
export function iptablesSave(nf: Netfilter, opts: SaveOptions): string {
  const program = opts.program ?? 'iptables-save';
  let out = '';
  for (const name of SAVE_ORDER) {
    if (opts.table !== undefined && opts.table !== name) continue;
    const t = nf.tables[name];
    if (!t) continue;
    out += `# Generated by ${program} v${IPTABLES_VERSION} on ${opts.time}\n*${name}\n`;
    for (const c of t.orderedChains())
      out += `:${c.name} ${c.builtin ? c.policy : '-'} [${c.pkts}:${c.bytes}]\n`;
    for (const c of t.orderedChains())
      for (const r of c.rules)
        out += `${opts.counters ? `[${r.pkts}:${r.bytes}] ` : ''}-A ${c.name}${saveRule(r.spec)}\n`;
    out += `COMMIT\n# Completed on ${opts.time}\n`;
  }
  return out;
}

/**
 * `iptables-restore [-n|--noflush] [-c|--counters] [-T table] [-t|--test] [-w secs]` with the
 * rules text as standard input.
 */
export function iptablesRestoreCommand(nf: Netfilter, argv: string[], stdin: string): RestoreResult {
  const opts: RestoreOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-n' || a === '--noflush') opts.noflush = true;
    else if (a === '-c' || a === '--counters') opts.counters = true;
    else if (a === '-t' || a === '--test') opts.test = true;
    else if (a === '-T' || a === '--table') opts.table = argv[++i];
    else if (a === '-w' || a === '--wait' || a === '-W' || a === '--wait-interval') {
      if (/^\d+(\.\d+)?$/.test(argv[i + 1] ?? '')) i++;
    } else return { status: 2, stdout: '', stderr: `${PROG}: unknown option -- '${a.replace(/^-+/, '')}'\n` };
  }
  return iptablesRestore(nf, stdin, opts);
}

/** `iptables-save [-c] [-t table]`; `time` is the ctime-style virtual time for the comment lines. */
export function iptablesSaveCommand(
  nf: Netfilter,
  argv: string[],
  time: string,
  program = 'iptables-save',
): ToolResult {
  const opts: SaveOptions = { time, program };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-c' || a === '--counters') opts.counters = true;
    else if (a === '-t' || a === '--table') {
      const t = argv[++i] ?? '';
      if (!isTableName(t))
        return {
          status: 1,
          stdout: '',
          stderr: `${program} v${IPTABLES_VERSION} (nf_tables): table '${t}' does not exist\n`,
        };
      opts.table = t;
    } else
      return { status: 2, stdout: '', stderr: `${program}: unknown option -- '${a.replace(/^-+/, '')}'\n` };
  }
  return { status: 0, stdout: iptablesSave(nf, opts), stderr: '' };
}
