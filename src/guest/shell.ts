// A busybox-ash-like shell: a line is split into words (quotes and backslashes as sh does), `;`,
// `&&` and `||` sequence commands, `>`/`>>`/`2>&1` redirect output, and each command is an applet
// from the table (applets.ts). Unknown commands answer `-sh: X: not found` with status 127, as
// ash does. Commands that take time (ping, traceroute, udhcpc, sleep) run on the scheduler's
// virtual time, stream their output as it happens, and can be interrupted (SIGINT).

import type { GuestOs } from './os.js';
import { type Io, type Proc, ProcHandle, RUNNING } from './proc.js';

export type User = 'cirros' | 'root';

export interface CommandContext {
  os: GuestOs;
  io: Io;
  proc: Proc;
  user: User;
  shell: Shell;
}

/** An applet: returns its exit status, or RUNNING and calls `ctx.proc.exit` later. */
export type Command = (argv: string[], ctx: CommandContext) => number;

/** Applets by name; filled by applets.ts (one table for every guest). */
export const APPLETS = new Map<string, Command>();

interface Simple {
  words: string[];
  /** Operator joining it to the next command. */
  op: ';' | '&&' | '||' | null;
}

/** Splits a command line as sh does: quotes, backslashes, `;`, `&&`, `||`, `#` comments. */
export function parseLine(line: string): Simple[] | string {
  const out: Simple[] = [];
  let words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  const endWord = (): void => {
    if (inWord) words.push(cur);
    cur = '';
    inWord = false;
  };
  const endCmd = (op: Simple['op']): string | null => {
    endWord();
    if (words.length === 0) return op === null ? null : `syntax error: unexpected "${op}"`;
    out.push({ words, op });
    words = [];
    return null;
  };
  while (i < line.length) {
    const c = line[i];
    if (c === "'") {
      const j = line.indexOf("'", i + 1);
      if (j < 0) return 'syntax error: unterminated quoted string';
      cur += line.slice(i + 1, j);
      inWord = true;
      i = j + 1;
    } else if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\' && j + 1 < line.length && '"\\$`'.includes(line[j + 1])) j++;
        cur += line[j];
        j++;
      }
      if (j >= line.length) return 'syntax error: unterminated quoted string';
      inWord = true;
      i = j + 1;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[i + 1];
      inWord = true;
      i += 2;
    } else if (c === ' ' || c === '\t') {
      endWord();
      i++;
    } else if (c === '#' && !inWord) {
      break;
    } else if (c === ';' || (c === '&' && line[i + 1] === '&') || (c === '|' && line[i + 1] === '|')) {
      const op = c === ';' ? ';' : c === '&' ? '&&' : '||';
      const err = endCmd(op);
      if (err !== null) return err;
      i += op.length;
    } else if (c === '|') {
      return 'syntax error: pipes are not supported by this shell';
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  const err = endCmd(null);
  if (err !== null) return err;
  return out;
}

/** Where a command's stdout/stderr go after its redirections. */
function redirect(
  words: string[],
  io: Io,
  ctx: { os: GuestOs; user: User },
): { argv: string[]; io: Io; error?: string } {
  const argv: string[] = [];
  let out: (t: string) => void = (t) => io.out(t);
  let err: (t: string) => void = (t) => io.err(t);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const m = /^(\d?)(>>?)(&\d)?(.*)$/.exec(w);
    if (m === null) {
      argv.push(w);
      continue;
    }
    const fd = m[1] === '2' ? 2 : 1;
    if (m[3] !== undefined) {
      if (m[3] === '&1' && fd === 2) err = out;
      else if (m[3] === '&2' && fd === 1) out = err;
      continue;
    }
    const target = m[4] !== '' ? m[4] : words[++i];
    if (target === undefined) return { argv, io, error: 'syntax error: unexpected newline' };
    let sink: (t: string) => void;
    if (target === '/dev/null') sink = () => {};
    else {
      if (ctx.user !== 'root' && !/^\/(tmp|home\/cirros)\//.test(target)) {
        return { argv, io, error: `can't create ${target}: Permission denied` };
      }
      if (m[2] === '>') ctx.os.files.set(target, '');
      sink = (t) => ctx.os.files.set(target, (ctx.os.files.get(target) ?? '') + t);
    }
    if (fd === 1) out = sink;
    else err = sink;
  }
  return { argv, io: { out: (t) => out(t), err: (t) => err(t) } };
}

export class Shell {
  /** Set by `exit`: the session should end with this status. */
  exited: number | null = null;

  constructor(
    readonly os: GuestOs,
    readonly user: User = 'cirros',
  ) {}

  /** The prompt ash shows: `$ ` for a user, `# ` for root. */
  get prompt(): string {
    return this.user === 'root' ? '# ' : '$ ';
  }

  /**
   * Runs a command line. `onDone` gets the status of the last command run. The returned handle's
   * `interrupt()` is Ctrl-C: it reaches the command in the foreground.
   */
  start(line: string, io: Io, onDone: (code: number) => void = () => {}): ProcHandle {
    const job = new ProcHandle(onDone);
    const parsed = parseLine(line);
    if (typeof parsed === 'string') {
      io.err(`-sh: ${parsed}\n`);
      job.exit(2);
      return job;
    }
    let current: ProcHandle | null = null;
    // Ctrl-C reaches the command in the foreground and abandons the rest of the line, as in ash.
    let aborted = false;
    job.onInterrupt(() => {
      aborted = true;
      if (current !== null) current.interrupt();
    });
    const killer = { kill: () => current?.exit(130) };
    this.os.procs.add(killer);
    job.onExit(() => this.os.procs.delete(killer));
    let i = 0;
    let last = 0;
    const next = (): void => {
      while (i < parsed.length) {
        const cmd = parsed[i++];
        const prevOp = i >= 2 ? parsed[i - 2].op : null;
        if ((prevOp === '&&' && last !== 0) || (prevOp === '||' && last === 0)) continue;
        if (this.exited !== null || job.done || aborted) break;
        let sync = true;
        let syncCode = 0;
        let finished = false;
        current = this.exec(cmd.words, io, (code) => {
          last = code;
          current = null;
          if (sync) {
            finished = true;
            syncCode = code;
          } else next();
        });
        sync = false;
        if (!finished) return;
        last = syncCode;
      }
      job.exit(last);
    };
    next();
    return job;
  }

  /** Runs a line and resolves with its status (drive the scheduler meanwhile). */
  run(line: string, io: Io): Promise<number> {
    return new Promise((resolve) => this.start(line, io, resolve));
  }

  /** Runs one simple command (`sudo` re-enters with the root user). */
  exec(words: string[], io: Io, onDone: (code: number) => void, user: User = this.user): ProcHandle {
    const proc = new ProcHandle(onDone);
    const r = redirect(words, io, { os: this.os, user });
    if (r.error !== undefined) {
      io.err(`-sh: ${r.error}\n`);
      proc.exit(1);
      return proc;
    }
    const [name, ...args] = r.argv;
    if (name === undefined) {
      proc.exit(0);
      return proc;
    }
    if (name === 'exit') {
      const code = args[0] === undefined ? 0 : Number.parseInt(args[0], 10) & 0xff;
      this.exited = Number.isNaN(code) ? 2 : code;
      proc.exit(this.exited);
      return proc;
    }
    const applet = APPLETS.get(name.replace(/^.*\//, ''));
    if (applet === undefined) {
      io.err(`-sh: ${name}: not found\n`);
      proc.exit(127);
      return proc;
    }
    let code: number;
    try {
      code = applet([name.replace(/^.*\//, ''), ...args], { os: this.os, io: r.io, proc, user, shell: this });
    } catch (e) {
      // an applet bug must not take the hypervisor down: report it as the applet's failure
      r.io.err(`${name}: ${(e as Error).message}\n`);
      code = 1;
    }
    if (code !== RUNNING) proc.exit(code);
    return proc;
  }
}
