// Test support: frames as a guest or router would send them, and a tiny driver that walks a frame
// through the hooks the kernel would call. Not exported from index.ts.
import {
  buildEthernetFrame,
  buildIcmp,
  buildIpv4Packet,
  buildTcp,
  buildUdp,
  ETHERTYPE_IPV4,
  IP_PROTO_ICMP,
  IP_PROTO_TCP,
  IP_PROTO_UDP,
  ip,
} from '../../wire/index.js';
import type { Netfilter, NfPacket, NfVerdict } from './netfilter.js';
import type { HookName } from './packet-state.js';

export const MAC_VM = 'fa:16:3e:2b:7c:11';
export const MAC_GW = 'fa:16:3e:4e:5f:6a';

export function frame(ipPacket: Uint8Array, src = MAC_VM, dst = MAC_GW): Uint8Array {
  return buildEthernetFrame({ dst, src, ethertype: ETHERTYPE_IPV4 }, ipPacket);
}

export function echo(
  src: string,
  dst: string,
  id = 0x0c2f,
  seq = 1,
  reply = false,
  mac = MAC_VM,
): Uint8Array {
  const icmp = buildIcmp({ kind: reply ? 'echo-reply' : 'echo-request', id, seq, data: new Uint8Array(56) });
  return frame(
    buildIpv4Packet(
      { src: ip(src), dst: ip(dst), protocol: IP_PROTO_ICMP, ttl: 64, dontFragment: true },
      icmp,
    ),
    mac,
  );
}

export function udp(src: string, sport: number, dst: string, dport: number, mac = MAC_VM): Uint8Array {
  const u = buildUdp(
    { srcPort: sport, dstPort: dport, payload: Uint8Array.of(1, 2, 3, 4) },
    ip(src),
    ip(dst),
  );
  return frame(
    buildIpv4Packet({ src: ip(src), dst: ip(dst), protocol: IP_PROTO_UDP, ttl: 64, dontFragment: false }, u),
    mac,
  );
}

export function tcp(src: string, sport: number, dst: string, dport: number, flags: number): Uint8Array {
  const t = buildTcp(
    { srcPort: sport, dstPort: dport, seq: 1000, ack: 0, flags, window: 64240, payload: new Uint8Array(0) },
    ip(src),
    ip(dst),
  );
  return frame(
    buildIpv4Packet({ src: ip(src), dst: ip(dst), protocol: IP_PROTO_TCP, ttl: 64, dontFragment: true }, t),
  );
}

const dev = (name: string | null) => (name === null ? null : { name });

export function hook(
  nf: Netfilter,
  h: HookName,
  f: Uint8Array,
  inDev: string | null,
  outDev: string | null,
): NfVerdict {
  const pkt: NfPacket = { hook: h, frame: f, l3: 14, inDev: dev(inDev), outDev: dev(outDev) };
  return nf.run(pkt);
}

/** A bridged frame through br_netfilter: PREROUTING, FORWARD, POSTROUTING on bridge `br`. */
export function bridged(
  nf: Netfilter,
  f: Uint8Array,
  br: string,
  physIn: string,
  physOut: string,
): NfVerdict {
  const base = { frame: f, l3: 14, inDev: { name: br }, bridged: true, physIn: { name: physIn } };
  let v = nf.run({ ...base, hook: 'PREROUTING', outDev: null, physOut: null });
  if (v !== 'ACCEPT') return v;
  v = nf.run({ ...base, hook: 'FORWARD', outDev: { name: br }, physOut: { name: physOut } });
  if (v !== 'ACCEPT') return v;
  return nf.run({ ...base, hook: 'POSTROUTING', outDev: { name: br }, physOut: { name: physOut } });
}

/**
 * A routed packet: PREROUTING, then FORWARD and POSTROUTING on a private copy (as the kernel's
 * forward path copies the frame). Returns the verdict and the frame as it leaves.
 */
export function routed(
  nf: Netfilter,
  f: Uint8Array,
  inDev: string,
  outDev: string,
): { v: NfVerdict; out: Uint8Array } {
  let v = hook(nf, 'PREROUTING', f, inDev, null);
  if (v !== 'ACCEPT') return { v, out: f };
  const copy = f.slice();
  v = hook(nf, 'FORWARD', copy, inDev, outDev);
  if (v !== 'ACCEPT') return { v, out: copy };
  v = hook(nf, 'POSTROUTING', copy, inDev, outDev);
  return { v, out: copy };
}

/** `-S` output -> iptables-restore input for one table. */
export function sToRestore(table: string, s: string): string {
  const lines = s.trimEnd().split('\n');
  const out = [`*${table}`];
  for (const l of lines) {
    if (l.startsWith('-P ')) {
      const [, chain, policy] = l.split(' ');
      out.push(`:${chain} ${policy} [0:0]`);
    } else if (l.startsWith('-N ')) out.push(`:${l.slice(3)} - [0:0]`);
  }
  for (const l of lines) if (l.startsWith('-A ')) out.push(l);
  out.push('COMMIT', '');
  return out.join('\n');
}
