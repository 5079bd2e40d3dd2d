// The part of a host's filesystem the host tools can read: paths that some layer registered
// (the DHCP agent's /var/lib/neutron/dhcp/<net>/host, a guest's console.log, the log files of the
// host's services mapped to the data dir). A path maps to a source: fixed text, a function that
// renders the current contents on each read (the file is always as fresh as the state behind it),
// or a real file on disk. Directories are implied by the registered paths.
import { existsSync, readFileSync } from 'node:fs';

export type FileSource =
  | { kind: 'text'; text: string }
  | { kind: 'render'; render: () => string }
  | { kind: 'disk'; path: string };

export class FileError extends Error {
  constructor(
    readonly path: string,
    readonly reason: 'No such file or directory' | 'Is a directory',
  ) {
    super(`${path}: ${reason}`);
  }
}

export class HostFiles {
  private readonly files = new Map<string, FileSource>();
  /** Directories whose files live on disk: `/var/log/nova/NAME` → `DIR/logs/<host>/NAME`. */
  private readonly mounts: {
    prefix: string;
    resolve: (name: string) => string | undefined;
    names?: () => string[];
  }[] = [];

  /** Registers (or replaces) a file. Returns a function that removes it again. */
  register(path: string, source: FileSource | string | (() => string)): () => void {
    const p = normalize(path);
    const src: FileSource =
      typeof source === 'string'
        ? { kind: 'text', text: source }
        : typeof source === 'function'
          ? { kind: 'render', render: source }
          : source;
    this.files.set(p, src);
    return () => {
      if (this.files.get(p) === src) this.files.delete(p);
    };
  }

  unregister(path: string): void {
    this.files.delete(normalize(path));
  }

  /**
   * Every file `prefix/NAME` is the disk file `resolve(NAME)` (undefined: no such file); `names`
   * lists what the directory holds now (for `ls`).
   */
  mount(prefix: string, resolve: (name: string) => string | undefined, names?: () => string[]): void {
    this.mounts.push({ prefix: normalize(prefix), resolve, names });
  }

  /** Whether `path` names a directory (a prefix of registered files or a mount point). */
  isDirectory(path: string): boolean {
    const p = normalize(path);
    if (p === '/') return true;
    const pre = `${p}/`;
    for (const k of this.files.keys()) if (k.startsWith(pre)) return true;
    return this.mounts.some((m) => m.prefix === p || m.prefix.startsWith(pre));
  }

  /** The source behind a file path, or undefined. */
  source(path: string): FileSource | undefined {
    const p = normalize(path);
    const f = this.files.get(p);
    if (f !== undefined) return f;
    for (const m of this.mounts) {
      if (!p.startsWith(`${m.prefix}/`)) continue;
      const name = p.slice(m.prefix.length + 1);
      const disk = name.includes('/') ? undefined : m.resolve(name);
      if (disk !== undefined) return { kind: 'disk', path: disk };
    }
    return undefined;
  }

  /** The file's contents now; throws FileError as `cat` reports it. */
  read(path: string): string {
    const src = this.source(path);
    if (src === undefined) {
      throw new FileError(path, this.isDirectory(path) ? 'Is a directory' : 'No such file or directory');
    }
    switch (src.kind) {
      case 'text':
        return src.text;
      case 'render':
        return src.render();
      case 'disk':
        // A service that has not logged yet has no file; on a real host the file exists (empty).
        return existsSync(src.path) ? readFileSync(src.path, 'utf8') : '';
    }
  }

  /** The file's bytes (a pcap file written by `tcpdump -w`); throws FileError as `read` does. */
  readBytes(path: string): Uint8Array {
    const src = this.source(path);
    if (src?.kind === 'disk')
      return existsSync(src.path) ? new Uint8Array(readFileSync(src.path)) : new Uint8Array(0);
    return new TextEncoder().encode(this.read(path));
  }

  /** Registered paths under a directory (for `ls`-like listings), sorted. */
  list(dir = '/'): string[] {
    const pre = normalize(dir) === '/' ? '/' : `${normalize(dir)}/`;
    return [...this.files.keys()].filter((k) => k.startsWith(pre)).sort();
  }

  /** The names directly inside a directory: registered files, mount points and mounted files, sorted. */
  children(dir: string): string[] {
    const d = normalize(dir);
    const pre = d === '/' ? '/' : `${d}/`;
    const out = new Set<string>();
    const add = (path: string) => {
      if (path.startsWith(pre) && path.length > pre.length) out.add(path.slice(pre.length).split('/')[0]);
    };
    for (const k of this.files.keys()) add(k);
    for (const m of this.mounts) {
      add(m.prefix);
      if (m.prefix === d) for (const n of m.names?.() ?? []) out.add(n);
    }
    return [...out].sort();
  }
}

/** Collapses `//`, `.` and `..` and a trailing slash: `/var/log/nova/../nova/x.log` → `/var/log/nova/x.log`. */
export function normalize(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}
