// `brctl` (bridge-utils 1.7.1): show, showmacs and the configuration commands, over the Linux
// bridges of the namespace (OVS bridges are not Linux bridges and never appear). Formats checked
// against the real tool on Debian 12:
//   bridge name\tbridge id\t\tSTP enabled\tinterfaces
//   br0\t\t8000.1afd1a08c6d0\tno\t\tqvb1
//   \t\t\t\t\t\t\ttap1
import { LinuxBridge } from '../../kernel/bridge.js';
import { mac48ToString } from '../../wire/mac.js';
import { fail, type ToolContext } from './tool.js';

const HEADER = 'bridge name\tbridge id\t\tSTP enabled\tinterfaces\n';

const USAGE = `Usage: brctl [commands]
commands:
\taddbr     \t<bridge>\t\tadd bridge
\tdelbr     \t<bridge>\t\tdelete bridge
\taddif     \t<bridge> <device>\tadd interface to bridge
\tdelif     \t<bridge> <device>\tdelete interface from bridge
\thairpin   \t<bridge> <port> {on|off}\tturn hairpin on/off
\tsetageing \t<bridge> <time>\t\tset ageing time
\tsetbridgeprio\t<bridge> <prio>\t\tset bridge priority
\tsetfd     \t<bridge> <time>\t\tset bridge forward delay
\tsethello  \t<bridge> <time>\t\tset hello time
\tsetmaxage \t<bridge> <time>\t\tset max message age
\tsetpathcost\t<bridge> <port> <cost>\tset path cost
\tsetportprio\t<bridge> <port> <prio>\tset port priority
\tshow      \t[ <bridge> ]\t\tshow a list of bridges
\tshowmacs  \t<bridge>\t\tshow a list of mac addrs
\tshowstp   \t<bridge>\t\tshow bridge stp info
\tstp       \t<bridge> {on|off}\tturn stp on/off
`;

function bridges(ctx: ToolContext): LinuxBridge[] {
  return [...ctx.ns.devices.values()]
    .filter((d): d is LinuxBridge => d instanceof LinuxBridge)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function formatBrctlShow(list: LinuxBridge[]): string {
  let out = HEADER;
  for (const br of list) {
    const ports = br.ports.map((p) => p.dev.name).sort();
    out += `${br.name}\t\t${br.bridgeId}\t${br.stpEnabled ? 'yes' : 'no'}\t\t${ports[0] ?? ''}\n`;
    for (const p of ports.slice(1)) out += `\t\t\t\t\t\t\t${p}\n`;
  }
  return out;
}

export function brctl(ctx: ToolContext, args: string[]): number {
  const [cmd, a1, a2] = args;
  const io = ctx.io;
  const find = (name: string | undefined) => {
    const d = name === undefined ? undefined : ctx.ns.devices.get(name);
    return d instanceof LinuxBridge ? d : undefined;
  };
  if (cmd === undefined) {
    io.stdout(USAGE);
    return 1;
  }
  switch (cmd) {
    case 'show': {
      if (a1 !== undefined && find(a1) === undefined) return fail(io, `bridge ${a1} does not exist!`);
      io.stdout(formatBrctlShow(a1 === undefined ? bridges(ctx) : [find(a1)!]));
      return 0;
    }
    case 'showmacs': {
      const br = find(a1);
      if (br === undefined) return fail(io, 'read of forward table failed: No such device');
      const now = ctx.world.sched.now;
      let out = 'port no\tmac addr\t\tis local?\tageing timer\n';
      for (const e of br.fdb.list(now).sort((x, y) => x.mac - y.mac)) {
        const no = br.portOf(e.port)?.no ?? 0;
        const age = e.local ? 0 : (now - e.updated) / 1e9;
        const t = `${String(Math.floor(age)).padStart(4)}.${String(Math.floor((age % 1) * 100)).padStart(2, '0')}`;
        out += `${String(no).padStart(3)}\t${mac48ToString(e.mac)}\t${e.local ? 'yes' : 'no'}\t\t${t}\n`;
      }
      io.stdout(out);
      return 0;
    }
    case 'addbr':
      if (a1 === undefined) return usageOf(ctx, cmd);
      if (ctx.ns.devices.has(a1))
        return fail(io, `device ${a1} already exists; can't create bridge with the same name`);
      ctx.host.kernel.addBridge(a1, { netns: ctx.ns });
      return 0;
    case 'delbr': {
      const br = find(a1);
      if (br === undefined) return fail(io, `bridge ${a1} doesn't exist; can't delete it`);
      if (br.adminUp) return fail(io, `bridge ${a1} is still up; can't delete it`);
      br.destroy();
      return 0;
    }
    case 'addif':
    case 'delif': {
      const br = find(a1);
      if (br === undefined) return fail(io, `bridge ${a1} does not exist!`);
      const dev = a2 === undefined ? undefined : ctx.ns.devices.get(a2);
      if (dev === undefined) return fail(io, `interface ${a2} does not exist!`);
      if (cmd === 'addif') {
        if (dev.master !== null)
          return fail(io, `device ${a2} is already a member of a bridge; can't add it to bridge ${a1}.`);
        br.addPort(dev);
      } else {
        if (dev.master !== br) return fail(io, `device ${a2} is not a slave of ${a1}`);
        br.removePort(dev);
      }
      return 0;
    }
    case 'setageing': {
      const br = find(a1);
      if (br === undefined) return fail(io, `bridge ${a1} does not exist!`);
      const t = Number(a2);
      if (!Number.isFinite(t) || t < 0) return fail(io, `bad ageing time value ${a2}`);
      br.setAgeing(t);
      return 0;
    }
    case 'stp':
      if (find(a1) === undefined) return fail(io, `bridge ${a1} does not exist!`);
      if (a2 === 'on' || a2 === 'yes') return fail(io, 'set stp status failed: Operation not supported');
      return 0;
  }
  io.stdout(`never heard of command [${cmd}]\n${USAGE}`);
  return 1;
}

function usageOf(ctx: ToolContext, cmd: string): number {
  ctx.io.stdout(`Incorrect number of arguments for command\nUsage: brctl ${cmd} <bridge>\n`);
  return 1;
}
