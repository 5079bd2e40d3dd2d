// Executing learn(...) for one packet (ofproto-dpif's xlate_learn_action + learn_execute):
// the learned flow's match and actions are computed from the packet; when the same flow
// (table, priority, match) already exists with the same actions it is only refreshed (its hard
// timeout re-armed, counters kept, as ofproto_flow_mod_learn_refresh does), otherwise it is
// added or its actions replaced. Runs on every packet through Neutron's br-tun table 10, so the
// refresh path allocates nothing.

import type { Action } from './actions.js';
import type { CompiledOp } from './compiled-actions.js';
import { allOnes, KEY_WORDS } from './flow-fields.js';
import { Match } from './flow-match.js';
import { Flow } from './flow-table.js';
import type { LearnAction } from './learn.js';
import { isWhole, readSubfield, type Subfield } from './subfield.js';
import type { Xlate } from './xlate.js';

/** Per learn action: scratch space and precomputed word plans, built on first use. */
interface LearnPlan {
  scratch: Match;
  /** Match specs as word copies: [srcWord, dstWord, srcShift, dstShift, mask(after shift)] per entry. */
  copies: Int32Array;
  /** Match specs that need the general (bigint) path. */
  slow: { dst: Subfield; src: Subfield }[];
  /** Constant matches applied to scratch as [word, mask, value]. */
  consts: Int32Array;
  /** Key words whose values decide the learned actions (load_field / output sources). */
  sigWords: Int32Array;
  sig: Int32Array;
}

const plans = new WeakMap<LearnAction, LearnPlan>();

function subfieldWordPlan(sf: Subfield): { word: number; shift: number; mask: number } | null {
  const wordIdx = Math.floor(sf.ofs / 32);
  const shift = sf.ofs % 32;
  if (shift + sf.nbits > 32) return null;
  const mask = sf.nbits === 32 ? -1 : ((1 << sf.nbits) - 1) << shift;
  return { word: sf.field.words[wordIdx], shift, mask };
}

function planFor(l: LearnAction): LearnPlan {
  let p = plans.get(l);
  if (p !== undefined) return p;
  const copies: number[] = [];
  const slow: { dst: Subfield; src: Subfield }[] = [];
  const consts = new Match();
  const sigWords: number[] = [];
  for (const s of l.specs) {
    if (s.k === 'match_field') {
      if (isWhole(s.src) && isWhole(s.dst) && s.src.field.bits === s.dst.field.bits) {
        const full = allOnes(s.dst.field.bits);
        for (let i = 0; i < s.dst.field.words.length; i++) {
          const m = Number((full >> BigInt(32 * i)) & 0xffffffffn) | 0;
          copies.push(s.src.field.words[i], s.dst.field.words[i], 0, 0, m);
        }
        continue;
      }
      const a = subfieldWordPlan(s.src);
      const b = subfieldWordPlan(s.dst);
      if (a && b) copies.push(a.word, b.word, a.shift, b.shift, b.mask);
      else slow.push({ dst: s.dst, src: s.src });
    } else if (s.k === 'match_imm') {
      const mask = allOnes(s.dst.nbits) << BigInt(s.dst.ofs);
      consts.set(s.dst.field, s.value << BigInt(s.dst.ofs), mask);
    } else if (s.k === 'load_field' || s.k === 'output') {
      for (const w of s.src.field.words) sigWords.push(w);
    }
  }
  const constTriples: number[] = [];
  for (let i = 0; i < KEY_WORDS; i++)
    if (consts.mask[i] !== 0) constTriples.push(i, consts.mask[i], consts.value[i]);
  p = {
    scratch: new Match(),
    copies: Int32Array.from(copies),
    slow,
    consts: Int32Array.from(constTriples),
    sigWords: Int32Array.from(sigWords),
    sig: new Int32Array(sigWords.length),
  };
  plans.set(l, p);
  return p;
}

/** The learned flows' dynamic action inputs, remembered per flow to detect "same actions". */
const learnedSig = new WeakMap<Flow, Int32Array>();

export function executeLearn(xl: Xlate, op: CompiledOp): void {
  const l = op.learn!;
  const p = planFor(l);
  const key = xl.key;
  const m = p.scratch;
  m.value.fill(0);
  m.mask.fill(0);
  const c = p.copies;
  for (let i = 0; i < c.length; i += 5) {
    const v = ((key[c[i]] >>> c[i + 2]) << c[i + 3]) & c[i + 4];
    const w = c[i + 1];
    m.mask[w] |= c[i + 4];
    m.value[w] = (m.value[w] & ~c[i + 4]) | v;
  }
  for (const s of p.slow)
    m.set(
      s.dst.field,
      readSubfield(key, s.src) << BigInt(s.dst.ofs),
      allOnes(s.dst.nbits) << BigInt(s.dst.ofs),
    );
  const k = p.consts;
  for (let i = 0; i < k.length; i += 3) {
    m.mask[k[i]] |= k[i + 1];
    m.value[k[i]] = (m.value[k[i]] & ~k[i + 1]) | k[i + 2];
  }
  for (let i = 0; i < p.sigWords.length; i++) p.sig[i] = key[p.sigWords[i]];

  const dp = xl.dp;
  const table = dp.tables.table(l.table);
  const existing = table.findExact(l.priority, m);
  if (existing !== undefined) {
    const old = learnedSig.get(existing);
    if (old !== undefined && sameSig(old, p.sig)) {
      dp.tables.touch(existing);
      if (xl.trace !== null) dp.traceLearn(xl.trace, existing, 'refreshed');
      return;
    }
    existing.setActions(learnedActions(l, key));
    dp.tables.touch(existing);
    learnedSig.set(existing, p.sig.slice());
    dp.tables.version++;
    if (xl.trace !== null) dp.traceLearn(xl.trace, existing, 'modified');
    return;
  }
  const f = new Flow(
    l.table,
    l.priority,
    l.cookie,
    m.clone(),
    learnedActions(l, key),
    l.idleTimeout,
    l.hardTimeout,
    dp.now(),
  );
  dp.tables.add(f);
  learnedSig.set(f, p.sig.slice());
  if (xl.trace !== null) dp.traceLearn(xl.trace, f, 'learned');
}

function sameSig(a: Int32Array, b: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The learned flow's actions: loads become immediate `load:`s, output the port the packet names. */
function learnedActions(l: LearnAction, key: Int32Array): Action[] {
  const out: Action[] = [];
  for (const s of l.specs) {
    if (s.k === 'load_imm' || s.k === 'load_field') {
      const v = s.k === 'load_imm' ? s.value : readSubfield(key, s.src);
      out.push({
        t: 'set_field',
        field: s.dst.field,
        value: v << BigInt(s.dst.ofs),
        mask: allOnes(s.dst.nbits) << BigInt(s.dst.ofs),
        raw: 'load',
      });
    } else if (s.k === 'output') {
      const port = Number(readSubfield(key, s.src));
      out.push({ t: 'output', port });
    }
  }
  return out;
}
