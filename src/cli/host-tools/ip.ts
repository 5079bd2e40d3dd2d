// `ip` (iproute2 6.1) over a namespace of the emulated host: global options, object dispatch with
// iproute2's prefix matching (`ip a`, `ip r`, `ip n`), and `ip link` / `ip addr`. Routes and
// neighbours are in ip-route.ts, namespaces in ip-netns.ts. Error texts and exit codes are the
// real ones: 1 for what iproute2 itself rejects, 2 for what the kernel answers (RTNETLINK).
import { LinuxBridge } from '../../kernel/bridge.js';
import type { NetDevice } from '../../kernel/device.js';
import { parseCidr } from '../../wire/ipv4-address.js';
import { parseMac } from '../../wire/mac.js';
import { ipNetns } from './ip-netns.js';
import { ipNeigh, ipRoute } from './ip-route.js';
import { briefAddr, briefLink, devicesOf, formatAddr, formatLink, type LinkOptions } from './link-format.js';
import { fail, type ToolContext } from './tool.js';

export interface IpOptions extends LinkOptions {
  brief?: boolean;
  /** -4 / -6 */
  family?: 4 | 6;
  /** -o: one line per record, inner newlines as `\\`. */
  oneline?: boolean;
}

/** iproute2's object table order decides what an abbreviation means (`ip n` is neigh, not netns). */
const OBJECTS = ['address', 'route', 'rule', 'neighbour', 'neighbor', 'link', 'tuntap', 'netns', 'help'];

/** True when `word` is a prefix of `full` (iproute2's matches()). */
export function matches(word: string, full: string): boolean {
  return word.length > 0 && full.startsWith(word);
}

export async function ip(ctx: ToolContext, args: string[]): Promise<number> {
  const o: IpOptions = {};
  let ns = ctx.ns;
  let i = 0;
  for (; i < args.length && args[i].startsWith('-'); i++) {
    let a = args[i].replace(/^--?/, '-');
    if (a === '-') break;
    a = a.slice(1);
    if (matches(a, 'brief') && a.length >= 2) o.brief = true;
    else if (matches(a, 'statistics') || matches(a, 'stats')) o.stats = (o.stats ?? 0) + 1;
    else if (matches(a, 'details')) o.details = true;
    else if (a === '4' || a === '6') o.family = a === '4' ? 4 : 6;
    else if (matches(a, 'oneline')) o.oneline = true;
    else if (matches(a, 'family')) {
      const f = args[++i];
      if (f === 'inet' || f === 'inet6') o.family = f === 'inet' ? 4 : 6;
    } else if (matches(a, 'color') || a === 'c') {
    } else if (a === 'n' || matches(a, 'netns')) {
      const name = args[++i];
      if (name === undefined) return fail(ctx.io, 'Command line is not complete. Try option "help"', 255);
      const target = ctx.host.kernel.namespaces.get(name);
      if (target === undefined)
        return fail(ctx.io, `Cannot open network namespace "${name}": No such file or directory`, 255);
      ns = target;
    } else if (a === 'V' || matches(a, 'Version')) {
      ctx.io.stdout('ip utility, iproute2-6.1.0, libbpf 1.1.2\n');
      return 0;
    } else return fail(ctx.io, `Option "${args[i]}" is unknown, try "ip -help".`, 255);
  }
  const objWord = args[i];
  const rest = args.slice(i + 1);
  if (objWord === undefined) return usage(ctx);
  const obj = OBJECTS.find((x) => matches(objWord, x));
  const c = { ...ctx, ns };
  switch (obj) {
    case 'address':
      return ipAddr(c, rest, o);
    case 'link':
      return ipLink(c, rest, o);
    case 'route':
      return ipRoute(c, rest, o.family);
    case 'neighbour':
    case 'neighbor':
      return ipNeigh(c, rest, o.family);
    case 'netns':
      return ipNetns(c, rest);
    case 'help':
      return usage(ctx);
  }
  return fail(ctx.io, `Object "${objWord}" is unknown, try "ip help".`);
}

function usage(ctx: ToolContext): number {
  ctx.io.stderr(
    'Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n' +
      '       ip [ -force ] -batch filename\n' +
      'where  OBJECT := { address | addrlabel | amt | fou | help | ila | ioam | l2tp | link |\n' +
      '                   macsec | maddress | monitor | mptcp | mroute | mrule |\n' +
      '                   neighbor | neighbour | netconf | netns | nexthop | ntable |\n' +
      '                   ntbl | route | rule | sr | tap | tcpmetrics |\n' +
      '                   token | tunnel | tuntap | vrf | xfrm }\n' +
      '       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] | -r[esolve] |\n' +
      '                    -h[uman-readable] | -iec | -j[son] | -p[retty] |\n' +
      '                    -f[amily] { inet | inet6 | mpls | bridge | link } |\n' +
      '                    -4 | -6 | -M | -B | -0 |\n' +
      '                    -l[oops] { maximum-addr-flush-attempts } | -br[ief] |\n' +
      '                    -o[neline] | -t[imestamp] | -ts[hort] | -b[atch] [filename] |\n' +
      '                    -rc[vbuf] [size] | -n[etns] name | -N[umeric] | -a[ll] |\n' +
      '                    -c[olor]}\n',
  );
  return 255;
}

type Ctx = ToolContext;

/** `show [dev] X [up] [master M] [type T]` filters; an unknown device is an error. */
function selectDevices(ctx: Ctx, args: string[]): NetDevice[] | number {
  let list = devicesOf(ctx.ns);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === 'up') list = list.filter((d) => d.adminUp);
    else if (a === 'master') {
      const m = args[++i] ?? '';
      const br = ctx.ns.devices.get(m);
      if (br === undefined) return fail(ctx.io, `Device "${m}" does not exist.`);
      list = list.filter(
        (d) => d.master !== null && d.master.name === (br instanceof LinuxBridge ? br.name : ''),
      );
    } else if (a === 'type') {
      const t = args[++i] ?? '';
      list = list.filter((d) => (d.kind === 'tun' ? 'tun' : d.kind) === t);
    } else {
      const name = a === 'dev' ? args[++i] : a;
      if (name === undefined) return fail(ctx.io, 'Command line is not complete. Try option "help"', 255);
      const d = ctx.ns.devices.get(name);
      if (d === undefined) return fail(ctx.io, `Device "${name}" does not exist.`);
      list = list.filter((x) => x === d);
    }
  }
  return list;
}

function show(ctx: Ctx, args: string[], o: IpOptions, addr: boolean): number {
  const list = selectDevices(ctx, args);
  if (typeof list === 'number') return list;
  let out = '';
  for (const d of list) {
    if (o.brief) out += addr ? briefAddr(d, o.family) : briefLink(d);
    else if (addr) out += formatAddr(d, o);
    else out += o.oneline ? `${formatLink(d, o).slice(0, -1).replaceAll('\n', '\\')}\n` : formatLink(d, o);
  }
  ctx.io.stdout(out);
  return 0;
}

function ipAddr(ctx: Ctx, args: string[], o: IpOptions): number {
  const [cmd = 'show', ...rest] = args;
  if (matches(cmd, 'show') || matches(cmd, 'list') || cmd === 'lst') return show(ctx, rest, o, true);
  if (matches(cmd, 'add') || matches(cmd, 'delete')) return addrChange(ctx, rest, matches(cmd, 'add'));
  if (matches(cmd, 'flush')) {
    const dev = devArg(ctx, rest);
    if (typeof dev === 'number') return dev;
    for (const a of [...dev.addresses]) ctx.ns.removeAddress(dev, `${ipStr(a.address)}/${a.prefixLen}`);
    return 0;
  }
  // `ip addr dev X` is show with a filter
  if (cmd === 'dev' || ctx.ns.devices.has(cmd)) return show(ctx, args, o, true);
  return fail(ctx.io, `Command "${cmd}" is unknown, try "ip address help".`, 255);
}

const ipStr = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

function devArg(ctx: Ctx, args: string[]): NetDevice | number {
  const i = args.indexOf('dev');
  const name = i >= 0 ? args[i + 1] : args[0];
  if (name === undefined) return fail(ctx.io, 'Not enough information: "dev" argument is required.');
  const d = ctx.ns.devices.get(name);
  if (d === undefined) return fail(ctx.io, `Cannot find device "${name}"`);
  return d;
}

function addrChange(ctx: Ctx, args: string[], add: boolean): number {
  let cidr: string | undefined;
  let devName: string | undefined;
  let brd: string | undefined;
  let scope: 'global' | 'link' | 'host' | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === 'dev') devName = args[++i];
    else if (a === 'brd' || a === 'broadcast') brd = args[++i];
    else if (a === 'scope') scope = args[++i] as typeof scope;
    else if (a === 'label' || a === 'valid_lft' || a === 'preferred_lft') i++;
    else if (a === 'local') cidr = args[++i];
    else if (cidr === undefined) cidr = a;
    else return fail(ctx.io, `Error: either "local" is duplicate, or "${a}" is a garbage.`);
  }
  if (cidr === undefined) return fail(ctx.io, 'Not enough information: "local" argument is required.');
  const c = parseCidr(cidr.includes('/') ? cidr : `${cidr}/32`);
  if (c === null) return fail(ctx.io, `Error: any valid prefix is expected rather than "${cidr}".`);
  if (devName === undefined) return fail(ctx.io, 'Not enough information: "dev" argument is required.');
  const dev = ctx.ns.devices.get(devName);
  if (dev === undefined) return fail(ctx.io, `Cannot find device "${devName}"`);
  const text = `${ipStr(c.address)}/${c.prefixLen}`;
  if (!add) {
    if (!ctx.ns.removeAddress(dev, text)) return fail(ctx.io, 'Error: ipv4: Address not found.', 2);
    return 0;
  }
  if (dev.addresses.some((a) => a.address === c.address && a.prefixLen === c.prefixLen))
    return fail(ctx.io, 'Error: ipv4: Address already assigned.', 2);
  // Without `brd` iproute2 sets no broadcast address; `brd +` derives it (what Neutron passes).
  let broadcast = 0;
  if (brd === '+') broadcast = c.prefixLen >= 31 ? 0 : (c.network | ~c.mask) >>> 0;
  else if (brd === '-') broadcast = 0;
  else if (brd !== undefined) {
    const b = parseCidr(`${brd}/32`);
    if (b === null) return fail(ctx.io, `Error: inet address is expected rather than "${brd}".`);
    broadcast = b.address;
  }
  ctx.ns.addAddress(dev, text, { broadcast, scope });
  return 0;
}

function ipLink(ctx: Ctx, args: string[], o: IpOptions): number {
  const [cmd = 'show', ...rest] = args;
  if (matches(cmd, 'show') || matches(cmd, 'list') || cmd === 'lst') return show(ctx, rest, o, false);
  if (matches(cmd, 'add')) return linkAdd(ctx, rest);
  if (matches(cmd, 'delete')) {
    const name = rest[0] === 'dev' ? rest[1] : rest[0];
    if (name === undefined) return fail(ctx.io, 'Not enough information: "dev" argument is required.');
    const d = ctx.ns.devices.get(name);
    if (d === undefined) return fail(ctx.io, `Cannot find device "${name}"`);
    if (d.kind === 'loopback' || d.kind === 'physical' || d.kind === 'openvswitch')
      return fail(ctx.io, 'RTNETLINK answers: Operation not supported', 2);
    d.destroy();
    return 0;
  }
  if (matches(cmd, 'set')) return linkSet(ctx, rest);
  if (ctx.ns.devices.has(cmd) || cmd === 'dev') return show(ctx, args, o, false);
  return fail(ctx.io, `Command "${cmd}" is unknown, try "ip link help".`, 255);
}

function linkAdd(ctx: Ctx, args: string[]): number {
  let name: string | undefined;
  let type: string | undefined;
  let peer: string | undefined;
  let mtu: number | undefined;
  let mac: Uint8Array | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === 'name' || a === 'dev') name = args[++i];
    else if (a === 'type') {
      type = args[++i];
      // `type veth peer name Y` (or `peer Y`)
      for (i++; i < args.length; i++) {
        if (args[i] === 'peer') peer = args[i + 1] === 'name' ? args[(i += 2)] : args[++i];
        else if (args[i] === 'ageing_time') i++;
      }
    } else if (a === 'mtu') mtu = Number(args[++i]);
    else if (a === 'address') {
      const m = parseMac(args[++i] ?? '');
      if (m === null) return fail(ctx.io, `"${args[i]}" is invalid lladdr.`);
      mac = m;
    } else if (name === undefined) name = a;
    else return fail(ctx.io, `Error: either "dev" is duplicate, or "${a}" is a garbage.`);
  }
  if (name === undefined) return fail(ctx.io, 'Not enough information: "dev" argument is required.');
  if (type === undefined) return fail(ctx.io, 'Not enough information: "type" argument is required');
  const host = ctx.host.kernel;
  const opts = { netns: ctx.ns, mac, mtu };
  try {
    if (ctx.ns.devices.has(name)) return fail(ctx.io, 'RTNETLINK answers: File exists', 2);
    if (type === 'dummy') host.addDummy(name, opts);
    else if (type === 'bridge') host.addBridge(name, opts);
    else if (type === 'veth') {
      // iproute2 names an unnamed peer vethN
      let p = peer;
      for (let n = 0; p === undefined; n++) if (!ctx.ns.devices.has(`veth${n}`)) p = `veth${n}`;
      if (ctx.ns.devices.has(p)) return fail(ctx.io, 'RTNETLINK answers: File exists', 2);
      host.addVeth(name, p, opts);
    } else return fail(ctx.io, 'Error: Unknown device type.', 2);
  } catch (e) {
    return fail(ctx.io, (e as Error).message, 2);
  }
  return 0;
}

function linkSet(ctx: Ctx, args: string[]): number {
  let i = 0;
  if (args[i] === 'dev') i++;
  const name = args[i++];
  if (name === undefined) return fail(ctx.io, 'Not enough information: "dev" argument is required.');
  const dev = ctx.ns.devices.get(name);
  if (dev === undefined) return fail(ctx.io, `Cannot find device "${name}"`);
  try {
    for (; i < args.length; i++) {
      const a = args[i];
      if (a === 'up' || a === 'down') {
        dev.setUp(a === 'up');
        // lo gets 127.0.0.1/8 when it comes up (inetdev's loopback address)
        if (a === 'up' && dev.kind === 'loopback' && dev.addresses.length === 0)
          ctx.ns.addAddress(dev, '127.0.0.1/8', { scope: 'host' });
      } else if (a === 'mtu') {
        const v = args[++i] ?? '';
        const n = Number(v);
        if (!/^\d+$/.test(v)) return fail(ctx.io, `Error: argument "${v}" is wrong: Invalid "mtu" value`);
        if (n < 68) return fail(ctx.io, 'Error: mtu less than device minimum.', 2);
        if (n > 65535) return fail(ctx.io, 'Error: mtu greater than device maximum.', 2);
        dev.setMtu(n);
      } else if (a === 'master') {
        const m = args[++i] ?? '';
        const br = ctx.ns.devices.get(m);
        if (br === undefined) return fail(ctx.io, `Device "${m}" does not exist.`);
        if (!(br instanceof LinuxBridge))
          return fail(ctx.io, 'RTNETLINK answers: Operation not supported', 2);
        if (dev.master !== null) dev.setMaster(null);
        br.addPort(dev);
      } else if (a === 'nomaster') dev.setMaster(null);
      else if (a === 'netns') {
        const target = ctx.host.kernel.namespaces.get(args[++i] ?? '');
        if (target === undefined)
          return fail(ctx.io, `Error: argument "${args[i]}" is wrong: Invalid "netns" value`);
        if (target.devices.has(dev.name)) return fail(ctx.io, 'RTNETLINK answers: File exists', 2);
        dev.moveTo(target);
      } else if (a === 'address') {
        const m = parseMac(args[++i] ?? '');
        if (m === null) return fail(ctx.io, `"${args[i]}" is invalid lladdr.`);
        dev.setMac(m);
      } else if (a === 'name') {
        const n = args[++i] ?? '';
        if (ctx.ns.devices.has(n)) return fail(ctx.io, 'RTNETLINK answers: File exists', 2);
        dev.rename(n);
      } else if (a === 'promisc') {
        const v = args[++i];
        if (v !== 'on' && v !== 'off')
          return fail(ctx.io, `Error: argument of "promisc" must be "on" or "off", not "${v}"`);
        dev.setPromisc(v === 'on');
      } else if (a === 'txqueuelen' || a === 'qlen') dev.txqueuelen = Number(args[++i]);
      else return fail(ctx.io, `Error: either "dev" is duplicate, or "${a}" is a garbage.`);
    }
  } catch (e) {
    return fail(ctx.io, (e as Error).message, 2);
  }
  return 0;
}
