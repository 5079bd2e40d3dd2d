// Log files as an OpenStack host writes them (oslo.log's default format):
//   2023-06-18 16:39:26.704 2572 ERROR nova.compute.manager [req-… user project - - -] message
// One file per service (keystone.log, neutron-server.log, nova-compute.log …). Writes are
// buffered appends, flushed at shutdown.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

export interface LogContext {
  requestId?: string;
  userId?: string;
  projectId?: string;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
export function osloTime(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function osloLine(
  time: Date,
  pid: number,
  level: LogLevel,
  module: string,
  message: string,
  ctx?: LogContext,
): string {
  const req = ctx?.requestId
    ? `[${ctx.requestId} ${ctx.userId ?? '-'} ${ctx.projectId ?? '-'} - - -] `
    : '[-] ';
  return `${osloTime(time)} ${pid} ${level} ${module} ${req}${message}\n`;
}

/** One log file; `logger(module)` gives the per-module writer. Lines go to the file only. */
export class LogFile {
  private stream: WriteStream | null = null;
  private readonly pid = process.pid;
  private readonly lines: string[] = [];

  constructor(
    readonly path: string | null,
    private readonly clock: () => Date = () => new Date(),
    private readonly echo?: (line: string, level: LogLevel) => void,
  ) {}

  write(level: LogLevel, module: string, message: string, ctx?: LogContext): void {
    const line = osloLine(this.clock(), this.pid, level, module, message, ctx);
    this.echo?.(line, level);
    if (this.path === null) {
      // Memory only: keep the tail so tests and `cat` of a log still see recent lines.
      this.lines.push(line);
      if (this.lines.length > 10_000) this.lines.splice(0, 5_000);
      return;
    }
    if (!this.stream) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.stream = createWriteStream(this.path, { flags: 'a' });
    }
    this.stream.write(line);
  }

  logger(module: string): Logger {
    return {
      debug: (m, c) => this.write('DEBUG', module, m, c),
      info: (m, c) => this.write('INFO', module, m, c),
      warning: (m, c) => this.write('WARNING', module, m, c),
      error: (m, c) => this.write('ERROR', module, m, c),
    };
  }

  /** Lines kept in memory when there is no file. */
  memoryLines(): readonly string[] {
    return this.lines;
  }

  close(): Promise<void> {
    const s = this.stream;
    this.stream = null;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => s.end(resolve));
  }
}

export interface Logger {
  debug(message: string, ctx?: LogContext): void;
  info(message: string, ctx?: LogContext): void;
  warning(message: string, ctx?: LogContext): void;
  error(message: string, ctx?: LogContext): void;
}

/** The log files of one cloud: `DIR/logs/<service>.log`, and `DIR/logs/<host>/<agent>.log`. */
export class LogRegistry {
  private readonly files = new Map<string, LogFile>();
  constructor(
    readonly dir: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  file(relativeName: string): LogFile {
    let f = this.files.get(relativeName);
    if (!f) {
      f = new LogFile(`${this.dir}/${relativeName}`, this.clock);
      this.files.set(relativeName, f);
    }
    return f;
  }

  async close(): Promise<void> {
    await Promise.all([...this.files.values()].map((f) => f.close()));
  }
}
