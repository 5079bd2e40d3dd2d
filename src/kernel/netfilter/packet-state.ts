// What rules look at: one mutable record per Netfilter, refilled for every hook call from the
// packet bytes, so matching allocates nothing (the compiled matchers read these fields).
import { IP_PROTO_ICMP, IP_PROTO_TCP, IP_PROTO_UDP, readIp, readU16 } from '../../wire/index.js';
import type { IpsetRegistry } from './ipset.js';
import { isIcmpQuery } from './nat.js';

export type HookName = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

// Conntrack state bits as the state/conntrack matches see them (xt_conntrack's state_mask).
export const CT_INVALID = 1;
export const CT_NEW = 2;
export const CT_RELATED = 4;
export const CT_ESTABLISHED = 8;
export const CT_UNTRACKED = 16;
export const CT_SNAT = 32;
export const CT_DNAT = 64;

/** The fields of a hook call the state is filled from (netfilter.ts NfPacket). */
export interface HookPacket {
  hook: HookName;
  frame: Uint8Array;
  l3: number;
  inDev: { readonly name: string } | null;
  outDev: { readonly name: string } | null;
  physIn?: { readonly name: string } | null;
  physOut?: { readonly name: string } | null;
  bridged?: boolean;
}

export class PacketState {
  hook: HookName = 'PREROUTING';
  frame: Uint8Array = new Uint8Array(0);
  l3 = 0;
  /** IP total length: what rule byte counters add. */
  ipLen = 0;
  src = 0;
  dst = 0;
  proto = 0;
  /** Offset of the L4 header in `frame`, -1 for non-first fragments. */
  l4 = -1;
  /** Bytes of L4 header+payload present. */
  l4Len = 0;
  /** A non-first fragment (-f). */
  fragment = false;
  /** TCP/UDP ports, or the ICMP echo id in sport; 0 when absent. */
  sport = 0;
  dport = 0;
  icmpType = -1;
  icmpCode = -1;
  tcpFlags = 0;
  inIf = '';
  outIf = '';
  physIn = '';
  physOut = '';
  bridged = false;
  /** Offset of the Ethernet source MAC, or -1 when the packet has no link header (OUTPUT). */
  macSrc = -1;
  /** skb->mark. */
  mark = 0;
  /** One of the CT_* state bits plus CT_SNAT/CT_DNAT when the connection has that NAT. */
  ctState = CT_INVALID;
  /** The connection's mark (ct->mark), for -m connmark and CONNMARK. */
  ctMark = 0;
  ipsets: IpsetRegistry | null = null;

  /** Refills the state from a hook call: addresses, protocol, ports/ICMP type, interfaces. */
  load(pkt: HookPacket): void {
    const b = pkt.frame;
    const o = pkt.l3;
    this.hook = pkt.hook;
    this.frame = b;
    this.l3 = o;
    this.ipLen = readU16(b, o + 2);
    this.src = readIp(b, o + 12);
    this.dst = readIp(b, o + 16);
    this.proto = b[o + 9];
    this.fragment = (readU16(b, o + 6) & 0x1fff) !== 0;
    this.inIf = pkt.inDev === null ? '' : pkt.inDev.name;
    this.outIf = pkt.outDev === null ? '' : pkt.outDev.name;
    this.physIn = pkt.physIn ? pkt.physIn.name : '';
    this.physOut = pkt.physOut ? pkt.physOut.name : '';
    this.bridged = pkt.bridged === true;
    // The Ethernet source is meaningful only on the receive side (xt_mac: PREROUTING/INPUT/FORWARD).
    this.macSrc = o >= 14 && pkt.hook !== 'OUTPUT' && pkt.hook !== 'POSTROUTING' ? 6 : -1;
    this.loadL4();
  }

  private loadL4(): void {
    const b = this.frame;
    const o = this.l3;
    this.sport = 0;
    this.dport = 0;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.tcpFlags = 0;
    if (this.fragment) {
      this.l4 = -1;
      this.l4Len = 0;
      return;
    }
    const hl = (b[o] & 0x0f) << 2;
    const l4 = o + hl;
    const len = Math.min(this.ipLen - hl, b.length - l4);
    this.l4 = l4;
    this.l4Len = len;
    if (this.proto === IP_PROTO_TCP || this.proto === IP_PROTO_UDP) {
      if (len < 4) return;
      this.sport = readU16(b, l4);
      this.dport = readU16(b, l4 + 2);
      if (this.proto === IP_PROTO_TCP && len >= 14) this.tcpFlags = b[l4 + 13] & 0x3f;
    } else if (this.proto === IP_PROTO_ICMP) {
      if (len < 4) return;
      this.icmpType = b[l4];
      this.icmpCode = b[l4 + 1];
      if (len >= 8 && isIcmpQuery(this.icmpType)) {
        // Conntrack's "ports" for ICMP queries: the identifier, in both slots.
        this.sport = readU16(b, l4 + 4);
        this.dport = this.sport;
      }
    }
  }
}
