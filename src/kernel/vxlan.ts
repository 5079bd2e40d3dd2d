// VXLAN (RFC 7348) in the kernel: the encapsulating send that tunnel endpoints use (Linux
// `vxlan` devices here; OVS VXLAN ports can call `vxlanSend` too), the UDP 4789 receive socket of
// a namespace demultiplexing by VNI, and the Linux `vxlan` device (`ip link add vxlan-1001 type
// vxlan id 1001 dstport 4789 local A [remote B]`) as the Linux bridge agent builds it.
//
// The outer packet is routed and ARPed by the namespace's own stack (the root namespace of the
// host: its route and neighbour entry toward the remote tunnel IP), exactly as the kernel does.

import { writeU16 } from '../wire/byte-order.js';
import { IP_PROTO_UDP } from '../wire/ipv4.js';
import { ipToString } from '../wire/ipv4-address.js';
import { emitVxlan, VXLAN_HEADER_LEN, VXLAN_PORT, vxlanSourcePort } from '../wire/vxlan.js';
import { NetDevice } from './device.js';
import type { Host } from './host.js';
import type { OutputResult } from './ipv4.js';
import type { Namespace } from './netns.js';
import type { UdpSocket } from './sockets.js';
import type { Trace } from './trace.js';

const L3 = 14;
/** Outer IPv4 + UDP + VXLAN header bytes in front of the inner Ethernet frame. */
const OUTER = 20 + 8 + VXLAN_HEADER_LEN;

export interface VxlanSendOptions {
  local: number;
  remote: number;
  vni: number;
  /** Default: hash of the inner flow in 32768–60999, as the kernel picks it. */
  srcPort?: number;
  dstPort?: number;
  /** OVS sets DF (df_default=true); a Linux vxlan device leaves it clear by default. */
  df?: boolean;
  ttl?: number;
  tos?: number;
}

/** Encapsulates `inner` and sends it from namespace `ns` (normally a host's root namespace). */
export function vxlanSend(
  ns: Namespace,
  o: VxlanSendOptions,
  inner: Uint8Array,
  trace: Trace | null,
): OutputResult {
  const frame = new Uint8Array(L3 + OUTER + inner.length);
  const u = L3 + 20;
  writeU16(frame, u, o.srcPort ?? vxlanSourcePort(inner));
  writeU16(frame, u + 2, o.dstPort ?? VXLAN_PORT);
  writeU16(frame, u + 4, 8 + VXLAN_HEADER_LEN + inner.length);
  // UDP checksum 0: Linux vxlan and OVS tunnels default to no outer checksum.
  emitVxlan(o.vni, frame, u + 8);
  frame.set(inner, u + 8 + VXLAN_HEADER_LEN);
  ns.ip.writeHeader(
    frame,
    o.local,
    o.remote,
    IP_PROTO_UDP,
    o.ttl ?? 64,
    o.df ?? false,
    o.tos ?? 0,
    OUTER + inner.length,
  );
  if (trace !== null) {
    trace.add(
      ns.host.sched.now,
      ns.host.name,
      ns.name,
      'vxlan',
      'encap',
      `VNI ${o.vni} ${ipToString(o.local)} -> ${ipToString(o.remote)}:${o.dstPort ?? VXLAN_PORT}`,
      {
        vni: o.vni,
      },
    );
  }
  return ns.ip.output(frame, trace);
}

/** Receives VXLAN on a UDP port of a namespace and hands inner frames to the endpoint of their VNI. */
export type VxlanReceiver = (inner: Uint8Array, vni: number, outerSrc: number, trace: Trace | null) => void;

export class VxlanPort {
  private readonly byVni = new Map<number, VxlanReceiver>();
  /** Receiver of every VNI without its own (OVS flow-based tunnels: `key=flow`). */
  private any: VxlanReceiver | null = null;
  private readonly sock: UdpSocket;
  /** Frames for a VNI nobody listens on (dropped). */
  unknownVni = 0;

  constructor(
    readonly ns: Namespace,
    readonly port = VXLAN_PORT,
  ) {
    this.sock = ns.bindUdpRaw(0, port, (frame, l4, dev, trace) => this.receive(frame, l4, dev, trace));
  }

  listen(vni: number, r: VxlanReceiver): void {
    if (this.byVni.has(vni)) throw new Error(`RTNETLINK answers: File exists (VNI ${vni})`);
    this.byVni.set(vni, r);
  }

  unlisten(vni: number): void {
    this.byVni.delete(vni);
  }

  /** Takes every VNI that has no listener of its own (OVS's vxlan_sys_4789 with in_key=flow); null to stop. */
  listenAll(r: VxlanReceiver | null): void {
    if (r !== null && this.any !== null) throw new Error('VXLAN port already has a flow-based receiver');
    this.any = r;
  }

  close(): void {
    this.sock.close();
  }

  private receive(frame: Uint8Array, l4: number, dev: NetDevice, trace: Trace | null): void {
    const ulen = (frame[l4 + 4] << 8) | frame[l4 + 5];
    const vx = l4 + 8;
    if (ulen < 8 + VXLAN_HEADER_LEN + 14 || (frame[vx] & 0x08) === 0) return;
    const vni = (frame[vx + 4] << 16) | (frame[vx + 5] << 8) | frame[vx + 6];
    const r = this.byVni.get(vni) ?? this.any;
    const src =
      ((frame[L3 + 12] << 24) | (frame[L3 + 13] << 16) | (frame[L3 + 14] << 8) | frame[L3 + 15]) >>> 0;
    if (r === null) {
      this.unknownVni++;
      if (trace !== null) dev.traceStep(trace, 'drop', `VXLAN VNI ${vni}: no endpoint`);
      return;
    }
    if (trace !== null) dev.traceStep(trace, 'decap', `VXLAN VNI ${vni} from ${ipToString(src)}`, { vni });
    // zero-copy: the inner frame is a view into the outer one (frames are immutable once sent)
    r(frame.subarray(vx + VXLAN_HEADER_LEN, l4 + ulen), vni, src, trace);
  }
}

/** The namespace's VXLAN receive port (created on first use). */
export function vxlanPortOf(ns: Namespace, port = VXLAN_PORT): VxlanPort {
  const key = `vxlan:${port}`;
  let p = ns.extensions.get(key) as VxlanPort | undefined;
  if (p === undefined) {
    p = new VxlanPort(ns, port);
    ns.extensions.set(key, p);
  }
  return p;
}

/**
 * A Linux `vxlan` device. Transmit encapsulates to the learned remote of the destination MAC
 * (or to every flood remote for broadcast/unknown), like the kernel's vxlan FDB with
 * `00:00:00:00:00:00 dst REMOTE` default entries. Receive learns inner source MAC → outer source IP.
 */
export class VxlanDevice extends NetDevice {
  readonly kind = 'vxlan' as const;
  /** Flood list (the all-zeros FDB entries). */
  readonly remotes: number[];
  readonly fdb = new Map<number, number>();
  learning = true;

  constructor(
    host: Host,
    name: string,
    ns: Namespace,
    mac: Uint8Array,
    readonly vni: number,
    readonly local: number,
    remotes: number[],
    /** Namespace whose stack carries the outer packets (the link netns; root by default). */
    readonly underlayNs: Namespace,
    readonly dstPort = VXLAN_PORT,
  ) {
    super(host, name, ns, mac, 1450);
    this.remotes = remotes.slice();
    vxlanPortOf(underlayNs, dstPort).listen(vni, (inner, _vni, src, trace) => {
      if (this.learning && (inner[6] & 1) === 0) {
        this.fdb.set(
          (inner[6] * 2 ** 40 +
            inner[7] * 2 ** 32 +
            ((inner[8] << 24) | (inner[9] << 16) | (inner[10] << 8) | inner[11])) >>>
            0,
          src,
        );
      }
      this.receive(inner, trace);
    });
  }

  protected xmit(frame: Uint8Array, trace: Trace | null): void {
    const opts: VxlanSendOptions = { local: this.local, remote: 0, vni: this.vni, dstPort: this.dstPort };
    if ((frame[0] & 1) === 0) {
      const key =
        frame[0] * 2 ** 40 +
        frame[1] * 2 ** 32 +
        (((frame[2] << 24) | (frame[3] << 16) | (frame[4] << 8) | frame[5]) >>> 0);
      const remote = this.fdb.get(key);
      if (remote !== undefined) {
        opts.remote = remote;
        vxlanSend(this.underlayNs, opts, frame, trace);
        return;
      }
    }
    for (const r of this.remotes) {
      opts.remote = r;
      vxlanSend(this.underlayNs, opts, frame, trace);
    }
  }

  override destroy(): void {
    vxlanPortOf(this.underlayNs, this.dstPort).unlisten(this.vni);
    if (this.underlayNs.extensions.get(`vxlan:${this.dstPort}`))
      this.underlayNs.extensions.delete(`vxlan:${this.dstPort}`);
    super.destroy();
  }
}
