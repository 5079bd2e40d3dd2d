// A Neutron resource table: the resource as a JSON body plus the columns that carry indexes and
// constraints, kept in step with the body on every write. Rows in, plain objects out.
import type { Db } from './db.js';

export type Doc = { id: string; project_id?: string; name?: string } & Record<string, unknown>;

type Raw = { body: string };
type Statement = {
  get(...a: unknown[]): unknown;
  all(...a: unknown[]): unknown[];
  run(...a: unknown[]): unknown;
  pluck(on?: boolean): Statement;
};
type Where = Record<string, string | number | null | readonly (string | number)[]>;

export class DocTable<T extends Doc> {
  private readonly cols: string[];
  private readonly stmts = new Map<string, Statement>();

  /**
   * @param columns the table's columns besides id and body; each is read from the body field of
   *   the same name (null when absent)
   */
  constructor(
    private readonly db: Db,
    readonly table: string,
    columns: string[],
  ) {
    this.cols = columns;
  }

  private stmt(sql: string, pluck = false) {
    const key = pluck ? `pluck:${sql}` : sql;
    let s = this.stmts.get(key);
    if (!s) {
      s = this.db.prepare(sql) as unknown as Statement;
      // One column as plain values: no row object per body on large lists.
      if (pluck) s.pluck(true);
      this.stmts.set(key, s);
    }
    return s;
  }

  private values(doc: T): unknown[] {
    return this.cols.map((c) => {
      const v = doc[c];
      if (v === undefined || v === null) return c === 'project_id' || c === 'name' ? '' : null;
      return typeof v === 'boolean' ? (v ? 1 : 0) : v;
    });
  }

  get(id: string): T | undefined {
    const r = this.stmt(`SELECT body FROM ${this.table} WHERE id = ?`).get(id) as Raw | undefined;
    return r ? (JSON.parse(r.body) as T) : undefined;
  }

  private where(where: Where): { sql: string; args: unknown[] } {
    const parts: string[] = [];
    const args: unknown[] = [];
    for (const [k, v] of Object.entries(where)) {
      if (!/^[a-z_]+$/.test(k)) throw new Error(`bad column ${k}`);
      if (v === null) parts.push(`${k} IS NULL`);
      else if (Array.isArray(v)) {
        if (v.length === 0) parts.push('0');
        else {
          parts.push(`${k} IN (${v.map(() => '?').join(', ')})`);
          args.push(...v);
        }
      } else {
        parts.push(`${k} = ?`);
        args.push(v);
      }
    }
    return { sql: parts.length ? ` WHERE ${parts.join(' AND ')}` : '', args };
  }

  /** Rows matching every column condition (a list means any of), in creation order. */
  list(where: Where = {}): T[] {
    const w = this.where(where);
    return (
      this.stmt(`SELECT body FROM ${this.table}${w.sql} ORDER BY rowid`, true).all(...w.args) as string[]
    ).map((b) => JSON.parse(b) as T);
  }

  /** Rows whose id starts with the prefix (a device name carries the first 11 characters of a port id). */
  withIdPrefix(prefix: string): T[] {
    return (
      this.stmt(`SELECT body FROM ${this.table} WHERE id >= ? AND id < ? ORDER BY id`, true).all(
        prefix,
        `${prefix}\uffff`,
      ) as string[]
    ).map((b) => JSON.parse(b) as T);
  }

  count(where: Where = {}): number {
    const w = this.where(where);
    return (this.stmt(`SELECT COUNT(*) AS n FROM ${this.table}${w.sql}`).get(...w.args) as { n: number }).n;
  }

  insert(doc: T): void {
    const names = ['id', ...this.cols, 'body'];
    this.stmt(
      `INSERT INTO ${this.table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`,
    ).run(doc.id, ...this.values(doc), JSON.stringify(doc));
  }

  update(doc: T): void {
    const set = [...this.cols, 'body'].map((c) => `${c} = ?`).join(', ');
    this.stmt(`UPDATE ${this.table} SET ${set} WHERE id = ?`).run(
      ...this.values(doc),
      JSON.stringify(doc),
      doc.id,
    );
  }

  delete(id: string): void {
    this.stmt(`DELETE FROM ${this.table} WHERE id = ?`).run(id);
  }
}
