// Python's repr() and pprint.pformat(width=72) of JSON values: Glance's schema errors are
// str(jsonschema.ValidationError), which prints the failing sub-schema and the instance that way
// (reference/real-glance/create_bad_disk_format_400.json shows the result).

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function pyStr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)
      out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** repr() of a parsed JSON value, dict keys in insertion order (as json.loads gives them). */
export function pyRepr(v: unknown, sortKeys = false): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return pyStr(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v);
  if (Array.isArray(v)) return `[${v.map((x) => pyRepr(x, sortKeys)).join(', ')}]`;
  const entries = Object.entries(v as Record<string, unknown>);
  if (sortKeys) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${pyStr(k)}: ${pyRepr(x, sortKeys)}`).join(', ')}}`;
}

const WIDTH = 72;

/** pprint.pformat(value, width=72): sorted dict keys, one item per line once a line is too long. */
export function pformat(value: unknown): string {
  const out: string[] = [];
  format(value as Json, out, 0, 0, 0);
  return out.join('');
}

function format(v: Json, out: string[], indent: number, allowance: number, level: number): void {
  const rep = pyRepr(v, true);
  if (rep.length <= WIDTH - indent - allowance) {
    out.push(rep);
    return;
  }
  if (Array.isArray(v)) {
    out.push('[');
    formatItems(v, out, indent, allowance + 1, level + 1);
    out.push(']');
  } else if (v !== null && typeof v === 'object') {
    out.push('{');
    const items = Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const inner = indent + 1;
    items.forEach(([k, x], i) => {
      const last = i === items.length - 1;
      const key = pyStr(k);
      out.push(`${key}: `);
      format(x, out, inner + key.length + 2, last ? allowance + 1 : 1, level + 1);
      if (!last) out.push(`,\n${' '.repeat(inner)}`);
    });
    out.push('}');
  } else if (typeof v === 'string') formatStr(v, out, indent, allowance, level + 1);
  else out.push(rep);
}

function formatItems(items: Json[], out: string[], indent: number, allowance: number, level: number): void {
  const inner = indent + 1;
  items.forEach((x, i) => {
    if (i > 0) out.push(`,\n${' '.repeat(inner)}`);
    format(x, out, inner, i === items.length - 1 ? allowance : 1, level);
  });
}

function formatStr(s: string, out: string[], indent: number, allowance: number, level: number): void {
  if (level === 1) {
    indent += 1;
    allowance += 1;
  }
  const chunks: string[] = [];
  const lines = s.split(/(?<=\n)/);
  const maxWidth = WIDTH - indent;
  let maxWidth1 = maxWidth;
  lines.forEach((line, i) => {
    const lastLine = i === lines.length - 1;
    if (lastLine) maxWidth1 -= allowance;
    if (pyStr(line).length <= maxWidth1) {
      chunks.push(pyStr(line));
      return;
    }
    const parts = line.match(/\S*\s*/g)?.filter((p) => p !== '') ?? [line];
    let maxWidth2 = maxWidth;
    let current = '';
    parts.forEach((part, j) => {
      const candidate = current + part;
      if (j === parts.length - 1 && lastLine) maxWidth2 -= allowance;
      if (pyStr(candidate).length > maxWidth2) {
        if (current) chunks.push(pyStr(current));
        current = part;
      } else current = candidate;
    });
    if (current) chunks.push(pyStr(current));
  });
  if (chunks.length <= 1) {
    out.push(pyStr(s));
    return;
  }
  if (level === 1) out.push('(');
  out.push(chunks.join(`\n${' '.repeat(indent)}`));
  if (level === 1) out.push(')');
}
