// net-tools 2.10's `arp` and `route` over the namespace's neighbour and routing tables (operators
// still type `arp -n` and `route -n` on packstack hosts). Column widths as net-tools prints them:
//   Address                  HWtype  HWaddress           Flags Mask            Iface
//   10.0.0.1                 ether   8e:a4:37:77:bd:43   C                     br0
import { ipToString, parseIp, prefixMask } from '../../wire/ipv4-address.js';
import { sortedRoutes } from './ip-route.js';
import { fail, type ToolContext } from './tool.js';

const hex = (m: Uint8Array) => [...m].map((b) => b.toString(16).padStart(2, '0')).join(':');

export function arp(ctx: ToolContext, args: string[]): number {
  let bsd = false;
  let dev: string | undefined;
  let host: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-i') dev = args[++i];
    else if (/^-[an]+$/.test(a)) bsd ||= a.includes('a');
    else if (a === '-e' || a === '-v') continue;
    else if (!a.startsWith('-')) host = a;
    else return fail(ctx.io, `arp: invalid option -- '${a.replace(/^-+/, '')[0] ?? ''}'`, 255);
  }
  const ns = ctx.ns;
  const target = host === undefined ? undefined : parseIp(host);
  if (host !== undefined && target === null) return fail(ctx.io, `${host}: Unknown host`, 255);
  const entries = ns.neigh
    .list()
    .filter((e) => (dev === undefined || e.dev.name === dev) && (target === undefined || e.ip === target));
  if (target !== undefined && target !== null && entries.length === 0) {
    ctx.io.stdout(`${host} (${ipToString(target)}) -- no entry\n`);
    return 0;
  }
  let out = '';
  if (!bsd && entries.length > 0)
    out += 'Address                  HWtype  HWaddress           Flags Mask            Iface\n';
  for (const e of entries) {
    const state = ns.neigh.state(e);
    const complete = e.mac !== null && state !== 'INCOMPLETE' && state !== 'FAILED';
    const flags = state === 'PERMANENT' ? 'CM' : 'C';
    if (bsd) {
      out += complete
        ? `? (${ipToString(e.ip)}) at ${hex(e.mac!)} [ether]${state === 'PERMANENT' ? ' PERM' : ''} on ${e.dev.name}\n`
        : `? (${ipToString(e.ip)}) at <incomplete> on ${e.dev.name}\n`;
    } else if (complete) {
      out += `${ipToString(e.ip).padEnd(25)}${'ether'.padEnd(8)}${hex(e.mac!).padEnd(20)}${flags.padEnd(6)}${''.padEnd(16)}${e.dev.name}\n`;
    } else
      out += `${ipToString(e.ip).padEnd(25)}${''.padEnd(8)}${'(incomplete)'.padEnd(20)}${''.padEnd(6)}${''.padEnd(16)}${e.dev.name}\n`;
  }
  ctx.io.stdout(out);
  return 0;
}

export function route(ctx: ToolContext, args: string[]): number {
  const numeric = args.some((a) => /^-[a-zA-Z]*n/.test(a));
  const bad = args.find((a) => !/^-[nee]+$/.test(a));
  if (bad !== undefined)
    return fail(
      ctx.io,
      bad.startsWith('-') ? `route: invalid option -- '${bad.slice(1)}'` : `route: bogus command '${bad}'`,
      4,
    );
  let out =
    'Kernel IP routing table\nDestination     Gateway         Genmask         Flags Metric Ref    Use Iface\n';
  for (const r of sortedRoutes(ctx.ns.routes.routes)) {
    const dst = r.prefixLen === 0 && !numeric ? 'default' : ipToString(r.dst);
    const flags = `U${r.via !== 0 ? 'G' : ''}${r.prefixLen === 32 ? 'H' : ''}`;
    out += `${dst.padEnd(15)} ${ipToString(r.via).padEnd(15)} ${ipToString(prefixMask(r.prefixLen)).padEnd(15)} ${flags.padEnd(5)} ${String(r.metric).padEnd(6)} ${'0'.padEnd(2)} ${'0'.padStart(7)} ${r.dev.name}\n`;
  }
  ctx.io.stdout(out);
  return 0;
}
