// One OpenFlow bridge's forwarding engine (ofproto-dpif for one bridge): its ports by OpenFlow
// number, its flow tables, its MAC learning table, and the entry point for a frame arriving on
// a port. It knows nothing of kernel devices: each DpPort carries the function that sends a
// frame out of it (vswitchd.ts wires those to veths, internal ports, patch peers and tunnels).

import type { Trace } from '../kernel/trace.js';
import { mac48ToString } from '../wire/mac.js';
import { formatActions } from './actions.js';
import type { DpPort } from './dp-port.js';
import { K } from './flow-fields.js';
import { formatMatch } from './flow-match.js';
import { type Flow, FlowTables } from './flow-table.js';
import { MacLearningTable } from './mac-learning.js';
import {
  OFPP_ALL,
  OFPP_CONTROLLER,
  OFPP_FLOOD,
  OFPP_IN_PORT,
  OFPP_LOCAL,
  OFPP_NONE,
  OFPP_NORMAL,
  type PortNames,
} from './ports.js';
import { MAX_DEPTH, Xlate } from './xlate.js';

/** Nesting across bridges (patch ports translate synchronously, as OVS does within one datapath pass). */
let globalDepth = 0;

/** Tunnel metadata of a frame received from a tunnel port (flow.tunnel). */
export interface TunnelIn {
  /** VNI / tun_id (at most 2^53). */
  id: number;
  src: number;
  dst: number;
}

export class Datapath implements PortNames {
  readonly tables: FlowTables;
  readonly macs: MacLearningTable;
  private readonly byOfport = new Map<number, DpPort>();
  /** Ports by ascending OpenFlow number (the flood order). */
  portList: DpPort[] = [];
  /** Packets an action sent to the (absent) controller. */
  controllerPackets = 0;
  /** Frames dropped because translation went too deep (patch loops, resubmit loops). */
  depthDrops = 0;
  private readonly pool: Xlate[] = [];
  private depth = 0;

  constructor(
    public name: string,
    readonly now: () => number,
    /** Host name for trace records. */
    public hostName = '',
  ) {
    this.tables = new FlowTables(now);
    this.macs = new MacLearningTable(now);
  }

  port(ofport: number): DpPort | undefined {
    return this.byOfport.get(ofport);
  }

  numberOf(name: string): number | undefined {
    for (const p of this.portList) if (p.name === name) return p.ofport;
    return undefined;
  }

  nameOf(ofport: number): string | undefined {
    return this.byOfport.get(ofport)?.name;
  }

  addPort(p: DpPort): void {
    if (this.byOfport.has(p.ofport)) throw new Error(`ofport ${p.ofport} already in use on ${this.name}`);
    this.byOfport.set(p.ofport, p);
    this.portList = [...this.byOfport.values()].sort((a, b) => a.ofport - b.ofport);
  }

  removePort(ofport: number): void {
    if (!this.byOfport.delete(ofport)) return;
    this.portList = this.portList.filter((p) => p.ofport !== ofport);
    this.macs.flushPort(ofport);
  }

  /** A frame entering the bridge on `port`: counted, then the pipeline from table 0. */
  receive(port: DpPort, frame: Uint8Array, trace: Trace | null, tunnel: TunnelIn | null = null): void {
    port.rxPackets++;
    port.rxBytes += frame.length;
    if (frame.length < 14) {
      // Runt frame: no Ethernet header to parse (the datapath's flow extraction would fail).
      port.rxErrors++;
      return;
    }
    const xl = this.enter(trace);
    if (xl === null) return;
    try {
      xl.start(frame, port.ofport, trace);
      if (tunnel !== null) {
        xl.key[K.TUN_ID_LO] = tunnel.id % 0x100000000;
        xl.key[K.TUN_ID_HI] = Math.floor(tunnel.id / 0x100000000);
        xl.key[K.TUN_SRC] = tunnel.src;
        xl.key[K.TUN_DST] = tunnel.dst;
      }
      if (trace !== null)
        this.tracePort(trace, port, 'rx', `in_port=${port.ofport} (${port.name}), ${frame.length} bytes`);
      xl.runTable(0);
    } finally {
      this.leave();
    }
  }

  /** A packet arriving over a patch port: the translation continues here with the same flow. */
  receiveFromPatch(port: DpPort, from: Xlate, bytes: number): void {
    port.rxPackets++;
    port.rxBytes += bytes;
    const xl = this.enter(from.trace);
    if (xl === null) return;
    try {
      xl.startFromPatch(from, port.ofport);
      if (xl.trace !== null)
        this.tracePort(xl.trace, port, 'rx', `in_port=${port.ofport} (${port.name}), ${bytes} bytes`);
      xl.runTable(0);
    } finally {
      this.leave();
    }
  }

  private enter(trace: Trace | null): Xlate | null {
    if (globalDepth >= MAX_DEPTH) {
      this.depthDrops++;
      if (trace !== null) this.traceNormal(trace, 'over max translation depth 64 (patch loop?): drop');
      return null;
    }
    let xl = this.pool[this.depth];
    if (xl === undefined) {
      xl = new Xlate(this);
      this.pool[this.depth] = xl;
    }
    this.depth++;
    globalDepth++;
    return xl;
  }

  private leave(): void {
    this.depth--;
    globalDepth--;
  }

  /** The OpenFlow `output` action (and the reserved ports it can name). */
  outputAction(xl: Xlate, port: number): void {
    const inPort = xl.key[K.IN_PORT];
    switch (port) {
      case OFPP_IN_PORT: {
        const p = this.byOfport.get(inPort);
        if (p !== undefined) this.sendTo(xl, p);
        return;
      }
      case OFPP_NORMAL:
        xl.normal();
        return;
      case OFPP_FLOOD:
      case OFPP_ALL: {
        for (const p of this.portList) {
          if (p.ofport === inPort || (port === OFPP_FLOOD && p.noFlood)) continue;
          this.sendTo(xl, p);
        }
        return;
      }
      case OFPP_CONTROLLER:
        this.controllerPackets++;
        return;
      case OFPP_NONE:
        return;
    }
    if (port === inPort) {
      // OpenFlow: output to the input port only through IN_PORT.
      if (xl.trace !== null) this.traceNormal(xl.trace, `skipping output to input port ${port}`);
      return;
    }
    const p = this.byOfport.get(port === OFPP_LOCAL ? OFPP_LOCAL : port);
    if (p === undefined) {
      if (xl.trace !== null) this.traceNormal(xl.trace, `output to nonexistent port ${port}: drop`);
      return;
    }
    this.sendTo(xl, p);
  }

  /** Commits the key to a frame and sends it out of `p` (a patch port hands over the flow instead). */
  sendTo(xl: Xlate, p: DpPort): void {
    xl.outputs++;
    if (p.kind === 'patch') {
      const bytes = xl.committedLength();
      p.txPackets++;
      p.txBytes += bytes;
      if (xl.trace !== null)
        this.tracePort(xl.trace, p, 'tx', `output to ${p.name} (port ${p.ofport}), ${bytes} bytes`);
      const peer = p.patchPeer;
      if (peer === null) {
        p.txDropped++;
        return;
      }
      peer.dp.receiveFromPatch(peer.port, xl, bytes);
      return;
    }
    const frame = xl.commit();
    p.txPackets++;
    p.txBytes += frame.length;
    if (xl.trace !== null)
      this.tracePort(xl.trace, p, 'tx', `output to ${p.name} (port ${p.ofport}), ${frame.length} bytes`);
    p.output(frame, xl, xl.trace);
  }

  // ── tracing (only called when a trace is attached) ──────────────────────────

  traceFlow(trace: Trace, table: number, flow: Flow | null, note: string): void {
    if (flow === null) {
      trace.add(this.now(), this.hostName, this.name, `table=${table}`, 'flow', note || 'no match');
      return;
    }
    const text = `${formatMatch(flow.match, flow.priority, this)} actions=${formatActions(flow.actions, { names: this })}`;
    trace.add(
      this.now(),
      this.hostName,
      this.name,
      `table=${table}`,
      'flow',
      note ? `${text}: ${note}` : text,
      {
        table,
        priority: flow.priority,
        cookie: `0x${flow.cookie.toString(16)}`,
      },
    );
  }

  traceNormal(trace: Trace, why: string): void {
    trace.add(this.now(), this.hostName, this.name, 'NORMAL', 'fdb', why);
  }

  traceLearn(trace: Trace, flow: Flow, what: string): void {
    trace.add(
      this.now(),
      this.hostName,
      this.name,
      `table=${flow.table}`,
      'flow',
      `learn ${what}: ${formatMatch(flow.match, flow.priority, this)} actions=${formatActions(flow.actions)}`,
    );
  }

  tracePort(trace: Trace, p: DpPort, action: 'rx' | 'tx', why: string): void {
    trace.add(this.now(), this.hostName, this.name, p.name, action, why);
  }

  macText(hi: number, lo: number): string {
    return mac48ToString((hi & 0xffff) * 0x100000000 + (lo >>> 0));
  }
}
