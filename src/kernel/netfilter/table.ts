// Tables, chains and rules as the kernel holds them: builtin chains with a policy and policy
// counters, user chains, rules with packet/byte counters, jumps resolved to chain objects when a
// table is committed (so traversal follows references, never looks names up).
import { IptablesError } from './errors.js';
import type { CompileEnv } from './module.js';
import type { HookName, PacketState } from './packet-state.js';
import { compileRule, type RuleSpec } from './rule.js';

export type TableName = 'filter' | 'nat' | 'mangle' | 'raw';

export const TABLE_NAMES: TableName[] = ['filter', 'nat', 'mangle', 'raw'];

/** Builtin chains per table, in the order iptables lists them. */
export const BUILTIN_CHAINS: Record<TableName, HookName[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
};

export const isTableName = (t: string): t is TableName => (TABLE_NAMES as string[]).includes(t);

// What a rule's target does, decided at load time.
export const T_NONE = 0;
export const T_ACCEPT = 1;
export const T_DROP = 2;
export const T_RETURN = 3;
export const T_JUMP = 4;
export const T_GOTO = 5;
export const T_EXT = 6;

export class Rule {
  pkts = 0;
  bytes = 0;
  readonly match: (p: PacketState) => boolean;
  readonly kind: number;
  /** Resolved chain for T_JUMP / T_GOTO. */
  jump: Chain | null = null;

  constructor(
    readonly spec: RuleSpec,
    env: CompileEnv,
  ) {
    this.match = compileRule(spec, env);
    const t = spec.target;
    this.kind =
      t.kind === 'none'
        ? T_NONE
        : t.kind === 'standard'
          ? t.verdict === 'ACCEPT'
            ? T_ACCEPT
            : t.verdict === 'DROP'
              ? T_DROP
              : T_RETURN
          : t.kind === 'chain'
            ? t.goto
              ? T_GOTO
              : T_JUMP
            : T_EXT;
  }

  /** The chain name a jump/goto refers to. */
  get jumpName(): string | null {
    return this.spec.target.kind === 'chain' ? this.spec.target.name : null;
  }

  copy(): Rule {
    const r = Object.create(Rule.prototype) as Rule;
    Object.assign(r, this);
    r.jump = null;
    return r;
  }
}

export class Chain {
  rules: Rule[] = [];
  /** Policy counters (builtin chains). */
  pkts = 0;
  bytes = 0;

  constructor(
    readonly name: string,
    readonly builtin: boolean,
    public policy: 'ACCEPT' | 'DROP' | null,
  ) {}
}

export class Table {
  readonly chains = new Map<string, Chain>();
  /** Builtin chains by hook, for traversal (undefined where the table has no such hook). */
  readonly hooks: Partial<Record<HookName, Chain>> = {};

  constructor(readonly name: TableName) {
    for (const h of BUILTIN_CHAINS[name]) {
      const c = new Chain(h, true, 'ACCEPT');
      this.chains.set(h, c);
      this.hooks[h] = c;
    }
  }

  /** A deep copy (rules keep their compiled predicates and counters): the scratch copy a restore edits. */
  clone(): Table {
    const t = new Table(this.name);
    for (const [name, c] of this.chains) {
      const n = c.builtin ? t.chains.get(name)! : new Chain(name, false, null);
      n.policy = c.policy;
      n.pkts = c.pkts;
      n.bytes = c.bytes;
      n.rules = c.rules.map((r) => r.copy());
      if (!c.builtin) t.chains.set(name, n);
    }
    return t;
  }

  /** User chains sorted by name in byte order (how -S and iptables-save list them). */
  userChains(): Chain[] {
    return [...this.chains.values()]
      .filter((c) => !c.builtin)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Builtins in their fixed order, then user chains sorted. */
  orderedChains(): Chain[] {
    return [...BUILTIN_CHAINS[this.name].map((h) => this.chains.get(h)!), ...this.userChains()];
  }

  /** Number of rules jumping or going to `name` ("N references" in -L). */
  references(name: string): number {
    let n = 0;
    for (const c of this.chains.values()) for (const r of c.rules) if (r.jumpName === name) n++;
    return n;
  }

  /**
   * Binds every jump to its chain and refuses loops, as the kernel does when a table is replaced
   * (mark_source_chains). Returns the first problem found.
   */
  resolve(): IptablesError | null {
    for (const c of this.chains.values()) {
      for (const r of c.rules) {
        const name = r.jumpName;
        if (name === null) continue;
        const target = this.chains.get(name);
        if (!target || target.builtin) return new IptablesError(`Chain '${name}' does not exist`, 1);
        r.jump = target;
      }
    }
    // Loop check: depth-first from every chain over jump edges.
    const state = new Map<Chain, 1 | 2>();
    const visit = (c: Chain): boolean => {
      const s = state.get(c);
      if (s === 1) return false;
      if (s === 2) return true;
      state.set(c, 1);
      for (const r of c.rules) if (r.jump && !visit(r.jump)) return false;
      state.set(c, 2);
      return true;
    };
    for (const c of this.chains.values())
      if (!visit(c)) return new IptablesError('Too many levels of symbolic links.', 1);
    return null;
  }
}
