// `ovs-vsctl` as a pure function over the database: argv in, stdout/stderr/exit code out.
// Commands separated by `--` run as one transaction (all or nothing); `--may-exist` and
// `--if-exists` as ovs-vsctl(8) documents; output formats as OVS 2.17 prints them (`show`
// walks the tables like db-ctl-base.c's cmd_show, `list` pads column names to 20).

import {
  type Atom,
  datumFromString,
  datumToBare,
  datumToJson,
  datumToString,
  isDefaultDatum,
  type Ovsdb,
  OvsdbError,
  type Row,
} from './ovsdb.js';
import { SCHEMA } from './ovsdb-schema.js';
import { splitColKey, VsctlError, VsctlOps } from './vsctl-ops.js';

export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

interface Cmd {
  name: string;
  args: string[];
  opts: Set<string>;
  columns?: string[];
}

const GLOBAL_OPTS =
  /^--(timeout|db|format|data|pretty|no-wait|dry-run|oneline|no-syslog|verbose|retry|bare|no-headings|columns)\b/;

function parseArgv(argv: string[]): { cmds: Cmd[]; bare: boolean; json: boolean; oneline: boolean } {
  const cmds: Cmd[] = [];
  let bare = false;
  let json = false;
  let oneline = false;
  let i = 0;
  // Global options come before the first command.
  while (i < argv.length && argv[i].startsWith('-') && argv[i] !== '--') {
    const a = argv[i];
    if (a === '--bare') bare = true;
    else if (a === '--format=json' || a === '-f=json') json = true;
    else if (a === '--format' || a === '-f') json = argv[++i] === 'json';
    else if (a === '--oneline') oneline = true;
    else if (a === '-t' || a === '--timeout' || a === '--db') i++;
    else if (
      !GLOBAL_OPTS.test(a) &&
      !a.startsWith('--may-exist') &&
      !a.startsWith('--if-exists') &&
      !a.startsWith('--columns')
    ) {
      throw new VsctlError(`unrecognized option '${a}'`);
    } else if (a.startsWith('--may-exist') || a.startsWith('--if-exists') || a.startsWith('--columns')) break;
    i++;
  }
  let cur: Cmd = { name: '', args: [], opts: new Set() };
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      if (cur.name) cmds.push(cur);
      cur = { name: '', args: [], opts: new Set() };
      continue;
    }
    if (!cur.name && a.startsWith('--')) {
      if (a.startsWith('--columns=')) cur.columns = a.slice(10).split(',');
      else if (a === '--bare') bare = true;
      else cur.opts.add(a.replace(/^--/, ''));
      continue;
    }
    if (!cur.name) cur.name = a;
    else cur.args.push(a);
  }
  if (cur.name) cmds.push(cur);
  return { cmds, bare: bare && !json, json, oneline };
}

const ARITY: Record<string, [number, number]> = {
  init: [0, 0],
  show: [0, 0],
  'list-br': [0, 0],
  'br-exists': [1, 1],
  'add-br': [1, 3],
  'del-br': [1, 1],
  'list-ports': [1, 1],
  'list-ifaces': [1, 1],
  'add-port': [2, Number.POSITIVE_INFINITY],
  'del-port': [1, 2],
  'port-to-br': [1, 1],
  'iface-to-br': [1, 1],
  get: [3, Number.POSITIVE_INFINITY],
  set: [3, Number.POSITIVE_INFINITY],
  add: [4, Number.POSITIVE_INFINITY],
  remove: [4, Number.POSITIVE_INFINITY],
  clear: [3, Number.POSITIVE_INFINITY],
  list: [1, Number.POSITIVE_INFINITY],
  find: [1, Number.POSITIVE_INFINITY],
  destroy: [1, Number.POSITIVE_INFINITY],
  'set-fail-mode': [2, 2],
  'get-fail-mode': [1, 1],
  'del-fail-mode': [1, 1],
  'set-controller': [1, Number.POSITIVE_INFINITY],
  'get-controller': [1, 1],
  'del-controller': [1, 1],
  'set-manager': [0, Number.POSITIVE_INFINITY],
  'get-manager': [0, 0],
  'del-manager': [0, 0],
  'br-set-external-id': [2, 3],
  'br-get-external-id': [1, 2],
};

/** Runs `ovs-vsctl ARGV…` against `db`. */
export function runVsctl(db: Ovsdb, argv: string[]): CommandResult {
  const ops = new VsctlOps(db);
  let out = '';
  let code = 0;
  try {
    const { cmds, bare, json } = parseArgv(argv);
    if (cmds.length === 0) throw new VsctlError('missing command name (use --help for help)');
    for (const c of cmds) {
      const ar = ARITY[c.name];
      if (!ar) throw new VsctlError(`unknown command '${c.name}'; use --help for help`);
      if (c.args.length < ar[0])
        throw new VsctlError(`'${c.name}' command requires at least ${ar[0]} arguments`);
      if (c.args.length > ar[1]) throw new VsctlError(`'${c.name}' command takes at most ${ar[1]} arguments`);
    }
    db.transact(() => {
      for (const c of cmds) {
        const r = runOne(ops, c, json ? 'json' : bare ? 'bare' : 'list');
        out += r.out;
        if (r.code) code = r.code;
      }
    });
    return { stdout: out, stderr: '', code };
  } catch (e) {
    if (e instanceof OvsdbError) return { stdout: '', stderr: `ovs-vsctl: ${e.message}\n`, code: 1 };
    throw e;
  }
}

function runOne(ops: VsctlOps, c: Cmd, fmt: RecordFormat): { out: string; code?: number } {
  const a = c.args;
  const mayExist = c.opts.has('may-exist');
  const ifExists = c.opts.has('if-exists');
  const lines = (xs: string[]) => xs.map((x) => `${x}\n`).join('');
  switch (c.name) {
    case 'init':
      ops.root();
      return { out: '' };
    case 'show':
      return { out: show(ops) };
    case 'list-br':
      return {
        out: lines(
          ops
            .bridges()
            .map((b) => b.str('name'))
            .sort(),
        ),
      };
    case 'br-exists':
      return { out: '', code: ops.findBridge(a[0]) ? 0 : 2 };
    case 'add-br':
      if (a.length > 1) throw new VsctlError('fake bridges (add-br BRIDGE PARENT VLAN) are not supported');
      ops.addBridge(a[0], mayExist);
      return { out: '' };
    case 'del-br':
      ops.delBridge(a[0], ifExists);
      return { out: '' };
    case 'list-ports': {
      const br = ops.requireBridge(a[0]);
      return {
        out: lines(
          ops
            .refRows(br, 'ports')
            .map((p) => p.str('name'))
            .filter((n) => n !== a[0])
            .sort(),
        ),
      };
    }
    case 'list-ifaces': {
      const br = ops.requireBridge(a[0]);
      const names = ops
        .refRows(br, 'ports')
        .flatMap((p) => ops.refRows(p, 'interfaces'))
        .map((i) => i.str('name'))
        .filter((n) => n !== a[0]);
      return { out: lines(names.sort()) };
    }
    case 'add-port': {
      const port = ops.addPort(a[0], a[1], {}, mayExist);
      for (const setting of a.slice(2)) ops.setColumn(port, setting);
      return { out: '' };
    }
    case 'del-port':
      if (a.length === 2) ops.delPort(a[0], a[1], ifExists);
      else ops.delPort(undefined, a[0], ifExists);
      return { out: '' };
    case 'port-to-br': {
      const f = ops.findPort(a[0]);
      if (!f) throw new VsctlError(`no port named ${a[0]}`);
      return { out: `${f.bridge.str('name')}\n` };
    }
    case 'iface-to-br': {
      const f = ops.findIface(a[0]);
      if (!f) throw new VsctlError(`no interface named ${a[0]}`);
      return { out: `${f.bridge.str('name')}\n` };
    }
    case 'get':
      return { out: getCmd(ops, a, ifExists) };
    case 'set': {
      const row = record(ops, a[0], a[1], ifExists);
      if (row) for (const s of a.slice(2)) ops.setColumn(row, s);
      return { out: '' };
    }
    case 'add': {
      const row = record(ops, a[0], a[1], ifExists);
      if (row) ops.addToColumn(row, a[2], a.slice(3));
      return { out: '' };
    }
    case 'remove': {
      const row = record(ops, a[0], a[1], ifExists);
      if (row) ops.removeFromColumn(row, a[2], a.slice(3));
      return { out: '' };
    }
    case 'clear': {
      const row = record(ops, a[0], a[1], ifExists);
      if (row) for (const col of a.slice(2)) ops.clearColumn(row, col);
      return { out: '' };
    }
    case 'destroy': {
      const table = VsctlOps.tableName(a[0]);
      for (const id of a.slice(1)) {
        const row = ops.findRecord(table, id);
        if (!row) {
          if (ifExists) continue;
          throw new VsctlError(`no row "${id}" in table ${table}`);
        }
        if (ops.db.isReferenced(row.uuid)) {
          throw new VsctlError(
            `transaction error: {"details":"cannot delete ${table} row ${row.uuid} because of 1 remaining reference(s)","error":"referential integrity violation"}`,
          );
        }
        ops.db.delete(row.uuid);
      }
      return { out: '' };
    }
    case 'list': {
      const table = VsctlOps.tableName(a[0]);
      const rows =
        a.length > 1 ? a.slice(1).map((id) => record(ops, table, id, ifExists)) : ops.db.table(table);
      return {
        out: formatRecords(
          rows.filter((r): r is Row => r !== undefined),
          c.columns,
          fmt,
        ),
      };
    }
    case 'find': {
      const table = VsctlOps.tableName(a[0]);
      const rows = ops.db.table(table).filter((r) => a.slice(1).every((cond) => matches(r, cond)));
      return { out: formatRecords(rows, c.columns, fmt) };
    }
    case 'set-fail-mode':
      if (a[1] !== 'standalone' && a[1] !== 'secure')
        throw new VsctlError('fail-mode must be "standalone" or "secure"');
      ops.requireBridge(a[0]).set('fail_mode', [a[1]]);
      return { out: '' };
    case 'get-fail-mode': {
      const m = ops.requireBridge(a[0]).str('fail_mode');
      return { out: m ? `${m}\n` : '' };
    }
    case 'del-fail-mode':
      ops.requireBridge(a[0]).set('fail_mode', []);
      return { out: '' };
    case 'set-controller': {
      const br = ops.requireBridge(a[0]);
      const ctrls = a.slice(1).map((t) => ops.db.insert('Controller', { target: [t] }).uuid);
      br.set('controller', ctrls);
      return { out: '' };
    }
    case 'get-controller': {
      const br = ops.requireBridge(a[0]);
      return {
        out: lines(
          ops
            .refRows(br, 'controller')
            .map((r) => r.str('target'))
            .sort(),
        ),
      };
    }
    case 'del-controller':
      ops.requireBridge(a[0]).set('controller', []);
      return { out: '' };
    case 'set-manager': {
      const root = ops.root();
      root.set(
        'manager_options',
        a.map((t) => ops.db.insert('Manager', { target: [t] }).uuid),
      );
      return { out: '' };
    }
    case 'get-manager':
      return {
        out: lines(
          ops
            .refRows(ops.root(), 'manager_options')
            .map((r) => r.str('target'))
            .sort(),
        ),
      };
    case 'del-manager':
      ops.root().set('manager_options', []);
      return { out: '' };
    case 'br-set-external-id': {
      const br = ops.requireBridge(a[0]);
      const m = new Map(br.map('external_ids'));
      if (a.length === 3) m.set(a[1], a[2]);
      else m.delete(a[1]);
      br.set('external_ids', m);
      return { out: '' };
    }
    case 'br-get-external-id': {
      const m = ops.requireBridge(a[0]).map('external_ids');
      if (a.length === 2) return { out: m.has(a[1]) ? `${m.get(a[1])}\n` : '' };
      return { out: lines([...m].map(([k, v]) => `${k}=${v}`)) };
    }
  }
  throw new VsctlError(`unknown command '${c.name}'; use --help for help`);
}

function record(ops: VsctlOps, tableArg: string, id: string, ifExists: boolean): Row | undefined {
  const table = VsctlOps.tableName(tableArg);
  const r = ops.findRecord(table, id);
  if (!r && !ifExists) throw new VsctlError(`no row "${id}" in table ${table}`);
  return r;
}

function getCmd(ops: VsctlOps, a: string[], ifExists: boolean): string {
  const table = VsctlOps.tableName(a[0]);
  const row = record(ops, table, a[1], ifExists);
  if (!row) return '';
  let out = '';
  for (const spec of a.slice(2)) {
    const { col, key } = splitColKey(spec);
    if (col === '_uuid') {
      out += `${row.uuid}\n`;
      continue;
    }
    const t = VsctlOps.column(table, col);
    const d = row.get(col);
    if (key !== undefined) {
      if (!(d instanceof Map)) throw new VsctlError(`cannot specify key to get for non-map column ${col}`);
      const k: Atom = t.key === 'integer' ? Number(key) : key;
      if (!d.has(k)) {
        if (ifExists) continue;
        throw new VsctlError(`no key "${key}" in ${table} record "${a[1]}" column ${col}`);
      }
      out += `${datumToString({ key: t.value!, min: 1, max: 1 }, [d.get(k)!])}\n`;
    } else out += `${datumToString(t, d)}\n`;
  }
  return out;
}

function matches(r: Row, cond: string): boolean {
  const m = /^([^:=!<>{}]+)(?::([^=!<>{}]+))?(=|!=)(.*)$/.exec(cond);
  if (!m) throw new VsctlError(`${cond}: missing operator (use =, !=)`);
  const [, col, key, op, value] = m;
  const t = VsctlOps.column(r.table, col);
  const d = r.get(col);
  let equal: boolean;
  if (key !== undefined) {
    const v = d instanceof Map ? d.get(key) : undefined;
    equal = v !== undefined && String(v) === value.replace(/^"(.*)"$/, '$1');
  } else {
    const want = datumToString(t, datumFromString({ ...t, min: 0, max: Math.max(t.max, 1) }, value));
    equal = datumToString(t, d) === want;
  }
  return op === '=' ? equal : !equal;
}

type RecordFormat = 'list' | 'bare' | 'json';

/** `list`/`find` output: `_uuid` then columns alphabetically, names padded to 20 (or --bare, --format=json). */
function formatRecords(rows: Row[], columns: string[] | undefined, fmt: RecordFormat): string {
  const colsOf = (r: Row) => columns ?? ['_uuid', ...Object.keys(SCHEMA[r.table]).sort()];
  if (fmt === 'json') {
    const headings = rows.length ? colsOf(rows[0]) : (columns ?? []);
    const data = rows.map((r) =>
      colsOf(r).map((c) => (c === '_uuid' ? ['uuid', r.uuid] : datumToJson(SCHEMA[r.table][c], r.get(c)))),
    );
    return `${JSON.stringify({ data, headings })}\n`;
  }
  const blocks: string[] = [];
  for (const r of rows) {
    const schema = SCHEMA[r.table];
    const lines: string[] = [];
    for (const c of colsOf(r)) {
      const value =
        c === '_uuid'
          ? r.uuid
          : fmt === 'bare'
            ? datumToBare(schema[c], r.get(c))
            : datumToString(schema[c], r.get(c));
      lines.push(fmt === 'bare' ? value : `${c.padEnd(20)}: ${value}`);
    }
    blocks.push(lines.join('\n'));
  }
  return blocks.length ? `${blocks.join('\n\n')}\n` : '';
}

/** `ovs-vsctl show`: cmd_show_row() over Open_vSwitch → Manager/Bridge → Controller/Port → Interface. */
export function show(ops: VsctlOps): string {
  const root = ops.root();
  let s = `${root.uuid}\n`;
  const attr = (r: Row, col: string, level: number): string => {
    const t = SCHEMA[r.table][col];
    const d = r.get(col);
    if (isDefaultDatum(t, d)) return '';
    return `${' '.repeat(level * 4)}${col}: ${datumToString(t, d)}\n`;
  };
  const named = (r: Row, col: string, level: number): string =>
    `${' '.repeat(level * 4)}${r.table} ${datumToString(SCHEMA[r.table][col], r.get(col))}\n`;
  for (const m of ops.refRows(root, 'manager_options')) {
    s += named(m, 'target', 1) + attr(m, 'is_connected', 2);
  }
  for (const br of ops.refRows(root, 'bridges')) {
    s += named(br, 'name', 1);
    for (const c of ops.refRows(br, 'controller')) s += named(c, 'target', 2) + attr(c, 'is_connected', 3);
    s += attr(br, 'fail_mode', 2) + attr(br, 'datapath_type', 2);
    for (const p of ops.refRows(br, 'ports')) {
      s += named(p, 'name', 2) + attr(p, 'tag', 3) + attr(p, 'trunks', 3);
      for (const i of ops.refRows(p, 'interfaces')) {
        s +=
          named(i, 'name', 3) +
          attr(i, 'type', 4) +
          attr(i, 'options', 4) +
          attr(i, 'error', 4) +
          attr(i, 'bfd_status', 4);
      }
    }
  }
  s += attr(root, 'ovs_version', 1);
  return s;
}
