// `pocketstack host list` and `pocketstack host exec HOST -- CMD ARGS…` over the control socket:
// the emulated hosts of the running cloud and the host tools run against them (host-tools/).
import type { CommandIO } from '../api/control.js';
import type { World } from '../world/world.js';
import type { ToolIO } from './host-tools/tool.js';

/** The table `host list` prints: one row per host, columns padded to the widest cell. */
export function hostListText(world: World): string {
  const rows = [['HOST', 'ROLES', 'UNDERLAY IP', 'RAM USED', 'RAM TOTAL', 'GUESTS']];
  for (const h of world.hosts.values()) {
    const m = h.memory;
    rows.push([
      h.name,
      h.spec.roles.join(','),
      h.spec.underlayIp,
      `${m.usedMb} MB`,
      `${m.totalMb} MB`,
      String(m.count),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) => `${r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('   ')}\n`)
    .join('');
}

/** Adapts the control socket's streams to a host tool's. */
export function toolIO(io: CommandIO): ToolIO {
  let stdin = '';
  let ended = false;
  const waiting: (() => void)[] = [];
  io.onInput((t) => {
    stdin += t;
  });
  io.onEnd(() => {
    ended = true;
    for (const w of waiting.splice(0)) w();
  });
  return {
    stdout: (t) => io.stdout(t),
    stderr: (t) => io.stderr(t),
    tty: io.tty,
    signal: io.signal,
    readStdin: () =>
      new Promise<string>((resolve) => {
        if (ended || io.signal.aborted) resolve(stdin);
        else {
          waiting.push(() => resolve(stdin));
          io.signal.addEventListener('abort', () => resolve(stdin));
        }
      }),
  };
}

export function registerHostCommands(cloud: {
  world: World;
  control: { register: (n: string, s: string, h: (a: string[], io: CommandIO) => Promise<number>) => void };
}): void {
  cloud.control.register(
    'host list',
    'the emulated hosts: roles, underlay IPs, RAM used/total, guests',
    async (_args, io) => {
      io.stdout(hostListText(cloud.world));
      return 0;
    },
  );
  cloud.control.register(
    'host exec',
    'run a host tool on an emulated host: host exec HOST -- CMD ARGS…',
    async (args, io) => {
      const [host, ...rest] = args;
      const argv = rest[0] === '--' ? rest.slice(1) : rest;
      if (host === undefined || argv.length === 0) {
        io.stderr('usage: pocketstack host exec HOST -- CMD [ARGS…]   (or HOST "CMD ARGS | grep X")\n');
        return 2;
      }
      // Listen for the client's stdin before anything is awaited: it may follow the request at once.
      const tio = toolIO(io);
      // loaded on first use: the host tools are not needed for `pocketstack up` to be ready
      const { hostExec } = await import('./host-tools/index.js');
      return hostExec(cloud.world, host, argv, tio);
    },
  );
}
