// What a host tool is: a function over the emulated state of one host, run in one network
// namespace (the root one, or the one `ip netns exec` entered), writing to the client's streams.
import type { Namespace } from '../../kernel/netns.js';
import type { World, WorldHost } from '../../world/world.js';

export interface ToolIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** The client's stdout is a terminal (ovs-ofctl prints port names, ping/tcpdump flush per line). */
  readonly tty: boolean;
  /** Aborted when the client interrupts (Ctrl-C), goes away, or a pipe reader has had enough (`| head`). */
  readonly signal: AbortSignal;
  /** The client's standard input, read to the end (iptables-restore, ovs-ofctl add-flows BR -). */
  readStdin(): Promise<string>;
}

export interface ToolContext {
  readonly world: World;
  readonly host: WorldHost;
  /** The namespace the command runs in. */
  readonly ns: Namespace;
  readonly io: ToolIO;
  /** Runs another command line in a namespace of the same host (`ip netns exec NS CMD…`). */
  exec(argv: string[], ns: Namespace): Promise<number>;
}

/** A host tool: argv without the program name in, exit code out. */
export type HostTool = (ctx: ToolContext, args: string[]) => number | Promise<number>;

const tools = new Map<string, HostTool>();

/** Makes `name` a command of every host (`virsh` comes with nova-compute). Replaces an earlier one. */
export function registerHostTool(name: string, tool: HostTool): void {
  tools.set(name, tool);
}

export function hostTool(name: string): HostTool | undefined {
  return tools.get(name);
}

export function hostToolNames(): string[] {
  return [...tools.keys()].sort();
}

/** Writes a tool result of the kernel/ovs command functions and returns its exit code. */
export function emit(
  io: ToolIO,
  r: { stdout: string; stderr: string; status?: number; code?: number },
): number {
  if (r.stdout) io.stdout(r.stdout);
  if (r.stderr) io.stderr(r.stderr);
  return r.status ?? r.code ?? 0;
}

/** Writes `text` (plus a newline) to stderr and returns `code`: the usual error exit. */
export function fail(io: ToolIO, text: string, code = 1): number {
  io.stderr(text.endsWith('\n') ? text : `${text}\n`);
  return code;
}
