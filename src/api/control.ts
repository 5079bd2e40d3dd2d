// The control socket (DIR/control.sock, mode 0600): `pocketstack status`, `host exec`, `vm exec`
// and `vm console` run inside the cloud's own process and stream their output back.
// Protocol: newline-delimited JSON, both ways.
//   client → {"argv": [...], "tty": bool, "columns": n}   then {"stdin": "…"} … and {"eof": true}
//            and {"signal": "INT"} when the user presses Ctrl-C (the command's signal aborts; it
//            still writes its last words, e.g. ping's statistics, and its exit code)
//   server → {"stdout": "…"} | {"stderr": "…"} …          then {"exit": code}
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';

export interface CommandIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether the client's stdout is a terminal (ovs-ofctl and friends format differently). */
  readonly tty: boolean;
  readonly columns: number;
  /** Input typed by the client (interactive consoles). */
  onInput(fn: (text: string) => void): void;
  onEnd(fn: () => void): void;
  /** Aborted when the client goes away or interrupts (Ctrl-C). */
  readonly signal: AbortSignal;
}

export type CommandHandler = (args: string[], io: CommandIO) => Promise<number>;

export interface ControlRequest {
  argv: string[];
  tty?: boolean;
  columns?: number;
}

export class ControlServer {
  private readonly commands = new Map<string, { handler: CommandHandler; summary: string }>();
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  /** Registers `pocketstack <name> …`; later issues add host exec, vm exec, vm console. */
  register(name: string, summary: string, handler: CommandHandler): void {
    this.commands.set(name, { handler, summary });
  }

  list(): { name: string; summary: string }[] {
    return [...this.commands].map(([name, c]) => ({ name, summary: c.summary }));
  }

  /** Runs a command in process, as the socket does; for tests and for the CLI's own use. */
  async run(argv: string[], io: CommandIO): Promise<number> {
    // The longest registered prefix wins: "host exec" before "host".
    for (let n = Math.min(argv.length, 3); n > 0; n--) {
      const c = this.commands.get(argv.slice(0, n).join(' '));
      if (c) {
        try {
          return await c.handler(argv.slice(n), io);
        } catch (e) {
          io.stderr(`pocketstack: ${(e as Error).message}\n`);
          return 1;
        }
      }
    }
    io.stderr(`pocketstack: unknown command '${argv.join(' ')}'\n`);
    return 2;
  }

  listen(path: string): Promise<void> {
    if (existsSync(path)) unlinkSync(path);
    const server = createServer((socket) => this.serve(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        chmodSync(path, 0o600);
        resolve();
      });
    });
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    const abort = new AbortController();
    const inputs: ((t: string) => void)[] = [];
    const ends: (() => void)[] = [];
    // Input that arrives before the command listens (it may await something first) is kept for it.
    const early: string[] = [];
    let ended = false;
    let buffered = '';
    let started = false;
    const send = (msg: object) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(msg)}\n`);
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf('\n');
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line);
        } catch {
          send({ stderr: 'pocketstack: bad control message\n' });
          send({ exit: 2 });
          socket.end();
          return;
        }
        if (!started) {
          started = true;
          const req = msg as unknown as ControlRequest;
          const io: CommandIO = {
            stdout: (text) => send({ stdout: text }),
            stderr: (text) => send({ stderr: text }),
            tty: req.tty === true,
            columns: req.columns ?? 80,
            onInput: (fn) => {
              inputs.push(fn);
              for (const t of early.splice(0)) fn(t);
            },
            onEnd: (fn) => {
              ends.push(fn);
              if (ended) fn();
            },
            signal: abort.signal,
          };
          const argv = Array.isArray(req.argv) ? req.argv.map(String) : [];
          this.run(argv, io).then((code) => {
            send({ exit: code });
            socket.end();
          });
        } else if (typeof msg.stdin === 'string') {
          if (inputs.length === 0) early.push(msg.stdin);
          for (const fn of inputs) fn(msg.stdin);
        } else if (msg.eof) {
          ended = true;
          for (const fn of ends) fn();
        } else if (msg.signal === 'INT') {
          abort.abort();
        }
      }
    });
    socket.on('close', () => {
      this.sockets.delete(socket);
      abort.abort();
      ended = true;
      for (const fn of ends) fn();
    });
    socket.on('error', () => socket.destroy());
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
