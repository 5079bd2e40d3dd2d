// Configuration files as oslo.config reads them: INI sections, `key = value`, `#`/`;` comments,
// indented continuation lines, the last value winning. Each owner of a file declares its options
// in one table (type, default, bounds) and gets typed values back; an option the table does not
// know is warned about (oslo.config ignores it silently, which hides typos), and a value the type
// refuses stops the start with the file and line, as `neutron-server` refuses to start.
import { readFileSync } from 'node:fs';

export type OptType = 'str' | 'int' | 'float' | 'bool' | 'list' | 'dict';

export interface OptSpec {
  type: OptType;
  default: unknown;
  /** Allowed values (str options). */
  choices?: readonly string[];
  min?: number;
  max?: number;
  help?: string;
}

/** One file's options: section → option → spec. `DEFAULT` is the [DEFAULT] section. */
export type ConfigSchema = Record<string, Record<string, OptSpec>>;

export type ConfigValue = string | number | boolean | string[] | Record<string, string> | null;
export type ConfigValues = Record<string, Record<string, ConfigValue>>;

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
  }
}

export const opt = {
  str: (d: string | null, more: Partial<OptSpec> = {}): OptSpec => ({ type: 'str', default: d, ...more }),
  int: (d: number | null, more: Partial<OptSpec> = {}): OptSpec => ({ type: 'int', default: d, ...more }),
  float: (d: number | null, more: Partial<OptSpec> = {}): OptSpec => ({ type: 'float', default: d, ...more }),
  bool: (d: boolean): OptSpec => ({ type: 'bool', default: d }),
  list: (d: string[]): OptSpec => ({ type: 'list', default: d }),
  dict: (d: Record<string, string>): OptSpec => ({ type: 'dict', default: d }),
};

export interface RawEntry {
  section: string;
  key: string;
  value: string;
  line: number;
}

/** The entries of an INI text, in order (sections as written; `DEFAULT` for [DEFAULT]). */
export function parseIni(text: string, file: string): { entries: RawEntry[]; sections: string[] } {
  const entries: RawEntry[] = [];
  const sections: string[] = [];
  let section: string | null = null;
  let last: RawEntry | null = null;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const n = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) {
      last = trimmed === '' ? null : last;
      continue;
    }
    // An indented line continues the previous value (oslo.config's multi-line values).
    if (/^\s/.test(raw) && last) {
      last.value = `${last.value}\n${trimmed}`;
      continue;
    }
    const sec = /^\[([^\]]+)\]\s*$/.exec(trimmed);
    if (sec) {
      section = sec[1].trim();
      sections.push(section);
      last = null;
      continue;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(trimmed);
    if (!kv) throw new ConfigError(file, n, `cannot parse line '${trimmed}'`);
    if (section === null) throw new ConfigError(file, n, 'option outside of any section');
    let value = kv[2];
    if (/^".*"$/.test(value) || /^'.*'$/.test(value)) value = value.slice(1, -1);
    last = { section, key: kv[1].trim(), value, line: n };
    entries.push(last);
  }
  return { entries, sections };
}

const trueWords = ['true', '1', 'on', 'yes'];
const falseWords = ['false', '0', 'off', 'no'];

function convert(spec: OptSpec, value: string, where: () => ConfigError): ConfigValue {
  const v = value.trim();
  switch (spec.type) {
    case 'str':
      if (spec.choices && !spec.choices.includes(v)) throw where();
      return v;
    case 'int':
    case 'float': {
      const num = Number(v);
      if (v === '' || !Number.isFinite(num) || (spec.type === 'int' && !Number.isInteger(num))) throw where();
      if ((spec.min !== undefined && num < spec.min) || (spec.max !== undefined && num > spec.max))
        throw where();
      return num;
    }
    case 'bool': {
      const l = v.toLowerCase();
      if (trueWords.includes(l)) return true;
      if (falseWords.includes(l)) return false;
      throw where();
    }
    case 'list':
      return v === ''
        ? []
        : v
            .split(/[,\n]/)
            .map((s) => s.trim())
            .filter((s) => s !== '');
    case 'dict': {
      const out: Record<string, string> = {};
      for (const part of v.split(',').map((s) => s.trim())) {
        if (part === '') continue;
        const i = part.indexOf(':');
        if (i < 0) throw where();
        out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
      }
      return out;
    }
  }
}

function describe(spec: OptSpec): string {
  if (spec.choices) return `one of ${spec.choices.join(', ')}`;
  const bounds =
    spec.min !== undefined || spec.max !== undefined
      ? ` (${spec.min ?? '-inf'} to ${spec.max ?? 'inf'})`
      : '';
  return `${spec.type === 'bool' ? 'a boolean' : spec.type === 'int' ? 'an integer' : `a ${spec.type}`}${bounds}`;
}

/** Typed values of one file (or of the defaults alone when the file is absent). */
export function loadConfig(
  schema: ConfigSchema,
  source: { path: string; text?: string } | null,
  warn: (message: string) => void = () => {},
): ConfigValues {
  const values: ConfigValues = {};
  for (const [section, opts] of Object.entries(schema)) {
    values[section] = {};
    for (const [key, spec] of Object.entries(opts)) values[section][key] = spec.default as ConfigValue;
  }
  if (!source) return values;
  const text = source.text ?? readFileSync(source.path, 'utf8');
  const { entries } = parseIni(text, source.path);
  for (const e of entries) {
    const spec = schema[e.section]?.[e.key];
    if (!spec) {
      warn(`${source.path}:${e.line}: unknown option [${e.section}] ${e.key} ignored`);
      continue;
    }
    values[e.section][e.key] = convert(
      spec,
      e.value,
      () =>
        new ConfigError(
          source.path,
          e.line,
          `invalid value '${e.value}' for [${e.section}] ${e.key}: expected ${describe(spec)}`,
        ),
    );
  }
  return values;
}
