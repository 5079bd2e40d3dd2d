// iptables, iptables-save, iptables-restore, ipset and conntrack of the namespace the command runs
// in (kernel/netfilter; formats of iptables 1.8.9 nf_tables, ipset 7.17, conntrack-tools 1.4.7).
import { conntrackCommand, iptables as iptablesCommand } from '../../kernel/netfilter/index.js';
import { iptablesRestoreCommand, iptablesSaveCommand } from '../../kernel/netfilter/restore.js';
import { emit, type ToolContext } from './tool.js';

/** ctime(3) of the virtual now in local time, as iptables-save's comment lines print it. */
function ctime(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2)} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${d.getFullYear()}`;
}

export function iptables(ctx: ToolContext, args: string[]): number {
  return emit(ctx.io, iptablesCommand(ctx.ns.iptables(), args));
}

export function iptablesSave(ctx: ToolContext, args: string[]): number {
  return emit(ctx.io, iptablesSaveCommand(ctx.ns.iptables(), args, ctime(ctx.world.wallMs())));
}

export async function iptablesRestore(ctx: ToolContext, args: string[]): Promise<number> {
  const stdin = await ctx.io.readStdin();
  return emit(ctx.io, iptablesRestoreCommand(ctx.ns.iptables(), args, stdin));
}

export async function ipset(ctx: ToolContext, args: string[]): Promise<number> {
  const sets = ctx.ns.iptables().ipsets;
  if (args[0] === 'restore' || args[0] === '-R')
    return emit(ctx.io, sets.restore(await ctx.io.readStdin(), args.includes('-exist')));
  return emit(ctx.io, sets.command(args.length === 0 ? ['list'] : args));
}

export function conntrack(ctx: ToolContext, args: string[]): number {
  return emit(ctx.io, conntrackCommand(ctx.ns.iptables(), args));
}
