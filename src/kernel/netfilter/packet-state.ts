// What rules look at: one mutable record per Netfilter, refilled for every hook call from the
// packet bytes, so matching allocates nothing (the compiled matchers read these fields).
import type { IpsetRegistry } from './ipset.js';

export type HookName = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

// Conntrack state bits as the state/conntrack matches see them (xt_conntrack's state_mask).
export const CT_INVALID = 1;
export const CT_NEW = 2;
export const CT_RELATED = 4;
export const CT_ESTABLISHED = 8;
export const CT_UNTRACKED = 16;
export const CT_SNAT = 32;
export const CT_DNAT = 64;

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
}
