// Request checks in Nova's words: a failure is the 400 its JSON-schema validation gives
// (`Invalid input for field/attribute X. Value: V. <jsonschema's reason>`).
import { pyRepr } from '../http.js';
import { novaValidation } from './errors.js';

type Obj = Record<string, unknown>;

export const fail = (field: string, reason: string, value: unknown) => novaValidation(field, reason, value);

/** The body's single wrapped object (`{"server": {...}}`), or the 400 Nova gives. */
export function wrapped(body: unknown, key: string): Obj {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw fail('', `${pyRepr(body)} is not of type 'object'`, body);
  const v = (body as Obj)[key];
  if (v === undefined) throw fail(key, `'${key}' is a required property`, body);
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw fail(key, `${pyRepr(v)} is not of type 'object'`, v);
  return v as Obj;
}

interface StrOpts {
  required?: boolean;
  min?: number;
  max?: number;
}
export function str(o: Obj, key: string, opt: StrOpts & { nullable: true }): string | null | undefined;
export function str(o: Obj, key: string, opt?: StrOpts): string | undefined;
export function str(
  o: Obj,
  key: string,
  opt: StrOpts & { nullable?: boolean } = {},
): string | null | undefined {
  const v = o[key];
  if (v === undefined) {
    if (opt.required) throw fail(key, `'${key}' is a required property`, o);
    return undefined;
  }
  if (v === null && opt.nullable) return null;
  if (typeof v !== 'string') throw fail(key, `${pyRepr(v)} is not of type 'string'`, v);
  if (opt.min !== undefined && v.length < opt.min) throw fail(key, `${pyRepr(v)} is too short`, v);
  if (opt.max !== undefined && v.length > opt.max) throw fail(key, `${pyRepr(v)} is too long`, v);
  return v;
}

/** A non-negative integer that may come as a string ("1"), as Nova's schemas accept. */
export function int(o: Obj, key: string, opt: { required?: boolean; min?: number; max?: number } = {}) {
  const v = o[key];
  if (v === undefined) {
    if (opt.required) throw fail(key, `'${key}' is a required property`, o);
    return undefined;
  }
  const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n))
    throw fail(key, `${pyRepr(v)} is not of type 'integer', 'string'`, v);
  const min = opt.min ?? 0;
  if (n < min) throw fail(key, `${pyRepr(v)} is less than the minimum of ${min}`, v);
  if (opt.max !== undefined && n > opt.max)
    throw fail(key, `${pyRepr(v)} is greater than the maximum of ${opt.max}`, v);
  return n;
}

export function bool(o: Obj, key: string) {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false|1|0|yes|no|on|off)$/i.test(v))
    return /^(true|1|yes|on)$/i.test(v);
  throw fail(key, `${pyRepr(v)} is not of type 'boolean', 'string'`, v);
}

/** Metadata: string keys (1..255) to string values (0..255). */
export function metadata(v: unknown, key = 'metadata'): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw fail(key, `${pyRepr(v)} is not of type 'object'`, v);
  for (const [k, x] of Object.entries(v)) {
    if (k.length < 1 || k.length > 255)
      throw fail(key, `${pyRepr(k)} does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'`, v);
    if (typeof x !== 'string') throw fail(k, `${pyRepr(x)} is not of type 'string'`, x);
    if (x.length > 255) throw fail(k, `${pyRepr(x)} is too long`, x);
  }
  return v as Record<string, string>;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
export const isUuid = (s: string) => UUID.test(s);
