// `virsh` (libvirt 9.0) over the host's libvirt as nova-compute's driver keeps it: list [--all |
// --inactive], dumpxml, domiflist, domblklist, dominfo, domstate, domid, domname, domuuid. Tables are
// libvirt's vshTable: a leading space, columns padded to the widest cell and joined by three
// spaces, a dash line two wider than the header. Errors as virsh words them, exit status 1.
import { LIBVIRT_PART, type Libvirt, type LibvirtDomain } from '../../agents/nova-compute/libvirt.js';
import { fail, type ToolContext } from './tool.js';

/** libvirt's vshTablePrint. */
export function vshTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) =>
    ` ${r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('   ')}\n`;
  const width = 1 + widths.reduce((a, b) => a + b, 0) + 3 * (widths.length - 1) + 2;
  return `${line(header)}${'-'.repeat(width)}\n${rows.map(line).join('')}`;
}

const COMMANDS = [
  'list',
  'dumpxml',
  'domiflist',
  'domblklist',
  'dominfo',
  'domstate',
  'domid',
  'domname',
  'domuuid',
  'console',
];

const OPTIONS: Record<string, string[]> = {
  list: ['--all', '--inactive', '--name', '--uuid'],
  dumpxml: ['--inactive', '--security-info', '--update-cpu', '--migratable'],
  domiflist: ['--inactive'],
  domblklist: ['--inactive', '--details'],
};

function listText(lv: Libvirt, flags: Set<string>): string {
  const inactiveOnly = flags.has('--inactive');
  const doms = lv.list(flags.has('--all') || inactiveOnly).filter((d) => !inactiveOnly || !d.active);
  if (flags.has('--name') || flags.has('--uuid')) {
    const col = (d: LibvirtDomain) => (flags.has('--uuid') ? d.uuid : d.name);
    return `${doms.map((d) => `${col(d)}\n`).join('')}\n`;
  }
  return `${vshTable(
    ['Id', 'Name', 'State'],
    doms.map((d) => [d.id === null ? '-' : String(d.id), d.name, d.state]),
  )}\n`;
}

function domiflistText(d: LibvirtDomain): string {
  return `${vshTable(
    ['Interface', 'Type', 'Source', 'Model', 'MAC'],
    d.def.interfaces.map((n) => [n.tap, 'bridge', n.bridge, n.model, n.mac]),
  )}\n`;
}

/** A stable fake MCS label per domain (svirt gives each guest its own category pair). */
function svirtLabel(uuid: string): string {
  const n = Number.parseInt(uuid.replace(/-/g, '').slice(0, 8), 16);
  const a = n % 1024;
  const b = (a + 1 + ((n >>> 10) % 1000)) % 1024;
  return `system_u:system_r:svirt_t:s0:c${Math.min(a, b)},c${Math.max(a, b)}`;
}

function dominfoText(d: LibvirtDomain): string {
  const g = d.guest;
  const up = d.active && g.os !== null;
  // an idle CirrOS: about 1.5 s of CPU to boot, then a few percent of one vCPU
  const cpuSecs = up ? Math.min(g.os!.uptime(), 1.5) + g.os!.uptime() * 0.02 : 0;
  const row = (k: string, v: string | number) => `${k.padEnd(15)} ${v}\n`;
  return [
    row('Id:', d.id === null ? '-' : d.id),
    row('Name:', d.name),
    row('UUID:', d.uuid),
    row('OS Type:', 'hvm'),
    row('State:', d.state),
    row('CPU(s):', d.def.vcpus),
    ...(up ? [row('CPU time:', `${cpuSecs.toFixed(1)}s`)] : []),
    row('Max memory:', `${d.def.memoryKiB} KiB`),
    row('Used memory:', `${d.def.memoryKiB} KiB`),
    row('Persistent:', 'yes'),
    row('Autostart:', 'disable'),
    row('Managed save:', d.managedSave ? 'yes' : 'no'),
    row('Security model:', 'selinux'),
    row('Security DOI:', '0'),
    ...(d.active ? [row('Security label:', `${svirtLabel(d.uuid)} (enforcing)`)] : []),
    '\n',
  ].join('');
}

export function virsh(ctx: ToolContext, args: string[]): number {
  const io = ctx.io;
  const lv = ctx.host.part<Libvirt>(LIBVIRT_PART);
  const [cmd, ...rest] = args;
  if (cmd === undefined) {
    io.stderr('error: interactive virsh shell is not available over host exec; give a command\n');
    return 1;
  }
  if (!COMMANDS.includes(cmd)) return fail(io, `error: unknown command: '${cmd}'`);
  if (lv === undefined)
    return fail(
      io,
      "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory",
    );
  const flags = new Set(rest.filter((a) => a.startsWith('--')));
  const positional = rest.filter((a) => !a.startsWith('--'));
  for (const f of flags) {
    if (!(OPTIONS[cmd] ?? []).includes(f) && f !== '--domain')
      return fail(io, `error: command '${cmd}' doesn't support option ${f}`);
  }
  if (cmd === 'list') {
    if (positional.length > 0) return fail(io, `error: unexpected data '${positional[0]}'`);
    io.stdout(listText(lv, flags));
    return 0;
  }
  const ref = positional[0];
  if (ref === undefined) return fail(io, `error: command '${cmd}' requires <domain> option`);
  if (positional.length > 1) return fail(io, `error: unexpected data '${positional[1]}'`);
  const d = lv.lookup(ref);
  if (d === undefined) return fail(io, `error: failed to get domain '${ref}'`);
  switch (cmd) {
    case 'dumpxml':
      io.stdout(flags.has('--inactive') ? d.def.xml({ id: null, pty: null }) : d.xml());
      return 0;
    case 'domiflist':
      io.stdout(domiflistText(d));
      return 0;
    case 'domblklist':
      io.stdout(
        `${vshTable(flags.has('--details') ? ['Type', 'Device', 'Target', 'Source'] : ['Target', 'Source'], [
          [
            ...(flags.has('--details') ? ['file', 'disk'] : []),
            'vda',
            `/var/lib/nova/instances/${d.uuid}/disk`,
          ],
        ])}\n`,
      );
      return 0;
    case 'console':
      // host exec has no terminal to hand over; the same serial console is one command away
      return fail(
        io,
        `error: virsh console needs an interactive terminal: use pocketstack vm console ${d.guest.name}`,
      );
    case 'dominfo':
      io.stdout(dominfoText(d));
      return 0;
    case 'domstate':
      io.stdout(`${d.state}\n\n`);
      return 0;
    case 'domid':
      io.stdout(`${d.id === null ? '-' : d.id}\n\n`);
      return 0;
    case 'domname':
      io.stdout(`${d.name}\n\n`);
      return 0;
    default:
      io.stdout(`${d.uuid}\n\n`);
      return 0;
  }
}
