// A bridge's OpenFlow tables (OVS's classifier + ofproto rule bookkeeping): flows with priority,
// cookie, match, actions, counters and timeouts on virtual time. Within a table the highest
// priority match wins; among equal priorities OVS leaves the choice undefined, here the flow
// added first wins (deterministic). Expiry follows ofproto-dpif's rule_expire(): hard timeout
// counts from the last modification (a learn action re-learning a flow refreshes it), idle
// timeout from the last packet.

import type { Action } from './actions.js';
import { type CompiledActions, compileActions } from './compiled-actions.js';
import type { Match } from './flow-match.js';
import { OFPP_NONE } from './ports.js';

export const N_TABLES = 255;

export class Flow {
  /** Insertion sequence: the tie-break among equal priorities. */
  seq = 0;
  nPackets = 0;
  nBytes = 0;
  createdNs: number;
  modifiedNs: number;
  usedNs: number;
  /** [word, mask, value] triples tested per packet. */
  readonly test: Int32Array;
  compiled: CompiledActions;

  constructor(
    readonly table: number,
    readonly priority: number,
    public cookie: bigint,
    readonly match: Match,
    public actions: Action[],
    public idleTimeout: number,
    public hardTimeout: number,
    nowNs: number,
    /** OpenFlow flow-mod flags that dump-flows prints (send_flow_rem, …). */
    public flags: { sendFlowRem?: boolean } = {},
  ) {
    this.createdNs = nowNs;
    this.modifiedNs = nowNs;
    this.usedNs = nowNs;
    this.test = match.compile();
    this.compiled = compileActions(actions);
  }

  setActions(actions: Action[]): void {
    this.actions = actions;
    this.compiled = compileActions(actions);
  }

  /** When this flow expires on its own (Infinity if it has no timeout). */
  expiresAt(): number {
    let t = Number.POSITIVE_INFINITY;
    if (this.hardTimeout > 0) t = this.modifiedNs + this.hardTimeout * 1e9;
    if (this.idleTimeout > 0) t = Math.min(t, this.usedNs + this.idleTimeout * 1e9);
    return t;
  }

  /** Does any action output to `port` (del-flows/dump-flows `out_port=`)? */
  outputsTo(port: number): boolean {
    for (const a of this.actions) if (a.t === 'output' && a.port === port) return true;
    return false;
  }
}

/** Selection of flows for del-flows / mod-flows / dump-flows. */
export interface FlowSelector {
  table?: number; // undefined = all tables
  match: Match;
  priority?: number; // required for strict
  strict: boolean;
  cookie?: bigint;
  cookieMask?: bigint;
  outPort?: number;
}

/** FNV-style hash of a flow's priority and match words. */
function identityHash(priority: number, m: Match): number {
  let h = Math.imul(0x811c9dc5 ^ priority, 0x01000193);
  for (let i = 0; i < m.value.length; i++) {
    h = Math.imul(h ^ m.mask[i], 0x01000193);
    h = Math.imul(h ^ (m.value[i] & m.mask[i]), 0x01000193);
  }
  return h;
}

export class FlowTable {
  /** Flows sorted by descending priority, then insertion order. */
  flows: Flow[] = [];
  /** (priority, match) hash → flows, so a flow's identity is found without a scan (learn, add). */
  private readonly identity = new Map<number, Flow[]>();

  insert(f: Flow): void {
    // Binary search for the first flow with a lower priority: equal priorities keep insertion order.
    let lo = 0;
    let hi = this.flows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.flows[mid].priority >= f.priority) lo = mid + 1;
      else hi = mid;
    }
    this.flows.splice(lo, 0, f);
    const h = identityHash(f.priority, f.match);
    const bucket = this.identity.get(h);
    if (bucket === undefined) this.identity.set(h, [f]);
    else bucket.push(f);
  }

  remove(f: Flow): void {
    const i = this.flows.indexOf(f);
    if (i >= 0) this.flows.splice(i, 1);
    this.forget(f);
  }

  /** Removes the flow at `index` of `flows` (expiry walks the array backwards). */
  removeAt(index: number): Flow {
    const [f] = this.flows.splice(index, 1);
    this.forget(f);
    return f;
  }

  private forget(f: Flow): void {
    const h = identityHash(f.priority, f.match);
    const bucket = this.identity.get(h);
    if (bucket === undefined) return;
    const j = bucket.indexOf(f);
    if (j >= 0) bucket.splice(j, 1);
    if (bucket.length === 0) this.identity.delete(h);
  }

  /** The flow with exactly this priority and match (OpenFlow's flow identity), if any. */
  findExact(priority: number, match: Match): Flow | undefined {
    const bucket = this.identity.get(identityHash(priority, match));
    if (bucket === undefined) return undefined;
    for (const f of bucket) if (f.priority === priority && f.match.equals(match)) return f;
    return undefined;
  }

  /** The highest-priority flow matching `key`, or null (table miss). */
  lookup(key: Int32Array): Flow | null {
    const flows = this.flows;
    outer: for (let i = 0; i < flows.length; i++) {
      const t = flows[i].test;
      for (let j = 0; j < t.length; j += 3) {
        if ((key[t[j]] & t[j + 1]) !== t[j + 2]) continue outer;
      }
      return flows[i];
    }
    return null;
  }
}

/** All tables of one bridge, with flow-mod semantics. */
export class FlowTables {
  readonly tables: (FlowTable | undefined)[] = new Array(N_TABLES);
  private seq = 0;
  private nextExpiry = Number.POSITIVE_INFINITY;
  /** Called when a flow is removed by timeout or deletion (for learned-flow bookkeeping). */
  onRemove: ((f: Flow) => void) | null = null;
  /** Bumped on every change: lets a datapath cache know its decisions may be stale. */
  version = 0;

  constructor(private readonly now: () => number) {}

  table(id: number): FlowTable {
    let t = this.tables[id];
    if (t === undefined) {
      t = new FlowTable();
      this.tables[id] = t;
    }
    return t;
  }

  /** OFPFC_ADD: a flow with the same table, priority and match is replaced (counters reset). */
  add(f: Flow): Flow {
    const t = this.table(f.table);
    const old = t.findExact(f.priority, f.match);
    if (old) {
      t.remove(old);
      this.onRemove?.(old);
    }
    f.seq = this.seq++;
    t.insert(f);
    this.noteTimeout(f);
    this.version++;
    return f;
  }

  private noteTimeout(f: Flow): void {
    const e = f.expiresAt();
    if (e < this.nextExpiry) this.nextExpiry = e;
  }

  /** Flows selected as OVS selects them for a strict or non-strict flow-mod/stats request. */
  select(sel: FlowSelector): Flow[] {
    this.expire();
    const out: Flow[] = [];
    const from = sel.table ?? 0;
    const to = sel.table ?? N_TABLES - 1;
    for (let id = from; id <= to; id++) {
      const t = this.tables[id];
      if (!t) continue;
      for (const f of t.flows) {
        if (sel.cookieMask !== undefined && sel.cookieMask !== 0n) {
          if ((f.cookie & sel.cookieMask) !== ((sel.cookie ?? 0n) & sel.cookieMask)) continue;
        }
        if (sel.strict) {
          if (f.priority !== (sel.priority ?? 32768) || !f.match.equals(sel.match)) continue;
        } else if (!f.match.isCoveredBy(sel.match)) continue;
        if (sel.outPort !== undefined && sel.outPort !== OFPP_NONE && !f.outputsTo(sel.outPort)) continue;
        out.push(f);
      }
    }
    return out;
  }

  delete(sel: FlowSelector): number {
    const victims = this.select(sel);
    for (const f of victims) this.removeFlow(f);
    return victims.length;
  }

  removeFlow(f: Flow): void {
    this.tables[f.table]?.remove(f);
    this.onRemove?.(f);
    this.version++;
  }

  /** OFPFC_MODIFY(_STRICT): new actions (and cookie when given) for the selected flows; counters kept. */
  modify(sel: FlowSelector, actions: Action[], newCookie?: bigint): number {
    const flows = this.select(sel);
    for (const f of flows) {
      f.setActions(actions);
      if (newCookie !== undefined) f.cookie = newCookie;
      f.modifiedNs = this.now();
      this.noteTimeout(f);
    }
    if (flows.length) this.version++;
    return flows.length;
  }

  /** Re-arms a flow's hard timeout (a learn action learning the same flow again). */
  touch(f: Flow): void {
    f.modifiedNs = this.now();
  }

  /** Removes flows whose idle or hard timeout has passed. Cheap when nothing is due. */
  expire(): void {
    const now = this.now();
    if (now < this.nextExpiry) return;
    let next = Number.POSITIVE_INFINITY;
    for (const t of this.tables) {
      if (!t) continue;
      for (let i = t.flows.length - 1; i >= 0; i--) {
        const f = t.flows[i];
        const e = f.expiresAt();
        if (e === Number.POSITIVE_INFINITY) continue;
        if (e <= now) {
          t.removeAt(i);
          this.onRemove?.(f);
          this.version++;
        } else if (e < next) next = e;
      }
    }
    this.nextExpiry = next;
  }

  /** Every flow, by table ascending then classifier order (what dump-flows prints). */
  all(): Flow[] {
    this.expire();
    const out: Flow[] = [];
    for (const t of this.tables) if (t) out.push(...t.flows);
    return out;
  }

  lookup(table: number, key: Int32Array): Flow | null {
    if (this.now() >= this.nextExpiry) this.expire();
    const t = this.tables[table];
    return t === undefined ? null : t.lookup(key);
  }

  count(): number {
    let n = 0;
    for (const t of this.tables) if (t) n += t.flows.length;
    return n;
  }
}
