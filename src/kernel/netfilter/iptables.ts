// The iptables command (`iptables [-t T] -A/-I/-D/-R/-N/-X/-F/-Z/-P/-E/-S/-L/-C ...`) over a
// Netfilter, with iptables 1.8.9's messages and exit codes. Commands edit a scratch copy of the
// table and install it only when the result resolves (the kernel replaces a table atomically).
import { splitArgs } from './argv.js';
import { IptablesError } from './errors.js';
import type { ToolResult } from './ipset.js';
import { listChains } from './listing.js';
import type { Netfilter } from './netfilter.js';
import { parseRuleSpec, type RuleSpec, saveRule } from './rule.js';
import { BUILTIN_CHAINS, Chain, isTableName, Rule, type Table, type TableName } from './table.js';

export const IPTABLES_VERSION = '1.8.9';
const PROG = `iptables v${IPTABLES_VERSION} (nf_tables)`;

const ok = (stdout = ''): ToolResult => ({ status: 0, stdout, stderr: '' });
export const errorResult = (e: IptablesError, prog = PROG): ToolResult => ({
  status: e.status,
  stdout: '',
  stderr:
    e.status === 2
      ? `${prog}: ${e.message}\nTry \`iptables -h' or 'iptables --help' for more information.\n`
      : `${prog}: ${e.message}\n`,
});

const NO_CHAIN = () => new IptablesError('No chain/target/match by that name.', 1);

/** `iptables -S [chain]` for a table. */
export function listRules(table: Table, chain?: string): string | IptablesError {
  if (chain !== undefined) {
    const c = table.chains.get(chain);
    if (!c) return NO_CHAIN();
    return [
      c.builtin ? `-P ${c.name} ${c.policy}` : `-N ${c.name}`,
      ...c.rules.map((r) => `-A ${c.name}${saveRule(r.spec)}`),
    ]
      .map((l) => `${l}\n`)
      .join('');
  }
  const lines: string[] = [];
  for (const h of BUILTIN_CHAINS[table.name]) lines.push(`-P ${h} ${table.chains.get(h)!.policy}`);
  for (const c of table.userChains()) lines.push(`-N ${c.name}`);
  for (const c of table.orderedChains())
    for (const r of c.rules) lines.push(`-A ${c.name}${saveRule(r.spec)}`);
  return lines.map((l) => `${l}\n`).join('');
}

function checkChainName(name: string): IptablesError | null {
  if (name.length > 28) return new IptablesError(`chain name \`${name}' too long (must be under 29 chars)`);
  if (name.startsWith('-') || name === '' || /\s/.test(name))
    return new IptablesError(`Invalid chain name \`${name}'`);
  if (['ACCEPT', 'DROP', 'RETURN', 'QUEUE'].includes(name))
    return new IptablesError(`chain name may not clash with target name`);
  return null;
}

export interface EditOptions {
  /** Counters for -A/-I (`-c pkts bytes`, or `[pkts:bytes]` in restore). */
  counters?: [number, number];
}

/**
 * Applies one editing command to `table` (a scratch copy). Returns null on success. Used by both
 * the iptables command and iptables-restore.
 */
export function applyEdit(
  nf: Netfilter,
  table: Table,
  cmd: string,
  args: string[],
  opts: EditOptions = {},
): IptablesError | null {
  const env = { ipsets: nf.ipsets };
  const chainArg = args[0];
  const chain = chainArg === undefined ? undefined : table.chains.get(chainArg);
  const makeRule = (spec: RuleSpec): Rule => {
    const r = new Rule(spec, env);
    if (opts.counters) [r.pkts, r.bytes] = opts.counters;
    return r;
  };
  const parseSpec = (rest: string[]): RuleSpec | IptablesError => {
    const spec = parseRuleSpec(rest, table.name);
    if (spec instanceof IptablesError) return spec;
    for (const m of spec.matches)
      for (const s of m.mod.sets?.(m.data) ?? [])
        if (!nf.ipsets.get(s)) return new IptablesError(`Set ${s} doesn't exist.`);
    return spec;
  };
  switch (cmd) {
    case '-A':
    case '-I':
    case '-C':
    case '-D':
    case '-R': {
      if (chainArg === undefined) return new IptablesError(`option "${cmd}" requires an argument`);
      if (!chain) return NO_CHAIN();
      let rest = args.slice(1);
      let num: number | null = null;
      if ((cmd === '-I' || cmd === '-D' || cmd === '-R') && rest.length > 0 && /^\d+$/.test(rest[0])) {
        num = Number(rest[0]);
        rest = rest.slice(1);
      }
      if (cmd === '-D' && num !== null && rest.length === 0) {
        if (num < 1 || num > chain.rules.length) return new IptablesError('Index of deletion too big.', 1);
        chain.rules.splice(num - 1, 1);
        return null;
      }
      const spec = parseSpec(rest);
      if (spec instanceof IptablesError) return spec;
      if (spec.target.kind === 'chain' && !table.chains.get(spec.target.name)) {
        return new IptablesError(`Chain '${spec.target.name}' does not exist`, 2);
      }
      const text = saveRule(spec);
      if (cmd === '-A') chain.rules.push(makeRule(spec));
      else if (cmd === '-I') {
        const at = (num ?? 1) - 1;
        if (at > chain.rules.length) return new IptablesError('Index of insertion too big.', 1);
        chain.rules.splice(at, 0, makeRule(spec));
      } else if (cmd === '-R') {
        if (num === null || num < 1 || num > chain.rules.length)
          return new IptablesError('Index of replacement too big.', 1);
        chain.rules[num - 1] = makeRule(spec);
      } else {
        const i = chain.rules.findIndex((r) => saveRule(r.spec) === text);
        if (i < 0)
          return new IptablesError(
            cmd === '-C'
              ? 'Bad rule (does a matching rule exist in that chain?).'
              : 'Bad rule (does a matching rule exist in that chain?).',
            1,
          );
        if (cmd === '-D') chain.rules.splice(i, 1);
      }
      return null;
    }
    case '-N': {
      if (chainArg === undefined) return new IptablesError('option "-N" requires an argument');
      const bad = checkChainName(chainArg);
      if (bad) return bad;
      if (table.chains.has(chainArg)) return new IptablesError('Chain already exists.', 1);
      table.chains.set(chainArg, new Chain(chainArg, false, null));
      return null;
    }
    case '-X': {
      const victims = chainArg === undefined ? table.userChains() : chain ? [chain] : null;
      if (!victims) return NO_CHAIN();
      for (const c of victims) {
        if (c.builtin) return new IptablesError('Cannot delete built-in chain', 1);
        const refs = [...table.chains.values()]
          .filter((x) => !victims.includes(x))
          .some((x) => x.rules.some((r) => r.jumpName === c.name));
        if (refs || (chainArg !== undefined && c.rules.length > 0))
          return new IptablesError(`CHAIN_USER_DEL failed (Device or resource busy): chain ${c.name}`, 1);
      }
      if (chainArg === undefined) {
        for (const c of victims) if (c.rules.some((r) => r.jumpName !== null)) c.rules = [];
      }
      for (const c of victims) table.chains.delete(c.name);
      return null;
    }
    case '-F': {
      if (chainArg !== undefined && !chain) return NO_CHAIN();
      for (const c of chain ? [chain] : table.chains.values()) c.rules = [];
      return null;
    }
    case '-Z': {
      if (chainArg !== undefined && !chain) return NO_CHAIN();
      const num = args[1] !== undefined ? Number(args[1]) : null;
      for (const c of chain ? [chain] : table.chains.values()) {
        if (num !== null) {
          const r = c.rules[num - 1];
          if (!r) return new IptablesError('Index of zeroing too big.', 1);
          r.pkts = r.bytes = 0;
          continue;
        }
        c.pkts = c.bytes = 0;
        for (const r of c.rules) r.pkts = r.bytes = 0;
      }
      return null;
    }
    case '-P': {
      const policy = args[1];
      if (chainArg === undefined || policy === undefined)
        return new IptablesError('-P requires a chain and a policy');
      if (!chain) return NO_CHAIN();
      if (!chain.builtin) return new IptablesError('Bad built-in chain name', 1);
      if (policy !== 'ACCEPT' && policy !== 'DROP') return new IptablesError('Bad policy name', 1);
      chain.policy = policy;
      if (opts.counters) [chain.pkts, chain.bytes] = opts.counters;
      return null;
    }
    case '-E': {
      const to = args[1];
      if (chainArg === undefined || to === undefined)
        return new IptablesError('-E requires old-chain-name and new-chain-name');
      if (!chain) return NO_CHAIN();
      if (chain.builtin) return new IptablesError('Invalid chain name', 1);
      const bad = checkChainName(to);
      if (bad) return bad;
      if (table.chains.has(to)) return new IptablesError('File exists.', 1);
      const renamed = new Chain(to, false, null);
      renamed.rules = chain.rules;
      table.chains.delete(chainArg);
      table.chains.set(to, renamed);
      for (const c of table.chains.values())
        for (let i = 0; i < c.rules.length; i++)
          if (c.rules[i].jumpName === chainArg) {
            const spec = { ...c.rules[i].spec, target: { ...c.rules[i].spec.target, name: to } } as RuleSpec;
            const r = new Rule(spec, env);
            [r.pkts, r.bytes] = [c.rules[i].pkts, c.rules[i].bytes];
            c.rules[i] = r;
          }
      return null;
    }
  }
  return new IptablesError(`unknown command ${cmd}`);
}

const COMMANDS: Record<string, string> = {
  '-A': '-A',
  '--append': '-A',
  '-I': '-I',
  '--insert': '-I',
  '-D': '-D',
  '--delete': '-D',
  '-R': '-R',
  '--replace': '-R',
  '-C': '-C',
  '--check': '-C',
  '-N': '-N',
  '--new-chain': '-N',
  '-X': '-X',
  '--delete-chain': '-X',
  '-F': '-F',
  '--flush': '-F',
  '-Z': '-Z',
  '--zero': '-Z',
  '-P': '-P',
  '--policy': '-P',
  '-E': '-E',
  '--rename-chain': '-E',
  '-S': '-S',
  '--list-rules': '-S',
  '-L': '-L',
  '--list': '-L',
};

/** Runs `iptables <argv>` (argv without the program name) against the namespace's netfilter. */
export function iptables(nf: Netfilter, argv: string[]): ToolResult {
  let tableName = 'filter';
  let cmd: string | null = null;
  let numeric = false;
  let verbose = false;
  let exact = false;
  let lineNumbers = false;
  let counters: [number, number] | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-t' || a === '--table') {
      tableName = argv[++i] ?? '';
      continue;
    }
    if (a === '-w' || a === '--wait' || a === '-W' || a === '--wait-interval') {
      if (/^\d+(\.\d+)?$/.test(argv[i + 1] ?? '')) i++;
      continue;
    }
    if (a === '-n' || a === '--numeric') numeric = true;
    else if (a === '-v' || a === '--verbose') verbose = true;
    else if (a === '-x' || a === '--exact') exact = true;
    else if (a === '--line-numbers') lineNumbers = true;
    else if (a === '-c' || a === '--set-counters') {
      counters = [Number(argv[i + 1]), Number(argv[i + 2])];
      i += 2;
    } else if (/^-[nvx]{2,}$/.test(a) || /^-[LSZ][nvx]+$/.test(a)) {
      // Bundled short flags: -nvL, -vnL, -Lnv ...
      for (const ch of a.slice(1)) {
        if (ch === 'n') numeric = true;
        else if (ch === 'v') verbose = true;
        else if (ch === 'x') exact = true;
        else if (cmd === null) cmd = `-${ch}`;
      }
    } else if (cmd === null && COMMANDS[a]) cmd = COMMANDS[a];
    else if (cmd === null && /^-[nvx]*L[nvx]*$/.test(a)) {
      cmd = '-L';
      numeric ||= a.includes('n');
      verbose ||= a.includes('v');
      exact ||= a.includes('x');
    } else rest.push(a);
  }
  if (!isTableName(tableName))
    return errorResult(
      new IptablesError(
        `can't initialize iptables table \`${tableName}': Table does not exist (do you need to insmod?)`,
        3,
      ),
    );
  if (cmd === null) return errorResult(new IptablesError('no command specified'));
  const tname = tableName as TableName;
  if (cmd === '-S' || cmd === '-L') {
    const table = nf.table(tname);
    const chainName = rest[0];
    if (cmd === '-S') {
      const out = listRules(table, chainName);
      return out instanceof IptablesError ? errorResult(out) : ok(out);
    }
    const chains = chainName === undefined ? table.orderedChains() : table.chains.get(chainName);
    if (chains === undefined) return errorResult(NO_CHAIN());
    const list = listChains(table, Array.isArray(chains) ? chains : [chains], {
      numeric,
      verbose,
      exact,
      lineNumbers,
    });
    return ok(list);
  }
  const scratch = nf.table(tname).clone();
  const err = applyEdit(nf, scratch, cmd, rest, { counters });
  if (err) return errorResult(err);
  if (cmd === '-C') return ok();
  const bad = scratch.resolve();
  if (bad) return errorResult(bad);
  nf.setTable(scratch);
  return ok();
}

/** Splits a command line (as a shell would for these simple cases) and runs it. */
export function iptablesLine(nf: Netfilter, line: string): ToolResult {
  const r = splitArgs(line);
  if (!r.ok) return errorResult(new IptablesError(r.error));
  const argv = r.args[0] === 'iptables' ? r.args.slice(1) : r.args;
  return iptables(nf, argv);
}
