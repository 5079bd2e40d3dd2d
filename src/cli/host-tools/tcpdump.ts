// `tcpdump` (4.99.3, libpcap 1.10.3) on a device of the namespace the command runs in: live
// traffic from the device's capture hook (kernel/device.ts), printed as tcpdump prints it, until
// -c packets matched or the client interrupts; `-w FILE` writes a pcap file into the host's
// filesystem instead; `-i any` captures every device of the namespace in the Linux cooked form.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { NetDevice } from '../../kernel/device.js';
import { FileError } from '../../kernel/vfs.js';
import { LINKTYPE_ETHERNET, type PcapRecord, readPcap, writePcap } from '../../wire/pcap.js';
import { compileFilter, FilterSyntaxError, type FramePredicate } from './capture-filter.js';
import { devicesOf } from './link-format.js';
import { formatCooked, formatFrame, type PrintOptions } from './packet-print.js';
import { fail, type ToolContext } from './tool.js';

/** tcpdump's timestamp: local wall-clock time, from whole microseconds since the epoch. */
export function tcpdumpTime(us: number): string {
  const d = new Date(Math.floor(us / 1000));
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(us % 1_000_000, 6)}`;
}

/** The wall-clock microsecond of a virtual time, truncated as the kernel's capture timestamp is. */
export function captureUs(world: { epochMs: number }, ns: number): number {
  return world.epochMs * 1000 + Math.floor(ns / 1000);
}

interface Options {
  dev?: string;
  count: number;
  print: PrintOptions;
  write?: string;
  read?: string;
  direction: 'rx' | 'tx' | 'both';
  listDevices: boolean;
  expr: string;
}

function parse(args: string[]): Options | string {
  const o: Options = {
    count: 0,
    print: { link: false, numeric: false, verbose: false },
    direction: 'both',
    listDevices: false,
    expr: '',
  };
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('-') || a === '-') {
      words.push(a);
      continue;
    }
    if (a === '--list-interfaces') {
      o.listDevices = true;
      continue;
    }
    if (a.startsWith('--interface=')) {
      o.dev = a.slice(12);
      continue;
    }
    // clustered short options: -nne, -c4, -i eth1
    for (let k = 1; k < a.length; k++) {
      const c = a[k];
      const value = () => {
        const v = a.length > k + 1 ? a.slice(k + 1) : args[++i];
        k = a.length;
        return v;
      };
      if (c === 'n') o.print.numeric = true;
      else if (c === 'e') o.print.link = true;
      else if (c === 'v') o.print.verbose = true;
      else if (c === 'l' || c === 'U' || c === 'p' || c === 'q' || c === 'S' || c === 't') continue;
      else if (c === 'D') o.listDevices = true;
      else if (c === 'i') o.dev = value();
      else if (c === 'w') o.write = value();
      else if (c === 'r') o.read = value();
      else if (c === 's' || c === 'B' || c === 'G' || c === 'W' || c === 'C' || c === 'Z' || c === 'y')
        value();
      else if (c === 'c') {
        const v = value();
        if (v === undefined || !/^\d+$/.test(v) || Number(v) < 1)
          return `tcpdump: invalid packet count ${v ?? ''}`;
        o.count = Number(v);
      } else if (c === 'Q') {
        const v = value();
        if (v !== 'in' && v !== 'out' && v !== 'inout') return `tcpdump: ${v} is not a valid direction`;
        o.direction = v === 'in' ? 'rx' : v === 'out' ? 'tx' : 'both';
      } else return `tcpdump: invalid option -- '${c}'\n${USAGE}`;
    }
  }
  o.expr = words.join(' ');
  return o;
}

const USAGE = `tcpdump version 4.99.3
libpcap version 1.10.3 (with TPACKET_V3)
OpenSSL 3.0.11 19 Sep 2023
Usage: tcpdump [-AbdDefhHIJKlLnNOpqStuUvxX#] [ -B size ] [ -c count ] [--count]
\t\t[ -C file_size ] [ -E algo:secret ] [ -F file ] [ -G seconds ]
\t\t[ -i interface ] [ --immediate-mode ] [ -j tstamptype ]
\t\t[ -M secret ] [ --number ] [ --print ] [ -Q in|out|inout ]
\t\t[ -r file ] [ -s snaplen ] [ -T type ] [ --version ]
\t\t[ -V file ] [ -w file ] [ -W filecount ] [ -y datalinktype ]
\t\t[ --time-stamp-precision precision ] [ --micro ] [ --nano ]
\t\t[ -z postrotate-command ] [ -Z user ] [ expression ]`;

function listDevices(ctx: ToolContext): number {
  const devs = devicesOf(ctx.ns);
  const up = devs.filter((d) => d.running && d.kind !== 'loopback');
  const lo = devs.filter((d) => d.kind === 'loopback');
  const rest = devs.filter((d) => !up.includes(d) && !lo.includes(d));
  const lines: string[] = [];
  const state = (d: NetDevice) =>
    d.running ? 'Up, Running, Connected' : d.adminUp ? 'Up, Disconnected' : 'Disconnected';
  for (const d of up) lines.push(`${d.name} [${state(d)}]`);
  lines.push('any (Pseudo-device that captures on all interfaces) [Up, Running]');
  for (const d of lo) lines.push(`${d.name} [Up, Running, Loopback]`);
  for (const d of rest) lines.push(`${d.name} [${state(d)}]`);
  lines.push('nflog (Linux netfilter log (NFLOG) interface) [none]');
  lines.push('nfqueue (Linux netfilter queue (NFQUEUE) interface) [none]');
  ctx.io.stdout(lines.map((l, i) => `${i + 1}.${l}\n`).join(''));
  return 0;
}

/** The packet type a cooked (`-i any`) capture prints: Out, In (to us), B, M, or P (promiscuous). */
function packetType(dev: NetDevice, frame: Uint8Array, dir: 'rx' | 'tx'): string {
  if (dir === 'tx') return 'Out';
  if (frame[0] === 0xff && frame[1] === 0xff && frame[2] === 0xff) return 'B';
  if (frame[0] & 1) return 'M';
  for (let k = 0; k < 6; k++) if (frame[k] !== dev.mac[k]) return 'P';
  return 'In';
}

export function tcpdump(ctx: ToolContext, args: string[]): number | Promise<number> {
  const io = ctx.io;
  const o = parse(args);
  if (typeof o === 'string') return fail(io, o, 1);
  if (o.listDevices) return listDevices(ctx);
  let filter: FramePredicate;
  try {
    filter = compileFilter(o.expr);
  } catch (e) {
    if (e instanceof FilterSyntaxError)
      return fail(io, `tcpdump: can't parse filter expression: ${e.message}`);
    throw e;
  }
  if (o.read !== undefined) return readFile(ctx, o, filter);
  const any = o.dev === 'any';
  // without -i, libpcap picks the first up, non-loopback device
  const name = o.dev ?? devicesOf(ctx.ns).find((d) => d.running && d.kind !== 'loopback')?.name;
  if (name === undefined) return fail(io, 'tcpdump: no suitable device found');
  const devs = any ? devicesOf(ctx.ns) : [ctx.ns.devices.get(name)].filter((d) => d !== undefined);
  if (devs.length === 0) return fail(io, `tcpdump: ${name}: No such device exists\n(No such device exists)`);
  if (!any && !devs[0].adminUp) return fail(io, `tcpdump: ${name}: That device is not up`);
  let path: string | undefined;
  if (o.write !== undefined) {
    path = ctx.host.diskPath(o.write);
    if (path === undefined) return fail(io, `tcpdump: ${o.write}: Permission denied`);
  }
  const linkType = any ? 'LINUX_SLL2 (Linux cooked v2)' : 'EN10MB (Ethernet)';
  if (any) io.stderr('tcpdump: data link type LINUX_SLL2\n');
  if (o.write === undefined && !o.print.verbose)
    io.stderr('tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n');
  io.stderr(
    `${o.write === undefined && !o.print.verbose ? '' : 'tcpdump: '}listening on ${name}, link-type ${linkType}, snapshot length 262144 bytes\n`,
  );

  return new Promise<number>((done) => {
    let seen = 0;
    let captured = 0;
    let finished = false;
    const records: PcapRecord[] = [];
    const unsubscribe: (() => void)[] = [];
    const finish = () => {
      if (finished) return;
      finished = true;
      for (const u of unsubscribe) u();
      if (path !== undefined) {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, writePcap(records, { epochNs: ctx.world.epochMs * 1e6 }));
        ctx.host.files.register(o.write!, { kind: 'disk', path });
      }
      io.stderr(
        `${captured} packet${captured === 1 ? '' : 's'} captured\n${seen} packet${seen === 1 ? '' : 's'} received by filter\n0 packets dropped by kernel\n`,
      );
      done(0);
    };
    for (const dev of devs) {
      unsubscribe.push(
        dev.capture((time, frame, dir) => {
          if (finished || (o.direction !== 'both' && dir !== o.direction)) return;
          seen++;
          if (!filter(frame)) return;
          captured++;
          if (path !== undefined) records.push({ timeNs: time, frame: frame.slice() });
          else {
            let text = formatFrame(frame, o.print);
            if (any) {
              // the cooked header: device, packet type, and with -e the ifindex and source MAC
              const head = `${dev.name.padEnd(5)} ${packetType(dev, frame, dir).padEnd(3)} `;
              text = head + (o.print.link ? formatCooked(frame, o.print, dev.ifindex) : text);
            }
            io.stdout(`${tcpdumpTime(captureUs(ctx.world, time))} ${text}\n`);
          }
          if (o.count > 0 && captured >= o.count) finish();
        }),
      );
    }
    if (io.signal.aborted) finish();
    else io.signal.addEventListener('abort', finish);
  });
}

/** `tcpdump -r FILE`: the frames of a pcap file (one `-w` wrote, or any Ethernet capture) printed. */
function readFile(ctx: ToolContext, o: Options, filter: FramePredicate): number {
  const io = ctx.io;
  const path = o.read!;
  let bytes: Uint8Array;
  try {
    bytes = ctx.host.files.readBytes(path);
  } catch (e) {
    if (e instanceof FileError) return fail(io, `tcpdump: ${path}: ${e.reason}`);
    throw e;
  }
  const file = readPcap(bytes);
  if (!file.ok)
    return fail(
      io,
      bytes.length < 24
        ? `tcpdump: truncated dump file; tried to read 4 file header bytes, only got ${bytes.length}`
        : 'tcpdump: bad dump file format',
    );
  if (file.value.linktype !== LINKTYPE_ETHERNET)
    return fail(io, `tcpdump: packet printing is not supported for link type ${file.value.linktype}: use -w`);
  io.stderr(
    `reading from file ${path}, link-type EN10MB (Ethernet), snapshot length ${file.value.snaplen}\n`,
  );
  let printed = 0;
  let out = '';
  for (const r of file.value.records) {
    if (o.count > 0 && printed >= o.count) break;
    if (!filter(r.frame)) continue;
    printed++;
    // the file holds whole microseconds; the float sum of seconds and fraction is rounded back
    out += `${tcpdumpTime(Math.round(r.timeNs / 1000))} ${formatFrame(r.frame, o.print)}\n`;
  }
  io.stdout(out);
  return 0;
}
