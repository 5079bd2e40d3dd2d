// A host's Open vSwitch database on disk, as /etc/openvswitch/conf.db survives a reboot of a real
// host: DIR/hosts/<host>/etc/openvswitch/conf.db, in pocketstack's own JSON form of the rows
// (ovs/ovsdb-file.ts), not OVSDB's log format. Read back when the world is built, before any
// agent runs; written after commits, debounced on the wall clock (a burst of transactions — an
// agent's sync, a thousand ports of the scale benchmark — is written once), and flushed when
// the cloud stops. A file that cannot be read back is moved aside to conf.db.corrupt and the host
// starts with a fresh database, with a warning in its log.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Vswitchd } from '../ovs/vswitchd.js';

/** Quiet time after the last commit before the file is written, and the longest a change waits. */
const QUIET_MS = 200;
const MAX_WAIT_MS = 2000;

export const CONF_DB_PATH = '/etc/openvswitch/conf.db';

export class ConfDb {
  private timer: NodeJS.Timeout | null = null;
  private firstDirty = 0;
  private lastDirty = 0;
  /** The database generation last written (or read): an unchanged database is not rewritten. */
  private written = -1;
  private closed = false;
  private readonly onCommit = () => this.changed();

  constructor(
    readonly path: string,
    private readonly vswitchd: Vswitchd,
    private readonly warn: (message: string) => void,
  ) {}

  /** Reads the saved database into the switch (nothing when there is no file yet). */
  load(): void {
    if (existsSync(this.path)) {
      try {
        this.vswitchd.restore(JSON.parse(readFileSync(this.path, 'utf8')));
      } catch (e) {
        const aside = `${this.path}.corrupt`;
        try {
          renameSync(this.path, aside);
        } catch {
          // Unreadable and unmovable: the next save overwrites it.
        }
        this.warn(
          `${this.path}: cannot read the saved Open vSwitch database (${(e as Error).message}); ` +
            `moved to ${aside}, starting with an empty database`,
        );
      }
    }
    this.written = this.vswitchd.db.generation;
    this.vswitchd.db.onCommit.push(this.onCommit);
  }

  /** Writes now if anything changed since the last write. */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const gen = this.vswitchd.db.generation;
    if (gen === this.written) return;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      // Write then rename: a crash mid-write leaves the previous file whole.
      const tmp = `${this.path}.tmp`;
      writeFileSync(tmp, JSON.stringify(this.vswitchd.save()));
      renameSync(tmp, this.path);
      this.written = gen;
    } catch (e) {
      this.warn(`${this.path}: cannot save the Open vSwitch database: ${(e as Error).message}`);
    }
  }

  /** Last write; later commits are not saved. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    const i = this.vswitchd.db.onCommit.indexOf(this.onCommit);
    if (i >= 0) this.vswitchd.db.onCommit.splice(i, 1);
  }

  private changed(): void {
    if (this.closed || this.vswitchd.db.generation === this.written) return;
    this.lastDirty = Date.now();
    if (this.timer !== null) return;
    this.firstDirty = this.lastDirty;
    this.arm(QUIET_MS);
  }

  /** One timer per burst: re-armed until the database has been quiet for QUIET_MS (or MAX_WAIT_MS passed). */
  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      const now = Date.now();
      const wait = Math.min(QUIET_MS - (now - this.lastDirty), MAX_WAIT_MS - (now - this.firstDirty));
      if (wait > 0) this.arm(wait);
      else this.flush();
    }, ms);
    this.timer.unref();
  }
}
