// busybox ifconfig (networking/ifconfig.c + libbb interface.c): the display of every interface
// (its own layout, unlike net-tools: name padded to 10 columns, HWaddr in upper case, byte counts
// with `(922.0 B)`), and changing one: `ifconfig eth0 ADDR [netmask M] [broadcast B] [mtu N]
// [up|down]`, which go to the kernel as SIOCSIFADDR & co (netconfig.ts).

import type { NetDevice } from '../kernel/device.js';
import { ipv6ToString } from '../ovs/flow-fields.js';
import { ipToString, parseIp, prefixMask } from '../wire/ipv4-address.js';
import { setIfAddress, setIfBroadcast, setIfNetmask } from './netconfig.js';
import type { GuestOs } from './os.js';
import type { CommandContext } from './shell.js';

/** The EUI-64 link-local address the guest kernel gives an up Ethernet device (fe80::f816:3eff:fe2b:7c11). */
export function linkLocal6(mac: Uint8Array): string {
  const iid = [mac[0] ^ 2, mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]];
  let v = 0xfe80n << 112n;
  for (let i = 0; i < 8; i++) v |= BigInt(iid[i]) << BigInt(8 * (7 - i));
  return ipv6ToString(v);
}

/** IPv6 addresses the device shows (no IPv6 stack is emulated: lo's ::1 and the link-local of an up NIC). */
export function ipv6Of(dev: NetDevice): { addr: string; plen: number; scope: 'Host' | 'Link' }[] {
  if (dev.kind === 'loopback') return [{ addr: '::1', plen: 128, scope: 'Host' }];
  if (!dev.adminUp || dev.ipv6Disabled) return [];
  return [{ addr: linkLocal6(dev.mac), plen: 64, scope: 'Link' }];
}

/** libbb make_human_readable_str(n, 1, 0): `922.0 B`, `1.5 KiB`. */
export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  let val = n;
  let frac = 0;
  while (val >= 1024 && u < units.length - 1) {
    frac = Math.floor(((val % 1024) * 10 + 512) / 1024);
    val = Math.floor(val / 1024);
    u++;
  }
  if (frac >= 10) {
    val++;
    frac = 0;
  }
  return `${val}.${frac} ${units[u]}`;
}

/** The block of one interface, blank line included. */
export function ifconfigBlock(dev: NetDevice): string {
  const lo = dev.kind === 'loopback';
  const pad = ' '.repeat(10);
  let s = `${dev.name.padEnd(9)} Link encap:${lo ? 'Local Loopback' : 'Ethernet'}  `;
  if (!lo) s += `HWaddr ${dev.macString.toUpperCase()}  `;
  s += '\n';
  const a = dev.addresses.find((x) => !x.secondary && x.label === dev.name);
  if (a !== undefined) {
    s += `${pad}inet addr:${ipToString(a.address)} `;
    if (!lo) s += ` Bcast:${ipToString(a.broadcast)} `;
    s += ` Mask:${ipToString(prefixMask(a.prefixLen))}\n`;
  }
  for (const v6 of ipv6Of(dev)) s += `${pad}inet6 addr: ${v6.addr}/${v6.plen} Scope:${v6.scope}\n`;
  const flags: string[] = [];
  if (dev.adminUp) flags.push('UP');
  if (!lo) flags.push('BROADCAST');
  if (lo) flags.push('LOOPBACK');
  if (dev.adminUp && dev.carrier) flags.push('RUNNING');
  if (dev.promisc) flags.push('PROMISC');
  if (!lo) flags.push('MULTICAST');
  s += `${pad}${flags.map((f) => `${f} `).join('')} MTU:${dev.mtu}  Metric:1\n`;
  s += `${pad}RX packets:${dev.rxPackets} errors:${dev.rxErrors} dropped:${dev.rxDropped} overruns:0 frame:0\n`;
  s += `${pad}TX packets:${dev.txPackets} errors:${dev.txErrors} dropped:${dev.txDropped} overruns:0 carrier:0\n`;
  s += `${pad}collisions:0 txqueuelen:${dev.txqueuelen} \n`;
  s += `${pad}RX bytes:${dev.rxBytes} (${humanBytes(dev.rxBytes)})  TX bytes:${dev.txBytes} (${humanBytes(dev.txBytes)})\n\n`;
  return s;
}

/** Interfaces in the order the kernel lists them (/proc/net/dev: by ifindex). */
export function interfaces(os: GuestOs): NetDevice[] {
  return [...os.ns.devices.values()].sort((a, b) => a.ifindex - b.ifindex);
}

export function ifconfig(argv: string[], ctx: CommandContext): number {
  const { os, io } = ctx;
  let args = argv.slice(1);
  let all = false;
  if (args[0] === '-a') {
    all = true;
    args = args.slice(1);
  }
  if (args.length === 0) {
    for (const d of interfaces(os)) if (all || d.adminUp) io.out(ifconfigBlock(d));
    return 0;
  }
  const dev = os.ns.dev(args[0]);
  if (dev === undefined) {
    io.err(`ifconfig: ${args[0]}: error fetching interface information: Device not found\n`);
    return 1;
  }
  if (args.length === 1) {
    io.out(ifconfigBlock(dev));
    return 0;
  }
  if (ctx.user !== 'root') {
    const first = args[1];
    const what =
      first === 'up' || first === 'down' ? 'SIOCSIFFLAGS' : first === 'mtu' ? 'SIOCSIFMTU' : 'SIOCSIFADDR';
    io.err(`ifconfig: ${what}: Operation not permitted\n`);
    return 1;
  }
  const fail = (what: string, err: string): number => {
    io.err(`ifconfig: ${what}: ${err}\n`);
    return 1;
  };
  for (let i = 1; i < args.length; i++) {
    const w = args[i];
    if (w === 'up') dev.setUp(true);
    else if (w === 'down') dev.setUp(false);
    else if (w === 'netmask' || w === 'broadcast' || w === 'mtu') {
      const v = args[++i];
      if (v === undefined) return fail(w, 'missing argument');
      if (w === 'mtu') {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 68 || n > 65535) return fail('SIOCSIFMTU', 'Invalid argument');
        dev.setMtu(n);
        continue;
      }
      const addr = parseIp(v);
      if (addr === null) return fail(`bad address '${v}'`, 'Invalid argument');
      const err = w === 'netmask' ? setIfNetmask(os.ns, dev, addr) : setIfBroadcast(dev, addr);
      if (err !== null) return fail(w === 'netmask' ? 'SIOCSIFNETMASK' : 'SIOCSIFBRDADDR', err);
    } else {
      // the host address, optionally ADDR/PREFIX
      const [text, plen] = w.split('/');
      const addr = parseIp(text);
      if (addr === null) {
        io.err(`ifconfig: bad address '${w}'\n`);
        return 1;
      }
      const err = setIfAddress(os.ns, dev, addr);
      if (err !== null) return fail('SIOCSIFADDR', err);
      if (plen !== undefined) {
        const p = Number(plen);
        if (!Number.isInteger(p) || p < 0 || p > 32) return fail('SIOCSIFNETMASK', 'Invalid argument');
        const e2 = setIfNetmask(os.ns, dev, prefixMask(p));
        if (e2 !== null) return fail('SIOCSIFNETMASK', e2);
      }
    }
  }
  return 0;
}
