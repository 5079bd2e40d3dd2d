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

  set(col: string, d: Datum): void {
    const t = SCHEMA[this.table][col];
    if (!t) throw new Error(`${this.table} has no column ${col}`);
    this.cols[col] = normalizeDatum(t, d);
  }

  clone(): Row {
    const r = new Row(this.table, this.uuid);
    for (const [k, v] of Object.entries(this.cols)) r.cols[k] = v instanceof Map ? new Map(v) : [...v];
    return r;
  }
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
  if (d instanceof Map) return new Map([...d.entries()].sort((x, y) => cmpAtom(x[0], y[0])));
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

export class Ovsdb {
  private rows = new Map<string, Row>();
  /** Called after every committed transaction (ovs-vswitchd reconfiguring). */
  readonly onCommit: (() => void)[] = [];
  private inTxn = 0;
  private snapshot: Map<string, Row> | null = null;

  constructor(readonly newUuid: UuidSource) {}

  insert(table: string, init: Record<string, Datum> = {}, uuid = this.newUuid()): Row {
    if (!SCHEMA[table]) throw new OvsdbError(`unknown table ${table}`);
    const r = new Row(table, uuid);
    for (const [k, v] of Object.entries(init)) r.set(k, v);
    this.rows.set(uuid, r);
    return r;
  }

  row(uuid: string): Row | undefined {
    return this.rows.get(uuid);
  }

  /** Rows of a table, in UUID order (the order OVSDB's hash walk is emulated by). */
  table(name: string): Row[] {
    return [...this.rows.values()].filter((r) => r.table === name).sort((a, b) => cmpAtom(a.uuid, b.uuid));
  }

  delete(uuid: string): void {
    this.rows.delete(uuid);
  }

  /** Whether any row refers to `uuid` (OVSDB refuses to delete a strongly referenced row). */
  isReferenced(uuid: string): boolean {
    return this.referencedUuids().has(uuid);
  }

  private referencedUuids(): Set<string> {
    const referenced = new Set<string>();
    for (const r of this.rows.values()) {
      for (const [name, t] of Object.entries(SCHEMA[r.table])) {
        if (t.key === 'uuid' && t.ref) for (const u of r.get(name) as string[]) referenced.add(u);
        if (t.value === 'uuid')
          for (const u of (r.get(name) as Map<Atom, Atom>).values()) referenced.add(String(u));
      }
    }
    return referenced;
  }

  /** Runs `fn` as one transaction: on a throw, every change is undone. Nested calls join the outer one. */
  transact<T>(fn: () => T): T {
    if (this.inTxn === 0) {
      this.snapshot = new Map([...this.rows].map(([k, r]) => [k, r.clone()]));
    }
    this.inTxn++;
    try {
      const out = fn();
      if (this.inTxn === 1) this.gc();
      return out;
    } catch (e) {
      if (this.inTxn === 1 && this.snapshot) this.rows = this.snapshot;
      throw e;
    } finally {
      this.inTxn--;
      if (this.inTxn === 0) {
        const committed = this.snapshot !== null;
        this.snapshot = null;
        if (committed) for (const f of this.onCommit) f();
      }
    }
  }

  /** Removes rows of non-root tables that nothing references any more. */
  private gc(): void {
    for (;;) {
      const referenced = new Set<string>();
      for (const r of this.rows.values()) {
        for (const [name, t] of Object.entries(SCHEMA[r.table])) {
          if (t.key === 'uuid' && t.ref) for (const u of r.get(name) as string[]) referenced.add(u);
          if (t.value === 'uuid')
            for (const u of (r.get(name) as Map<Atom, Atom>).values()) referenced.add(String(u));
        }
      }
      let removed = false;
      for (const [u, r] of this.rows) {
        if (!ROOT_TABLES.has(r.table) && !referenced.has(u)) {
          this.rows.delete(u);
          removed = true;
        }
      }
      if (!removed) return;
    }
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
