// The guest's command table: busybox applets (and sudo) a CirrOS shell offers, each a function in
// its own module or, for the one-liners, here. Texts are busybox 1.20's.

import { ipToString } from '../wire/ipv4-address.js';
import { issueText } from './cirros.js';
import { ifconfig } from './ifconfig.js';
import { ip } from './ip-cmd.js';
import { cirrosUdhcpc } from './lease-script.js';
import type { GuestOs } from './os.js';
import { ping } from './ping.js';
import { RUNNING } from './proc.js';
import { ETC_HOSTS } from './resolve.js';
import { arp, route } from './route-cmd.js';
import { APPLETS, type Command } from './shell.js';
import { traceroute } from './traceroute.js';

const S = 1e9;

/** /proc/version: the kernel banner without Ubuntu's version signature. */
function procVersion(os: GuestOs): string {
  return `Linux version ${os.release.kernel} ${os.release.kernelBuild.replace(/ \(Ubuntu [^)]*\)$/, '')}\n`;
}

/** Files computed from the running system (what procfs and the image hold). */
function readFile(os: GuestOs, path: string): string | null {
  const written = os.files.get(path);
  if (written !== undefined) return written;
  switch (path) {
    case '/etc/hostname':
      return `${os.hostname}\n`;
    case '/etc/hosts':
      return ETC_HOSTS;
    case '/etc/issue':
      return `${issueText(os.release)}\n`;
    case '/etc/cirros/version':
      return `${os.release.version}\n`;
    case '/proc/version':
      return procVersion(os);
    case '/proc/uptime':
      return `${os.uptimeText()} ${(os.uptime() * 0.97).toFixed(2)}\n`;
    case '/proc/sys/kernel/hostname':
      return `${os.hostname}\n`;
    case '/proc/net/arp': {
      let s = 'IP address       HW type     Flags       HW address            Mask     Device\n';
      for (const e of os.ns.neigh.list()) {
        const st = os.ns.neigh.state(e);
        const ok = e.mac !== null && st !== 'INCOMPLETE' && st !== 'FAILED';
        const flags = st === 'PERMANENT' ? '0x6' : ok ? '0x2' : '0x0';
        const mac = ok
          ? [...e.mac!].map((b) => b.toString(16).padStart(2, '0')).join(':')
          : '00:00:00:00:00:00';
        s += `${ipToString(e.ip).padEnd(17)}0x1         ${flags.padEnd(12)}${mac}     *        ${e.dev.name}\n`;
      }
      return s;
    }
  }
  return null;
}

const cat: Command = (argv, { os, io }) => {
  let code = 0;
  for (const f of argv.slice(1)) {
    const text = readFile(os, f);
    if (text === null) {
      io.err(`cat: can't open '${f}': No such file or directory\n`);
      code = 1;
    } else io.out(text);
  }
  return code;
};

const hostname: Command = (argv, { os, io, user }) => {
  if (argv.length === 1) {
    io.out(`${os.hostname}\n`);
    return 0;
  }
  if (argv[1] === '-F') {
    const t = readFile(os, argv[2] ?? '');
    if (t === null) {
      io.err(`hostname: can't open '${argv[2] ?? ''}': No such file or directory\n`);
      return 1;
    }
    argv = ['hostname', t.trim()];
  }
  if (argv[1].startsWith('-')) {
    // -s / -d / -f: the short name, the (empty) domain, the name
    if (argv[1] !== '-d') io.out(`${argv[1] === '-s' ? os.hostname.split('.')[0] : os.hostname}\n`);
    return 0;
  }
  if (user !== 'root') {
    io.err('hostname: sethostname: Operation not permitted\n');
    return 1;
  }
  os.hostname = argv[1];
  return 0;
};

const uname: Command = (argv, { os, io }) => {
  const r = os.release;
  const fields: Record<string, string> = {
    s: 'Linux',
    n: os.hostname,
    r: r.kernel,
    v: r.kernelVersion,
    m: 'x86_64',
    o: 'GNU/Linux',
  };
  let want = '';
  for (const a of argv.slice(1)) {
    if (!/^-[snrvmoa]+$/.test(a)) {
      io.err(`uname: invalid option -- '${a.replace(/^-/, '')[0] ?? ''}'\n`);
      return 1;
    }
    want += a.slice(1);
  }
  if (want === '') want = 's';
  if (want.includes('a')) want = 'snrvmo';
  io.out(
    `${'snrvmo'
      .split('')
      .filter((k) => want.includes(k))
      .map((k) => fields[k])
      .join(' ')}\n`,
  );
  return 0;
};

const echo: Command = (argv, { io }) => {
  let args = argv.slice(1);
  const n = args[0] === '-n';
  if (n) args = args.slice(1);
  io.out(args.join(' ') + (n ? '' : '\n'));
  return 0;
};

const sleep: Command = (argv, { os, io, proc }) => {
  const s = Number(argv[1]);
  if (argv[1] === undefined || !Number.isFinite(s) || s < 0) {
    io.err(`sleep: invalid number '${argv[1] ?? ''}'\n`);
    return 1;
  }
  const t = os.after(s * S, () => proc.exit(0));
  proc.onExit(() => os.cancel(t));
  return RUNNING;
};

const sudo: Command = (argv, ctx) => {
  const args = argv.slice(1);
  if (args.length === 0 || args[0].startsWith('-')) {
    ctx.io.err(
      'usage: sudo -h | -K | -k | -L | -V\nusage: sudo -v [-AknS] [-g groupname|#gid] [-p prompt] [-u user name|#uid]\n' +
        'usage: sudo [-AbEHknPS] [-C fd] [-g groupname|#gid] [-p prompt] [-u user name|#uid] [-g groupname|#gid]\n' +
        '            [VAR=value] [-i|-s] [<command>]\n',
    );
    return 1;
  }
  if (!APPLETS.has(args[0].replace(/^.*\//, ''))) {
    ctx.io.err(`sudo: ${args[0]}: command not found\n`);
    return 1;
  }
  const child = ctx.shell.exec(args, ctx.io, (code) => ctx.proc.exit(code), 'root');
  ctx.proc.onInterrupt(() => child.interrupt());
  return RUNNING;
};

const udhcpc: Command = (argv, ctx) => {
  const { os, io, proc } = ctx;
  const o: Parameters<typeof cirrosUdhcpc>[1] = { print: () => {} };
  for (let i = 1; i < argv.length; i++) {
    const w = argv[i];
    const v = (): string | undefined => (w.length > 2 ? w.slice(2) : argv[++i]);
    if (w === '-n' || w === '--now') o.exitOnFail = true;
    else if (w === '-q' || w === '--quit') o.quitOnLease = true;
    else if (w === '-R' || w === '--release') o.releaseOnExit = true;
    else if (w === '-f' || w === '-b' || w === '-S') continue;
    else if (w.startsWith('-i')) {
      const name = v() ?? '';
      const dev = os.ns.dev(name);
      if (dev === undefined) {
        io.err(`udhcpc: ioctl 0x8933 failed: No such device\n`);
        return 1;
      }
      o.dev = dev;
    } else if (/^-[tTA]/.test(w)) {
      const n = Number(v());
      if (!Number.isInteger(n) || n < 0) {
        io.err(`udhcpc: invalid number '${argv[i]}'\n`);
        return 1;
      }
      if (w[1] === 't') o.retries = n;
      else if (w[1] === 'T') o.timeout = n;
      else o.tryagain = n;
    } else if (w.startsWith('-O')) {
      const name = v();
      const code = name === 'mtu' ? 26 : name === 'staticroutes' ? 121 : Number(name);
      if (Number.isInteger(code) && code > 0 && code < 255) (o.extraOptions ??= []).push(code);
    } else if (w.startsWith('-x') || w.startsWith('-s') || w.startsWith('-p') || w.startsWith('-V')) {
      v();
    } else {
      io.err(`udhcpc: invalid option -- '${w.replace(/^-+/, '')}'\n`);
      return 1;
    }
  }
  if (ctx.user !== 'root') {
    io.err(
      `udhcpc (v${os.release.busybox}) started\nudhcpc: socket(AF_PACKET,2,8): Operation not permitted\n`,
    );
    return 1;
  }
  // once in the background, its messages go where the daemon's stderr still leads: the console
  let print = (line: string): void => io.err(`${line}\n`);
  o.print = (line) => print(line);
  o.onForegroundExit = (code) => {
    print = (line) => os.console.line(line);
    proc.exit(code);
  };
  const client = cirrosUdhcpc(os, o);
  proc.onInterrupt(() => {
    client.stop();
    proc.exit(0);
  });
  client.start();
  return RUNNING;
};

const whoami: Command = (_argv, { io, user }) => {
  io.out(`${user}\n`);
  return 0;
};

/** Registers every applet (idempotent). */
export function registerApplets(): void {
  if (APPLETS.size > 0) return;
  const table: Record<string, Command> = {
    ping,
    traceroute,
    ip,
    ipaddr: ip,
    iplink: ip,
    iproute: ip,
    ifconfig,
    route,
    arp,
    udhcpc,
    hostname,
    cat,
    uname,
    echo,
    sleep,
    sudo,
    whoami,
    true: () => 0,
    false: () => 1,
  };
  for (const [name, fn] of Object.entries(table)) APPLETS.set(name, fn);
}
