// `ifconfig` (net-tools 2.10): every up interface (or all with -a) sorted by name, one block
// each followed by a blank line; `ifconfig DEV [up|down|ADDR [netmask M]]` to change one.
import type { NetDevice } from '../../kernel/device.js';
import { ipToString, maskToPrefix, parseIp, prefixMask } from '../../wire/ipv4-address.js';
import { ipv6Addresses } from './link-format.js';
import { fail, type ToolContext } from './tool.js';

const FLAG_BITS: [string, number][] = [
  ['UP', 0x1],
  ['BROADCAST', 0x2],
  ['LOOPBACK', 0x8],
  ['RUNNING', 0x40],
  ['PROMISC', 0x100],
  ['MULTICAST', 0x1000],
];

function flagsOf(dev: NetDevice): [number, string[]] {
  const lo = dev.kind === 'loopback';
  const on: Record<string, boolean> = {
    UP: dev.adminUp,
    BROADCAST: !lo,
    LOOPBACK: lo,
    RUNNING: dev.running,
    PROMISC: dev.promisc,
    MULTICAST: !lo,
  };
  let n = 0;
  const names: string[] = [];
  for (const [name, bit] of FLAG_BITS)
    if (on[name]) {
      n |= bit;
      names.push(name);
    }
  return [n, names];
}

/** net-tools' print_bytes_scaled: integer part and one truncated decimal, binary units. */
export function scaledBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let int = bytes;
  let frac = 0;
  let u = 0;
  while (int >= 1024 && u < units.length - 1) {
    frac = Math.floor(((int % 1024) * 10) / 1024);
    int = Math.floor(int / 1024);
    u++;
  }
  return `${int}.${frac} ${units[u]}`;
}

export function formatIfconfig(dev: NetDevice): string {
  const [n, names] = flagsOf(dev);
  let s = `${dev.name}: flags=${n}<${names.join(',')}>  mtu ${dev.mtu}\n`;
  const a = dev.addresses.find((x) => !x.secondary) ?? dev.addresses[0];
  if (a !== undefined) {
    s += `        inet ${ipToString(a.address)}  netmask ${ipToString(prefixMask(a.prefixLen))}`;
    if (dev.kind !== 'loopback') s += `  broadcast ${ipToString(a.broadcast)}`;
    s += '\n';
  }
  for (const v6 of ipv6Addresses(dev))
    s += `        inet6 ${v6.addr}  prefixlen ${v6.prefixLen}  scopeid ${v6.scope === 'host' ? '0x10<host>' : '0x20<link>'}\n`;
  s +=
    dev.kind === 'loopback'
      ? `        loop  txqueuelen ${dev.txqueuelen}  (Local Loopback)\n`
      : `        ether ${dev.macString}  txqueuelen ${dev.txqueuelen}  (Ethernet)\n`;
  s += `        RX packets ${dev.rxPackets}  bytes ${dev.rxBytes} (${scaledBytes(dev.rxBytes)})\n`;
  s += `        RX errors ${dev.rxErrors}  dropped ${dev.rxDropped}  overruns 0  frame 0\n`;
  s += `        TX packets ${dev.txPackets}  bytes ${dev.txBytes} (${scaledBytes(dev.txBytes)})\n`;
  s += `        TX errors ${dev.txErrors}  dropped ${dev.txDropped} overruns 0  carrier 0  collisions 0\n\n`;
  return s;
}

export function ifconfig(ctx: ToolContext, args: string[]): number {
  const all = args[0] === '-a';
  const rest = all ? args.slice(1) : args;
  const io = ctx.io;
  if (rest.length === 0) {
    const list = [...ctx.ns.devices.values()]
      .filter((d) => all || d.adminUp)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    io.stdout(list.map(formatIfconfig).join(''));
    return 0;
  }
  const [name, ...ops] = rest;
  const dev = ctx.ns.devices.get(name);
  if (dev === undefined) {
    return fail(
      io,
      ops.length === 0
        ? `${name}: error fetching interface information: Device not found`
        : `SIOCSIFFLAGS: No such device`,
    );
  }
  if (ops.length === 0) {
    io.stdout(formatIfconfig(dev));
    return 0;
  }
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op === 'up' || op === 'down') dev.setUp(op === 'up');
    else if (op === 'mtu') dev.setMtu(Number(ops[++i]));
    else if (op === 'promisc' || op === '-promisc') dev.setPromisc(op === 'promisc');
    else if (op === 'netmask' || op === 'broadcast') {
      const v = parseIp(ops[++i] ?? '');
      const cur = dev.addresses[0];
      if (v === null)
        return fail(io, `${ops[i]}: Unknown host\nifconfig: \`--help' gives usage information.`);
      if (cur === undefined) return fail(io, 'SIOCSIFNETMASK: Cannot assign requested address');
      const addr = ipToString(cur.address);
      ctx.ns.removeAddress(dev, `${addr}/${cur.prefixLen}`);
      const len = op === 'netmask' ? maskToPrefix(v) : cur.prefixLen;
      const m = prefixMask(len);
      ctx.ns.addAddress(dev, `${addr}/${len}`, {
        broadcast: op === 'broadcast' ? v : len >= 31 ? 0 : ((cur.address & m) | ~m) >>> 0,
      });
    } else {
      // ifconfig DEV ADDR[/len]: replaces the primary address (classful mask without one), brings it up
      const [text, lenText] = op.split('/');
      const addr = parseIp(text);
      if (addr === null) return fail(io, `${op}: Unknown host\nifconfig: \`--help' gives usage information.`);
      const len =
        lenText !== undefined ? Number(lenText) : addr >>> 24 < 128 ? 8 : addr >>> 24 < 192 ? 16 : 24;
      for (const a of [...dev.addresses])
        ctx.ns.removeAddress(dev, `${ipToString(a.address)}/${a.prefixLen}`);
      const m = prefixMask(len);
      ctx.ns.addAddress(dev, `${text}/${len}`, { broadcast: len >= 31 ? 0 : ((addr & m) | ~m) >>> 0 });
      dev.setUp(true);
    }
  }
  return 0;
}
