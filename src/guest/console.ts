// An interactive session on the guest's serial console (`virsh console`, `pocketstack vm console`,
// the noVNC page): it shows what the guest prints (the boot, if it is still running) and types
// into ttyS0. The tty's line discipline is emulated: typed characters are echoed, Backspace
// erases, Enter runs the line, Ctrl-C echoes `^C` and interrupts the command in the foreground,
// Ctrl-D on an empty line logs out. Everything echoed and printed goes to the console log too,
// as on a real serial console.
//
// Login: getty's `<hostname> login:` prompt asks for the user and password (`cirros` /
// `cubswin:)`, 0.5: `gocubsgo`). With `autologin` (the default) a session that finds the login
// prompt starts the cirros shell right away — what a lab or a test typing `hostname` wants.

import { issueText } from './cirros.js';
import type { Guest } from './guest.js';
import type { Io, ProcHandle } from './proc.js';
import { Shell } from './shell.js';

export interface ConsoleOptions {
  /** Skip getty's user/password exchange (default true). */
  autologin?: boolean;
}

type Mode = 'booting' | 'login' | 'password' | 'shell' | 'running' | 'closed';

export class ConsoleSession {
  private mode: Mode = 'booting';
  private line = '';
  private user = '';
  private job: ProcHandle | null = null;
  /** Shells of this login: the user's, then root shells opened with `sudo -i` (exit pops one). */
  private shells: Shell[] = [];
  private readonly unfollow: () => void;
  private readonly autologin: boolean;
  /** The boot this session last saw (a reboot starts a new one: back to waiting for getty). */
  private os: Guest['os'] = null;

  constructor(
    private readonly guest: Guest,
    io: Io,
    opts: ConsoleOptions = {},
  ) {
    this.autologin = opts.autologin ?? true;
    this.unfollow = guest.console.follow((t) => io.out(t));
    if (guest.os === null) {
      io.out(`error: guest ${guest.name} is not running\n`);
      this.mode = 'closed';
      return;
    }
    this.follow();
  }

  private follow(): void {
    this.os = this.guest.os;
    this.mode = 'booting';
    this.guest.whenBooted(() => this.atLogin());
  }

  private get shell(): Shell | null {
    return this.shells.at(-1) ?? null;
  }

  private write(text: string): void {
    this.guest.os?.console.write(text);
  }

  private atLogin(): void {
    if (this.mode === 'closed' || this.guest.os === null) return;
    if (this.autologin) this.startShell();
    else this.mode = 'login';
  }

  private startShell(): void {
    const os = this.guest.os;
    if (os === null) return;
    const sh = new Shell(os, 'cirros');
    this.shells = [sh];
    this.mode = 'shell';
    this.write(sh.prompt);
  }

  /** getty again after a logout: the issue text and the login prompt. */
  private respawnGetty(): void {
    const os = this.guest.os;
    if (os === null) return;
    this.write(`\n${issueText(os.release)}\n${os.hostname} login: `);
    this.mode = 'login';
  }

  /** Keystrokes from the terminal (raw: `\r` or `\n` ends a line, `\x03` is Ctrl-C). */
  input(data: string): void {
    if (this.mode === 'closed') return;
    if (this.guest.os === null) return;
    if (this.guest.os !== this.os) this.follow();
    for (let i = 0; i < data.length; i++) {
      const c = data[i];
      if (c === '\x1b') {
        // an escape sequence (arrow keys …): no line editing history here, swallow it
        while (i + 1 < data.length && !/[A-Za-z~]/.test(data[i + 1])) i++;
        i++;
        continue;
      }
      this.key(c);
    }
  }

  private key(c: string): void {
    if (this.mode === 'running') {
      if (c === '\x03' && this.job !== null) {
        this.write('^C');
        this.job.interrupt();
      }
      return;
    }
    if (this.mode === 'booting') return;
    if (c === '\x03') {
      this.write('^C\n');
      this.line = '';
      if (this.mode === 'shell') this.write(this.shell?.prompt ?? '$ ');
      else this.respawnGetty();
      return;
    }
    if (c === '\x04' && this.line === '' && this.mode === 'shell') {
      this.write('\n');
      this.shells.pop();
      const outer = this.shell;
      if (outer === null) this.respawnGetty();
      else this.write(outer.prompt);
      return;
    }
    if (c === '\x7f' || c === '\b') {
      if (this.line.length > 0) {
        this.line = this.line.slice(0, -1);
        if (this.mode !== 'password') this.write('\b \b');
      }
      return;
    }
    if (c === '\r' || c === '\n') {
      this.write('\n');
      const line = this.line;
      this.line = '';
      this.enter(line);
      return;
    }
    if (c < ' ') return;
    this.line += c;
    if (this.mode !== 'password') this.write(c);
  }

  private enter(line: string): void {
    const os = this.guest.os;
    if (os === null) return;
    if (this.mode === 'login') {
      if (line.trim() === '') {
        if (this.autologin) this.startShell();
        else this.write(`${os.hostname} login: `);
        return;
      }
      this.user = line.trim();
      this.mode = 'password';
      this.write('Password: ');
      return;
    }
    if (this.mode === 'password') {
      if (this.user === 'cirros' && line === os.release.password) {
        this.startShell();
        return;
      }
      this.write('Login incorrect\n');
      this.respawnGetty();
      return;
    }
    const shell = this.shell;
    if (shell === null) return;
    if (/^\s*sudo\s+(-i|-s|su(\s+-)?)\s*$/.test(line)) {
      // a login shell as root on the same terminal
      const root = new Shell(os, 'root');
      this.shells.push(root);
      this.write(root.prompt);
      return;
    }
    this.mode = 'running';
    this.job = shell.start(line, { out: (t) => this.write(t), err: (t) => this.write(t) }, () => {
      this.job = null;
      if (this.guest.os !== os || this.mode === 'closed') return;
      this.mode = 'shell';
      if (shell.exited !== null) {
        this.shells.pop();
        const outer = this.shell;
        if (outer === null) this.respawnGetty();
        else this.write(outer.prompt);
        return;
      }
      this.write(shell.prompt);
    });
  }

  /** Detaches (the guest keeps running; what was typed stays in the log). */
  close(): void {
    if (this.mode === 'closed') return;
    this.mode = 'closed';
    this.job = null;
    this.unfollow();
  }
}

/** Opens an interactive session on a guest's serial console. */
export function openConsole(guest: Guest, io: Io, opts: ConsoleOptions = {}): ConsoleSession {
  return new ConsoleSession(guest, io, opts);
}
