// Actions turned into what the pipeline executes per packet: numeric opcodes and the words of
// the flow key they write, computed once when the flow is added, so executing set_field/load/
// set_tunnel is a couple of masked word writes with no bigint or string work.

import type { Action } from './actions.js';
import { allOnes, K } from './flow-fields.js';
import type { LearnAction } from './learn.js';
import { isWhole, type Subfield } from './subfield.js';

export const OP_OUTPUT = 0;
export const OP_OUTPUT_REG = 1;
export const OP_CONTROLLER = 2;
export const OP_RESUBMIT = 3;
export const OP_GOTO = 4;
export const OP_SET_VID = 5;
export const OP_SET_PCP = 6;
export const OP_STRIP_VLAN = 7;
export const OP_PUSH_VLAN = 8;
export const OP_SET_WORDS = 9;
export const OP_MOVE = 10;
export const OP_LEARN = 11;
export const OP_NOP = 12;
export const OP_DEC_TTL = 13;

/** Which parts of the frame an action rewrote (the VLAN tag is compared, not flagged). */
export const DIRTY_ETH = 1;
export const DIRTY_ARP = 2;
export const DIRTY_IP = 4;
export const DIRTY_L4 = 8;

export interface CompiledOp {
  op: number;
  /** Port, table, VID, PCP … depending on op. */
  a: number;
  /** Second argument (resubmit table; push flag for VID/PCP as 1/0). */
  b: number;
  /** OP_SET_WORDS: [word, mask, value] triples. OP_MOVE fast path: [srcWord, dstWord] pairs. */
  words: Int32Array | null;
  dirty: number;
  src: Subfield | null;
  dst: Subfield | null;
  learn: LearnAction | null;
}

export type CompiledActions = CompiledOp[];

/** Frame parts a write to these key words changes. */
export function dirtyOfWords(words: readonly number[]): number {
  let d = 0;
  for (const w of words) {
    if (w >= K.DL_SRC_LO && w <= K.DL_DST_HI) d |= DIRTY_ETH;
    else if (w === K.NW_SRC || w === K.NW_DST || w === K.NW_PROTO) d |= DIRTY_ARP | DIRTY_IP;
    else if (w >= K.ARP_SHA_LO && w <= K.ARP_THA_HI) d |= DIRTY_ARP;
    else if (w === K.NW_TOS || w === K.NW_TTL) d |= DIRTY_IP;
    else if (w === K.TP_SRC || w === K.TP_DST) d |= DIRTY_L4;
  }
  return d;
}

function op(o: number, a = 0, b = 0): CompiledOp {
  return { op: o, a, b, words: null, dirty: 0, src: null, dst: null, learn: null };
}

/** [word, mask, value] triples that write `value` under `mask` into a field's words. */
export function wordWrites(words: readonly number[], value: bigint, mask: bigint): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < words.length; i++) {
    const m = Number((mask >> BigInt(32 * i)) & 0xffffffffn) | 0;
    if (m === 0) continue;
    const v = Number((value >> BigInt(32 * i)) & 0xffffffffn) | 0;
    out.push(words[i], m, v & m);
  }
  return Int32Array.from(out);
}

export function compileActions(actions: readonly Action[]): CompiledActions {
  const out: CompiledActions = [];
  for (const a of actions) {
    switch (a.t) {
      case 'output':
        out.push(op(OP_OUTPUT, a.port));
        break;
      case 'output_reg': {
        const o = op(OP_OUTPUT_REG);
        o.src = a.src;
        out.push(o);
        break;
      }
      case 'controller':
        out.push(op(OP_CONTROLLER, a.maxLen));
        break;
      case 'resubmit':
        out.push(op(OP_RESUBMIT, a.port, a.table));
        break;
      case 'goto_table':
        out.push(op(OP_GOTO, a.table));
        break;
      case 'set_vlan_vid':
        out.push(op(OP_SET_VID, a.vid, a.push ? 1 : 0));
        break;
      case 'set_vlan_pcp':
        out.push(op(OP_SET_PCP, a.pcp, a.push ? 1 : 0));
        break;
      case 'strip_vlan':
        out.push(op(OP_STRIP_VLAN));
        break;
      case 'push_vlan':
        out.push(op(OP_PUSH_VLAN, a.ethertype));
        break;
      case 'set_field': {
        const o = op(OP_SET_WORDS);
        o.words = wordWrites(a.field.words, a.value, a.mask);
        o.dirty = dirtyOfWords(a.field.words);
        out.push(o);
        break;
      }
      case 'set_tunnel': {
        const o = op(OP_SET_WORDS);
        o.words = wordWrites([K.TUN_ID_LO, K.TUN_ID_HI], a.value, allOnes(64));
        out.push(o);
        break;
      }
      case 'move': {
        const o = op(OP_MOVE);
        o.src = a.src;
        o.dst = a.dst;
        o.dirty = dirtyOfWords(a.dst.field.words);
        if (isWhole(a.src) && isWhole(a.dst) && a.src.field.words.length === a.dst.field.words.length) {
          const pairs: number[] = [];
          for (let i = 0; i < a.src.field.words.length; i++)
            pairs.push(a.src.field.words[i], a.dst.field.words[i]);
          o.words = Int32Array.from(pairs);
        }
        out.push(o);
        break;
      }
      case 'learn': {
        const o = op(OP_LEARN);
        o.learn = a.learn;
        out.push(o);
        break;
      }
      case 'dec_ttl': {
        const o = op(OP_DEC_TTL);
        o.dirty = DIRTY_IP;
        out.push(o);
        break;
      }
      case 'note':
        break;
    }
  }
  return out;
}
