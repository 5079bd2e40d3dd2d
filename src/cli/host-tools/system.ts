// The small system tools of a host: free (procps-ng 4.0.2 over the host's modelled memory),
// hostname, uname, cat and tail over the host's files (kernel/vfs.ts: registered files, and
// /var/log/nova and /var/log/neutron mapped to the data dir's logs of that host).
import { FileError } from '../../kernel/vfs.js';
import { ipToString } from '../../wire/ipv4-address.js';
import { fail, type ToolContext } from './tool.js';

/** Debian 12's kernel, as `uname` reports it on the emulated hosts. */
const KERNEL = { release: '6.1.0-18-amd64', version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)' };

/** procps' human-readable size: one decimal if it fits in 5 characters with its unit, else an integer. */
function human(kib: number): string {
  if (kib === 0) return '0B';
  const units = ['Ki', 'Mi', 'Gi', 'Ti', 'Pi'];
  for (let i = 0; i < units.length; i++) {
    const v = kib / 1024 ** i;
    const dec = `${v.toFixed(1)}${units[i]}`;
    if (dec.length <= 5) return dec;
    const int = `${Math.floor(v)}${units[i]}`;
    if (int.length <= 5) return int;
  }
  return `${Math.floor(kib / 1024 ** 5)}Pi`;
}

export function free(ctx: ToolContext, args: string[]): number {
  let unit: 'b' | 'k' | 'm' | 'g' | 'h' = 'k';
  let totals = false;
  for (const a of args) {
    if (a === '-b' || a === '--bytes') unit = 'b';
    else if (a === '-k' || a === '--kibi' || a === '--kilo') unit = 'k';
    else if (a === '-m' || a === '--mebi' || a === '--mega') unit = 'm';
    else if (a === '-g' || a === '--gibi' || a === '--giga') unit = 'g';
    else if (a === '-h' || a === '--human') unit = 'h';
    else if (a === '-t' || a === '--total') totals = true;
    else if (a === '-w' || a === '--wide' || a === '-l' || a === '--lohi') continue;
    else
      return fail(
        ctx.io,
        `free: invalid option -- '${a.replace(/^-+/, '')}'\n\nUsage:\n free [options]\n\nOptions:\n -b, --bytes         show output in bytes\n -k, --kibi          show output in kibibytes\n -m, --mebi          show output in mebibytes\n -g, --gibi          show output in gibibytes\n -h, --human         show human-readable output\n`,
      );
  }
  const m = ctx.host.memory;
  const totalK = m.totalMb * 1024;
  const usedK = m.usedMb * 1024;
  // The page cache holds what the services read (about 4 % of RAM on an idle packstack host);
  // it is reclaimable, so `available` counts it. Shared memory: ~1 % of what the services hold.
  const cacheK = Math.min(totalK - usedK, Math.round(totalK * 0.04));
  const sharedK = Math.round(m.servicesMb * 1024 * 0.01);
  const freeK = totalK - usedK - cacheK;
  const fmt = (k: number) =>
    unit === 'h'
      ? human(k)
      : String(
          unit === 'b'
            ? k * 1024
            : unit === 'k'
              ? k
              : unit === 'm'
                ? Math.floor(k / 1024)
                : Math.floor(k / 1048576),
        );
  const row = (label: string, cols: number[]) =>
    `${label.padEnd(8)}${cols.map((c) => fmt(c).padStart(12)).join('')}\n`;
  let out = '               total        used        free      shared  buff/cache   available\n';
  out += row('Mem:', [totalK, usedK, freeK, sharedK, cacheK, freeK + cacheK]);
  out += row('Swap:', [0, 0, 0]);
  if (totals) out += row('Total:', [totalK, usedK, freeK]);
  ctx.io.stdout(out);
  return 0;
}

export function hostname(ctx: ToolContext, args: string[]): number {
  if (args[0] === '-I' || args[0] === '--all-ip-addresses') {
    const addrs: string[] = [];
    for (const d of ctx.ns.devices.values())
      for (const a of d.addresses) if (a.scope !== 'host') addrs.push(ipToString(a.address));
    ctx.io.stdout(`${addrs.map((a) => `${a} `).join('')}\n`);
    return 0;
  }
  if (args[0] === '-s' || args[0] === '--short') {
    ctx.io.stdout(`${ctx.host.name.split('.')[0]}\n`);
    return 0;
  }
  if (args.length > 0 && !['-f', '--fqdn', '--long'].includes(args[0]))
    return fail(ctx.io, 'hostname: you must be root to change the host name');
  ctx.io.stdout(`${ctx.host.name}\n`);
  return 0;
}

export function uname(ctx: ToolContext, args: string[]): number {
  const name = ctx.host.name;
  const fields: Record<string, string> = {
    s: 'Linux',
    n: name,
    r: KERNEL.release,
    v: KERNEL.version,
    m: 'x86_64',
    o: 'GNU/Linux',
  };
  let want = '';
  for (const a of args) {
    if (a === '-a' || a === '--all') want = 'snrvmo';
    else if (/^-[snrvmpio]+$/.test(a)) want += a.slice(1).replace(/[pi]/g, '');
    else
      return fail(
        ctx.io,
        `uname: invalid option -- '${a.replace(/^-+/, '')}'\nTry 'uname --help' for more information.`,
      );
  }
  if (want === '') want = 's';
  ctx.io.stdout(
    `${'snrvmo'
      .split('')
      .filter((k) => want.includes(k))
      .map((k) => fields[k])
      .join(' ')}\n`,
  );
  return 0;
}

function readFile(ctx: ToolContext, prog: string, path: string): string | null {
  try {
    return ctx.host.files.read(path);
  } catch (e) {
    if (e instanceof FileError) {
      ctx.io.stderr(`${prog}: ${path}: ${e.reason}\n`);
      return null;
    }
    throw e;
  }
}

export async function cat(ctx: ToolContext, args: string[]): Promise<number> {
  if (args.length === 0) {
    ctx.io.stdout(await ctx.io.readStdin());
    return 0;
  }
  let code = 0;
  for (const p of args) {
    const text = readFile(ctx, 'cat', p);
    if (text === null) code = 1;
    else ctx.io.stdout(text);
  }
  return code;
}

function lastLines(text: string, n: number): string {
  if (n === 0) return '';
  const lines = text.split('\n');
  const trailing = lines[lines.length - 1] === '';
  if (trailing) lines.pop();
  return lines.slice(-n).join('\n') + (trailing ? '\n' : '');
}

/** `tail [-n N] [-f] FILE…`; -f keeps printing what is appended until the client interrupts. */
export async function tail(ctx: ToolContext, args: string[]): Promise<number> {
  let n = 10;
  let follow = false;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-f' || a === '-F' || a === '--follow') follow = true;
    else if (a === '-n' || a === '--lines') n = Number(args[++i]);
    else if (/^-n\d+$/.test(a)) n = Number(a.slice(2));
    else if (/^-\d+$/.test(a)) n = Number(a.slice(1));
    else if (/^-[fF]?n$/.test(a)) {
      follow = true;
      n = Number(args[++i]);
    } else files.push(a);
  }
  if (!Number.isInteger(n) || n < 0)
    return fail(ctx.io, `tail: invalid number of lines: '${args.join(' ')}'`);
  if (files.length === 0) {
    ctx.io.stdout(lastLines(await ctx.io.readStdin(), n));
    return 0;
  }
  let code = 0;
  const seen = new Map<string, string>();
  files.forEach((p, i) => {
    const text = readFile(ctx, 'tail', p);
    if (text === null) {
      code = 1;
      return;
    }
    if (files.length > 1) ctx.io.stdout(`${i > 0 ? '\n' : ''}==> ${p} <==\n`);
    ctx.io.stdout(lastLines(text, n));
    seen.set(p, text);
  });
  if (!follow || seen.size === 0) return code;
  // Following is polling the file as tail -f's inotify fallback does, outside the simulation.
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      for (const [p, before] of seen) {
        let now: string;
        try {
          now = ctx.host.files.read(p);
        } catch {
          continue;
        }
        if (now.length > before.length && now.startsWith(before)) ctx.io.stdout(now.slice(before.length));
        else if (now !== before) ctx.io.stdout(`tail: ${p}: file truncated\n${now}`);
        seen.set(p, now);
      }
    }, 250);
    const stop = () => {
      clearInterval(timer);
      resolve();
    };
    if (ctx.io.signal.aborted) stop();
    else ctx.io.signal.addEventListener('abort', stop);
  });
  return 130;
}

/** Families of sysctl keys a namespace has (anything else: no such /proc/sys entry). */
const SYSCTL_KEYS =
  /^net\.(ipv4\.(ip_forward|ip_default_ttl|icmp_echo_ignore_broadcasts|conf\.[^.]+\.[a-z0-9_]+|neigh\.[^.]+\.[a-z0-9_]+)|ipv6\.conf\.[^.]+\.[a-z0-9_]+|bridge\.bridge-nf-call-(iptables|ip6tables|arptables))$/;

/** `sysctl [-n] [-w] KEY[=VALUE]…` over the namespace's sysctls (procps-ng 4.0.2 output). */
export function sysctl(ctx: ToolContext, args: string[]): number {
  let valuesOnly = false;
  let code = 0;
  let out = '';
  for (const a of args) {
    if (a === '-n' || a === '--values') {
      valuesOnly = true;
      continue;
    }
    if (a === '-w' || a === '--write' || a === '-q') continue;
    const [rawKey, value] = a.split('=', 2);
    const key = rawKey.replaceAll('/', '.');
    const dev = /^net\.ipv[46]\.conf\.([^.]+)\./.exec(key)?.[1];
    if (
      !SYSCTL_KEYS.test(key) ||
      (dev !== undefined && dev !== 'all' && dev !== 'default' && !ctx.ns.devices.has(dev))
    ) {
      ctx.io.stderr(`sysctl: cannot stat /proc/sys/${key.replaceAll('.', '/')}: No such file or directory\n`);
      code = 1;
      continue;
    }
    if (value !== undefined) ctx.ns.setSysctl(key, value.trim());
    const v = ctx.ns.getSysctl(key) ?? sysctlDefault(ctx, key, dev);
    out += valuesOnly ? `${v}\n` : `${key} = ${v}\n`;
  }
  ctx.io.stdout(out);
  return code;
}

function sysctlDefault(ctx: ToolContext, key: string, dev: string | undefined): string {
  const d = dev === undefined ? undefined : ctx.ns.devices.get(dev);
  if (key.endsWith('.disable_ipv6')) return d?.ipv6Disabled ? '1' : '0';
  if (key.endsWith('.proxy_arp')) return d?.proxyArp ? '1' : '0';
  if (key.endsWith('.mtu')) return String(d?.mtu ?? 1500);
  if (key.endsWith('.forwarding')) return ctx.ns.ipForward ? '1' : '0';
  return '0';
}

/** `ls [-1] [DIR…]`: the host's files that layers registered (logs, DHCP agent files …). */
export function ls(ctx: ToolContext, args: string[]): number {
  const dirs = args.filter((a) => !a.startsWith('-'));
  let code = 0;
  const lines: string[] = [];
  for (const dir of dirs.length === 0 ? ['/root'] : dirs) {
    const files = ctx.host.files;
    if (files.source(dir) !== undefined) {
      lines.push(dir);
      continue;
    }
    if (!files.isDirectory(dir)) {
      ctx.io.stderr(`ls: cannot access '${dir}': No such file or directory\n`);
      code = 2;
      continue;
    }
    if (dirs.length > 1) lines.push(`${lines.length > 0 ? '\n' : ''}${dir}:`);
    lines.push(...files.children(dir));
  }
  if (lines.length > 0) ctx.io.stdout(`${lines.join('\n')}\n`);
  return code;
}
