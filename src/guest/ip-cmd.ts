// busybox `ip` (networking/libiproute): `ip addr|link|route|neigh [show]` in busybox's own
// layout (no `state`/`group`, `qlen` at the end of the link line, no `proto` on routes, `src` after
// two spaces), and the changes labs use: `ip addr add|del CIDR dev D`, `ip link set D up|down|mtu N`,
// `ip route add|del DST [via GW] [dev D]`. Release differences: busybox 1.29 prints `scope link`
// on routes and kernels ≥ 3.9 report IPv4 address lifetimes (`valid_lft forever …`); CirrOS 0.3.4
// (busybox 1.20, Linux 3.2) shows neither. busybox 1.20 has no `ip neigh`; it is offered anyway in
// 1.29's format (the command labs reach for).

import type { NetDevice } from '../kernel/device.js';
import type { Route } from '../kernel/routes.js';
import { ipToString, parseCidr, parseIp } from '../wire/ipv4-address.js';
import { macToString } from '../wire/mac.js';
import { interfaces, ipv6Of } from './ifconfig.js';
import { addRoute, delRoute, dropAddress } from './netconfig.js';
import type { GuestOs } from './os.js';
import type { CommandContext } from './shell.js';

function linkFlags(dev: NetDevice): string {
  const f: string[] = [];
  if (dev.adminUp && !dev.carrier) f.push('NO-CARRIER');
  if (dev.kind === 'loopback') f.push('LOOPBACK');
  else f.push('BROADCAST', 'MULTICAST');
  if (dev.adminUp) f.push('UP');
  if (dev.adminUp && dev.carrier) f.push('LOWER_UP');
  return `<${f.join(',')}>`;
}

export function linkLines(dev: NetDevice): string {
  const lo = dev.kind === 'loopback';
  let s = `${dev.ifindex}: ${dev.name}: ${linkFlags(dev)} mtu ${dev.mtu} qdisc ${dev.qdisc} `;
  if (dev.txqueuelen > 0) s += `qlen ${dev.txqueuelen}`;
  s += `\n    link/${lo ? 'loopback' : 'ether'} ${macToString(dev.mac)} brd ${lo ? '00:00:00:00:00:00' : 'ff:ff:ff:ff:ff:ff'}\n`;
  return s;
}

export function addrLines(os: GuestOs, dev: NetDevice, family: 4 | 6 | 0 = 0): string {
  let s = linkLines(dev);
  for (const a of family === 6 ? [] : dev.addresses) {
    s += `    inet ${ipToString(a.address)}/${a.prefixLen} `;
    if (a.broadcast !== 0 && dev.kind !== 'loopback') s += `brd ${ipToString(a.broadcast)} `;
    s += `scope ${a.scope} `;
    if (a.secondary) s += 'secondary ';
    s += a.label;
    if (os.release.modernIp) s += '\n       valid_lft forever preferred_lft forever';
    s += '\n';
  }
  for (const v6 of family === 4 ? [] : ipv6Of(dev)) {
    s += `    inet6 ${v6.addr}/${v6.plen} scope ${v6.scope.toLowerCase()} \n       valid_lft forever preferred_lft forever\n`;
  }
  return s;
}

/** Routes in the order the kernel dumps the main table (by destination). */
export function sortedRoutes(os: GuestOs): Route[] {
  return [...os.ns.routes.routes].sort((a, b) => a.dst - b.dst || b.prefixLen - a.prefixLen);
}

export function routeLine(os: GuestOs, r: Route): string {
  let s =
    r.prefixLen === 0
      ? 'default '
      : r.prefixLen === 32
        ? `${ipToString(r.dst)} `
        : `${ipToString(r.dst)}/${r.prefixLen} `;
  if (r.via !== 0) s += `via ${ipToString(r.via)} `;
  s += `dev ${r.dev.name} `;
  if (os.release.modernIp && r.scope !== 'global') s += `scope ${r.scope} `;
  if (r.src !== 0) s += ` src ${ipToString(r.src)} `;
  if (r.metric !== 0) s += ` metric ${r.metric} `;
  return s;
}

export function neighLines(os: GuestOs): string {
  let s = '';
  for (const e of os.ns.neigh.list()) {
    const st = os.ns.neigh.state(e);
    s += `${ipToString(e.ip)} dev ${e.dev.name} `;
    if (e.mac !== null && st !== 'INCOMPLETE' && st !== 'FAILED') s += `lladdr ${macToString(e.mac)}`;
    s += ` ${st}\n`;
  }
  return s;
}

const OBJECTS: [string, string][] = [
  ['address', 'addr'],
  ['link', 'link'],
  ['route', 'route'],
  ['neighbor', 'neigh'],
  ['neighbour', 'neigh'],
];

function objectOf(word: string): string | null {
  for (const [full, obj] of OBJECTS) if (word.length > 0 && full.startsWith(word)) return obj;
  if (word === 'neigh') return 'neigh';
  return null;
}

export function ip(argv: string[], ctx: CommandContext): number {
  const { os, io } = ctx;
  // the applet also answers as ipaddr/iplink/iproute (CONFIG_FEATURE_IP_SHORT_FORMS)
  const short: Record<string, string> = {
    ipaddr: 'addr',
    iplink: 'link',
    iproute: 'route',
    ipneigh: 'neigh',
  };
  let args = argv.slice(1);
  if (short[argv[0]] !== undefined) args = [short[argv[0]], ...args];
  // -4/-6 select a family; -o and others are accepted with the output unchanged
  let family: 4 | 6 | 0 = 0;
  while (args[0]?.startsWith('-')) {
    if (args[0] === '-4') family = 4;
    else if (args[0] === '-6') family = 6;
    args = args.slice(1);
  }
  if (args.length === 0) {
    io.err(
      `BusyBox v${os.release.busybox} multi-call binary.\n\nUsage: ip [OPTIONS] address|route|link|tunnel|neigh|rule [COMMAND]\n`,
    );
    return 1;
  }
  const obj = objectOf(args[0]);
  if (obj === null) {
    io.err(`ip: unknown object '${args[0]}'\n`);
    return 1;
  }
  const verb = args[1] ?? 'show';
  const rest = args.slice(2);
  const isShow = 'show'.startsWith(verb) || 'list'.startsWith(verb) || verb === 'lst';
  if (isShow) return show(obj, rest, ctx, family);
  if (ctx.user !== 'root') {
    io.err('ip: RTNETLINK answers: Operation not permitted\n');
    return 2;
  }
  if (obj === 'addr' && (verb === 'add' || verb === 'del')) return addrChange(verb, rest, ctx);
  if (obj === 'link' && verb === 'set') return linkSet(rest, ctx);
  if (obj === 'route' && (verb === 'add' || verb === 'del' || verb === 'delete'))
    return routeChange(verb, rest, ctx);
  io.err(`ip: unknown command '${verb}'\n`);
  return 1;
}

function devArg(rest: string[], ctx: CommandContext): NetDevice | null | undefined {
  const i = rest.indexOf('dev');
  const name = i >= 0 ? rest[i + 1] : rest.find((w) => !['dev', 'up'].includes(w));
  if (name === undefined) return null;
  const dev = ctx.os.ns.dev(name);
  if (dev === undefined) {
    ctx.io.err(`ip: can't find device '${name}'\n`);
    return undefined;
  }
  return dev;
}

function show(obj: string, rest: string[], ctx: CommandContext, family: 4 | 6 | 0): number {
  const { os, io } = ctx;
  if (obj === 'route') {
    if (family === 6) return 0;
    for (const r of sortedRoutes(os)) io.out(`${routeLine(os, r)}\n`);
    return 0;
  }
  if (obj === 'neigh') {
    io.out(neighLines(os));
    return 0;
  }
  const dev = devArg(rest, ctx);
  if (dev === undefined) return 1;
  for (const d of dev === null ? interfaces(os) : [dev])
    io.out(obj === 'addr' ? addrLines(os, d) : linkLines(d));
  return 0;
}

function addrChange(verb: string, rest: string[], ctx: CommandContext): number {
  const { os, io } = ctx;
  const c = rest[0] === undefined ? null : parseCidr(rest[0]);
  if (c === null) {
    io.err(`ip: an inet prefix is expected rather than "${rest[0] ?? ''}"\n`);
    return 1;
  }
  const dev = devArg(rest.slice(1), ctx);
  if (dev === undefined) return 1;
  if (dev === null) {
    io.err('ip: need "dev" argument\n');
    return 1;
  }
  const cidr = `${ipToString(c.address)}/${c.prefixLen}`;
  if (verb === 'add') {
    try {
      os.ns.addAddress(dev, cidr);
    } catch {
      io.err('ip: RTNETLINK answers: File exists\n');
      return 2;
    }
    return 0;
  }
  if (!dropAddress(os.ns, dev, c.address, c.prefixLen)) {
    io.err('ip: RTNETLINK answers: Cannot assign requested address\n');
    return 2;
  }
  return 0;
}

function linkSet(rest: string[], ctx: CommandContext): number {
  const dev = devArg(rest, ctx);
  if (dev === undefined) return 1;
  if (dev === null) {
    ctx.io.err('ip: need "dev" argument\n');
    return 1;
  }
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === 'up') dev.setUp(true);
    else if (rest[i] === 'down') dev.setUp(false);
    else if (rest[i] === 'mtu') {
      const n = Number(rest[++i]);
      if (!Number.isInteger(n) || n < 68 || n > 65535) {
        ctx.io.err('ip: RTNETLINK answers: Invalid argument\n');
        return 2;
      }
      dev.setMtu(n);
    }
  }
  return 0;
}

function routeChange(verb: string, rest: string[], ctx: CommandContext): number {
  const { os, io } = ctx;
  const target = rest[0];
  const c =
    target === 'default' ? { network: 0, prefixLen: 0 } : target === undefined ? null : parseCidr(target);
  if (c === null) {
    io.err(`ip: an inet prefix is expected rather than "${target ?? ''}"\n`);
    return 1;
  }
  let gw = 0;
  let dev: NetDevice | null = null;
  let metric = 0;
  for (let i = 1; i < rest.length; i++) {
    const v = rest[i + 1];
    if (rest[i] === 'via') {
      const g = v === undefined ? null : parseIp(v);
      if (g === null) {
        io.err(`ip: an inet address is expected rather than "${v ?? ''}"\n`);
        return 1;
      }
      gw = g;
      i++;
    } else if (rest[i] === 'dev') {
      const d = v === undefined ? undefined : os.ns.dev(v);
      if (d === undefined) {
        io.err(`ip: can't find device '${v ?? ''}'\n`);
        return 1;
      }
      dev = d;
      i++;
    } else if (rest[i] === 'metric') {
      metric = Number(v) || 0;
      i++;
    }
  }
  const args = { dst: c.network, prefixLen: c.prefixLen, gw, dev, metric };
  const err = verb === 'add' ? addRoute(os.ns, args) : delRoute(os.ns, args);
  if (err !== null) {
    io.err(`ip: RTNETLINK answers: ${err === 'No such process' ? 'No such process' : err}\n`);
    return 2;
  }
  return 0;
}
