// iputils' `ping` (20221126, Debian 12) from the namespace the command runs in, over the
// namespace's ping socket: one echo request per interval on the simulation's clock, replies and
// ICMP errors as they arrive, and the statistics block when the count is reached, the deadline
// passes or the client interrupts. RTTs are the simulation's.
import type { PingEvent } from '../../kernel/sockets.js';
import { NS_PER_MS, NS_PER_S } from '../../sim/scheduler.js';
import { ipToString, parseIp } from '../../wire/ipv4-address.js';
import { fail, type ToolContext } from './tool.js';

/** iputils prints the per-reply time with 3 significant decimals below 1 ms, fewer above. */
function fmtTime(ms: number): string {
  if (ms >= 100) return String(Math.round(ms));
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

const UNREACH: Record<number, string> = {
  0: 'Destination Net Unreachable',
  1: 'Destination Host Unreachable',
  2: 'Destination Protocol Unreachable',
  3: 'Destination Port Unreachable',
  9: 'Destination Net Prohibited',
  10: 'Destination Host Prohibited',
  13: 'Packet filtered',
};

function describeError(e: Extract<PingEvent, { kind: 'error' }>): string {
  if (e.type === 3 && e.code === 4) return `Frag needed and DF set (mtu = ${e.mtu})`;
  if (e.type === 3) return UNREACH[e.code] ?? `Dest Unreachable, Bad Code: ${e.code}`;
  if (e.type === 11) return e.code === 0 ? 'Time to live exceeded' : 'Frag reassembly time exceeded';
  return `Bad ICMP type: ${e.type}`;
}

interface PingOptions {
  count: number;
  interval: number;
  /** -W: seconds to wait for a reply after the last request (0 = iputils' default). */
  wait: number;
  deadline: number;
  size: number;
  ttl: number;
  quiet: boolean;
  dev?: string;
  target?: string;
}

function parse(ctx: ToolContext, args: string[]): PingOptions | number {
  const o: PingOptions = { count: 0, interval: 1, wait: 0, deadline: 0, size: 56, ttl: 64, quiet: false };
  const num = (flag: string, v: string | undefined, min: number, max: number): number | string => {
    const n = Number(v);
    if (v === undefined || v === '' || !Number.isFinite(n)) return `ping: invalid argument: '${v ?? ''}'`;
    if (n < min || n > max) return `ping: invalid argument: '${v}': out of range: ${min} <= value <= ${max}`;
    return flag === 'c' || flag === 's' || flag === 't' ? Math.floor(n) : n;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('-') || a === '-') {
      if (o.target !== undefined)
        return fail(ctx.io, 'ping: usage error: Only one destination address allowed', 2);
      o.target = a;
      continue;
    }
    const flag = a[1];
    if (flag === 'q' || flag === 'n' || flag === '4' || flag === 'U' || flag === 'D' || flag === 'O') {
      if (flag === 'q') o.quiet = true;
      continue;
    }
    const v = a.length > 2 ? a.slice(2) : args[++i];
    const ranges: Record<string, [number, number]> = {
      c: [1, Number.MAX_SAFE_INTEGER],
      i: [0.002, 2147483],
      W: [0, 2147483],
      w: [0, 2147483],
      s: [0, 65507],
      t: [1, 255],
    };
    if (flag === 'I') {
      o.dev = v;
      continue;
    }
    const r = ranges[flag];
    if (r === undefined) return fail(ctx.io, `ping: invalid option -- '${flag}'`, 2);
    const n = num(flag, v, r[0], r[1]);
    if (typeof n === 'string') return fail(ctx.io, n, 1);
    if (flag === 'c') o.count = n;
    else if (flag === 'i') o.interval = n;
    else if (flag === 'W') o.wait = n;
    else if (flag === 'w') o.deadline = n;
    else if (flag === 's') o.size = n;
    else if (flag === 't') o.ttl = n;
  }
  return o;
}

/** Names a host resolves (its /etc/hosts as packstack writes it): localhost and the cloud's hosts. */
function resolve(ctx: ToolContext, name: string): number | null {
  const literal = parseIp(name);
  if (literal !== null) return literal;
  if (name === 'localhost') return 0x7f000001;
  const h = ctx.world.host(name);
  return h === undefined ? null : parseIp(h.spec.underlayIp);
}

export function ping(ctx: ToolContext, args: string[]): number | Promise<number> {
  const o = parse(ctx, args);
  if (typeof o === 'number') return o;
  const io = ctx.io;
  if (o.target === undefined) return fail(io, 'ping: usage error: Destination address required', 2);
  const dst = resolve(ctx, o.target);
  if (dst === null) return fail(io, `ping: ${o.target}: Temporary failure in name resolution`, 2);
  const ns = ctx.ns;
  const dev = o.dev === undefined ? undefined : ns.devices.get(o.dev);
  if (o.dev !== undefined && dev === undefined)
    return fail(io, `ping: SO_BINDTODEVICE ${o.dev}: No such device`, 2);
  if (ns.ip.route(dst, dev ?? null) === null) return fail(io, 'ping: connect: Network is unreachable', 2);
  const sched = ctx.world.sched;
  const dstText = ipToString(dst);
  io.stdout(`PING ${o.target} (${dstText}) ${o.size}(${o.size + 28}) bytes of data.\n`);

  return new Promise<number>((done) => {
    let sent = 0;
    let received = 0;
    let errors = 0;
    const rtts: number[] = [];
    const start = sched.now;
    let lastSend = start;
    let sendTimer = -1;
    let lingerTimer = -1;
    let finished = false;
    const answered = new Set<number>();

    const finish = () => {
      if (finished) return;
      finished = true;
      sched.cancel(sendTimer);
      sched.cancel(lingerTimer);
      sched.cancel(deadlineTimer);
      sock.close();
      const loss = sent === 0 ? 0 : Math.floor(((sent - received) * 100) / sent);
      const elapsed = Math.round(
        (lastSend - start) / NS_PER_MS + (rtts.length > 0 && answered.has(sent) ? rtts[rtts.length - 1] : 0),
      );
      let s = `\n--- ${o.target} ping statistics ---\n`;
      s += `${sent} packets transmitted, ${received} received, ${errors > 0 ? `+${errors} errors, ` : ''}${loss}% packet loss, time ${elapsed}ms\n`;
      if (received > 0) {
        const min = Math.min(...rtts);
        const max = Math.max(...rtts);
        const avg = rtts.reduce((x, y) => x + y, 0) / rtts.length;
        const sq = rtts.reduce((x, y) => x + y * y, 0) / rtts.length;
        const mdev = Math.sqrt(Math.max(0, sq - avg * avg));
        s += `rtt min/avg/max/mdev = ${min.toFixed(3)}/${avg.toFixed(3)}/${max.toFixed(3)}/${mdev.toFixed(3)} ms\n`;
      } else if (errors > 0 && sent > 1) s += `pipe ${sent}\n`;
      else s += '\n';
      io.stdout(s);
      done(received > 0 ? 0 : 1);
    };

    const settled = () => o.count > 0 && sent >= o.count && received + errors >= sent;

    const linger = () => {
      // after the last request: -W seconds, else twice the slowest reply, else iputils' 10 s
      sched.cancel(lingerTimer);
      const maxRtt = rtts.length > 0 ? Math.max(...rtts) * NS_PER_MS : 0;
      const wait =
        o.wait > 0 ? o.wait * NS_PER_S : received > 0 ? Math.max(2 * maxRtt, NS_PER_MS) : 10 * NS_PER_S;
      lingerTimer = sched.at(lastSend + wait, finish);
    };

    const onEvent = (e: PingEvent) => {
      if (finished || e.seq < 1 || e.seq > sent || answered.has(e.seq)) return;
      answered.add(e.seq);
      if (e.kind === 'reply') {
        received++;
        const ms = e.rtt / NS_PER_MS;
        rtts.push(ms);
        if (!o.quiet)
          io.stdout(
            `${e.bytes} bytes from ${ipToString(e.from)}: icmp_seq=${e.seq} ttl=${e.ttl} time=${fmtTime(ms)} ms\n`,
          );
      } else {
        errors++;
        if (!o.quiet) io.stdout(`From ${ipToString(e.from)} icmp_seq=${e.seq} ${describeError(e)}\n`);
      }
      if (settled()) finish();
    };

    const sock = ns.openPing(onEvent);
    const sendNext = () => {
      if (finished) return;
      sent++;
      lastSend = sched.now;
      const r = sock.send(dst, sent, { size: o.size, ttl: o.ttl, dev });
      if (r === 'EPERM') io.stdout('ping: sendmsg: Operation not permitted\n');
      else if (r === 'EMSGSIZE') io.stdout(`ping: local error: message too long, mtu=${ns.ip.lastMtu}\n`);
      if (r !== 'ok') {
        answered.add(sent);
        errors++;
      }
      if (o.count > 0 && sent >= o.count) {
        if (settled()) finish();
        else linger();
      } else sendTimer = sched.schedule(o.interval * NS_PER_S, sendNext);
    };
    const deadlineTimer = o.deadline > 0 ? sched.schedule(o.deadline * NS_PER_S, finish) : -1;
    if (ctx.io.signal.aborted) {
      finish();
      return;
    }
    ctx.io.signal.addEventListener('abort', () => {
      ctx.world.sync();
      finish();
    });
    sendNext();
  });
}
