// The client side of the control socket: sends argv, streams output, returns the exit code.
import { connect } from 'node:net';
import { controlSocketPath, readRunFile } from './data-dir.js';

export class NotRunning extends Error {}

export interface ClientStreams {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  tty: boolean;
  columns: number;
  /** Forward this process's stdin (interactive consoles). */
  stdin?: NodeJS.ReadableStream;
  /** Aborting it sends the command an interrupt (Ctrl-C); the command still ends with its exit code. */
  interrupt?: AbortSignal;
}

export function socketOf(dataDir: string): string {
  const run = readRunFile(dataDir);
  if (!run) throw new NotRunning(`no pocketstack is running on ${dataDir} (start one with: pocketstack up)`);
  return run.controlSocket ?? controlSocketPath(dataDir);
}

export function runRemote(socketPath: string, argv: string[], io: ClientStreams): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let buffered = '';
    let exit: number | undefined;
    socket.setEncoding('utf8');
    const send = (msg: object) => {
      if (socket.writable) socket.write(`${JSON.stringify(msg)}\n`);
    };
    socket.on('connect', () => {
      socket.write(`${JSON.stringify({ argv, tty: io.tty, columns: io.columns })}\n`);
      io.interrupt?.addEventListener('abort', () => {
        send({ signal: 'INT' });
      });
      if (io.stdin) {
        io.stdin.on('data', (d: Buffer | string) => send({ stdin: d.toString() }));
        io.stdin.on('end', () => send({ eof: true }));
      }
    });
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const msg = JSON.parse(buffered.slice(0, nl)) as { stdout?: string; stderr?: string; exit?: number };
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf('\n');
        if (msg.stdout !== undefined) io.stdout(msg.stdout);
        if (msg.stderr !== undefined) io.stderr(msg.stderr);
        if (msg.exit !== undefined) exit = msg.exit;
      }
    });
    // Once the command has ended, a late write (stdin's end, an interrupt) meeting the closed
    // socket is no failure: the command's exit code stands.
    socket.on('error', (e) =>
      exit !== undefined
        ? resolve(exit)
        : reject(new NotRunning(`cannot reach the cloud's control socket ${socketPath}: ${e.message}`)),
    );
    socket.on('close', () => resolve(exit ?? 1));
  });
}
