// busybox `route` (networking/route.c: the /proc/net/route table, `route add|del` through
// SIOCADDRT/SIOCDELRT) and `arp` (networking/arp.c: /proc/net/arp). Without -n busybox resolves
// names: 0.0.0.0 reads `default` and a missing gateway `*`; other addresses have no reverse DNS
// here and print as numbers.

import { ipToString, parseCidr, parseIp, prefixMask } from '../wire/ipv4-address.js';
import { macToString } from '../wire/mac.js';
import { sortedRoutes } from './ip-cmd.js';
import { addRoute, classfulPrefix, delRoute } from './netconfig.js';
import type { GuestOs } from './os.js';
import type { CommandContext } from './shell.js';

export function routeTable(os: GuestOs, numeric: boolean): string {
  let s =
    'Kernel IP routing table\nDestination     Gateway         Genmask         Flags Metric Ref    Use Iface\n';
  for (const r of sortedRoutes(os)) {
    let flags = 'U';
    if (r.via !== 0) flags += 'G';
    if (r.prefixLen === 32) flags += 'H';
    const dest = !numeric && r.dst === 0 ? 'default' : ipToString(r.dst);
    const gw = !numeric && r.via === 0 ? '*' : ipToString(r.via);
    s += `${dest.padEnd(15)} ${gw.padEnd(15)} ${ipToString(prefixMask(r.prefixLen)).padEnd(16)}${flags.padEnd(6)}`;
    s += `${String(r.metric).padEnd(6)} ${'0'.padEnd(2)} ${'0'.padStart(7)} ${r.dev.name}\n`;
  }
  return s;
}

export function route(argv: string[], ctx: CommandContext): number {
  const { os, io } = ctx;
  const args = argv.slice(1).filter((w) => w !== '-A' && w !== 'inet');
  const numeric = args.includes('-n') || args.includes('-e') || args.includes('-ne');
  const words = args.filter((w) => !w.startsWith('-') || w === '-net' || w === '-host');
  if (words.length === 0) {
    io.out(routeTable(os, numeric));
    return 0;
  }
  const verb = words[0];
  if (verb !== 'add' && verb !== 'del') {
    io.err(`BusyBox v${os.release.busybox} multi-call binary.\n\nUsage: route [{add|del|delete}]\n`);
    return 1;
  }
  if (ctx.user !== 'root') {
    io.err(`route: ${verb === 'add' ? 'SIOCADDRT' : 'SIOCDELRT'}: Operation not permitted\n`);
    return 1;
  }
  let i = 1;
  let host = false;
  if (words[i] === '-net' || words[i] === '-host') host = words[i++] === '-host';
  const target = words[i++];
  if (target === undefined) {
    io.err("route: bad address ''\n");
    return 1;
  }
  let dst: number;
  let prefixLen: number;
  if (target === 'default') {
    dst = 0;
    prefixLen = 0;
  } else {
    const c = parseCidr(target);
    if (c === null) {
      io.err(`route: resolving ${target}\n`);
      return 1;
    }
    dst = c.network;
    prefixLen = target.includes('/')
      ? c.prefixLen
      : host || words[1] !== '-net'
        ? 32
        : Math.max(0, classfulPrefix(c.address));
  }
  let gw = 0;
  let metric = 0;
  let dev = null;
  for (; i < words.length; i++) {
    const w = words[i];
    const v = words[i + 1];
    if (w === 'gw' || w === 'netmask' || w === 'metric' || w === 'dev') {
      if (v === undefined) {
        io.err(`route: bad address ''\n`);
        return 1;
      }
      i++;
      if (w === 'metric') metric = Number(v) || 0;
      else if (w === 'dev') dev = os.ns.dev(v) ?? null;
      else {
        const a = parseIp(v);
        if (a === null) {
          io.err(`route: resolving ${v}\n`);
          return 1;
        }
        if (w === 'gw') gw = a;
        else prefixLen = Math.clz32(~a);
      }
    } else {
      dev = os.ns.dev(w) ?? null;
      if (dev === null) {
        io.err(`route: SIOC${verb === 'add' ? 'ADD' : 'DEL'}RT: No such device\n`);
        return 1;
      }
    }
  }
  dst = (dst & prefixMask(prefixLen)) >>> 0;
  const r = { dst, prefixLen, gw, dev, metric };
  const err = verb === 'add' ? addRoute(os.ns, r) : delRoute(os.ns, r);
  if (err !== null) {
    io.err(`route: ${verb === 'add' ? 'SIOCADDRT' : 'SIOCDELRT'}: ${err}\n`);
    return 1;
  }
  return 0;
}

export function arpTable(os: GuestOs): string {
  let s = '';
  for (const e of os.ns.neigh.list()) {
    const st = os.ns.neigh.state(e);
    const complete = e.mac !== null && st !== 'INCOMPLETE' && st !== 'FAILED';
    s += `? (${ipToString(e.ip)}) at `;
    s += complete ? `${macToString(e.mac!)} [ether]` : '<incomplete>';
    if (st === 'PERMANENT') s += ' PERM';
    s += `  on ${e.dev.name}\n`;
  }
  return s;
}

export function arp(argv: string[], ctx: CommandContext): number {
  const { os, io } = ctx;
  const args = argv.slice(1);
  const d = args.indexOf('-d');
  if (d >= 0) {
    if (ctx.user !== 'root') {
      io.err('arp: SIOCDARP(dontpub): Operation not permitted\n');
      return 1;
    }
    const a = parseIp(args[d + 1] ?? '');
    const e = a === null ? undefined : os.ns.neigh.list().find((x) => x.ip === a);
    if (e === undefined) {
      io.err('arp: SIOCDARP(dontpub): No such device or address\n');
      return 1;
    }
    os.ns.neigh.delete(e.ip, e.dev);
    return 0;
  }
  io.out(arpTable(os));
  return 0;
}
