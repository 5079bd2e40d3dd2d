// `pocketstack host exec HOST -- CMD ARGS…`: runs a host tool against the emulated state of one
// host (never the services' database). A command line given as one string may be a pipeline into
// the usual text filters (`ip -br link | grep tap`). Unknown commands answer as bash does.
import type { Namespace } from '../../kernel/netns.js';
import type { World } from '../../world/world.js';
import { brctl } from './brctl.js';
import { ifconfig } from './ifconfig.js';
import { ip } from './ip.js';
import { arp, route } from './net-tools.js';
import { conntrack, ipset, iptables, iptablesRestore, iptablesSave } from './netfilter.js';
import { ovsAppctl, ovsOfctl, ovsVsctl } from './ovs.js';
import { ping } from './ping.js';
import { FILTERS, type LineFilter, makeFilter, parsePipeline, ShellSyntaxError } from './shell.js';
import { cat, free, hostname, ls, sysctl, tail, uname } from './system.js';
import { tcpdump } from './tcpdump.js';
import { hostTool, registerHostTool, type ToolContext, type ToolIO } from './tool.js';

export { type HostTool, hostToolNames, registerHostTool, type ToolContext, type ToolIO } from './tool.js';

for (const [name, tool] of Object.entries({
  brctl,
  ip,
  ifconfig,
  iptables,
  'iptables-save': iptablesSave,
  'iptables-restore': iptablesRestore,
  ipset,
  conntrack,
  'ovs-vsctl': ovsVsctl,
  'ovs-ofctl': ovsOfctl,
  'ovs-appctl': ovsAppctl,
  ping,
  tcpdump,
  free,
  hostname,
  uname,
  cat,
  tail,
  ls,
  sysctl,
  arp,
  route,
})) {
  registerHostTool(name, tool);
}

/** Runs one command (argv[0] is the program) in `ns` of the context's host. */
async function runCommand(
  ctx: Omit<ToolContext, 'ns' | 'exec'>,
  argv: string[],
  ns: Namespace,
): Promise<number> {
  let args = argv;
  while (args[0] === 'sudo' || args[0] === 'command' || args[0] === 'exec') args = args.slice(1);
  if (args.length === 0) return 0;
  const name = args[0].slice(args[0].lastIndexOf('/') + 1);
  const tool = hostTool(name);
  if (tool === undefined) {
    ctx.io.stderr(`bash: ${args[0]}: command not found\n`);
    return 127;
  }
  const full: ToolContext = { ...ctx, ns, exec: (a, n) => runCommand(ctx, a, n) };
  try {
    return await tool(full, args.slice(1));
  } catch (e) {
    // a change the kernel model refused (a name too long, a device gone meanwhile): the tool
    // reports it and fails, as the real one would, instead of failing the whole command channel
    ctx.io.stderr(`${name}: ${(e as Error).message.replace(/^Error: /, '')}\n`);
    return 1;
  }
}

/**
 * `pocketstack host exec HOST -- ARGV…` on `world`. One argument is parsed as a command line
 * (quotes, `|` into grep/head/tail/wc/sort/uniq/cat); several are the argv itself, split into a
 * pipeline only at a bare `|` argument.
 */
export async function hostExec(world: World, hostName: string, argv: string[], io: ToolIO): Promise<number> {
  const host = world.host(hostName);
  if (host === undefined) {
    io.stderr(`pocketstack: no host named '${hostName}' (hosts: ${[...world.hosts.keys()].join(', ')})\n`);
    return 2;
  }
  let stages: string[][];
  try {
    stages = argv.length === 1 ? parsePipeline(argv[0]) : splitAtPipes(argv);
  } catch (e) {
    if (!(e instanceof ShellSyntaxError)) throw e;
    io.stderr(`bash: -c: line 1: ${e.message}\n`);
    return 2;
  }
  if (stages.length === 0) return 0;
  world.sync();
  const [first, ...rest] = stages;
  if (rest.length === 0) return runCommand({ world, host, io }, first, host.kernel.root);
  for (const s of rest) {
    if (!FILTERS.has(s[0])) {
      io.stderr(
        `pocketstack: only grep, head, tail, wc, sort, uniq and cat can follow a '|' (not ${s[0]})\n`,
      );
      return 2;
    }
  }
  // The filters run in this process, line by line as the command writes; the last one's status is
  // the pipeline's (bash without pipefail). A filter that has had enough (head) closes the pipe.
  const pipeClosed = new AbortController();
  const signal = AbortSignal.any([io.signal, pipeClosed.signal]);
  const filters: LineFilter[] = [];
  let sink = (line: string) => io.stdout(`${line}\n`);
  for (let k = rest.length - 1; k >= 0; k--) {
    const f = makeFilter(rest[k], sink, () => pipeClosed.abort());
    if (typeof f === 'string') {
      io.stderr(`${f}\n`);
      return 2;
    }
    filters.unshift(f);
    sink = (line: string) => f.line(line);
  }
  let partial = '';
  const firstSink = sink;
  const piped: ToolIO = {
    stdout(text) {
      if (signal.aborted && pipeClosed.signal.aborted) return;
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) firstSink(l);
    },
    stderr: (text) => io.stderr(text),
    tty: false,
    signal,
    readStdin: () => io.readStdin(),
  };
  await runCommand({ world, host, io: piped }, first, host.kernel.root);
  if (partial !== '') firstSink(partial);
  let code = 0;
  for (const f of filters) code = f.end();
  return code;
}

function splitAtPipes(argv: string[]): string[][] {
  const out: string[][] = [[]];
  for (const a of argv) {
    if (a === '|') out.push([]);
    else out[out.length - 1].push(a);
  }
  if (out.some((s) => s.length === 0)) throw new ShellSyntaxError("syntax error near unexpected token `|'");
  return out;
}
