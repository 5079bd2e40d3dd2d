// OVS VXLAN tunnel ports on one host (lib/netdev-vport.c options, the kernel's vxlan vport):
// one UDP socket per destination port in the root namespace receives every VNI; a frame goes to
// the tunnel port whose remote_ip is the outer source (and local_ip, when set, the outer
// destination), with tun_id = VNI. Output encapsulates with VNI = tun_id (key=flow / out_key=flow)
// or the configured key, DF set by default (df_default=true), TTL 64, UDP checksum off, the
// source port hashed from the inner flow, and sends through the root namespace's IP stack, whose
// route and ARP pick the next hop; a packet too big for the path with DF set is dropped and
// counted on the port (tx_dropped), as the kernel refuses it.

import type { NetDevice } from '../kernel/device.js';
import type { Host } from '../kernel/host.js';
import type { UdpSocket } from '../kernel/sockets.js';
import type { Trace } from '../kernel/trace.js';
import { allocFrame } from '../wire/frame-alloc.js';
import { ipToString, parseIp } from '../wire/ipv4-address.js';
import { emitVxlan, VXLAN_HEADER_LEN, VXLAN_PORT, vxlanSourcePort } from '../wire/vxlan.js';
import type { Datapath, TunnelIn } from './datapath.js';
import type { DpPort } from './dp-port.js';
import { K } from './flow-fields.js';
import type { Xlate } from './xlate.js';

const L3 = 14;
const IP_PROTO_UDP = 17;

export interface TunnelPortConfig {
  /** Remote endpoint, or -1 for remote_ip=flow (taken from tun_dst). */
  remote: number;
  /** Local endpoint, or -1 when unset (the route's source address). */
  local: number;
  /** -1 = flow, else the fixed VNI. */
  inKey: number;
  outKey: number;
  dstPort: number;
  df: boolean;
  /** -1 = inherit from the inner IPv4 header. */
  tos: number;
  ttl: number;
}

/** Parses an Interface's options for type vxlan; an error text (Interface.error) when invalid. */
export function tunnelConfigOf(opts: Map<string, string>): TunnelPortConfig | string {
  const remoteText = opts.get('remote_ip');
  if (remoteText === undefined) return "vxlan type requires 'remote_ip' argument";
  const remote = remoteText === 'flow' ? -1 : parseIp(remoteText);
  if (remote === null) return `${remoteText}: bad remote_ip`;
  const localText = opts.get('local_ip');
  const local = localText === undefined || localText === 'flow' ? -1 : parseIp(localText);
  if (local === null) return `${localText}: bad local_ip`;
  const keyOf = (k: string | undefined): number | string => {
    if (k === undefined || k === 'flow') return -1;
    const n = /^0x[0-9a-f]+$/i.test(k) ? Number(k) : /^\d+$/.test(k) ? Number(k) : Number.NaN;
    return Number.isInteger(n) && n >= 0 && n < 1 << 24 ? n : `${k}: bad key`;
  };
  const key = opts.get('key');
  const inKey = keyOf(opts.get('in_key') ?? key);
  const outKey = keyOf(opts.get('out_key') ?? key);
  if (typeof inKey === 'string') return inKey;
  if (typeof outKey === 'string') return outKey;
  // Without any key option OVS uses VNI 0 both ways; key=flow / in_key=flow make it the flow's tun_id.
  const noKey = key === undefined && !opts.has('in_key') && !opts.has('out_key');
  const dstPort = opts.has('dst_port') ? Number(opts.get('dst_port')) : VXLAN_PORT;
  const tosText = opts.get('tos');
  const ttlText = opts.get('ttl');
  return {
    remote,
    local,
    inKey: noKey ? 0 : inKey,
    outKey: noKey ? 0 : outKey,
    dstPort,
    df: opts.get('df_default') !== 'false',
    tos: tosText === undefined ? 0 : tosText === 'inherit' ? -1 : Number(tosText),
    ttl: ttlText === undefined || ttlText === 'inherit' ? 64 : Number(ttlText),
  };
}

/** The part of a bound port the tunnel layer needs. */
export interface TunnelBinding {
  dp: Datapath;
  port: DpPort;
  tunnel: TunnelPortConfig | null;
}

type Deliver = (b: TunnelBinding, frame: Uint8Array, trace: Trace | null, tun: TunnelIn) => void;

export class TunnelEndpoint {
  private readonly ports: TunnelBinding[] = [];
  /** Encapsulation hands frames to the stack in order (FifoQueue). */
  fifoAt = 0;
  private readonly sockets = new Map<number, UdpSocket>();
  /** VXLAN packets no tunnel port matched (unknown remote), dropped. */
  unmatched = 0;
  private readonly tunIn: TunnelIn = { id: 0, src: 0, dst: 0 };
  private readonly sendLater: (b: TunnelBinding, frame: Uint8Array, trace: Trace | null) => void;

  constructor(
    readonly host: Host,
    private readonly deliver: Deliver,
  ) {
    this.sendLater = (b, frame, trace) => this.send(b, frame, trace);
  }

  bind(b: TunnelBinding, cfg: TunnelPortConfig): void {
    b.tunnel = cfg;
    if (!this.ports.includes(b)) this.ports.push(b);
    if (!this.sockets.has(cfg.dstPort)) {
      const sock = this.host.root.bindUdpRaw(0, cfg.dstPort, (frame, l4, dev, trace) =>
        this.receive(frame, l4, dev, trace),
      );
      this.sockets.set(cfg.dstPort, sock);
    }
  }

  unbind(b: TunnelBinding): void {
    const i = this.ports.indexOf(b);
    if (i >= 0) this.ports.splice(i, 1);
    for (const [port, sock] of this.sockets) {
      if (!this.ports.some((p) => p.tunnel?.dstPort === port)) {
        sock.close();
        this.sockets.delete(port);
      }
    }
  }

  private receive(frame: Uint8Array, l4: number, dev: NetDevice, trace: Trace | null): void {
    const ulen = (frame[l4 + 4] << 8) | frame[l4 + 5];
    const vx = l4 + 8;
    if (ulen < 8 + VXLAN_HEADER_LEN + 14 || (frame[vx] & 0x08) === 0) {
      if (trace !== null) dev.traceStep(trace, 'drop', 'VXLAN header without the I flag');
      return;
    }
    const vni = (frame[vx + 4] << 16) | (frame[vx + 5] << 8) | frame[vx + 6];
    const src =
      ((frame[L3 + 12] << 24) | (frame[L3 + 13] << 16) | (frame[L3 + 14] << 8) | frame[L3 + 15]) >>> 0;
    const dst =
      ((frame[L3 + 16] << 24) | (frame[L3 + 17] << 16) | (frame[L3 + 18] << 8) | frame[L3 + 19]) >>> 0;
    const dport = (frame[l4 + 2] << 8) | frame[l4 + 3];
    let best: TunnelBinding | null = null;
    for (const b of this.ports) {
      const c = b.tunnel!;
      if (c.dstPort !== dport) continue;
      if (c.local >= 0 && c.local !== dst) continue;
      if (c.inKey >= 0 && c.inKey !== vni) continue;
      if (c.remote === src) {
        best = b;
        break;
      }
      if (c.remote === -1 && best === null) best = b;
    }
    if (best === null) {
      this.unmatched++;
      if (trace !== null)
        dev.traceStep(trace, 'drop', `VXLAN from ${ipToString(src)}: no tunnel port with that remote_ip`);
      return;
    }
    if (trace !== null)
      dev.traceStep(trace, 'decap', `VXLAN VNI ${vni} from ${ipToString(src)} to ${best.port.name}`, { vni });
    const t = this.tunIn;
    t.id = vni;
    t.src = src;
    t.dst = dst;
    // The inner frame is a view into the outer one: frames are immutable once sent.
    this.deliver(best, frame.subarray(vx + VXLAN_HEADER_LEN, l4 + ulen), trace, t);
  }

  /** Output through a tunnel port: encapsulate now (the key decides VNI/remote), send after one OVS hop. */
  output(b: TunnelBinding, inner: Uint8Array, xl: Xlate, trace: Trace | null, hop: number): void {
    const c = b.tunnel;
    if (c === null) {
      b.port.txDropped++;
      return;
    }
    const key = xl.key;
    const vni = c.outKey >= 0 ? c.outKey : key[K.TUN_ID_LO] & 0xffffff;
    const remote = c.remote >= 0 ? c.remote : key[K.TUN_DST] >>> 0;
    const ns = this.host.root;
    let local = Math.max(c.local, 0);
    if (local === 0) local = ns.ip.route(remote)?.src ?? 0;
    // Fresh pooled memory is zero: UDP checksum 0 and the VXLAN reserved bytes need no writes.
    const frame = allocFrame(L3 + 20 + 8 + VXLAN_HEADER_LEN + inner.length);
    const u = L3 + 20;
    const sport = vxlanSourcePort(inner);
    frame[u] = sport >>> 8;
    frame[u + 1] = sport;
    frame[u + 2] = c.dstPort >>> 8;
    frame[u + 3] = c.dstPort;
    const ulen = 8 + VXLAN_HEADER_LEN + inner.length;
    frame[u + 4] = ulen >>> 8;
    frame[u + 5] = ulen;
    emitVxlan(vni, frame, u + 8);
    frame.set(inner, u + 8 + VXLAN_HEADER_LEN);
    let tos = c.tos;
    if (tos < 0) tos = key[K.DL_TYPE] === 0x0800 ? key[K.NW_TOS] & 0xfc : 0;
    ns.ip.writeHeader(frame, local, remote, IP_PROTO_UDP, c.ttl, c.df, tos, 20 + ulen);
    if (trace !== null)
      b.dp.tracePort(
        trace,
        b.port,
        'tx',
        `VXLAN encap VNI ${vni} ${ipToString(local)} -> ${ipToString(remote)}:${c.dstPort}`,
      );
    const h = this.host;
    h.sched.schedule(h.latency.fifoDelayOf(hop, this, h.sched.now), this.sendLater, b, frame, trace);
  }

  private send(b: TunnelBinding, frame: Uint8Array, trace: Trace | null): void {
    const r = this.host.root.ip.output(frame, trace);
    if (r !== 'ok') {
      b.port.txDropped++;
      if (trace !== null)
        b.dp.tracePort(
          trace,
          b.port,
          'tx',
          `VXLAN packet of ${frame.length - L3} bytes not sent: ${r}${r === 'EMSGSIZE' ? ' (larger than the path MTU with DF set)' : ''}`,
        );
    }
  }
}
