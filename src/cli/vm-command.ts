// `pocketstack vm exec SERVER -- CMD …` and `pocketstack vm console SERVER` over the control socket:
// SERVER (a name or an id, as `openstack server show` takes it) is resolved through Nova's service,
// its domain found in the libvirt of the host Nova placed it on, and the guest's shell reached —
// exec as a guest agent would (root, one command, its exit status), console as `virsh console`
// (the serial console, interactive; Ctrl-] detaches). Also registers `virsh` among the host tools.
import { domainOn, type LibvirtDomain } from '../agents/nova-compute/libvirt.js';
import type { CommandIO } from '../api/control.js';
import { issueText, openConsole } from '../guest/index.js';
import type { Nova } from '../services/nova/index.js';
import { internalContext } from '../services/policy.js';
import type { World } from '../world/world.js';
import { registerHostTool } from './host-tools/tool.js';
import { virsh } from './host-tools/virsh.js';

/** How long `vm exec` waits for the login prompt (virtual time). */
export const BOOT_WAIT_NS = 60e9;

/** virsh console's escape character, Ctrl-]. */
export const CONSOLE_ESCAPE = '\x1d';

interface VmCloud {
  world: World;
  nova: Nova;
  control: { register: (n: string, s: string, h: (a: string[], io: CommandIO) => Promise<number>) => void };
}

/** The server a user means: an id, else the one server of that name (any project, as admin). */
export function findServer(
  nova: Nova,
  ref: string,
): { uuid: string; name: string; host: string | null; instanceName: string } | string {
  const byId = nova.servers.byUuid(ref);
  if (byId)
    return { uuid: byId.uuid, name: byId.displayName, host: byId.host, instanceName: byId.instanceName };
  const named = nova.servers
    .list(internalContext('req-pocketstack-vm'), { allTenants: true })
    .filter((i) => i.displayName === ref);
  if (named.length === 0) return `No server with a name or ID of '${ref}' exists.`;
  if (named.length > 1) return `More than one server exists with the name '${ref}'.`;
  const i = nova.servers.byUuid(named[0].uuid)!;
  return { uuid: i.uuid, name: i.displayName, host: i.host, instanceName: i.instanceName };
}

/** The domain behind a server, or the words saying why there is none. */
export function domainOf(cloud: Pick<VmCloud, 'world' | 'nova'>, ref: string): LibvirtDomain | string {
  const s = findServer(cloud.nova, ref);
  if (typeof s === 'string') return s;
  const d = s.host === null ? undefined : domainOn(cloud.world.host(s.host), s.instanceName);
  return d ?? `server ${s.name} (${s.uuid}) has no domain on a host (not built, or failed)`;
}

/** Quotes argv words for the guest's sh, as a shell would need them. */
function shellLine(argv: string[]): string {
  if (argv.length === 1) return argv[0];
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The domain of SERVER, or the exit status after saying why there is none (2: usage, 1: none). */
function targetOf(
  cloud: VmCloud,
  ref: string | undefined,
  usage: string,
  io: CommandIO,
): LibvirtDomain | number {
  if (ref === undefined) {
    io.stderr(`usage: ${usage}\n`);
    return 2;
  }
  const d = domainOf(cloud, ref);
  if (typeof d === 'string') {
    io.stderr(`pocketstack: ${d}\n`);
    return 1;
  }
  return d;
}

function vmExec(cloud: VmCloud, args: string[], io: CommandIO): Promise<number> {
  const [ref, ...rest] = args;
  const argv = rest[0] === '--' ? rest.slice(1) : rest;
  const dom = targetOf(
    cloud,
    argv.length > 0 ? ref : undefined,
    'pocketstack vm exec SERVER -- CMD [ARGS…]',
    io,
  );
  if (typeof dom === 'number') return Promise.resolve(dom);
  const guest = dom.guest;
  cloud.world.sync();
  return new Promise((resolve) => {
    // a domain started paused (its VIFs not plugged yet) counts as booting
    if (!dom.active) {
      io.stderr(`pocketstack: ${guest.name} is shut off (openstack server start ${guest.name})\n`);
      resolve(1);
      return;
    }
    guest.whenBooted(
      () => {
        const p = guest.exec(
          shellLine(argv),
          { out: (t) => io.stdout(t), err: (t) => io.stderr(t) },
          resolve,
        );
        io.signal.addEventListener('abort', () => {
          cloud.world.sync();
          p.interrupt();
        });
      },
      {
        timeout: BOOT_WAIT_NS,
        onTimeout: () => {
          io.stderr(
            `pocketstack: ${guest.name} has not finished booting after 60 s (see: openstack console log show ${guest.name})\n`,
          );
          resolve(1);
        },
      },
    );
  });
}

function vmConsole(cloud: VmCloud, args: string[], io: CommandIO): Promise<number> {
  const dom = targetOf(cloud, args[0], 'pocketstack vm console SERVER', io);
  if (typeof dom === 'number') return Promise.resolve(dom);
  const guest = dom.guest;
  if (guest.os === null) {
    io.stderr(`error: The domain is not running\n`);
    return Promise.resolve(1);
  }
  const domain = dom.name;
  cloud.world.sync();
  // \n as the guest prints it: the client's terminal keeps ONLCR in raw mode (libuv), so no \r is added
  const out = (t: string) => io.stdout(t);
  out(`Connected to domain '${domain}'\nEscape character is ^] (Ctrl + ])\n`);
  // getty's banner, then the session logs in as cirros (the console's autologin)
  if (guest.isBooted && guest.os !== null) out(`\n${issueText(guest.os.release)}\n`);
  return new Promise((resolve) => {
    const session = openConsole(guest, { out, err: out });
    const done = (code: number) => {
      session.close();
      resolve(code);
    };
    io.onInput((t) => {
      const k = t.indexOf(CONSOLE_ESCAPE);
      cloud.world.sync();
      if (k >= 0) {
        if (k > 0) session.input(t.slice(0, k));
        out('\n');
        done(0);
        return;
      }
      session.input(t);
    });
    io.onEnd(() => done(0));
    io.signal.addEventListener('abort', () => done(0));
  });
}

export function registerVmCommands(cloud: VmCloud): void {
  registerHostTool('virsh', virsh);
  cloud.control.register(
    'vm exec',
    "run one command in a server's guest: vm exec SERVER -- CMD ARGS…",
    (args, io) => vmExec(cloud, args, io),
  );
  cloud.control.register(
    'vm console',
    "the serial console of a server's guest (interactive; Ctrl-] detaches)",
    (args, io) => vmConsole(cloud, args, io),
  );
}
