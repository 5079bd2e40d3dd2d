// `ip route` and `ip neigh` over a namespace's routing and neighbour tables. iproute2 6.x ends
// every route and neighbour line with a space; `proto boot` (what `ip route add` sets by default)
// is not printed, `scope global` neither; the kernel dumps the main table ordered by destination.
import type { NetDevice } from '../../kernel/device.js';
import { makeRoute, type Route, type RouteProto } from '../../kernel/routes.js';
import { cidrToString, ipToString, parseCidr, parseIp } from '../../wire/ipv4-address.js';
import { parseMac } from '../../wire/mac.js';
import { matches } from './ip.js';
import { devicesOf, ipv6Addresses } from './link-format.js';
import { fail, type ToolContext } from './tool.js';

export function formatRoute(r: Route, omitDev = false): string {
  let s =
    r.prefixLen === 0
      ? 'default'
      : cidrToString({ network: r.dst, prefixLen: r.prefixLen, mask: r.mask, address: r.dst });
  if (r.via !== 0) s += ` via ${ipToString(r.via)}`;
  if (!omitDev) s += ` dev ${r.dev.name}`;
  if (r.proto !== 'boot') s += ` proto ${r.proto}`;
  if (r.scope !== 'global') s += ` scope ${r.scope}`;
  if (r.src !== 0) s += ` src ${ipToString(r.src)}`;
  if (r.metric !== 0) s += ` metric ${r.metric}`;
  return `${s} \n`;
}

/** Main-table routes in the kernel's dump order: by destination, then prefix length, then metric. */
export function sortedRoutes(routes: readonly Route[]): Route[] {
  return [...routes].sort((a, b) => a.dst - b.dst || a.prefixLen - b.prefixLen || a.metric - b.metric);
}

function parseDst(text: string): { network: number; prefixLen: number } | null {
  if (text === 'default' || text === '0/0' || text === 'all') return { network: 0, prefixLen: 0 };
  const c = parseCidr(text.includes('/') ? text : `${text}/32`);
  return c === null ? null : { network: c.network, prefixLen: c.prefixLen };
}

export function ipRoute(ctx: ToolContext, args: string[], family?: 4 | 6): number {
  const [cmd = 'show', ...rest] = args;
  const ns = ctx.ns;
  if (matches(cmd, 'show') || matches(cmd, 'list') || cmd === 'lst') {
    let devName: string | undefined;
    for (let i = 0; i < rest.length; i++) if (rest[i] === 'dev') devName = rest[++i];
    if (devName !== undefined && !ns.devices.has(devName))
      return fail(ctx.io, `Cannot find device "${devName}"`);
    if (family === 6) {
      // IPv6 is not routed here; what exists is the link-local route of every device with fe80::
      const devs = devicesOf(ns).filter((d) => ipv6Addresses(d).some((a) => a.scope === 'link'));
      ctx.io.stdout(
        devs
          .filter((d) => devName === undefined || d.name === devName)
          .map(
            (d) =>
              `fe80::/64${devName === undefined ? ` dev ${d.name}` : ''} proto kernel metric 256 pref medium\n`,
          )
          .join(''),
      );
      return 0;
    }
    const list = sortedRoutes(ns.routes.routes).filter(
      (r) => devName === undefined || r.dev.name === devName,
    );
    ctx.io.stdout(list.map((r) => formatRoute(r, devName !== undefined)).join(''));
    return 0;
  }
  if (matches(cmd, 'get')) {
    const dst = parseIp(rest[0] ?? '');
    if (dst === null) return fail(ctx.io, `Error: inet prefix is expected rather than "${rest[0] ?? ''}".`);
    const local = ns.localAddressOwner(dst);
    if (local !== null) {
      ctx.io.stdout(`local ${ipToString(dst)} dev lo src ${ipToString(dst)} uid 0 \n    cache <local> \n`);
      return 0;
    }
    const r = ns.routes.lookup(dst);
    if (r === null) return fail(ctx.io, 'RTNETLINK answers: Network is unreachable', 2);
    const via = r.via !== 0 ? ` via ${ipToString(r.via)}` : '';
    const src = r.src !== 0 ? r.src : ns.sourceFor(r.dev, dst);
    ctx.io.stdout(`${ipToString(dst)}${via} dev ${r.dev.name} src ${ipToString(src)} uid 0 \n    cache \n`);
    return 0;
  }
  const add = matches(cmd, 'add') || matches(cmd, 'replace');
  if (!add && !matches(cmd, 'delete'))
    return fail(ctx.io, `Command "${cmd}" is unknown, try "ip route help".`, 255);
  let dstText: string | undefined;
  let via: number | undefined;
  let dev: NetDevice | undefined;
  let proto: RouteProto | undefined;
  let scope: 'link' | 'global' | 'host' | undefined;
  let src: number | undefined;
  let metric: number | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const v = rest[i + 1];
    if (a === 'via' || a === 'src') {
      const n = parseIp(v ?? '');
      if (n === null) return fail(ctx.io, `Error: inet address is expected rather than "${v ?? ''}".`);
      if (a === 'via') via = n;
      else src = n;
      i++;
    } else if (a === 'dev' || a === 'oif') {
      const d = ns.devices.get(v ?? '');
      if (d === undefined) return fail(ctx.io, `Cannot find device "${v ?? ''}"`);
      dev = d;
      i++;
    } else if (a === 'proto') {
      proto = v as RouteProto;
      i++;
    } else if (a === 'scope') {
      scope = (v === 'universe' ? 'global' : v) as typeof scope;
      i++;
    } else if (a === 'metric' || a === 'preference' || a === 'priority') {
      metric = Number(v);
      i++;
    } else if (a === 'to') {
      dstText = v;
      i++;
    } else if (dstText === undefined) dstText = a;
    else return fail(ctx.io, `Error: either "to" is duplicate, or "${a}" is a garbage.`);
  }
  const dst = parseDst(dstText ?? '');
  if (dst === null) return fail(ctx.io, `Error: inet prefix is expected rather than "${dstText ?? ''}".`);
  if (!add) {
    const r = ns.routes.routes.find(
      (x) =>
        x.dst === dst.network &&
        x.prefixLen === dst.prefixLen &&
        (dev === undefined || x.dev === dev) &&
        (via === undefined || x.via === via) &&
        (metric === undefined || x.metric === metric),
    );
    if (r === undefined) return fail(ctx.io, 'RTNETLINK answers: No such process', 2);
    ns.routes.remove(r.dst, r.prefixLen, r.dev);
    return 0;
  }
  if (via !== undefined) {
    // the gateway must be on a connected network (fib_check_nh)
    const nh = ns.routes.routes.find(
      (r) =>
        r.via === 0 &&
        (via & r.mask) >>> 0 === r.dst &&
        (dev === undefined || r.dev === dev) &&
        r.dev.adminUp,
    );
    if (nh === undefined) return fail(ctx.io, 'Error: Nexthop has invalid gateway.', 2);
    dev ??= nh.dev;
  }
  if (dev === undefined) return fail(ctx.io, 'Error: Device for nexthop is not up.', 2);
  if (!dev.adminUp) return fail(ctx.io, 'Error: Device for nexthop is not up.', 2);
  try {
    if (matches(cmd, 'replace'))
      ns.routes.removeWhere(
        (r) => r.dst === dst.network && r.prefixLen === dst.prefixLen && r.metric === (metric ?? 0),
      );
    ns.routes.add(makeRoute({ dst, via, dev, proto, scope, src, metric }));
  } catch (e) {
    return fail(ctx.io, (e as Error).message, 2);
  }
  return 0;
}

export function ipNeigh(ctx: ToolContext, args: string[], family?: 4 | 6): number {
  const [cmd = 'show', ...rest] = args;
  // no IPv6 neighbour discovery is emulated: the IPv6 table is empty
  if (family === 6 && (matches(cmd, 'show') || matches(cmd, 'list'))) return 0;
  const ns = ctx.ns;
  let devName: string | undefined;
  let addr: string | undefined;
  let lladdr: string | undefined;
  let nud: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === 'dev') devName = rest[++i];
    else if (a === 'lladdr') lladdr = rest[++i];
    else if (a === 'nud') nud = rest[++i];
    else if (a === 'to') addr = rest[++i];
    else if (addr === undefined) addr = a;
  }
  const dev = devName === undefined ? undefined : ns.devices.get(devName);
  if (devName !== undefined && dev === undefined) return fail(ctx.io, `Cannot find device "${devName}"`);
  if (matches(cmd, 'show') || matches(cmd, 'list') || cmd === 'lst' || matches(cmd, 'flush')) {
    const list = ns.neigh.list().filter((e) => dev === undefined || e.dev === dev);
    if (matches(cmd, 'flush')) {
      for (const e of list) if (ns.neigh.state(e) !== 'PERMANENT') ns.neigh.delete(e.ip, e.dev);
      return 0;
    }
    let out = '';
    for (const e of list) {
      let s = ipToString(e.ip);
      if (dev === undefined) s += ` dev ${e.dev.name}`;
      if (e.mac !== null) s += ` lladdr ${[...e.mac].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
      out += `${s} ${ns.neigh.state(e)} \n`;
    }
    ctx.io.stdout(out);
    return 0;
  }
  const ip = parseIp(addr ?? '');
  if (ip === null) return fail(ctx.io, `Error: inet address is expected rather than "${addr ?? ''}".`);
  if (dev === undefined) return fail(ctx.io, 'Device and destination are required arguments.');
  if (matches(cmd, 'delete')) {
    if (!ns.neigh.delete(ip, dev)) return fail(ctx.io, 'RTNETLINK answers: No such file or directory', 2);
    return 0;
  }
  if (matches(cmd, 'add') || matches(cmd, 'replace') || matches(cmd, 'change')) {
    const mac = parseMac(lladdr ?? '');
    if (mac === null) return fail(ctx.io, `"${lladdr ?? ''}" is invalid lladdr.`);
    if (matches(cmd, 'add') && ns.neigh.get(ip, dev) !== undefined)
      return fail(ctx.io, 'RTNETLINK answers: File exists', 2);
    const state = (nud ?? 'permanent').toUpperCase();
    ns.neigh.set(
      ip,
      dev,
      mac,
      state === 'REACHABLE' ? 'REACHABLE' : state === 'STALE' ? 'STALE' : 'PERMANENT',
    );
    return 0;
  }
  return fail(ctx.io, `Command "${cmd}" is unknown, try "ip neigh help".`, 255);
}
