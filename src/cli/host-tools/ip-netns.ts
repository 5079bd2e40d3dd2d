// `ip netns`: list (newest first, as readdir of the /var/run/netns tmpfs returns them, with
// ` (id: N)` once the root namespace assigned the namespace an id — Linux does when a device is
// moved between them), add, delete, exec.
import { fail, hostTool, type ToolContext } from './tool.js';

export async function ipNetns(ctx: ToolContext, args: string[]): Promise<number> {
  const [cmd = 'list', ...rest] = args;
  const host = ctx.host.kernel;
  if (cmd === 'list' || cmd === 'show' || cmd === 'ls') {
    const names = [...host.namespaces.keys()].reverse();
    let out = '';
    for (const n of names) {
      const id = host.root.peekNsid(host.namespaces.get(n)!);
      out += id === null ? `${n}\n` : `${n} (id: ${id})\n`;
    }
    ctx.io.stdout(out);
    return 0;
  }
  if (cmd === 'add' || cmd === 'delete' || cmd === 'del') {
    const name = rest[0];
    if (name === undefined) return fail(ctx.io, 'No netns name specified');
    try {
      if (cmd === 'add') {
        // a new namespace's lo is down, without addresses, until someone brings it up
        const ns = host.addNamespace(name);
        ns.lo.setUp(false);
        ns.removeAddress(ns.lo, '127.0.0.1/8');
      } else host.delNamespace(name);
    } catch (e) {
      return fail(ctx.io, (e as Error).message);
    }
    return 0;
  }
  if (cmd === 'exec') {
    const [name, ...argv] = rest;
    if (name === undefined) return fail(ctx.io, 'No netns name specified');
    if (argv.length === 0) return fail(ctx.io, 'No command specified');
    const ns = host.namespaces.get(name);
    if (ns === undefined)
      return fail(ctx.io, `Cannot open network namespace "${name}": No such file or directory`);
    // ip execs the program itself: a missing one is ip's error, not bash's
    if (hostTool(argv[0].slice(argv[0].lastIndexOf('/') + 1)) === undefined)
      return fail(ctx.io, `exec of "${argv[0]}" failed: No such file or directory`, 255);
    return ctx.exec(argv, ns);
  }
  if (cmd === 'identify' || cmd === 'list-id' || cmd === 'pids') {
    if (cmd === 'list-id') {
      let out = '';
      for (const ns of host.namespaces.values()) {
        const id = host.root.peekNsid(ns);
        if (id !== null) out += `nsid ${id} (iproute2 netns name: ${ns.name})\n`;
      }
      ctx.io.stdout(out);
    }
    return 0;
  }
  return fail(ctx.io, `Command "${cmd}" is unknown, try "ip netns help".`);
}
