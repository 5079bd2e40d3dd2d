// One captured frame as tcpdump 4.99 prints it (print-ether.c, print-ip.c, print-icmp.c,
// print-arp.c, print-udp.c, print-vxlan.c, print-bootp.c), for the protocols the emulation
// carries. Works on raw bytes and never throws: a truncated or odd frame prints tcpdump's
// `[|proto]` marker instead. Checked against the real tcpdump reading the same frames from a
// pcap file (host-tools tests).
import { macToString } from '../../wire/mac.js';

export interface PrintOptions {
  /** -e: the link-level header before each packet. */
  link: boolean;
  /** -n/-nn: no port name lookup (addresses are never resolved here: the hosts have no DNS). */
  numeric: boolean;
  /** -v: the IP header details line. */
  verbose: boolean;
}

const u16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
const u32 = (b: Uint8Array, o: number) =>
  ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const ip4 = (b: Uint8Array, o: number) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

/** /etc/services names tcpdump prints without -nn (the ones this cloud's traffic uses). */
const UDP_PORTS: Record<number, string> = {
  53: 'domain',
  67: 'bootps',
  68: 'bootpc',
  123: 'ntp',
  4789: '4789',
};
const TCP_PORTS: Record<number, string> = { 22: 'ssh', 53: 'domain', 80: 'http', 443: 'https', 9697: '9697' };

const ETHERTYPES: Record<number, string> = {
  2048: 'IPv4',
  2054: 'ARP',
  33024: '802.1Q',
  34525: 'IPv6',
  35020: 'LLDP',
};

/**
 * A MAC as tcpdump prints it: with -n as is; without, `Broadcast` for ff:ff:ff:ff:ff:ff and the
 * vendor from its OUI table, where Neutron's fa:16:3e and the kernel's random MACs are unknown.
 */
function macText(f: Uint8Array, off: number, o: PrintOptions): string {
  const m = macToString(f, off);
  if (o.numeric) return m;
  return m === 'ff:ff:ff:ff:ff:ff' ? 'Broadcast' : `${m} (oui Unknown)`;
}

function ethertypeName(t: number): string {
  return `ethertype ${ETHERTYPES[t] ?? 'Unknown'} (0x${t.toString(16).padStart(4, '0')})`;
}

/**
 * A frame of a `-i any` capture with -e (Linux cooked v2 header): `ifindex N SRC ethertype …,
 * length L: …`, L counting the 20-byte cooked header instead of Ethernet's 14.
 */
export function formatCooked(f: Uint8Array, o: PrintOptions, ifindex: number): string {
  if (f.length < 14) return '[|sll2]';
  const type = u16(f, 12);
  return `ifindex ${ifindex} ${macText(f, 6, o)} ${ethertypeName(type)}, length ${f.length + 6}: ${payload(f, 14, f.length, type, o, true)}`;
}

/** The text after the timestamp for one Ethernet frame. */
export function formatFrame(f: Uint8Array, o: PrintOptions): string {
  return ether(f, 0, f.length, o);
}

function ether(f: Uint8Array, off: number, end: number, o: PrintOptions): string {
  if (end - off < 14) return `[|ether]`;
  let type = u16(f, off + 12);
  let p = off + 14;
  let prefix = '';
  if (o.link) prefix = `${macText(f, off + 6, o)} > ${macText(f, off, o)}, `;
  const length = end - off;
  if (type === 0x8100) {
    if (end - p < 4) return `${prefix}${ethertypeName(type)}, length ${length}: [|vlan]`;
    const tci = u16(f, p);
    const inner = u16(f, p + 2);
    const vlan = `vlan ${tci & 0xfff}, p ${tci >> 13}${tci & 0x1000 ? ', DEI' : ''}, `;
    p += 4;
    if (o.link) prefix += `${ethertypeName(0x8100)}, length ${length}: ${vlan}${ethertypeName(inner)}, `;
    else prefix += vlan;
    type = inner;
    return prefix + payload(f, p, end, type, o, true);
  }
  if (o.link) prefix += `${ethertypeName(type)}, length ${length}: `;
  return prefix + payload(f, p, end, type, o, o.link);
}

function payload(
  f: Uint8Array,
  p: number,
  end: number,
  type: number,
  o: PrintOptions,
  bare: boolean,
): string {
  if (type === 0x0800) return (bare ? '' : 'IP ') + ipv4(f, p, end, o);
  if (type === 0x0806) return (bare ? '' : 'ARP, ') + arp(f, p, end, o);
  if (type === 0x86dd) return `${bare ? '' : 'IP6 '}[|ip6]`;
  return bare ? '' : `${ethertypeName(type)}, length ${end - p + 14}: `;
}

function arp(f: Uint8Array, p: number, end: number, o: PrintOptions): string {
  if (end - p < 8) return '[|arp]';
  const hrd = u16(f, p);
  const pro = u16(f, p + 2);
  const op = u16(f, p + 6);
  if (hrd !== 1 || pro !== 0x0800 || f[p + 4] !== 6 || f[p + 5] !== 4 || end - p < 28)
    return `Unknown Hardware (${hrd}) (len ${end - p})`;
  const sha = macText(f, p + 8, o);
  const spa = ip4(f, p + 14);
  const tha = macToString(f, p + 18);
  const thaText = tha === '00:00:00:00:00:00' ? '' : ` (${macText(f, p + 18, o)})`;
  const tpa = ip4(f, p + 24);
  const len = `, length ${end - p}`;
  const head = o.verbose ? 'Ethernet (len 6), IPv4 (len 4), ' : '';
  if (op === 1) {
    return `${head}Request who-has ${tpa}${thaText} tell ${spa}${len}`;
  }
  if (op === 2) return `${head}Reply ${spa} is-at ${sha}${len}`;
  return `Unknown (${op})${len}`;
}

const PROTO_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 47: 'GRE' };

function ipv4(f: Uint8Array, p: number, end: number, o: PrintOptions): string {
  if (end - p < 20) return '[|ip]';
  const ihl = (f[p] & 0x0f) * 4;
  const total = u16(f, p + 2);
  const proto = f[p + 9];
  const src = ip4(f, p + 12);
  const dst = ip4(f, p + 16);
  const frag = u16(f, p + 6);
  const fragOff = (frag & 0x1fff) * 8;
  const mf = (frag & 0x2000) !== 0;
  const l4 = p + ihl;
  const l4end = Math.min(end, p + total);
  let head = '';
  if (o.verbose) {
    const flags = [frag & 0x4000 ? 'DF' : '', mf ? '+' : ''].filter(Boolean).join('');
    head = `(tos 0x${f[p + 1].toString(16)}, ttl ${f[p + 8]}, id ${u16(f, p + 4)}, offset ${fragOff}, flags [${flags || 'none'}], proto ${PROTO_NAMES[proto] ?? 'unknown'} (${proto}), length ${total})\n    `;
  }
  if (fragOff > 0) {
    // a later fragment: tcpdump can only name the protocol
    return `${head}${src} > ${dst}: ${(PROTO_NAMES[proto] ?? `ip-proto-${proto}`).toLowerCase()}`;
  }
  switch (proto) {
    case 1:
      return `${head}${src} > ${dst}: ${icmp(f, l4, l4end, total - ihl)}`;
    case 17:
      return head + udp(f, l4, l4end, src, dst, o);
    case 6:
      return head + tcp(f, l4, l4end, src, dst, o);
  }
  return `${head}${src} > ${dst}: ip-proto-${proto} ${total - ihl}`;
}

function icmp(f: Uint8Array, p: number, end: number, len: number): string {
  if (end - p < 8) return '[|icmp]';
  const type = f[p];
  const code = f[p + 1];
  const tail = `, length ${len}`;
  if (type === 8 || type === 0)
    return `ICMP echo ${type === 8 ? 'request' : 'reply'}, id ${u16(f, p + 4)}, seq ${u16(f, p + 6)}${tail}`;
  if (type === 3 || type === 11) {
    // the quoted datagram names the destination and, for port unreachable, the port
    const q = p + 8;
    const qdst = end - q >= 20 ? ip4(f, q + 16) : '?';
    const qproto = end - q >= 20 ? f[q + 9] : 0;
    const qihl = end - q >= 20 ? (f[q] & 0x0f) * 4 : 20;
    if (type === 11) return `ICMP time exceeded in-${code === 0 ? 'transit' : 'reassembly'}${tail}`;
    switch (code) {
      case 0:
        return `ICMP net ${qdst} unreachable${tail}`;
      case 1:
        return `ICMP host ${qdst} unreachable${tail}`;
      case 2:
        return `ICMP ${qdst} protocol ${qproto} unreachable${tail}`;
      case 3: {
        const port = end - (q + qihl) >= 4 ? u16(f, q + qihl + 2) : 0;
        return `ICMP ${qdst} ${qproto === 6 ? 'tcp' : 'udp'} port ${port} unreachable${tail}`;
      }
      case 4:
        return `ICMP ${qdst} unreachable - need to frag (mtu ${u16(f, p + 6)})${tail}`;
      case 9:
        return `ICMP net ${qdst} unreachable - admin prohibited${tail}`;
      case 10:
        return `ICMP host ${qdst} unreachable - admin prohibited${tail}`;
      case 13:
        return `ICMP ${qdst} unreachable - admin prohibited filter${tail}`;
    }
    return `ICMP ${qdst} unreachable - #${code}${tail}`;
  }
  return `ICMP type-#${type}${tail}`;
}

function udp(f: Uint8Array, p: number, end: number, src: string, dst: string, o: PrintOptions): string {
  if (end - p < 8) return `${src} > ${dst}: [|udp]`;
  const sport = u16(f, p);
  const dport = u16(f, p + 2);
  const ulen = u16(f, p + 4);
  const port = (n: number) => (o.numeric ? String(n) : (UDP_PORTS[n] ?? String(n)));
  const addrs = `${src}.${port(sport)} > ${dst}.${port(dport)}: `;
  const data = p + 8;
  if (dport === 4789 && end - data >= 8) {
    const flags = f[data];
    const vni = (f[data + 4] << 16) | (f[data + 5] << 8) | f[data + 6];
    const inner = ether(f, data + 8, end, o);
    return `${addrs}VXLAN, flags [${flags & 0x08 ? 'I' : '.'}] (0x${flags.toString(16).padStart(2, '0')}), vni ${vni}\n${inner}`;
  }
  if ((sport === 67 || sport === 68 || dport === 67 || dport === 68) && end - data >= 240) {
    return addrs + bootp(f, data, end, ulen - 8);
  }
  return `${addrs}UDP, length ${ulen - 8}`;
}

function bootp(f: Uint8Array, p: number, _end: number, len: number): string {
  const op = f[p];
  if (op === 1) return `BOOTP/DHCP, Request from ${macToString(f, p + 28)}, length ${len}`;
  if (op === 2) return `BOOTP/DHCP, Reply, length ${len}`;
  return `BOOTP/DHCP, op-#${op}, length ${len}`;
}

function tcp(f: Uint8Array, p: number, end: number, src: string, dst: string, o: PrintOptions): string {
  if (end - p < 20) return `${src} > ${dst}: [|tcp]`;
  const port = (n: number) => (o.numeric ? String(n) : (TCP_PORTS[n] ?? String(n)));
  const sport = u16(f, p);
  const dport = u16(f, p + 2);
  const seq = u32(f, p + 4);
  const ack = u32(f, p + 8);
  const hl = (f[p + 12] >> 4) * 4;
  const fl = f[p + 13];
  const win = u16(f, p + 14);
  const names = [
    [0x02, 'S'],
    [0x01, 'F'],
    [0x08, 'P'],
    [0x04, 'R'],
    [0x20, 'U'],
  ] as const;
  let flags = names.map(([bit, n]) => (fl & bit ? n : '')).join('');
  if (fl & 0x10) flags += '.';
  const dataLen = Math.max(0, end - p - hl);
  let s = `${src}.${port(sport)} > ${dst}.${port(dport)}: Flags [${flags || 'none'}]`;
  if (dataLen > 0 || fl & 0x07) s += dataLen > 0 ? `, seq ${seq}:${(seq + dataLen) >>> 0}` : `, seq ${seq}`;
  if (fl & 0x10) s += `, ack ${ack}`;
  return `${s}, win ${win}, length ${dataLen}`;
}
