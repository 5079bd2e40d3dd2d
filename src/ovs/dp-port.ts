// A port of an OpenFlow bridge as the datapath sees it: its OpenFlow number, its VLAN role
// (Port.tag makes an access port, otherwise a trunk of Port.trunks or of every VLAN), its
// counters (`ovs-ofctl dump-ports`), and how a frame leaves through it (set by the owner:
// a kernel device, the patch peer, or the VXLAN tunnel).

import type { Trace } from '../kernel/trace.js';
import type { Datapath } from './datapath.js';
import type { Xlate } from './xlate.js';

export type DpPortKind = 'system' | 'internal' | 'patch' | 'vxlan';

/** Sends a committed frame out of the port; `xl` gives the flow key (tunnel id for VXLAN). */
export type PortOutput = (frame: Uint8Array, xl: Xlate, trace: Trace | null) => void;

export class DpPort {
  /** Access VLAN (Port.tag), or -1 for a trunk port. */
  tag = -1;
  /** Trunked VLANs (Port.trunks); null = all VLANs. */
  trunks: Set<number> | null = null;
  /** OFPPC_NO_FLOOD: left out of NORMAL/FLOOD flooding. */
  noFlood = false;
  /** For a patch port: the peer bridge and port (null while the peer is missing or not pointing back). */
  patchPeer: { dp: Datapath; port: DpPort } | null = null;

  rxPackets = 0;
  rxBytes = 0;
  rxDropped = 0;
  rxErrors = 0;
  txPackets = 0;
  txBytes = 0;
  txDropped = 0;
  txErrors = 0;

  constructor(
    readonly ofport: number,
    public name: string,
    readonly kind: DpPortKind,
    public output: PortOutput,
  ) {}

  /** xbundle_includes_vlan(): does this port carry `vlan` (0 = untagged)? */
  includesVlan(vlan: number): boolean {
    if (this.tag >= 0) return vlan === this.tag;
    return this.trunks === null || this.trunks.has(vlan);
  }
}
