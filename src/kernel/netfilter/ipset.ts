// ipset, the part Neutron drives (neutron/agent/linux/ipset_manager.py): hash:net / hash:ip sets
// of IPv4 addresses per network namespace, `create -exist`, `add -exist`, `del -exist`, `flush`,
// `swap`, `destroy`, `list`, and `restore -exist` (how Neutron refills a set atomically: fill a
// `-new` set, swap, destroy). iptables rules reference sets by name (-m set --match-set).
import { ipToString, parseCidr } from '../../wire/index.js';

export type IpsetType = 'hash:net' | 'hash:ip';

export class Ipset {
  /** hash:ip members, and hash:net members with prefix 32. */
  private hosts = new Set<number>();
  /** hash:net members by prefix length (< 32): network addresses. */
  private nets = new Map<number, Set<number>>();
  /** Entries in insertion order, for `ipset list` (members print in hash order; ours is stable). */
  private order: string[] = [];
  private keys = new Set<string>();
  references = 0;

  constructor(
    public name: string,
    readonly type: IpsetType,
    readonly hashsize = 1024,
    readonly maxelem = 65536,
  ) {}

  get size(): number {
    return this.order.length;
  }

  has(ip: number): boolean {
    if (this.hosts.has(ip)) return true;
    for (const [len, set] of this.nets) {
      const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
      if (set.has((ip & mask) >>> 0)) return true;
    }
    return false;
  }

  /** Adds '10.0.0.5' or (hash:net) '10.0.0.0/24'; returns false when already present. */
  add(entry: string): boolean | 'invalid' {
    const c = parseCidr(entry);
    if (!c) return 'invalid';
    if (this.type === 'hash:ip' && c.prefixLen !== 32) return 'invalid';
    if (this.type === 'hash:net' && c.prefixLen === 0) return 'invalid'; // "zero valued prefix"
    const key = c.prefixLen === 32 ? ipToString(c.network) : `${ipToString(c.network)}/${c.prefixLen}`;
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    if (c.prefixLen === 32) this.hosts.add(c.network);
    else {
      let s = this.nets.get(c.prefixLen);
      if (!s) this.nets.set(c.prefixLen, (s = new Set()));
      s.add(c.network);
    }
    this.order.push(key);
    return true;
  }

  del(entry: string): boolean | 'invalid' {
    const c = parseCidr(entry);
    if (!c) return 'invalid';
    const key = c.prefixLen === 32 ? ipToString(c.network) : `${ipToString(c.network)}/${c.prefixLen}`;
    if (!this.keys.delete(key)) return false;
    this.order.splice(this.order.indexOf(key), 1);
    if (c.prefixLen === 32) this.hosts.delete(c.network);
    else this.nets.get(c.prefixLen)?.delete(c.network);
    return true;
  }

  flush(): void {
    this.hosts.clear();
    this.nets.clear();
    this.order = [];
    this.keys.clear();
  }

  members(): readonly string[] {
    return this.order;
  }

  /** Swaps contents with another set (`ipset swap`): names and references stay with the names. */
  swapWith(other: Ipset): void {
    [this.hosts, other.hosts] = [other.hosts, this.hosts];
    [this.nets, other.nets] = [other.nets, this.nets];
    [this.order, other.order] = [other.order, this.order];
    [this.keys, other.keys] = [other.keys, this.keys];
  }
}

export interface ToolResult {
  status: number;
  stdout: string;
  stderr: string;
}

const done = (stdout = ''): ToolResult => ({ status: 0, stdout, stderr: '' });
const failed = (stderr: string, status = 1): ToolResult => ({
  status,
  stdout: '',
  stderr: `ipset v7.17: ${stderr}\n`,
});

/** The sets of one network namespace. */
export class IpsetRegistry {
  private sets = new Map<string, Ipset>();

  get(name: string): Ipset | undefined {
    return this.sets.get(name);
  }

  names(): string[] {
    return [...this.sets.keys()];
  }

  /** Runs `ipset <argv>` (argv without the program name). */
  command(argv: string[]): ToolResult {
    const args = argv.filter((a) => a !== '-exist' && a !== '-!');
    const exist = args.length !== argv.length;
    const [cmd, name, ...rest] = args;
    switch (cmd) {
      case 'create':
      case '-N':
      case 'n': {
        if (!name || !rest[0]) return failed('Syntax error: missing set name or type', 2);
        const type = rest[0];
        if (type !== 'hash:net' && type !== 'hash:ip')
          return failed(`Syntax error: typename '${type}' is unknown`, 2);
        const existing = this.sets.get(name);
        if (existing) {
          if (exist && existing.type === type) return done();
          return failed('Set cannot be created: set with the same name already exists');
        }
        const opt = (k: string, d: number) => {
          const i = rest.indexOf(k);
          return i >= 0 ? Number(rest[i + 1]) : d;
        };
        this.sets.set(name, new Ipset(name, type, opt('hashsize', 1024), opt('maxelem', 65536)));
        return done();
      }
      case 'add':
      case 'del':
      case '-A':
      case '-D': {
        const set = name ? this.sets.get(name) : undefined;
        if (!set) return failed(`The set with the given name does not exist`);
        const entry = rest[0];
        if (!entry) return failed('Syntax error: missing element', 2);
        const adding = cmd === 'add' || cmd === '-A';
        if (adding && set.size >= set.maxelem) return failed('Hash is full, cannot add more elements');
        const r = adding ? set.add(entry) : set.del(entry);
        if (r === 'invalid')
          return failed(`Syntax error: cannot parse ${entry}: resolving to IPv4 address failed`, 2);
        if (!r && !exist)
          return failed(
            adding
              ? "Element cannot be added to the set: it's already added"
              : "Element cannot be deleted from the set: it's not added",
          );
        return done();
      }
      case 'flush':
      case '-F': {
        if (!name) {
          for (const s of this.sets.values()) s.flush();
          return done();
        }
        const set = this.sets.get(name);
        if (!set) return failed('The set with the given name does not exist');
        set.flush();
        return done();
      }
      case 'destroy':
      case '-X': {
        if (!name) {
          if ([...this.sets.values()].some((s) => s.references > 0))
            return failed('Set cannot be destroyed: it is in use by a kernel component');
          this.sets.clear();
          return done();
        }
        const set = this.sets.get(name);
        if (!set) return exist ? done() : failed('The set with the given name does not exist');
        if (set.references > 0) return failed('Set cannot be destroyed: it is in use by a kernel component');
        this.sets.delete(name);
        return done();
      }
      case 'swap':
      case '-W': {
        const a = name ? this.sets.get(name) : undefined;
        const b = rest[0] ? this.sets.get(rest[0]) : undefined;
        if (!a || !b) return failed('The set with the given name does not exist');
        if (a.type !== b.type) return failed('The sets cannot be swapped: their type does not match');
        a.swapWith(b);
        return done();
      }
      case 'list':
      case '-L': {
        const terse = rest.includes('-name') || name === '-name' || rest.includes('-n') || name === '-n';
        const target = name && !name.startsWith('-') ? name : undefined;
        const sets = target ? [this.sets.get(target)] : [...this.sets.values()];
        if (target && sets[0] === undefined) return failed('The set with the given name does not exist');
        if (terse) return done(sets.map((s) => `${s!.name}\n`).join(''));
        return done(sets.map((s) => this.listing(s!)).join('\n'));
      }
      case 'restore':
      case '-R':
        return failed('restore reads standard input: call restore(text)', 2);
    }
    return failed(`Syntax error: unknown command ${cmd ?? ''}`.trimEnd(), 2);
  }

  /** `ipset restore [-exist]` of the given text (lines of `create`/`add`/... without "ipset"). */
  restore(text: string, exist = false): ToolResult {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line === '' || line.startsWith('#') || line === 'COMMIT') continue;
      const argv = line.split(/\s+/);
      const r = this.command(exist ? [...argv, '-exist'] : argv);
      if (r.status !== 0)
        return { ...r, stderr: r.stderr.replace('ipset v7.17: ', `ipset v7.17: Error in line ${i + 1}: `) };
    }
    return done();
  }

  /** `ipset list NAME` as ipset 7.17 prints it (Debian 12). */
  listing(s: Ipset): string {
    const revision = s.type === 'hash:net' ? 7 : 6;
    // initval is random per set in the kernel; derive it from the name so listings are stable.
    let h = 0x811c9dc5;
    for (let i = 0; i < s.name.length; i++) h = Math.imul(h ^ s.name.charCodeAt(i), 0x01000193);
    const memory = (s.type === 'hash:net' ? 504 : 200) + s.size * (s.type === 'hash:net' ? 16 : 8);
    return (
      `Name: ${s.name}\nType: ${s.type}\nRevision: ${revision}\n` +
      `Header: family inet hashsize ${s.hashsize} maxelem ${s.maxelem} bucketsize 12 initval 0x${(h >>> 0).toString(16).padStart(8, '0')}\n` +
      `Size in memory: ${memory}\nReferences: ${s.references}\nNumber of entries: ${s.size}\nMembers:\n` +
      s
        .members()
        .map((m) => `${m}\n`)
        .join('')
    );
  }
}
