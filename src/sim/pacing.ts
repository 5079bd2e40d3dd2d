// Real-time pacing: virtual time follows the wall clock, so an interactive `ping` prints one line
// per second as a user expects. This driver is the only place that reads the wall clock or calls
// setTimeout, and it does so outside the data plane: it merely decides when to run the
// scheduler's due events. (Fast pacing needs no driver: call `runUntilIdle`/`runFor`/`runUntil`.)

import { NS_PER_MS, type Scheduler } from './scheduler.js';

export interface RealtimeOptions {
  /** Virtual seconds per wall second (1 = real time; 10 = ten times faster). */
  speed?: number;
  /** Wall-clock source in milliseconds (performance.now by default; tests may pass a fake). */
  clock?: () => number;
}

export class RealtimeDriver {
  private readonly speed: number;
  private readonly clock: () => number;
  private wallOrigin = 0;
  private virtualOrigin = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private immediate: ReturnType<typeof setImmediate> | null = null;
  private running = false;

  constructor(
    private readonly sched: Scheduler,
    opts: RealtimeOptions = {},
  ) {
    this.speed = opts.speed ?? 1;
    this.clock = opts.clock ?? (() => performance.now());
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Starts following the wall clock from the scheduler's current virtual time. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.wallOrigin = this.clock();
    this.virtualOrigin = this.sched.now;
    this.sched.onEarliestChanged = () => this.wake();
    this.tick();
  }

  stop(): void {
    this.running = false;
    this.sched.onEarliestChanged = null;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = this.immediate = null;
  }

  /** The virtual time (ns) that corresponds to the wall clock now. */
  virtualNow(): number {
    return this.virtualOrigin + (this.clock() - this.wallOrigin) * NS_PER_MS * this.speed;
  }

  /**
   * Brings the scheduler up to the wall clock: runs due events and advances `now`. Call it before
   * injecting work from outside (an API request, a typed command) so it is stamped with the right time.
   */
  sync(): void {
    const target = this.virtualNow();
    if (target > this.sched.now) this.sched.runTo(target);
  }

  private wake(): void {
    if (!this.running || this.immediate !== null) return;
    this.immediate = setImmediate(() => {
      this.immediate = null;
      this.tick();
    });
  }

  private tick(): void {
    if (!this.running) return;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.sync();
    const next = this.sched.nextTime();
    if (next === Number.POSITIVE_INFINITY) return; // woken by onEarliestChanged when work arrives
    const wallDelay = Math.max(0, (next - this.virtualNow()) / NS_PER_MS / this.speed);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.tick();
    }, Math.ceil(wallDelay));
  }
}
