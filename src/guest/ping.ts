// busybox ping (the "fancy" ping of networking/ping.c, 1.20): `PING host (addr): N data bytes`,
// `64 bytes from addr: seq=0 ttl=64 time=0.512 ms`, the statistics block on completion or SIGINT.
// Timing as busybox: one echo request per interval (1 s, -i); after the last of -c N it waits for
// replies -W seconds (default 10) when none came, else about two round trips (at least 1 s), and it
// stops as soon as N replies are in. -w is a deadline for the whole run. ICMP errors are not echo
// replies with our identifier, so busybox prints nothing for them. Exit status 0 when a reply came.
// RTTs are the simulation's virtual time, in microseconds as busybox measures them.

import type { PingEvent } from '../kernel/sockets.js';
import { ipToString } from '../wire/ipv4-address.js';
import { RUNNING } from './proc.js';
import { resolveHost } from './resolve.js';
import type { CommandContext } from './shell.js';

const S = 1e9;

interface PingArgs {
  count: number;
  size: number;
  ttl: number | undefined;
  iface: string | undefined;
  timeout: number;
  deadline: number;
  interval: number;
  quiet: boolean;
  host: string;
}

function usage(ctx: CommandContext): number {
  ctx.io.err(
    'BusyBox v' +
      ctx.os.release.busybox +
      ' multi-call binary.\n\nUsage: ping [OPTIONS] HOST\n\nSend ICMP ECHO_REQUEST packets to network hosts\n\n' +
      '\t-4,-6\t\tForce IP or IPv6 name resolution\n\t-c CNT\t\tSend only CNT pings\n' +
      '\t-s SIZE\t\tSend SIZE data bytes in packets (default:56)\n\t-t TTL\t\tSet TTL\n' +
      '\t-I IFACE/IP\tUse interface or IP address as source\n' +
      '\t-W SEC\t\tSeconds to wait for the first response (default:10)\n\t\t\t(after all -c CNT packets are sent)\n' +
      '\t-w SEC\t\tSeconds until ping exits (default:infinite)\n\t\t\t(can exit earlier with -c CNT)\n' +
      '\t-q\t\tQuiet, only displays output at start\n\t\t\tand when finished\n',
  );
  return 1;
}

function parseArgs(argv: string[]): PingArgs | string | null {
  const a: PingArgs = {
    count: 0,
    size: 56,
    ttl: undefined,
    iface: undefined,
    timeout: 10,
    deadline: 0,
    interval: 1,
    quiet: false,
    host: '',
  };
  const num = (v: string | undefined): number | string => {
    const n = Number(v);
    return v === undefined || v === '' || !Number.isFinite(n) || n < 0 ? `invalid number '${v ?? ''}'` : n;
  };
  for (let i = 1; i < argv.length; i++) {
    const w = argv[i];
    if (w[0] !== '-' || w === '-') {
      if (a.host !== '') return null;
      a.host = w;
      continue;
    }
    const flag = w[1];
    if (flag === 'q') {
      a.quiet = true;
      continue;
    }
    if (flag === '4') continue;
    if (!'csItWwi'.includes(flag)) return null;
    const v = w.length > 2 ? w.slice(2) : argv[++i];
    if (flag === 'I') {
      if (v === undefined) return null;
      a.iface = v;
      continue;
    }
    const n = num(v);
    if (typeof n === 'string') return n;
    if (flag === 'c') a.count = Math.floor(n);
    else if (flag === 's') a.size = Math.floor(n);
    else if (flag === 't') a.ttl = Math.floor(n);
    else if (flag === 'W') a.timeout = Math.floor(n);
    else if (flag === 'w') a.deadline = Math.floor(n);
    else if (flag === 'i') a.interval = n;
  }
  if (a.host === '') return null;
  return a;
}

/** "%u.%03u" of microseconds as milliseconds. */
export function msText(us: number): string {
  return `${Math.floor(us / 1000)}.${String(us % 1000).padStart(3, '0')}`;
}

export function ping(argv: string[], ctx: CommandContext): number {
  const { os, io, proc } = ctx;
  const a = parseArgs(argv);
  if (a === null) return usage(ctx);
  if (typeof a === 'string') {
    io.err(`ping: ${a}\n`);
    return 1;
  }
  if (a.size > 65507) {
    io.err(`ping: packet size ${a.size} is too large. Maximum is 65507\n`);
    return 1;
  }
  const dst = resolveHost(os, a.host);
  if (dst === null) {
    io.err(`ping: bad address '${a.host}'\n`);
    return 1;
  }
  let dev: ReturnType<typeof os.ns.dev>;
  if (a.iface !== undefined && !/^\d+\.\d+\.\d+\.\d+$/.test(a.iface)) {
    dev = os.ns.dev(a.iface);
    if (dev === undefined) {
      io.err(`ping: SO_BINDTODEVICE: No such device\n`);
      return 1;
    }
  }
  io.out(`PING ${a.host} (${ipToString(dst)}): ${a.size} data bytes\n`);

  let transmitted = 0;
  let received = 0;
  let repeats = 0;
  let tmin = Number.POSITIVE_INFINITY;
  let tmax = 0;
  let tsum = 0;
  const seen = new Set<number>();
  // the timeval busybox puts in the payload: without room for it no time is measured
  const timed = a.size >= 16;
  let timer: number | null = null;

  const stats = (): void => {
    let s = `\n--- ${a.host} ping statistics ---\n${transmitted} packets transmitted, ${received} packets received, `;
    if (repeats > 0) s += `${repeats} duplicates, `;
    const loss = transmitted === 0 ? 0 : Math.floor(((transmitted - received) * 100) / transmitted);
    s += `${loss}% packet loss\n`;
    if (timed && tmin !== Number.POSITIVE_INFINITY) {
      const avg = Math.floor(tsum / (received + repeats));
      s += `round-trip min/avg/max = ${msText(tmin)}/${msText(avg)}/${msText(tmax)} ms\n`;
    }
    io.out(s);
  };
  const finish = (): void => {
    stats();
    proc.exit(received === 0 ? 1 : 0);
  };

  const onEvent = (e: PingEvent): void => {
    if (proc.done || e.kind !== 'reply' || e.from !== dst) return;
    const us = Math.floor(e.rtt / 1000);
    const dup = seen.has(e.seq);
    if (dup) repeats++;
    else {
      seen.add(e.seq);
      received++;
    }
    if (timed) {
      tsum += us;
      if (us < tmin) tmin = us;
      if (us > tmax) tmax = us;
    }
    if (!a.quiet) {
      io.out(
        `${e.bytes} bytes from ${ipToString(e.from)}: seq=${e.seq} ttl=${e.ttl}${timed ? ` time=${msText(us)} ms` : ''}${dup ? ' (DUP!)' : ''}\n`,
      );
    }
    if (a.count > 0 && received >= a.count) finish();
  };
  const sock = os.ns.openPing(onEvent);
  proc.onExit(() => {
    sock.close();
    if (timer !== null) os.cancel(timer);
    if (deadlineTimer !== null) os.cancel(deadlineTimer);
  });
  proc.onInterrupt(() => finish());

  const send = (): void => {
    timer = null;
    const r = sock.send(dst, transmitted, { size: a.size, ttl: a.ttl, dev });
    if (r === 'ENETUNREACH' || r === 'EMSGSIZE' || r === 'EPERM') {
      const text =
        r === 'ENETUNREACH'
          ? 'Network is unreachable'
          : r === 'EMSGSIZE'
            ? 'Message too long'
            : 'Operation not permitted';
      io.err(`ping: sendto: ${text}\n`);
      proc.exit(1);
      return;
    }
    transmitted++;
    if (a.count === 0 || transmitted < a.count) {
      timer = os.after(a.interval * S, send);
    } else {
      // all sent: wait -W seconds for a first reply, else ~2 RTT (at least 1 s)
      const expire = received > 0 ? Math.max(1, Math.floor(tmax / (512 * 1024))) : a.timeout;
      timer = os.after(expire * S, finish);
    }
  };
  const deadlineTimer: number | null = a.deadline > 0 ? os.after(a.deadline * S, finish) : null;
  send();
  return proc.done ? (received === 0 ? 1 : 0) : RUNNING;
}
