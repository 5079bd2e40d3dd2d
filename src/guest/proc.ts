// Processes of the guest: what a shell command or an init script is while it runs. Everything that
// takes time runs on the simulation's scheduler through callbacks (never promises inside the
// simulation: a promise continuation would run after `sched.runFor()` returns, at the wrong virtual
// time), so a 3-packet ping under fast pacing costs no wall time and replays exactly under a seed.

/** Where a process writes: stdout and stderr (a console or `vm exec` merges them in order). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** A running process: it ends by calling `exit` once; `interrupt` is SIGINT (Ctrl-C). */
export interface Proc {
  /** Registers what SIGINT does (busybox ping prints its statistics); default: exit 130. */
  onInterrupt(fn: () => void): void;
  /** Registers cleanup run when the process ends (sockets closed, timers cancelled). */
  onExit(fn: () => void): void;
  exit(code: number): void;
  readonly done: boolean;
}

/** What a command implementation returns: an exit code now, or `RUNNING` when it will call `proc.exit`. */
export const RUNNING = -1;

export class ProcHandle implements Proc {
  done = false;
  code = 0;
  private interruptFn: (() => void) | null = null;
  private readonly cleanups: (() => void)[] = [];

  constructor(private readonly onDone: (code: number) => void) {}

  onInterrupt(fn: () => void): void {
    this.interruptFn = fn;
  }

  onExit(fn: () => void): void {
    this.cleanups.push(fn);
  }

  exit(code: number): void {
    if (this.done) return;
    this.done = true;
    this.code = code;
    for (const fn of this.cleanups) fn();
    this.onDone(code);
  }

  /** SIGINT: the registered handler, else the shell's default (exit status 128 + 2). */
  interrupt(): void {
    if (this.done) return;
    if (this.interruptFn !== null) this.interruptFn();
    else this.exit(130);
  }
}

/** An output sink that collects text (tests, `pocketstack vm exec`). */
export class BufferIo implements Io {
  text = '';
  out(text: string): void {
    this.text += text;
  }
  err(text: string): void {
    this.text += text;
  }
}

/** A step of a script: does its work and calls `next` (now or later on virtual time). */
export type Step = (next: () => void) => void;

/** Runs steps one after the other, then `done`. */
export function runSteps(steps: Step[], done: () => void): void {
  let i = 0;
  const next = (): void => {
    if (i >= steps.length) {
      done();
      return;
    }
    const step = steps[i++];
    step(next);
  };
  next();
}
