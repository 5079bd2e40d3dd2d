// The Open_vSwitch database as a file, so a host's switch configuration outlives a restart as
// /etc/openvswitch/conf.db does on a real host: every row of every table with its UUID, the
// columns that differ from their defaults in OVSDB's JSON notation (RFC 7047 §5.1: atoms,
// ["uuid", …], ["set", […]], ["map", [[k, v] …]]). The document is pocketstack's own JSON — one
// object holding the whole database — not OVSDB's append-only log of transactions, which
// `ovsdb-tool` reads. Loading checks every column, type and reference before it touches the
// database, so a damaged file is refused as a whole.

import { type Datum, datumFromJson, datumToJson, isDefaultDatum, type Ovsdb, OvsdbError } from './ovsdb.js';
import { SCHEMA } from './ovsdb-schema.js';

/** The `format` of a saved database; another value is refused. */
export const OVSDB_FILE_FORMAT = 'pocketstack-ovsdb/1';

export interface OvsdbFile {
  format: typeof OVSDB_FILE_FORMAT;
  /** What the file is (it is not OVSDB's log format). */
  comment: string;
  /** Schema name and version, as in OVSDB's own header. */
  name: 'Open_vSwitch';
  /** table → uuid → column → datum (JSON notation); default-valued columns are left out. */
  tables: Record<string, Record<string, Record<string, unknown>>>;
}

/** Every row of the database, by table and UUID. */
export function dumpOvsdb(db: Ovsdb): OvsdbFile {
  const tables: OvsdbFile['tables'] = {};
  for (const [table, schema] of Object.entries(SCHEMA)) {
    const rows = db.table(table);
    if (rows.length === 0) continue;
    const out: Record<string, Record<string, unknown>> = {};
    for (const r of rows) {
      const cols: Record<string, unknown> = {};
      for (const [name, t] of Object.entries(schema)) {
        const d = r.get(name);
        if (!isDefaultDatum(t, d)) cols[name] = datumToJson(t, d);
      }
      out[r.uuid] = cols;
    }
    tables[table] = out;
  }
  return {
    format: OVSDB_FILE_FORMAT,
    comment: "pocketstack's JSON form of the Open_vSwitch database (not OVSDB's log format)",
    name: 'Open_vSwitch',
    tables,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Replaces every row of `db` with the rows of a saved database, in one transaction: on any
 * error (unknown table or column, a value of the wrong type, a reference to a missing row, not
 * exactly one Open_vSwitch row) an OvsdbError is thrown and the database is left as it was.
 */
export function loadOvsdb(db: Ovsdb, doc: unknown): void {
  if (!isObject(doc) || doc.format !== OVSDB_FILE_FORMAT || !isObject(doc.tables))
    throw new OvsdbError(`not a saved Open_vSwitch database (format ${OVSDB_FILE_FORMAT} expected)`);
  const parsed: { table: string; uuid: string; cols: Record<string, Datum> }[] = [];
  const tableOf = new Map<string, string>();
  for (const [table, rows] of Object.entries(doc.tables)) {
    const schema = SCHEMA[table];
    if (schema === undefined) throw new OvsdbError(`unknown table ${table}`);
    if (!isObject(rows)) throw new OvsdbError(`table ${table}: rows must be an object`);
    for (const [uuid, cols] of Object.entries(rows)) {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(uuid))
        throw new OvsdbError(`table ${table}: ${uuid} is not a valid UUID`);
      if (tableOf.has(uuid)) throw new OvsdbError(`duplicate UUID ${uuid}`);
      if (!isObject(cols)) throw new OvsdbError(`${table} ${uuid}: columns must be an object`);
      const datums: Record<string, Datum> = {};
      for (const [name, json] of Object.entries(cols)) {
        const t = schema[name];
        if (t === undefined) throw new OvsdbError(`${table} has no column ${name}`);
        try {
          datums[name] = datumFromJson(t, json);
        } catch (e) {
          throw new OvsdbError(`${table} ${uuid} column ${name}: ${(e as Error).message}`);
        }
      }
      tableOf.set(uuid, table);
      parsed.push({ table, uuid, cols: datums });
    }
  }
  const roots = parsed.filter((p) => p.table === 'Open_vSwitch').length;
  if (roots !== 1) throw new OvsdbError(`table Open_vSwitch must have exactly one row, not ${roots}`);
  // Referential integrity (OVSDB refuses a commit whose strong references dangle).
  for (const p of parsed) {
    for (const [name, d] of Object.entries(p.cols)) {
      const t = SCHEMA[p.table][name];
      if (t.ref === undefined) continue;
      const targets = d instanceof Map ? [...d.values()] : d;
      for (const u of targets) {
        if (tableOf.get(String(u)) !== t.ref)
          throw new OvsdbError(`${p.table} ${p.uuid} column ${name}: no ${t.ref} row ${String(u)}`);
      }
    }
  }
  db.transact(() => {
    for (const table of Object.keys(SCHEMA)) for (const r of db.table(table)) db.delete(r.uuid);
    for (const p of parsed) db.insert(p.table, p.cols, p.uuid);
  });
}
