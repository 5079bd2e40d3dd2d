// ovs-vsctl, ovs-ofctl and ovs-appctl talk to the host's one ovs-vswitchd (src/ovs) whatever
// namespace they run in (they use its unix sockets). `ovs-ofctl dump-flows` prints port names
// and no idle_age to a terminal, numbers and idle_age to a pipe, as OVS 3.1 does.
import { runAppctl, runOfctl } from '../../ovs/ofctl.js';
import { emit, fail, type ToolContext } from './tool.js';

export function ovsVsctl(ctx: ToolContext, args: string[]): number {
  return emit(ctx.io, ctx.host.vswitchd.vsctl(args));
}

export async function ovsOfctl(ctx: ToolContext, args: string[]): Promise<number> {
  // add-flows BR - reads the flows from standard input
  const wantsStdin = args.includes('-') && args.some((a) => a === 'add-flows' || a === 'replace-flows');
  const stdin = wantsStdin ? await ctx.io.readStdin() : undefined;
  return emit(ctx.io, runOfctl(ctx.host.vswitchd, args, { tty: ctx.io.tty, stdin }));
}

export function ovsAppctl(ctx: ToolContext, args: string[]): number {
  const argv = args[0] === '-t' || args[0] === '--target' ? args.slice(2) : args;
  if (argv.length === 0)
    return fail(ctx.io, 'ovs-appctl: at least one non-option argument is required (use --help for help)');
  return emit(ctx.io, runAppctl(ctx.host.vswitchd, argv));
}
