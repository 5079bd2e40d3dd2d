// The agent's hands on Open vSwitch: ovs-vsctl argv and ovs-ofctl flow text only (what
// neutron's ovs_lib runs, or what its native OpenFlow app sends, written the way `ovs-ofctl`
// reads it), so everything the agent does is visible to and reproducible by an operator.
import { Ofctl, OfctlError } from '../../ovs/ofctl.js';
import type { Vswitchd } from '../../ovs/vswitchd.js';

export class OvsCliError extends Error {}

/** An OVSDB row from `ovs-vsctl --format=json list`: columns as plain values. */
export type DbRow = Record<string, DbValue>;
export type DbValue = string | number | boolean | null | DbValue[] | Record<string, string>;

/** OVSDB JSON datum → plain value: maps to records, empty sets to null, one-element sets to the atom. */
function plain(d: unknown): DbValue {
  if (!Array.isArray(d)) return d as DbValue;
  const [kind, v] = d as [string, unknown];
  if (kind === 'map') return Object.fromEntries((v as [string, string][]).map(([k, x]) => [k, String(x)]));
  if (kind === 'set') {
    const items = (v as unknown[]).map(plain);
    return items.length === 0 ? null : items.length === 1 ? items[0] : items;
  }
  if (kind === 'uuid' || kind === 'named-uuid') return String(v);
  return d as DbValue;
}

export const hexCookie = (c: bigint) => `0x${c.toString(16)}`;

export class OvsCli {
  readonly of: Ofctl;
  /** ovs-vsctl and ovs-ofctl invocations (the benchmark's cost model). */
  calls = 0;

  constructor(readonly vs: Vswitchd) {
    this.of = new Ofctl(vs);
  }

  vsctl(...argv: string[]): string {
    this.calls++;
    const r = this.vs.vsctl(argv);
    if (r.code !== 0) throw new OvsCliError(`ovs-vsctl ${argv.join(' ')}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** `ovs-vsctl --format=json --columns=… list TABLE [RECORD…]` as rows. */
  list(table: string, columns: string[], records: string[] = []): DbRow[] {
    if (records.length === 0 && table !== 'Open_vSwitch') {
      const out = this.vsctl('--format=json', `--columns=${columns.join(',')}`, 'list', table);
      return this.rows(out);
    }
    const argv = ['--format=json'];
    records.forEach((r, i) => {
      if (i > 0) argv.push('--');
      argv.push('--if-exists', `--columns=${columns.join(',')}`, 'list', table, r);
    });
    const out = this.vsctl(...argv);
    return out
      .split('\n')
      .filter((l) => l.trim() !== '')
      .flatMap((l) => this.rows(l));
  }

  private rows(json: string): DbRow[] {
    if (json.trim() === '') return [];
    const doc = JSON.parse(json) as { data: unknown[][]; headings: string[] };
    return doc.data.map((r) => Object.fromEntries(doc.headings.map((h, i) => [h, plain(r[i])])));
  }

  /**
   * Several `list` commands in one ovs-vsctl run (one OVSDB transaction): one result per query.
   * `record` restricts a query to one row (by name or uuid).
   */
  query(...queries: { table: string; columns: string[]; record?: string }[]): DbRow[][] {
    const argv = ['--format=json'];
    queries.forEach((q, i) => {
      if (i > 0) argv.push('--');
      argv.push(`--columns=${q.columns.join(',')}`, 'list', q.table, ...(q.record ? [q.record] : []));
    });
    const lines = this.vsctl(...argv)
      .split('\n')
      .filter((l) => l.trim() !== '');
    return lines.map((l) => this.rows(l));
  }

  private readonly pending: string[][] = [];

  /** Queues one ovs-vsctl command for the next flush (the agent's ovsdb transaction). */
  queue(...cmd: string[]): void {
    this.pending.push(cmd);
  }

  /** Runs the queued commands as one ovs-vsctl invocation (`cmd -- cmd -- …`): all or nothing. */
  flush(): void {
    if (this.pending.length === 0) return;
    const argv = this.pending.flatMap((c, i) => (i === 0 ? c : ['--', ...c]));
    this.pending.length = 0;
    this.vsctl(...argv);
  }

  bridgeExists(name: string): boolean {
    this.calls++;
    return this.vs.vsctl(['br-exists', name]).code === 0;
  }

  listPorts(bridge: string): string[] {
    return this.vsctl('list-ports', bridge)
      .split('\n')
      .filter((l) => l !== '');
  }

  ofport(iface: string): number {
    return Number(this.vsctl('get', 'Interface', iface, 'ofport').trim());
  }

  /** add-flows with the bridge's cookie on every line. */
  addFlows(bridge: string, cookie: bigint, flows: string[]): void {
    if (flows.length === 0) return;
    this.calls++;
    const c = `cookie=${hexCookie(cookie)},`;
    this.ofctl(() => this.of.addFlows(bridge, flows.map((f) => c + f).join('\n')));
  }

  /** del-flows (non-strict unless `strict`), restricted to the agent's cookie when given. */
  delFlows(bridge: string, match: string, cookie?: bigint, strict = false): number {
    this.calls++;
    const m =
      cookie === undefined
        ? match
        : `cookie=${hexCookie(cookie)}/0xffffffffffffffff${match ? `,${match}` : ''}`;
    return this.ofctl(() => this.of.delFlows(bridge, m, strict));
  }

  dumpFlows(bridge: string, match = ''): string {
    this.calls++;
    return this.ofctl(() => this.of.dumpFlows(bridge, match));
  }

  /** Cookies of the flows on a bridge (cleanup_flows reads them from a dump). */
  cookies(bridge: string): Set<bigint> {
    const out = new Set<bigint>();
    for (const m of this.dumpFlows(bridge).matchAll(/cookie=(0x[0-9a-f]+)/g)) out.add(BigInt(m[1]));
    return out;
  }

  private ofctl<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof OfctlError) throw new OvsCliError(`ovs-ofctl: ${e.message}`);
      throw e;
    }
  }
}
