// The one owner of time in a simulated cloud (FoundationDB / TigerBeetle style): every frame
// hand-off, ARP retry and FDB ageing tick is an event on this scheduler; nothing in the data plane
// reads the wall clock.
//
// Time unit: NANOSECONDS, as a plain number (exact integers up to 2^53 ns ≈ 104 days of virtual time).
//
// Hot path without closures: an event is (time, seq, fn, a0, a1, a2) stored in parallel arrays
// indexed by a slot number; the binary heap orders slot numbers by (time, seq), so events at the
// same time run in the order they were scheduled (FIFO). Slots are recycled through a free list,
// so scheduling an event allocates nothing once the arrays have grown.

import { Random } from './random.js';

/** An event callback; receives the up-to-three arguments given when it was scheduled. */
// biome-ignore lint/suspicious/noExplicitAny: event arguments are whatever the scheduler of the event passed
export type EventFn = (a0: any, a1: any, a2: any) => void;

/** Opaque handle of a scheduled event: (generation << 22) | slot. Pass to `cancel`. */
export type TimerHandle = number;

const SLOT_BITS = 22;
const SLOT_SPAN = 1 << SLOT_BITS; // at most ~4M events pending at once
const SLOT_MASK = SLOT_SPAN - 1;

export const NS_PER_US = 1_000;
export const NS_PER_MS = 1_000_000;
export const NS_PER_S = 1_000_000_000;

export interface SchedulerOptions {
  /** Seed of the scheduler's PRNG (same seed, same run). Default 1. */
  seed?: number;
}

export class Scheduler {
  /** Virtual time in nanoseconds. */
  now = 0;
  /** Seeded randomness for everything in the simulation (jitter, MACs, ports, backoffs). */
  readonly rng: Random;
  /** Events executed so far (cancelled events are not counted). */
  eventsRun = 0;

  private cap = 0;
  private time = new Float64Array(0);
  private seq = new Float64Array(0);
  private gen = new Int32Array(0);
  private fn: (EventFn | null)[] = [];
  private a0: unknown[] = [];
  private a1: unknown[] = [];
  private a2: unknown[] = [];
  private heap = new Int32Array(0);
  private size = 0;
  private free = new Int32Array(0);
  private freeCount = 0;
  private nextSeq = 0;
  private live = 0;
  /** Set by a pacing driver: called when a new event becomes the earliest one (to wake a sleeping loop). */
  onEarliestChanged: (() => void) | null = null;

  constructor(opts: SchedulerOptions = {}) {
    this.rng = new Random(opts.seed ?? 1);
    this.grow(1024);
  }

  /** Uniform float in [0, 1) from the scheduler's seeded source. */
  random(): number {
    return this.rng.random();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return this.rng.int(n);
  }

  /** Number of events waiting (cancelled ones excluded). */
  get pending(): number {
    return this.live;
  }

  /** Runs `fn(a0, a1, a2)` after `delay` ns of virtual time (a negative delay counts as 0). */
  schedule(delay: number, fn: EventFn, a0?: unknown, a1?: unknown, a2?: unknown): TimerHandle {
    return this.at(delay > 0 ? this.now + delay : this.now, fn, a0, a1, a2);
  }

  /** Runs `fn(a0, a1, a2)` at virtual time `time` (ns); a time in the past runs at `now`. */
  at(time: number, fn: EventFn, a0?: unknown, a1?: unknown, a2?: unknown): TimerHandle {
    if (this.freeCount === 0) this.grow(this.cap * 2);
    const slot = this.free[--this.freeCount];
    this.time[slot] = Math.max(time, this.now);
    this.seq[slot] = this.nextSeq++;
    this.fn[slot] = fn;
    this.a0[slot] = a0;
    this.a1[slot] = a1;
    this.a2[slot] = a2;
    this.live++;
    const pos = this.size++;
    this.heap[pos] = slot;
    this.siftUp(pos);
    if (this.onEarliestChanged !== null && this.heap[0] === slot) this.onEarliestChanged();
    return this.gen[slot] * SLOT_SPAN + slot;
  }

  /** Cancels a pending event; false if it already ran or was cancelled. */
  cancel(handle: TimerHandle): boolean {
    const slot = handle & SLOT_MASK;
    if (slot >= this.cap || this.gen[slot] !== Math.floor(handle / SLOT_SPAN) || this.fn[slot] === null) {
      return false;
    }
    // Left in the heap and skipped when popped: removal from the middle of a heap costs more.
    this.fn[slot] = null;
    this.a0[slot] = this.a1[slot] = this.a2[slot] = undefined;
    this.live--;
    return true;
  }

  /** Virtual time of the next live event, or Infinity when idle. */
  nextTime(): number {
    while (this.size > 0) {
      const slot = this.heap[0];
      if (this.fn[slot] !== null) return this.time[slot];
      this.pop();
    }
    return Number.POSITIVE_INFINITY;
  }

  /** Runs the next event (advancing `now` to its time). False when there is none. */
  step(): boolean {
    while (this.size > 0) {
      const slot = this.pop();
      const fn = this.fn[slot];
      if (fn === null) continue;
      const a0 = this.a0[slot];
      const a1 = this.a1[slot];
      const a2 = this.a2[slot];
      this.now = this.time[slot];
      this.release(slot);
      this.live--;
      this.eventsRun++;
      fn(a0, a1, a2);
      return true;
    }
    return false;
  }

  /** Fast pacing: runs until no event is left (or `maxEvents` ran). Returns the number of events run. */
  runUntilIdle(maxEvents = Number.POSITIVE_INFINITY): number {
    let n = 0;
    while (n < maxEvents && this.step()) n++;
    return n;
  }

  /** Runs every event due up to `time` (inclusive), then sets the clock to `time`. */
  runTo(time: number): number {
    let n = 0;
    while (this.nextTime() <= time) {
      this.step();
      n++;
    }
    if (time > this.now) this.now = time;
    return n;
  }

  /** Advances virtual time by `dt` ns, running every event due in that window. */
  runFor(dt: number): number {
    return this.runTo(this.now + dt);
  }

  /**
   * Runs events until `predicate()` holds (checked before each event) or virtual time would pass
   * `now + limit`. True if the predicate held.
   */
  runUntil(predicate: () => boolean, limit: number): boolean {
    const deadline = this.now + limit;
    for (;;) {
      if (predicate()) return true;
      if (this.nextTime() > deadline) {
        this.now = deadline;
        return predicate();
      }
      this.step();
    }
  }

  private release(slot: number): void {
    this.fn[slot] = null;
    this.a0[slot] = this.a1[slot] = this.a2[slot] = undefined;
    this.gen[slot] = (this.gen[slot] + 1) & 0x7fffffff;
    this.free[this.freeCount++] = slot;
  }

  private pop(): number {
    const heap = this.heap;
    const top = heap[0];
    const last = heap[--this.size];
    if (this.size > 0) {
      heap[0] = last;
      this.siftDown(0);
    }
    if (this.fn[top] === null) {
      // a cancelled event leaving the heap: its slot can be reused now
      this.gen[top] = (this.gen[top] + 1) & 0x7fffffff;
      this.free[this.freeCount++] = top;
    }
    return top;
  }

  private less(a: number, b: number): boolean {
    const ta = this.time[a];
    const tb = this.time[b];
    return ta < tb || (ta === tb && this.seq[a] < this.seq[b]);
  }

  private siftUp(pos: number): void {
    const heap = this.heap;
    const slot = heap[pos];
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      const p = heap[parent];
      if (!this.less(slot, p)) break;
      heap[pos] = p;
      pos = parent;
    }
    heap[pos] = slot;
  }

  private siftDown(pos: number): void {
    const heap = this.heap;
    const n = this.size;
    const slot = heap[pos];
    for (;;) {
      let child = 2 * pos + 1;
      if (child >= n) break;
      if (child + 1 < n && this.less(heap[child + 1], heap[child])) child++;
      if (!this.less(heap[child], slot)) break;
      heap[pos] = heap[child];
      pos = child;
    }
    heap[pos] = slot;
  }

  private grow(cap: number): void {
    if (cap > SLOT_SPAN) throw new Error('scheduler: too many pending events');
    const old = this.cap;
    const time = new Float64Array(cap);
    time.set(this.time);
    this.time = time;
    const seq = new Float64Array(cap);
    seq.set(this.seq);
    this.seq = seq;
    const gen = new Int32Array(cap);
    gen.set(this.gen);
    this.gen = gen;
    const heap = new Int32Array(cap);
    heap.set(this.heap);
    this.heap = heap;
    const free = new Int32Array(cap);
    free.set(this.free.subarray(0, this.freeCount));
    this.free = free;
    for (let s = cap - 1; s >= old; s--) {
      this.fn.push(null);
      this.a0.push(undefined);
      this.a1.push(undefined);
      this.a2.push(undefined);
    }
    // new slots handed out lowest first
    for (let s = cap - 1; s >= old; s--) this.free[this.freeCount++] = s;
    this.cap = cap;
  }
}
