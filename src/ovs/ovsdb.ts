// A small OVSDB: rows of the Open_vSwitch schema (ovsdb-schema.ts) holding OVSDB datums, with
// transactions (all or nothing, like an ovs-vsctl invocation), garbage collection of rows no
// longer referenced (a Port dropped from Bridge.ports disappears with its Interfaces), and the
// text form of datums ovs-vsctl reads and prints (lib/ovsdb-data.c: ovsdb_datum_to_string /
// ovsdb_datum_from_string). Sets and map keys are kept sorted as OVSDB keeps them, so printing
// order (e.g. `ovs-vsctl show`'s ports, ordered by UUID) follows the real one.

import { type ColumnType, ROOT_TABLES, SCHEMA } from './ovsdb-schema.js';

export type Atom = string | number | boolean;
/** A set (also a scalar or optional value: 0..n atoms) or a map. */
export type Datum = Atom[] | Map<Atom, Atom>;

export class Row {
  readonly cols: Record<string, Datum> = {};
  /** The database holding the row, told of every write (undo journal, reference counts). */
  owner: Ovsdb | null = null;

  constructor(
    readonly table: string,
    readonly uuid: string,
  ) {
    for (const [name, t] of Object.entries(SCHEMA[table])) this.cols[name] = defaultDatum(t);
  }

  get(col: string): Datum {
    const d = this.cols[col];
    if (d === undefined) throw new Error(`${this.table} has no column ${col}`);
    return d;
  }

  /** The single value of a scalar/optional column (undefined when empty). */
  scalar<T extends Atom = Atom>(col: string): T | undefined {
    const d = this.get(col) as Atom[];
    return d[0] as T | undefined;
  }

  str(col: string): string {
    return (this.scalar<string>(col) ?? '') as string;
  }

  map(col: string): Map<string, string> {
    return this.get(col) as Map<string, string>;
  }

  refs(col: string): string[] {
    return this.get(col) as string[];
  }

  /** Replaces a column's datum (datums are never changed in place, so a shallow copy of `cols` is a snapshot). */
  set(col: string, d: Datum): void {
    const t = SCHEMA[this.table][col];
    if (!t) throw new Error(`${this.table} has no column ${col}`);
    const next = normalizeDatum(t, d);
    const cur = this.cols[col];
    if (sameDatum(cur, next)) return;
    this.owner?.willWrite(this, t, cur, next);
    this.cols[col] = next;
  }
}

function sameDatum(a: Datum, b: Datum): boolean {
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false;
    const bi = b.entries();
    for (const [k, v] of a) {
      const [k2, v2] = bi.next().value as [Atom, Atom];
      if (k !== k2 || v !== v2) return false;
    }
    return true;
  }
  return !(b instanceof Map) && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The uuids a datum of a reference column points at (none for other columns). */
function refsOf(t: ColumnType, d: Datum): Iterable<string> {
  if (t.key === 'uuid' && t.ref && !(d instanceof Map)) return d as string[];
  if (t.value === 'uuid' && d instanceof Map) return [...d.values()].map(String);
  return [];
}

export function isMapType(t: ColumnType): boolean {
  return t.value !== undefined;
}

export function defaultDatum(t: ColumnType): Datum {
  if (isMapType(t)) return new Map();
  if (t.min === 0) return [];
  return [t.key === 'integer' ? 0 : t.key === 'boolean' ? false : ''];
}

export function isDefaultDatum(t: ColumnType, d: Datum): boolean {
  const def = defaultDatum(t);
  if (d instanceof Map) return d.size === 0;
  return (def as Atom[]).length === d.length && d.every((a, i) => a === (def as Atom[])[i]);
}

const cmpAtom = (a: Atom, b: Atom): number =>
  typeof a === 'number' && typeof b === 'number'
    ? a - b
    : String(a) < String(b)
      ? -1
      : String(a) > String(b)
        ? 1
        : 0;

/** Sorted, deduplicated, as OVSDB stores datums. */
export function normalizeDatum(_t: ColumnType, d: Datum): Datum {
  if (d instanceof Map) {
    // Most maps arrive in order already (statistics, copies of stored maps): no sort then.
    let prev: Atom | undefined;
    let ordered = true;
    for (const k of d.keys()) {
      if (prev !== undefined && cmpAtom(prev, k) >= 0) {
        ordered = false;
        break;
      }
      prev = k;
    }
    return ordered ? new Map(d) : new Map([...d.entries()].sort((x, y) => cmpAtom(x[0], y[0])));
  }
  if (d.length <= 1) return [...d];
  return [...new Set(d)].sort(cmpAtom);
}

export type UuidSource = () => string;

/** Deterministic UUIDs (version 4 layout) from a seeded integer source. */
export function uuidFrom(int: (n: number) => number): UuidSource {
  return () => {
    const h = (n: number) => Array.from({ length: n }, () => int(16).toString(16)).join('');
    return `${h(8)}-${h(4)}-4${h(3)}-${'89ab'[int(4)]}${h(3)}-${h(12)}`;
  };
}

export class OvsdbError extends Error {}

/** What a transaction changed, to undo it on a throw (copy-on-write: only touched rows are kept). */
interface UndoJournal {
  /** Rows that existed before the transaction → their columns before its first write. */
  touched: Map<Row, Record<string, Datum>>;
  inserted: Set<string>;
  /** Rows that existed before the transaction and were deleted in it. */
  deleted: Map<string, Row>;
}

export class Ovsdb {
  private readonly rows = new Map<string, Row>();
  private readonly byTable = new Map<string, Map<string, Row>>();
  /** A table's rows in UUID order, until a row of it is inserted or deleted. */
  private readonly ordered = new Map<string, Row[]>();
  /** How many reference-column values point at each uuid (OVSDB keeps a row while this is > 0). */
  private readonly refCount = new Map<string, number>();
  /** Non-root rows that may have lost their last reference (or never got one): checked at commit. */
  private readonly orphans = new Set<string>();
  /** Called after every committed transaction (ovs-vswitchd reconfiguring). */
  readonly onCommit: (() => void)[] = [];
  private inTxn = 0;
  private journal: UndoJournal | null = null;
  private changes = 0;

  constructor(readonly newUuid: UuidSource) {}

  insert(table: string, init: Record<string, Datum> = {}, uuid = this.newUuid()): Row {
    if (!SCHEMA[table]) throw new OvsdbError(`unknown table ${table}`);
    const r = new Row(table, uuid);
    for (const [k, v] of Object.entries(init)) r.set(k, v);
    this.attach(r);
    this.journal?.inserted.add(uuid);
    return r;
  }

  row(uuid: string): Row | undefined {
    return this.rows.get(uuid);
  }

  /** Grows with every row written, inserted or deleted (a saver skips a database that did not change). */
  get generation(): number {
    return this.changes;
  }

  /** Rows of a table, in UUID order (the order OVSDB's hash walk is emulated by). */
  table(name: string): Row[] {
    let rows = this.ordered.get(name);
    if (rows === undefined) {
      rows = [...(this.byTable.get(name)?.values() ?? [])].sort((a, b) => cmpAtom(a.uuid, b.uuid));
      this.ordered.set(name, rows);
    }
    return [...rows];
  }

  delete(uuid: string): void {
    const r = this.rows.get(uuid);
    if (r === undefined) return;
    const j = this.journal;
    if (j !== null && !j.inserted.has(uuid) && !j.deleted.has(uuid)) {
      if (!j.touched.has(r)) j.touched.set(r, { ...r.cols });
      j.deleted.set(uuid, r);
    }
    this.detach(r);
  }

  /** Whether any row refers to `uuid` (OVSDB refuses to delete a strongly referenced row). */
  isReferenced(uuid: string): boolean {
    return (this.refCount.get(uuid) ?? 0) > 0;
  }

  /** Row.set's hook: journals the row's old columns and moves the reference counts. */
  willWrite(r: Row, t: ColumnType, cur: Datum, next: Datum): void {
    this.changes++;
    const j = this.journal;
    if (j !== null && !j.inserted.has(r.uuid) && !j.touched.has(r)) j.touched.set(r, { ...r.cols });
    for (const u of refsOf(t, cur)) this.unref(u);
    for (const u of refsOf(t, next)) this.ref(u);
  }

  /** Runs `fn` as one transaction: on a throw, every change is undone. Nested calls join the outer one. */
  transact<T>(fn: () => T): T {
    if (this.inTxn === 0) this.journal = { touched: new Map(), inserted: new Set(), deleted: new Map() };
    this.inTxn++;
    try {
      const out = fn();
      if (this.inTxn === 1) this.gc();
      return out;
    } catch (e) {
      if (this.inTxn === 1 && this.journal) this.rollback(this.journal);
      throw e;
    } finally {
      this.inTxn--;
      if (this.inTxn === 0) {
        const committed = this.journal !== null;
        this.journal = null;
        if (committed) for (const f of this.onCommit) f();
      }
    }
  }

  private attach(r: Row): void {
    this.changes++;
    this.rows.set(r.uuid, r);
    let t = this.byTable.get(r.table);
    if (t === undefined) this.byTable.set(r.table, (t = new Map()));
    t.set(r.uuid, r);
    this.ordered.delete(r.table);
    r.owner = this;
    for (const [name, ct] of Object.entries(SCHEMA[r.table]))
      for (const u of refsOf(ct, r.cols[name])) this.ref(u);
    if (!ROOT_TABLES.has(r.table) && !this.isReferenced(r.uuid)) this.orphans.add(r.uuid);
  }

  private detach(r: Row): void {
    this.changes++;
    this.rows.delete(r.uuid);
    this.byTable.get(r.table)?.delete(r.uuid);
    this.ordered.delete(r.table);
    r.owner = null;
    for (const [name, ct] of Object.entries(SCHEMA[r.table]))
      for (const u of refsOf(ct, r.cols[name])) this.unref(u);
  }

  private ref(uuid: string): void {
    this.refCount.set(uuid, (this.refCount.get(uuid) ?? 0) + 1);
  }

  private unref(uuid: string): void {
    const n = (this.refCount.get(uuid) ?? 0) - 1;
    if (n > 0) this.refCount.set(uuid, n);
    else {
      this.refCount.delete(uuid);
      this.orphans.add(uuid);
    }
  }

  /** Removes rows of non-root tables that nothing references any more (a dropped Port takes its Interfaces). */
  private gc(): void {
    while (this.orphans.size > 0) {
      const [uuid] = this.orphans;
      this.orphans.delete(uuid);
      const r = this.rows.get(uuid);
      if (r !== undefined && !ROOT_TABLES.has(r.table) && !this.isReferenced(uuid)) this.delete(uuid);
    }
  }

  /** Puts every row back as it was before the transaction, then recounts the references. */
  private rollback(j: UndoJournal): void {
    for (const uuid of j.inserted) {
      const r = this.rows.get(uuid);
      if (r !== undefined) this.detach(r);
    }
    for (const [r, cols] of j.touched) {
      Object.assign(r.cols, cols);
      if (!this.rows.has(r.uuid)) this.attach(r);
    }
    this.refCount.clear();
    this.orphans.clear();
    for (const r of this.rows.values())
      for (const [name, ct] of Object.entries(SCHEMA[r.table]))
        for (const u of refsOf(ct, r.cols[name])) this.ref(u);
  }
}

// ── text form of datums ──────────────────────────────────────────────────────

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** string_needs_quotes() of lib/ovsdb-data.c. */
function needsQuotes(s: string): boolean {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(s)) return true;
  if (s === 'true' || s === 'false') return true;
  return UUID_RE.test(s);
}

export function atomToString(a: Atom, type: ColumnType['key'] | 'uuid'): string {
  if (type === 'string') return needsQuotes(String(a)) ? JSON.stringify(String(a)) : String(a);
  return String(a);
}

/** ovsdb_datum_to_string(): brackets for sets that can hold more than one value, or when empty. */
export function datumToString(t: ColumnType, d: Datum): string {
  const isMap = isMapType(t);
  const n = d instanceof Map ? d.size : d.length;
  const bracket = t.max > 1 || n === 0;
  let s = '';
  if (d instanceof Map) {
    s = [...d.entries()].map(([k, v]) => `${atomToString(k, t.key)}=${atomToString(v, t.value!)}`).join(', ');
  } else s = d.map((a) => atomToString(a, t.key)).join(', ');
  return bracket ? (isMap ? `{${s}}` : `[${s}]`) : s;
}

/** ovsdb_datum_to_json(): one atom bare, otherwise ["set", […]] / ["map", [[k, v] …]]; UUIDs as ["uuid", …]. */
export function datumToJson(t: ColumnType, d: Datum): unknown {
  const atom = (a: Atom, type: string) => (type === 'uuid' ? ['uuid', a] : a);
  if (d instanceof Map) return ['map', [...d].map(([k, v]) => [atom(k, t.key), atom(v, t.value!)])];
  if (d.length === 1) return atom(d[0], t.key);
  return ['set', d.map((a) => atom(a, t.key))];
}

/** ovsdb_datum_from_json(): the inverse of datumToJson, checking every atom against the column's type. */
export function datumFromJson(t: ColumnType, json: unknown): Datum {
  const atom = (j: unknown, type: ColumnType['key'] | 'uuid', enumValues?: readonly string[]): Atom => {
    if (type === 'uuid') {
      if (!Array.isArray(j) || j[0] !== 'uuid' || typeof j[1] !== 'string' || !UUID_RE.test(j[1]))
        throw new OvsdbError(`${JSON.stringify(j)} is not a valid <uuid>`);
      return j[1].toLowerCase();
    }
    const ok =
      type === 'integer'
        ? Number.isSafeInteger(j)
        : type === 'boolean'
          ? typeof j === 'boolean'
          : typeof j === 'string';
    if (!ok) throw new OvsdbError(`${JSON.stringify(j)} is not a valid <${type}>`);
    if (enumValues && !enumValues.includes(j as string))
      throw new OvsdbError(`constraint violation: ${String(j)} is not one of the allowed values`);
    return j as Atom;
  };
  const tagged = (j: unknown, tag: string): unknown[] | null =>
    Array.isArray(j) && j.length === 2 && j[0] === tag && Array.isArray(j[1]) ? (j[1] as unknown[]) : null;
  if (isMapType(t)) {
    const pairs = tagged(json, 'map');
    if (pairs === null) throw new OvsdbError(`${JSON.stringify(json)} is not a <map>`);
    const m = new Map<Atom, Atom>();
    for (const p of pairs) {
      if (!Array.isArray(p) || p.length !== 2) throw new OvsdbError(`${JSON.stringify(p)} is not a map pair`);
      m.set(atom(p[0], t.key), atom(p[1], t.value!));
    }
    return normalizeDatum(t, m);
  }
  const items = tagged(json, 'set') ?? [json];
  const atoms = items.map((j) => atom(j, t.key, t.enum));
  if (atoms.length < t.min || atoms.length > t.max)
    throw new OvsdbError(`${JSON.stringify(json)} must have ${t.min} to ${t.max} member(s)`);
  return normalizeDatum(t, atoms);
}

/** Bare form (`--bare` / `--data=bare`): no quotes, elements separated by spaces. */
export function datumToBare(_t: ColumnType, d: Datum): string {
  if (d instanceof Map) return [...d.entries()].map(([k, v]) => `${k}=${v}`).join(' ');
  return d.map(String).join(' ');
}

/** Splits at `sep` outside double quotes and brackets/braces. */
function splitOutside(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let q = false;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"' && s[i - 1] !== '\\') q = !q;
    if (!q && (c === '[' || c === '{')) depth++;
    if (!q && (c === ']' || c === '}')) depth--;
    if (!q && depth === 0 && s.startsWith(sep, i)) {
      out.push(cur);
      cur = '';
      i += sep.length - 1;
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

/** Index of `ch` outside double quotes, or -1. */
export function indexOutsideQuotes(s: string, ch: string): number {
  let q = false;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '"' && s[i - 1] !== '\\') q = !q;
    else if (!q && s[i] === ch) return i;
  }
  return -1;
}

export function atomFromString(
  text: string,
  type: ColumnType['key'] | 'uuid',
  enumValues?: readonly string[],
): Atom {
  const s = text.trim();
  switch (type) {
    case 'integer': {
      if (!/^-?\d+$/.test(s)) throw new OvsdbError(`"${s}" is not a valid integer`);
      return Number(s);
    }
    case 'boolean':
      if (s === 'true') return true;
      if (s === 'false') return false;
      throw new OvsdbError(`"${s}" is not a valid boolean (use "true" or "false")`);
    case 'uuid':
      if (!UUID_RE.test(s)) throw new OvsdbError(`"${s}" is not a valid UUID`);
      return s.toLowerCase();
    default: {
      let v = s;
      if (s.startsWith('"')) {
        if (!s.endsWith('"') || s.length < 2)
          throw new OvsdbError(`${s}: missing quote at end of quoted string`);
        v = JSON.parse(s) as string;
      }
      if (enumValues && !enumValues.includes(v)) {
        throw new OvsdbError(
          `constraint violation: ${v} is not one of the allowed values ([${enumValues.join(', ')}])`,
        );
      }
      return v;
    }
  }
}

/** ovsdb_datum_from_string(): `[a, b]`, `a,b`, `{k=v, k2=v2}`, `k=v`, or a single atom. */
export function datumFromString(t: ColumnType, text: string): Datum {
  let s = text.trim();
  if (isMapType(t)) {
    if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1);
    const m = new Map<Atom, Atom>();
    if (s.trim() === '') return m;
    for (const part of splitOutside(s, ',')) {
      const eq = indexOutsideQuotes(part, '=');
      if (eq < 0) throw new OvsdbError(`${part.trim()}: syntax error at end of input (expected "=")`);
      m.set(atomFromString(part.slice(0, eq), t.key), atomFromString(part.slice(eq + 1), t.value!));
    }
    return normalizeDatum(t, m);
  }
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const atoms = s.trim() === '' ? [] : splitOutside(s, ',').map((p) => atomFromString(p, t.key, t.enum));
  if (atoms.length < t.min || atoms.length > t.max) {
    throw new OvsdbError(`"${text}" must have ${t.min === t.max ? t.min : `${t.min} to ${t.max}`} member(s)`);
  }
  return normalizeDatum(t, atoms);
}
