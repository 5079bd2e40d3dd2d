// VXLAN (RFC 7348): outer Ethernet / IPv4 / UDP (dst 4789) / 8-byte VXLAN header / inner frame.
// Header: flags (0x08 = I, VNI valid), 3 reserved bytes, 24-bit VNI, 1 reserved byte.
import { readU16 } from './byte-order.js';
import { ETH_HEADER_LEN, ETHERTYPE_IPV4, emitEthernet, ethType } from './ethernet.js';
import { allocFrame } from './frame-alloc.js';
import {
  checkIpv4,
  DEFAULT_TTL,
  emitIpv4,
  IP_PROTO_UDP,
  ipv4Dst,
  ipv4HeaderLen,
  ipv4Repr,
  ipv4Src,
} from './ipv4.js';
import type { MacInput } from './mac.js';
import { fail, ok, type ParseResult } from './result.js';
import { checkUdp, emitUdp, UDP_HEADER_LEN, udpDstPort, udpSrcPort } from './udp.js';

export const VXLAN_PORT = 4789;
export const VXLAN_HEADER_LEN = 8;
export const VXLAN_FLAG_I = 0x08;
/** Outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8: why VXLAN networks get MTU 1450. */
export const VXLAN_OVERHEAD = ETH_HEADER_LEN + 20 + UDP_HEADER_LEN + VXLAN_HEADER_LEN;

export const vxlanVni = (b: Uint8Array, off: number): number =>
  (b[off + 4] << 16) | (b[off + 5] << 8) | b[off + 6];
export const vxlanFlags = (b: Uint8Array, off: number): number => b[off];

export function parseVxlan(
  b: Uint8Array,
  off: number,
  len = b.length - off,
): ParseResult<{ vni: number; inner: Uint8Array }> {
  if (len < VXLAN_HEADER_LEN + ETH_HEADER_LEN || b.length - off < len) return fail('truncated');
  // RFC 7348 5: the I flag must be set; receivers ignore the other (reserved) bits.
  if ((b[off] & VXLAN_FLAG_I) === 0) return fail('unsupported');
  return ok({ vni: vxlanVni(b, off), inner: b.subarray(off + VXLAN_HEADER_LEN, off + len) });
}

export function emitVxlan(vni: number, b: Uint8Array, off: number): void {
  b[off] = VXLAN_FLAG_I;
  b[off + 1] = 0;
  b[off + 2] = 0;
  b[off + 3] = 0;
  b[off + 4] = (vni >>> 16) & 0xff;
  b[off + 5] = (vni >>> 8) & 0xff;
  b[off + 6] = vni & 0xff;
  b[off + 7] = 0;
}

export interface VxlanOuter {
  srcMac: MacInput;
  dstMac: MacInput;
  srcIp: number;
  dstIp: number;
  /** Linux/OVS pick it from a hash of the inner flow within 32768-60999 so ECMP spreads tunnels. */
  srcPort: number;
  dstPort?: number;
  vni: number;
  ttl?: number;
  /** OVS df_default=true sets DF on the outer header. */
  dontFragment?: boolean;
  tos?: number;
  id?: number;
  /** OVS tunnels default to csum=false: UDP checksum 0. */
  udpChecksum?: boolean;
}

/** A new outer frame carrying `inner` (an Ethernet frame without FCS). */
export function vxlanEncapsulate(outer: VxlanOuter, inner: Uint8Array): Uint8Array {
  const udpLen = UDP_HEADER_LEN + VXLAN_HEADER_LEN + inner.length;
  const frame = allocFrame(ETH_HEADER_LEN + 20 + udpLen);
  emitEthernet({ dst: outer.dstMac, src: outer.srcMac, ethertype: ETHERTYPE_IPV4 }, frame, 0);
  const ipOff = ETH_HEADER_LEN;
  emitIpv4(
    ipv4Repr(
      {
        src: outer.srcIp,
        dst: outer.dstIp,
        protocol: IP_PROTO_UDP,
        ttl: outer.ttl ?? DEFAULT_TTL,
        dontFragment: outer.dontFragment ?? true,
        tos: outer.tos ?? 0,
        id: outer.id ?? 0,
      },
      udpLen,
    ),
    frame,
    ipOff,
  );
  const udpOff = ipOff + 20;
  // The payload is written in place after the header: VXLAN header, then the inner frame.
  emitVxlan(outer.vni, frame, udpOff + UDP_HEADER_LEN);
  frame.set(inner, udpOff + UDP_HEADER_LEN + VXLAN_HEADER_LEN);
  emitUdp(
    {
      srcPort: outer.srcPort,
      dstPort: outer.dstPort ?? VXLAN_PORT,
      payload: frame.subarray(udpOff + UDP_HEADER_LEN),
    },
    frame,
    udpOff,
    outer.srcIp,
    outer.dstIp,
    outer.udpChecksum ?? false,
  );
  return frame;
}

/**
 * Offset of the VXLAN header in an Ethernet frame carrying IPv4/UDP to `port`, or -1 when the
 * frame is not VXLAN (or is invalid: bad IP header, truncated, bad UDP checksum). No allocation.
 */
export function vxlanHeaderOffset(frame: Uint8Array, port = VXLAN_PORT): number {
  if (frame.length < ETH_HEADER_LEN + 20 || ethType(frame, 0) !== ETHERTYPE_IPV4) return -1;
  const ipOff = ETH_HEADER_LEN;
  if (checkIpv4(frame, ipOff, frame.length - ipOff) !== null) return -1;
  if (frame[ipOff + 9] !== IP_PROTO_UDP || (readU16(frame, ipOff + 6) & 0x3fff) !== 0) return -1;
  const hl = ipv4HeaderLen(frame, ipOff);
  const udpOff = ipOff + hl;
  const ipPayload = readU16(frame, ipOff + 2) - hl;
  if (checkUdp(frame, udpOff, ipPayload, ipv4Src(frame, ipOff), ipv4Dst(frame, ipOff)) !== null) return -1;
  if (udpDstPort(frame, udpOff) !== port) return -1;
  const vx = udpOff + UDP_HEADER_LEN;
  if (ipPayload < UDP_HEADER_LEN + VXLAN_HEADER_LEN + ETH_HEADER_LEN) return -1;
  if ((frame[vx] & VXLAN_FLAG_I) === 0) return -1;
  return vx;
}

export interface VxlanDecap {
  vni: number;
  srcIp: number;
  dstIp: number;
  srcPort: number;
  /** View of the inner Ethernet frame (no copy). */
  inner: Uint8Array;
}

export function vxlanDecapsulate(frame: Uint8Array, port = VXLAN_PORT): ParseResult<VxlanDecap> {
  const vx = vxlanHeaderOffset(frame, port);
  if (vx < 0) return fail('unsupported');
  const ipOff = ETH_HEADER_LEN;
  const udpOff = vx - UDP_HEADER_LEN;
  const end = ipOff + readU16(frame, ipOff + 2);
  return ok({
    vni: vxlanVni(frame, vx),
    srcIp: ipv4Src(frame, ipOff),
    dstIp: ipv4Dst(frame, ipOff),
    srcPort: udpSrcPort(frame, udpOff),
    inner: frame.subarray(vx + VXLAN_HEADER_LEN, end),
  });
}

/**
 * The UDP source port Linux's vxlan driver picks (udp_flow_src_port): a hash of the inner flow
 * mapped into the ephemeral range 32768-60999. Any stable hash will do for the emulation; this one
 * is FNV-1a over the inner MACs and, for IPv4, the addresses and protocol.
 */
export function vxlanSourcePort(inner: Uint8Array): number {
  let h = 0x811c9dc5;
  const n = Math.min(inner.length, ethType(inner, 0) === ETHERTYPE_IPV4 ? ETH_HEADER_LEN + 20 : 12);
  for (let i = 0; i < n; i++) {
    if (i >= 14 && i < 14 + 9) continue; // skip IP version..TTL (not part of the flow)
    if (i === 24 || i === 25) continue; // IP checksum
    h = Math.imul(h ^ inner[i], 0x01000193);
  }
  return 32768 + ((h >>> 0) % (60999 - 32768 + 1));
}
