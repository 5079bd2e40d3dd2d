// busybox traceroute (networking/traceroute.c, UDP probes): the header on stderr,
// `traceroute to HOST (ADDR), 30 hops max, 46 byte packets` (20 IP + 8 UDP + the 18-byte
// outdata of a 64-bit build), then per TTL from 1 to -m: -q probes (3) to port -p+seq (33434+seq,
// seq from 1), each waiting -w seconds (5) for the ICMP error it provokes: time exceeded from a
// router on the way, port unreachable from the destination (done), or another unreachable code
// (`!H`, `!N`, `!P`, `!F-mtu`, `!X`). Silence prints `  *`. An address is printed when it differs
// from the previous probe's; times as `  0.512 ms`.

import type { UdpSocket } from '../kernel/sockets.js';
import { ipToString } from '../wire/ipv4-address.js';
import { msText } from './ping.js';
import { RUNNING } from './proc.js';
import { resolveHost } from './resolve.js';
import type { CommandContext } from './shell.js';

const S = 1e9;
/** sizeof(struct outdata_t) on x86_64: seq, ttl and a struct timeval. */
const OUTDATA = 18;

function usage(ctx: CommandContext): number {
  ctx.io.err(
    `BusyBox v${ctx.os.release.busybox} multi-call binary.\n\nUsage: traceroute [-FIldnrv] [-f 1ST_TTL] [-m MAXTTL] [-p PORT] [-q PROBES]\n` +
      '\t[-s SRC_IP] [-t TOS] [-w WAIT_SEC] [-g GATEWAY] [-i IFACE]\n\t[-z PAUSE_MSEC] HOST [BYTES]\n\nTrace the route to HOST\n',
  );
  return 1;
}

export function traceroute(argv: string[], ctx: CommandContext): number {
  const { os, io, proc } = ctx;
  let numeric = false;
  let maxTtl = 30;
  let firstTtl = 1;
  let nprobes = 3;
  let wait = 5;
  let port = 33434;
  const rest: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const w = argv[i];
    if (w[0] !== '-' || w.length < 2) {
      rest.push(w);
      continue;
    }
    for (let k = 1; k < w.length; k++) {
      const f = w[k];
      if (f === 'n') numeric = true;
      else if ('FIldrv'.includes(f)) continue;
      else if ('fmpqw'.includes(f)) {
        const v = k + 1 < w.length ? w.slice(k + 1) : argv[++i];
        const n = Number(v);
        if (v === undefined || !Number.isInteger(n) || n < 0) {
          io.err(`traceroute: invalid number '${v ?? ''}'\n`);
          return 1;
        }
        if (f === 'f') firstTtl = n;
        else if (f === 'm') maxTtl = n;
        else if (f === 'p') port = n;
        else if (f === 'q') nprobes = n;
        else wait = n;
        break;
      } else return usage(ctx);
    }
  }
  if (rest.length < 1 || rest.length > 2) return usage(ctx);
  const host = rest[0];
  const dst = resolveHost(os, host);
  if (dst === null) {
    io.err(`traceroute: bad address '${host}'\n`);
    return 1;
  }
  if (firstTtl < 1 || firstTtl > maxTtl) {
    io.err('traceroute: first ttl (1) may not be greater than max ttl\n');
    return 1;
  }
  const packlen = rest[1] !== undefined ? Number(rest[1]) : 20 + 8 + OUTDATA;
  const dataLen = Math.max(0, packlen - 28);
  io.err(`traceroute to ${host} (${ipToString(dst)}), ${maxTtl} hops max, ${packlen} byte packets\n`);

  const addr = (a: number): string =>
    numeric ? `  ${ipToString(a)}` : `  ${ipToString(a)} (${ipToString(a)})`;
  let sock: UdpSocket | null = null;
  // busybox binds its probes' source port to (pid & 0xffff) | 0x8000
  for (let tries = 0; sock === null && tries < 16; tries++) {
    try {
      sock = os.ns.bindUdp(0, 0x8000 | os.sched.int(0x8000), () => {});
    } catch {
      sock = null;
    }
  }
  if (sock === null) {
    io.err('traceroute: bind: Address already in use\n');
    return 1;
  }
  let ttl = firstTtl;
  let probe = 0;
  let seq = 0;
  let sentAt = 0;
  let lastAddr = -1;
  let gotThere = false;
  let unreachable = 0;
  let timer: number | null = null;
  /** A probe is out and unanswered. */
  let waiting = false;
  const s = sock;
  proc.onExit(() => {
    s.close();
    if (timer !== null) os.cancel(timer);
  });

  const nextProbe = (): void => {
    timer = null;
    if (probe >= nprobes) {
      io.out('\n');
      if (gotThere || (unreachable > 0 && unreachable >= nprobes - 1) || ttl >= maxTtl) {
        proc.exit(0);
        return;
      }
      ttl++;
      probe = 0;
      lastAddr = -1;
    }
    if (probe === 0) io.out(String(ttl).padStart(2));
    probe++;
    seq++;
    const payload = new Uint8Array(dataLen);
    if (dataLen >= 2) {
      payload[0] = seq & 0xff;
      payload[1] = ttl;
    }
    sentAt = os.sched.now;
    const r = s.send(dst, port + seq, payload, { ttl, df: false });
    if (r !== 'ok') {
      io.err(`traceroute: sendto: ${r === 'ENETUNREACH' ? 'Network is unreachable' : 'Message too long'}\n`);
      proc.exit(1);
      return;
    }
    waiting = true;
    timer = os.after(wait * S, () => {
      waiting = false;
      io.out('  *');
      nextProbe();
    });
  };

  s.onError = (e) => {
    if (proc.done || !waiting || timer === null || e.dstPort !== port + seq || e.dst !== dst) return;
    waiting = false;
    os.cancel(timer);
    timer = null;
    if (e.from !== lastAddr) {
      io.out(addr(e.from));
      lastAddr = e.from;
    }
    io.out(`  ${msText(Math.floor((os.sched.now - sentAt) / 1000))} ms`);
    if (e.type === 3) {
      if (e.code === 3) gotThere = true;
      else {
        unreachable++;
        const marks: Record<number, string> = {
          0: ' !N',
          1: ' !H',
          2: ' !P',
          4: ' !F',
          9: ' !X',
          10: ' !X',
          13: ' !X',
        };
        io.out(marks[e.code] ?? ` !<${e.code}>`);
        if (e.code === 2) gotThere = true;
      }
    }
    // the next probe leaves after this delivery returns (never re-enter the stack from its input path)
    timer = os.after(0, nextProbe);
  };
  nextProbe();
  return RUNNING;
}
