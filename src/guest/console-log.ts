// The guest's serial console (ttyS0) as libvirt writes it to the instance's console.log: the raw
// text the guest printed since the domain was defined (kept across reboots, as virtlogd appends),
// which `openstack console log show` returns. Listeners see text as it is written, so a console
// session or the web terminal can follow the boot live.

export type ConsoleListener = (text: string) => void;

/** nova's console log limit: libvirt/virtlogd keep the last 100 KiB of the serial output. */
export const CONSOLE_LOG_MAX = 100 * 1024;

export class ConsoleLog {
  private buf = '';
  private readonly listeners = new Set<ConsoleListener>();

  /** Everything kept so far. */
  get text(): string {
    return this.buf;
  }

  write(text: string): void {
    if (text.length === 0) return;
    this.buf += text;
    if (this.buf.length > CONSOLE_LOG_MAX) this.buf = this.buf.slice(this.buf.length - CONSOLE_LOG_MAX);
    for (const l of this.listeners) l(text);
  }

  /** Writes one line (newline added). */
  line(text: string): void {
    this.write(`${text}\n`);
  }

  /** The last `n` lines (`openstack console log show --lines N`, nova's `--length`). */
  tail(n: number): string {
    if (n <= 0) return '';
    const lines = this.buf.split('\n');
    // a trailing newline leaves an empty last element that is not a line
    const last = lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
    return `${lines.slice(Math.max(0, last - n), last).join('\n')}${last < lines.length ? '\n' : ''}`;
  }

  /** Follows new output; returns the unsubscribe function. */
  follow(fn: ConsoleListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
