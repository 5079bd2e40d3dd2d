// The database operations behind ovs-vsctl's commands (utilities/ovs-vsctl.c): bridges with
// their own internal port, ports with one interface, record lookup by name, and the generic
// get/set/add/remove/clear on any column. Errors carry ovs-vsctl's wording. Every operation
// runs inside the caller's transaction (Ovsdb.transact).

import {
  type Atom,
  atomFromString,
  type Datum,
  datumFromString,
  indexOutsideQuotes,
  normalizeDatum,
  type Ovsdb,
  OvsdbError,
  type Row,
} from './ovsdb.js';
import { type ColumnType, NAME_COLUMN, SCHEMA } from './ovsdb-schema.js';

export class VsctlError extends OvsdbError {}

export interface PortSpec {
  /** Interface type: '' (system), 'internal', 'patch', 'vxlan' … */
  type?: string;
  options?: Record<string, string>;
  /** Port.tag */
  tag?: number;
  ifaceExternalIds?: Record<string, string>;
  portOtherConfig?: Record<string, string>;
  ofportRequest?: number;
}

export class VsctlOps {
  constructor(readonly db: Ovsdb) {}

  /** The single Open_vSwitch row (created on first use, as `ovs-vsctl init` would). */
  root(): Row {
    const rows = this.db.table('Open_vSwitch');
    if (rows.length > 0) return rows[0];
    return this.db.insert('Open_vSwitch');
  }

  bridges(): Row[] {
    return this.refRows(this.root(), 'bridges');
  }

  refRows(r: Row, col: string): Row[] {
    return r
      .refs(col)
      .map((u) => this.db.row(u))
      .filter((x): x is Row => x !== undefined);
  }

  findBridge(name: string): Row | undefined {
    return this.bridges().find((b) => b.str('name') === name);
  }

  requireBridge(name: string): Row {
    const b = this.findBridge(name);
    if (!b) throw new VsctlError(`no bridge named ${name}`);
    return b;
  }

  findPort(name: string): { port: Row; bridge: Row } | undefined {
    for (const bridge of this.bridges()) {
      for (const port of this.refRows(bridge, 'ports'))
        if (port.str('name') === name) return { port, bridge };
    }
    return undefined;
  }

  findIface(name: string): { iface: Row; port: Row; bridge: Row } | undefined {
    for (const bridge of this.bridges()) {
      for (const port of this.refRows(bridge, 'ports')) {
        for (const iface of this.refRows(port, 'interfaces'))
          if (iface.str('name') === name) return { iface, port, bridge };
      }
    }
    return undefined;
  }

  addBridge(name: string, mayExist = false): Row {
    const existing = this.findBridge(name);
    if (existing) {
      if (mayExist) return existing;
      throw new VsctlError(
        `cannot create a bridge named ${name} because a bridge named ${name} already exists`,
      );
    }
    if (this.findPort(name))
      throw new VsctlError(
        `cannot create a bridge named ${name} because a port named ${name} already exists`,
      );
    const iface = this.db.insert('Interface', { name: [name], type: ['internal'] });
    const port = this.db.insert('Port', { name: [name], interfaces: [iface.uuid] });
    const br = this.db.insert('Bridge', { name: [name], ports: [port.uuid] });
    const root = this.root();
    root.set('bridges', [...root.refs('bridges'), br.uuid]);
    return br;
  }

  delBridge(name: string, ifExists = false): void {
    const br = this.findBridge(name);
    if (!br) {
      if (ifExists) return;
      throw new VsctlError(`no bridge named ${name}`);
    }
    const root = this.root();
    root.set(
      'bridges',
      root.refs('bridges').filter((u) => u !== br.uuid),
    );
    const ports = this.refRows(br, 'ports');
    this.db.delete(br.uuid);
    for (const p of ports) this.deletePortRows(p);
  }

  addPort(bridgeName: string, name: string, spec: PortSpec = {}, mayExist = false): Row {
    const br = this.requireBridge(bridgeName);
    const existing = this.findPort(name);
    if (existing) {
      if (mayExist && existing.bridge === br) return existing.port;
      if (mayExist) {
        throw new VsctlError(
          `"--may-exist add-port ${bridgeName} ${name}" but ${name} is actually attached to bridge ${existing.bridge.str('name')}`,
        );
      }
      throw new VsctlError(
        `cannot create a port named ${name} because a port named ${name} already exists on bridge ${existing.bridge.str('name')}`,
      );
    }
    const iface = this.db.insert('Interface', { name: [name], type: [spec.type ?? ''] });
    if (spec.options) iface.set('options', new Map(Object.entries(spec.options)));
    if (spec.ifaceExternalIds) iface.set('external_ids', new Map(Object.entries(spec.ifaceExternalIds)));
    if (spec.ofportRequest !== undefined) iface.set('ofport_request', [spec.ofportRequest]);
    const port = this.db.insert('Port', { name: [name], interfaces: [iface.uuid] });
    if (spec.tag !== undefined) port.set('tag', [spec.tag]);
    if (spec.portOtherConfig) port.set('other_config', new Map(Object.entries(spec.portOtherConfig)));
    br.set('ports', [...br.refs('ports'), port.uuid]);
    return port;
  }

  delPort(bridgeName: string | undefined, name: string, ifExists = false): void {
    const found = this.findPort(name) ?? this.portByIface(name);
    if (!found || (bridgeName !== undefined && found.bridge.str('name') !== bridgeName)) {
      if (bridgeName !== undefined) this.requireBridge(bridgeName);
      if (ifExists) return;
      if (found && bridgeName !== undefined)
        throw new VsctlError(
          `bridge ${bridgeName} does not have a port ${name} (although its parent bridge ${found.bridge.str('name')} does)`,
        );
      throw new VsctlError(`no port named ${name}`);
    }
    if (found.port.str('name') === found.bridge.str('name')) {
      throw new VsctlError(
        `cannot delete port ${name} because it is the local port for bridge ${name} (deleting this port requires deleting the entire bridge)`,
      );
    }
    found.bridge.set(
      'ports',
      found.bridge.refs('ports').filter((u) => u !== found.port.uuid),
    );
    this.deletePortRows(found.port);
  }

  /**
   * del_cached_port/del_cached_iface: ovs-vsctl deletes the rows at once, not at commit, so a
   * later command of the same run (`del-port X -- add-port br X -- set Port X …`, Neutron's
   * replace_port) finds only the new row by name.
   */
  private deletePortRows(port: Row): void {
    const ifaces = port.refs('interfaces');
    this.db.delete(port.uuid);
    for (const u of ifaces) this.db.delete(u);
  }

  private portByIface(name: string): { port: Row; bridge: Row } | undefined {
    const f = this.findIface(name);
    return f ? { port: f.port, bridge: f.bridge } : undefined;
  }

  // ── generic database commands ──────────────────────────────────────────────

  /** get_row_by_id(): a record by name (or `.` for Open_vSwitch, a bridge name for Controller) or UUID. */
  findRecord(table: string, id: string): Row | undefined {
    if (!SCHEMA[table]) throw new VsctlError(`unknown table "${table}"`);
    if (table === 'Open_vSwitch' && id === '.') return this.root();
    const byUuid = this.db.row(id.toLowerCase());
    if (byUuid && byUuid.table === table) return byUuid;
    if (table === 'Controller' || table === 'Manager') {
      if (table === 'Controller') {
        const br = this.findBridge(id);
        if (br) {
          const c = this.refRows(br, 'controller');
          if (c.length === 1) return c[0];
        }
      }
    }
    const nameCol = NAME_COLUMN[table];
    if (!nameCol) return undefined;
    const matches = this.db.table(table).filter((r) => r.str(nameCol) === id);
    if (matches.length > 1) throw new VsctlError(`multiple rows in ${table} match "${id}"`);
    return matches[0];
  }

  requireRecord(table: string, id: string): Row {
    const r = this.findRecord(table, id);
    if (!r) throw new VsctlError(`no row "${id}" in table ${table}`);
    return r;
  }

  /** The table's real name for an abbreviation (ovs-vsctl accepts unique prefixes, any case). */
  static tableName(name: string): string {
    if (SCHEMA[name]) return name;
    const hits = Object.keys(SCHEMA).filter((t) => t.toLowerCase().startsWith(name.toLowerCase()));
    const exact = hits.find((t) => t.toLowerCase() === name.toLowerCase());
    if (exact) return exact;
    if (hits.length === 1) return hits[0];
    if (hits.length > 1) throw new VsctlError(`multiple table names match "${name}"`);
    throw new VsctlError(`unknown table "${name}"`);
  }

  static column(table: string, name: string): ColumnType {
    const t = SCHEMA[table][name];
    if (!t) throw new VsctlError(`${table} does not contain a column whose name matches "${name}"`);
    return t;
  }

  /** `set TABLE REC COL[:KEY]=VALUE`. */
  setColumn(row: Row, arg: string): void {
    const eq = indexOutsideQuotes(arg, '=');
    if (eq < 0) throw new VsctlError(`${arg}: argument does not end in "=" followed by a value.`);
    const { col, key } = splitColKey(arg.slice(0, eq));
    const t = VsctlOps.column(row.table, col);
    const value = arg.slice(eq + 1);
    if (key !== undefined) {
      if (!t.value) throw new VsctlError(`cannot specify key to set for non-map column ${col}`);
      const m = new Map(row.get(col) as Map<Atom, Atom>);
      m.set(atomFromString(key, t.key), atomFromString(value, t.value));
      row.set(col, m);
    } else row.set(col, datumFromString(t, value));
  }

  /** `add TABLE REC COL VALUE…`: adds set members or map entries. */
  addToColumn(row: Row, col: string, values: string[]): void {
    const t = VsctlOps.column(row.table, col);
    const cur = row.get(col);
    if (cur instanceof Map) {
      const m = new Map(cur);
      for (const v of values)
        for (const [k, val] of datumFromString(t, v) as Map<Atom, Atom>) if (!m.has(k)) m.set(k, val);
      row.set(col, m);
    } else {
      const add = values.flatMap(
        (v) => datumFromString({ ...t, min: 0, max: Number.POSITIVE_INFINITY }, v) as Atom[],
      );
      const next = normalizeDatum(t, [...cur, ...add]) as Atom[];
      if (next.length > t.max)
        throw new VsctlError(
          `"add" operation would put ${next.length} values in column ${col} of table ${row.table} but the maximum number is ${t.max}`,
        );
      row.set(col, next);
    }
  }

  /** `remove TABLE REC COL VALUE…`: map entries by key or key=value, set members by value. */
  removeFromColumn(row: Row, col: string, values: string[]): void {
    const t = VsctlOps.column(row.table, col);
    const cur = row.get(col);
    if (cur instanceof Map) {
      const m = new Map(cur);
      for (const v of values) {
        if (indexOutsideQuotes(v, '=') >= 0) {
          for (const [k, val] of datumFromString(t, v) as Map<Atom, Atom>) if (m.get(k) === val) m.delete(k);
        } else m.delete(atomFromString(v, t.key));
      }
      row.set(col, m);
    } else {
      const drop = new Set(
        values.flatMap((v) => datumFromString({ ...t, min: 0, max: Number.POSITIVE_INFINITY }, v) as Atom[]),
      );
      const next = cur.filter((a) => !drop.has(a));
      if (next.length < t.min)
        throw new VsctlError(
          `"remove" operation would put ${next.length} values in column ${col} of table ${row.table} but the minimum number is ${t.min}`,
        );
      row.set(col, next);
    }
  }

  clearColumn(row: Row, col: string): void {
    const t = VsctlOps.column(row.table, col);
    if (t.min > 0)
      throw new VsctlError(
        `"clear" operation cannot be applied to column ${col} of table ${row.table}, which is not allowed to be empty`,
      );
    row.set(col, t.value ? new Map() : []);
  }
}

export function splitColKey(s: string): { col: string; key?: string } {
  const colon = s.indexOf(':');
  if (colon < 0) return { col: s.trim() };
  return { col: s.slice(0, colon).trim(), key: s.slice(colon + 1).trim() };
}

export type { Datum };
