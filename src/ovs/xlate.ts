// One pass of a packet through a bridge's OpenFlow pipeline (ofproto-dpif-xlate.c): table 0
// first, the highest-priority matching flow's actions run in order, resubmit recurses into
// another table (and returns), goto_table continues there, output commits the key to bytes and
// sends. Limits as OVS: translation depth 64 (MAX_DEPTH), 4096 resubmits per packet
// (MAX_RESUBMITS); past them the packet is dropped.

import type { Trace } from '../kernel/trace.js';
import {
  type CompiledActions,
  type CompiledOp,
  OP_CONTROLLER,
  OP_DEC_TTL,
  OP_GOTO,
  OP_LEARN,
  OP_MOVE,
  OP_OUTPUT,
  OP_OUTPUT_REG,
  OP_PUSH_VLAN,
  OP_RESUBMIT,
  OP_SET_PCP,
  OP_SET_VID,
  OP_SET_WORDS,
  OP_STRIP_VLAN,
} from './compiled-actions.js';
import type { Datapath } from './datapath.js';
import { K } from './flow-fields.js';
import { extractKey, type FrameLayout, newKey } from './flow-key.js';
import { VLAN_CFI } from './flow-match.js';
import type { Flow } from './flow-table.js';
import { buildFrame, frameUnchanged } from './frame-commit.js';
import { executeLearn } from './learn-exec.js';
import { xlateNormal } from './normal.js';
import { OFPP_IN_PORT, OFPP_NONE } from './ports.js';
import { readSubfield, writeSubfield } from './subfield.js';

export const MAX_DEPTH = 64;
export const MAX_RESUBMITS = 4096;

/** Translation state of one packet in one bridge (pooled per nesting level; no allocation per packet). */
export class Xlate {
  readonly key = newKey();
  readonly layout: FrameLayout = { l3: 14, l4: -1 };
  frame: Uint8Array = new Uint8Array(0);
  /** Frame parts rewritten so far (DIRTY_* bits). */
  dirty = 0;
  /** Bumped on every key change except VLAN: invalidates committed frames. */
  gen = 0;
  trace: Trace | null = null;
  depth = 0;
  resubmits = 0;
  /** Set when the packet must be dropped whatever comes next (depth/resubmit limits). */
  aborted = false;
  /** Outputs done in this pass (tests and traces). */
  outputs = 0;
  // Two committed frames (e.g. the tagged and the untagged variant while NORMAL floods).
  private c0: Uint8Array | null = null;
  private c0tci = -1;
  private c0gen = -1;
  private c1: Uint8Array | null = null;
  private c1tci = -1;
  private c1gen = -1;

  constructor(readonly dp: Datapath) {}

  start(frame: Uint8Array, inPort: number, trace: Trace | null): void {
    this.frame = frame;
    extractKey(frame, this.key, this.layout);
    this.key[K.IN_PORT] = inPort;
    this.dirty = 0;
    this.gen++;
    this.trace = trace;
    this.depth = 0;
    this.resubmits = 0;
    this.aborted = false;
    this.outputs = 0;
    this.c0 = null;
    this.c1 = null;
  }

  /**
   * Continues a translation that crossed a patch port (patch_port_output in ofproto-dpif-xlate.c):
   * the peer bridge sees the same packet and flow, minus registers, metadata and tunnel fields,
   * with its own in_port; nothing is committed to bytes in between.
   */
  startFromPatch(src: Xlate, inPort: number): void {
    this.frame = src.frame;
    this.layout.l3 = src.layout.l3;
    this.layout.l4 = src.layout.l4;
    const key = this.key;
    key.set(src.key);
    key[K.IN_PORT] = inPort;
    key.fill(0, K.TUN_ID_LO, K.TUN_DST + 1);
    key.fill(0, K.METADATA_LO, K.REG0 + 8);
    this.dirty = src.dirty;
    this.gen++;
    this.trace = src.trace;
    this.depth = 0;
    this.resubmits = 0;
    this.aborted = false;
    this.outputs = 0;
    this.c0 = null;
    this.c1 = null;
  }

  /** Length in bytes of the frame the key describes (without building it). */
  committedLength(): number {
    return this.frame.length - this.layout.l3 + ((this.key[K.VLAN_TCI] & VLAN_CFI) !== 0 ? 18 : 14);
  }

  /** The frame as the key now describes it. */
  commit(): Uint8Array {
    const key = this.key;
    if (frameUnchanged(this.frame, this.layout.l3, key, this.dirty)) return this.frame;
    const tci = key[K.VLAN_TCI];
    if (this.c0 !== null && this.c0tci === tci && this.c0gen === this.gen) return this.c0;
    if (this.c1 !== null && this.c1tci === tci && this.c1gen === this.gen) return this.c1;
    const f = buildFrame(this.frame, this.layout.l3, this.layout.l4, key, this.dirty);
    // Keep the newer one in c0, the older in c1.
    this.c1 = this.c0;
    this.c1tci = this.c0tci;
    this.c1gen = this.c0gen;
    this.c0 = f;
    this.c0tci = tci;
    this.c0gen = this.gen;
    return f;
  }

  /** Runs the pipeline from `table` (table 0 for a packet entering the bridge). */
  runTable(table: number): void {
    const dp = this.dp;
    const flow = dp.tables.lookup(table, this.key);
    if (flow === null) {
      if (this.trace !== null) dp.traceFlow(this.trace, table, null, 'table miss: drop');
      return;
    }
    flow.nPackets++;
    flow.nBytes += this.frame.length;
    flow.usedNs = dp.now();
    if (this.trace !== null) dp.traceFlow(this.trace, table, flow, '');
    this.execute(flow.compiled, table, flow);
  }

  private execute(ops: CompiledActions, table: number, flow: Flow): void {
    const key = this.key;
    for (let i = 0; i < ops.length; i++) {
      if (this.aborted) return;
      const o = ops[i];
      switch (o.op) {
        case OP_OUTPUT:
          this.dp.outputAction(this, o.a);
          break;
        case OP_RESUBMIT:
          this.resubmit(o.a, o.b === 255 ? table : o.b);
          break;
        case OP_GOTO:
          this.runTable(o.a);
          return;
        case OP_SET_WORDS: {
          const w = o.words!;
          for (let j = 0; j < w.length; j += 3) key[w[j]] = (key[w[j]] & ~w[j + 1]) | w[j + 2];
          this.dirty |= o.dirty;
          this.gen++;
          break;
        }
        case OP_SET_VID: {
          const tci = key[K.VLAN_TCI];
          if (tci & VLAN_CFI) key[K.VLAN_TCI] = (tci & 0xf000) | o.a;
          else if (o.b === 1) key[K.VLAN_TCI] = VLAN_CFI | o.a;
          break;
        }
        case OP_SET_PCP: {
          const tci = key[K.VLAN_TCI];
          if (tci & VLAN_CFI) key[K.VLAN_TCI] = (tci & 0x1fff) | (o.a << 13);
          else if (o.b === 1) key[K.VLAN_TCI] = VLAN_CFI | (o.a << 13);
          break;
        }
        case OP_STRIP_VLAN:
          key[K.VLAN_TCI] = 0;
          break;
        case OP_PUSH_VLAN:
          // A second (QinQ) tag is not modelled: pushing onto a tagged frame keeps the one tag.
          if ((key[K.VLAN_TCI] & VLAN_CFI) === 0) key[K.VLAN_TCI] = VLAN_CFI;
          break;
        case OP_MOVE:
          this.move(o);
          break;
        case OP_LEARN:
          executeLearn(this, o);
          break;
        case OP_OUTPUT_REG:
          this.dp.outputAction(this, Number(readSubfield(key, o.src!)));
          break;
        case OP_CONTROLLER:
          this.dp.controllerPackets++;
          if (this.trace !== null)
            this.dp.traceFlow(this.trace, table, flow, 'CONTROLLER (counted, no controller attached)');
          break;
        case OP_DEC_TTL: {
          const ttl = key[K.NW_TTL];
          if (ttl <= 1) {
            if (this.trace !== null) this.dp.traceFlow(this.trace, table, flow, 'dec_ttl: TTL expired, drop');
            this.aborted = true;
            return;
          }
          key[K.NW_TTL] = ttl - 1;
          this.dirty |= o.dirty;
          this.gen++;
          break;
        }
      }
    }
  }

  private resubmit(port: number, table: number): void {
    if (this.depth >= MAX_DEPTH || ++this.resubmits > MAX_RESUBMITS) {
      if (this.trace !== null)
        this.dp.traceFlow(this.trace, table, null, 'over max translation depth 64: drop');
      this.aborted = true;
      return;
    }
    const key = this.key;
    const savedInPort = key[K.IN_PORT];
    if (port !== OFPP_IN_PORT && port !== OFPP_NONE) key[K.IN_PORT] = port;
    this.depth++;
    this.runTable(table);
    this.depth--;
    key[K.IN_PORT] = savedInPort;
  }

  private move(o: CompiledOp): void {
    const key = this.key;
    const pairs = o.words;
    if (pairs !== null) {
      for (let j = 0; j < pairs.length; j += 2) key[pairs[j + 1]] = key[pairs[j]];
    } else {
      writeSubfield(key, o.dst!, readSubfield(key, o.src!));
    }
    this.dirty |= o.dirty;
    this.gen++;
  }

  /** NORMAL: delegated to the MAC-learning switch. */
  normal(): void {
    xlateNormal(this);
  }
}
