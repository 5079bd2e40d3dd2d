// Rewriting packets for NAT (nf_nat_ipv4_manip_pkt and nf_nat_icmp_reply_translation): addresses
// and ports with incremental checksum updates; for ICMP errors the outer header and the quoted
// datagram inside, then the ICMP checksum over both.
import {
  adjust32,
  IP_PROTO_ICMP,
  IP_PROTO_TCP,
  IP_PROTO_UDP,
  icmpSetEchoId,
  internetChecksum,
  ipv4HeaderLen,
  ipv4SetDst,
  ipv4SetL4Port,
  ipv4SetSrc,
  readIp,
  readU16,
  replace16,
  writeIp,
  writeU16,
} from '../../wire/index.js';

const ECHO_TYPES = new Set([0, 8, 13, 14, 15, 16, 17, 18]);

/** True for ICMP query types conntrack tracks by identifier (echo, timestamp, info, mask). */
export const isIcmpQuery = (type: number): boolean => ECHO_TYPES.has(type);

/** Sets the address (`which` 0 = source, 1 = destination) and port/echo id of the packet at `l3`. */
export function manipPacket(b: Uint8Array, l3: number, which: 0 | 1, addr: number, port: number): void {
  const cur = readIp(b, l3 + 12 + which * 4);
  if (cur !== addr) {
    if (which === 0) ipv4SetSrc(b, l3, addr);
    else ipv4SetDst(b, l3, addr);
  }
  if ((readU16(b, l3 + 6) & 0x1fff) !== 0) return; // non-first fragment: no L4 header here
  const proto = b[l3 + 9];
  const l4 = l3 + ipv4HeaderLen(b, l3);
  if (proto === IP_PROTO_TCP || proto === IP_PROTO_UDP) {
    if (l4 + 4 > b.length) return;
    if (readU16(b, l4 + which * 2) !== port) ipv4SetL4Port(b, l3, which, port);
  } else if (proto === IP_PROTO_ICMP) {
    if (l4 + 8 > b.length) return;
    if (isIcmpQuery(b[l4]) && readU16(b, l4 + 4) !== port) icmpSetEchoId(b, l4, port);
  }
}

/**
 * NAT of an ICMP error at `l3`: the outer address `which` becomes `addr`; the quoted datagram gets
 * the opposite field (it travelled the other way) set to `addr`/`port`. The quoted L4 checksum is
 * adjusted like the kernel's, then the ICMP checksum is recomputed over the whole message.
 */
export function manipIcmpError(b: Uint8Array, l3: number, which: 0 | 1, addr: number, port: number): void {
  const total = readU16(b, l3 + 2);
  const icmp = l3 + ipv4HeaderLen(b, l3);
  const inner = icmp + 8;
  if (inner + 20 > l3 + total) return;
  const ihl = ipv4HeaderLen(b, inner);
  const innerWhich = which === 0 ? 1 : 0;
  const fieldOff = inner + 12 + innerWhich * 4;
  const old = readIp(b, fieldOff);
  if (old !== addr) {
    writeIp(b, fieldOff, addr);
    adjust32(b, inner + 10, old, addr);
    const proto = b[inner + 9];
    const il4 = inner + ihl;
    // The quoted L4 checksum covers the pseudo-header: keep it consistent when it was quoted.
    if (proto === IP_PROTO_UDP && il4 + 8 <= l3 + total) adjust32(b, il4 + 6, old, addr, true);
    if (proto === IP_PROTO_TCP && il4 + 18 <= l3 + total) adjust32(b, il4 + 16, old, addr);
  }
  const proto = b[inner + 9];
  const il4 = inner + ihl;
  if ((proto === IP_PROTO_TCP || proto === IP_PROTO_UDP) && il4 + 4 <= l3 + total) {
    const csumOff =
      proto === IP_PROTO_UDP
        ? il4 + 8 <= l3 + total
          ? il4 + 6
          : -1
        : il4 + 18 <= l3 + total
          ? il4 + 16
          : -1;
    if (readU16(b, il4 + innerWhich * 2) !== port)
      replace16(b, il4 + innerWhich * 2, port, csumOff, proto === IP_PROTO_UDP);
  } else if (proto === IP_PROTO_ICMP && il4 + 8 <= l3 + total && isIcmpQuery(b[il4])) {
    if (readU16(b, il4 + 4) !== port) icmpSetEchoId(b, il4, port);
  }
  // Outer header last, then the ICMP checksum over the rewritten quote.
  const outerOff = l3 + 12 + which * 4;
  const outerOld = readIp(b, outerOff);
  if (outerOld !== addr) {
    writeIp(b, outerOff, addr);
    adjust32(b, l3 + 10, outerOld, addr);
  }
  writeU16(b, icmp + 2, 0);
  writeU16(b, icmp + 2, internetChecksum(b, icmp, l3 + total - icmp));
}

/**
 * The source port range nf_nat picks from when it must change a port (nf_nat_l4proto_unique_tuple):
 * privileged ports stay privileged.
 */
export function defaultPortRange(port: number): [number, number] {
  if (port < 512) return [1, 511];
  if (port < 1024) return [600, 1023];
  return [1024, 65535];
}
