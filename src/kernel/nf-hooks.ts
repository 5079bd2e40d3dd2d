// The narrow interface through which the IPv4 stack and the bridge call netfilter (iptables and
// conntrack live in ./netfilter/, written against this). A namespace without rules has
// `netfilter === null` and pays nothing.
//
// Hook points as in Linux (net/ipv4/ip_input.c, ip_forward.c, ip_output.c; br_netfilter for
// bridged frames, which traverse PREROUTING, FORWARD and POSTROUTING with physdev in/out set).

import type { NetDevice } from './device.js';
import type { Trace } from './trace.js';

export type NfHook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

/** What a hook sees of a packet. */
export interface NfPacket {
  hook: NfHook;
  /** The bytes; the IPv4 header starts at `l3`. NAT rewrites them in place (the caller passes a private copy). */
  frame: Uint8Array;
  l3: number;
  /** Input interface (-i), null on OUTPUT/POSTROUTING of local packets. For bridged frames: the bridge. */
  inDev: NetDevice | null;
  /** Output interface (-o), null on PREROUTING/INPUT. For bridged frames: the bridge. */
  outDev: NetDevice | null;
  /** Bridge port the frame came in on (-m physdev --physdev-in), bridged frames only. */
  physIn: NetDevice | null;
  /** Bridge port the frame leaves by (--physdev-out), bridged frames only. */
  physOut: NetDevice | null;
  /** True for frames being bridged (--physdev-is-bridged). */
  bridged: boolean;
  trace: Trace | null;
}

/**
 * ACCEPT: continue. DROP: free the packet. STOLEN: netfilter took it (e.g. it queued its own reply
 * for REJECT). After an ACCEPT on PREROUTING/OUTPUT the caller re-reads the destination, since
 * DNAT may have changed it.
 */
export type NfVerdict = 'ACCEPT' | 'DROP' | 'STOLEN';

export interface NetfilterHooks {
  run(pkt: NfPacket): NfVerdict;
  /** What decided the last verdict ('filter FORWARD rule 3'), for traces. */
  explain?(): string;
}
