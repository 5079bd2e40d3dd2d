// The shape of a match or target extension, after iptables' struct xtables_match/xtables_target:
// the long options it owns, how it parses them, how -S/iptables-save print it (`save`), how
// `-L` prints it (`print`), and — ours — how it compiles into a closure over the packet state.
import type { IpsetRegistry } from './ipset.js';
import type { PacketState } from './packet-state.js';

export interface RuleContext {
  table: string;
  /** Protocol given with -p (0 = all), and whether it was negated. */
  proto: number;
  protoInv: boolean;
}

export interface CompileEnv {
  ipsets: IpsetRegistry;
}

export interface Extension<D> {
  name: string;
  /** Long option name (without "--") -> number of arguments it takes. */
  options: Record<string, number>;
  create(): D;
  /** Parses one option; returns an error message (as iptables prints it) or null. */
  parse(d: D, opt: string, args: string[], inverted: boolean, ctx: RuleContext): string | null;
  /** Checks after all options were read (required options, protocol). */
  finalize?(d: D, ctx: RuleContext): string | null;
  /** Options as iptables -S / iptables-save print them, each with a leading space. */
  save(d: D): string;
  /** The tail iptables -L prints for it, with a leading space; `numeric` is -n (no service/type names). */
  print(d: D, numeric: boolean): string;
}

export interface MatchModule<D = unknown> extends Extension<D> {
  compile(d: D, env: CompileEnv): (p: PacketState) => boolean;
  /** Names of ipsets the match refers to (for ipset reference counts). */
  sets?(d: D): string[];
}

/** Data of some extension: each module knows its own shape; holders of a (module, data) pair do not. */
// biome-ignore lint/suspicious/noExplicitAny: a module and its data travel together, typed by the module
export type ExtData = any;
