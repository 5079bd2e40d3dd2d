// The part of JSON Schema that Glance's image schema uses (type, enum, pattern, maxLength,
// items, additionalProperties), failing with str(jsonschema.ValidationError) as Glance quotes it:
// "Provided object does not match schema 'image': <message>\n\nFailed validating …".
import { badRequest, type ServiceError } from '../errors.js';
import { pformat, pyRepr } from './python-repr.js';
import { imageSchema } from './schemas.js';

interface Schema {
  type?: string | readonly string[];
  enum?: readonly unknown[];
  pattern?: string;
  maxLength?: number;
  minLength?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  [k: string]: unknown;
}

interface Failure {
  message: string;
  validator: string;
  schema: Schema;
  schemaPath: (string | number)[];
  instancePath: (string | number)[];
  instance: unknown;
}

const isType = (v: unknown, t: string): boolean => {
  switch (t) {
    case 'null':
      return v === null;
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return v !== null && typeof v === 'object' && !Array.isArray(v);
    default:
      return true;
  }
};

function check(
  schema: Schema,
  v: unknown,
  schemaPath: (string | number)[],
  instancePath: (string | number)[],
): Failure | null {
  const fail = (validator: string, message: string): Failure => ({
    message,
    validator,
    schema,
    schemaPath: [...schemaPath, validator],
    instancePath,
    instance: v,
  });
  if (schema.type !== undefined) {
    const types = typeof schema.type === 'string' ? [schema.type] : schema.type;
    if (!types.some((t) => isType(v, t)))
      return fail('type', `${pyRepr(v)} is not of type ${types.map((t) => pyRepr(t)).join(', ')}`);
  }
  if (schema.enum && !schema.enum.some((e) => e === v))
    return fail('enum', `${pyRepr(v)} is not one of ${pyRepr(schema.enum)}`);
  if (typeof v === 'string') {
    if (schema.maxLength !== undefined && [...v].length > schema.maxLength)
      return fail('maxLength', `${pyRepr(v)} is too long`);
    if (schema.minLength !== undefined && [...v].length < schema.minLength)
      return fail('minLength', `${pyRepr(v)} is too short`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(v))
      return fail('pattern', `${pyRepr(v)} does not match ${pyRepr(schema.pattern)}`);
  }
  if (Array.isArray(v) && schema.items)
    for (let i = 0; i < v.length; i++) {
      const f = check(schema.items, v[i], [...schemaPath, 'items'], [...instancePath, i]);
      if (f) return f;
    }
  if (isType(v, 'object') && (schema.properties || schema.additionalProperties !== undefined)) {
    const obj = v as Record<string, unknown>;
    for (const [k, x] of Object.entries(obj)) {
      const sub = schema.properties?.[k];
      if (sub) {
        const f = check(sub, x, [...schemaPath, 'properties', k], [...instancePath, k]);
        if (f) return f;
      } else if (typeof schema.additionalProperties === 'object') {
        const f = check(
          schema.additionalProperties,
          x,
          [...schemaPath, 'additionalProperties'],
          [...instancePath, k],
        );
        if (f) return f;
      }
    }
  }
  return null;
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');

/** str(ValidationError) of jsonschema 4 (Debian 12's python3-jsonschema). */
export function describeFailure(f: Failure): string {
  const schemaPath = f.schemaPath
    .slice(0, -1)
    .map((p) => `[${pyRepr(p)}]`)
    .join('');
  const instancePath = f.instancePath.map((p) => `[${pyRepr(p)}]`).join('');
  return `${f.message}\n\nFailed validating ${pyRepr(f.validator)} in schema${schemaPath}:\n${indent(pformat(f.schema))}\n\nOn instance${instancePath}:\n${indent(pformat(f.instance))}`;
}

/** Validates a partial or whole image document; the 400 Glance answers when it does not match. */
export function validateImage(doc: Record<string, unknown>): void {
  const f = check(imageSchema as unknown as Schema, doc, [], []);
  if (f) throw schemaMismatch(describeFailure(f));
}

export const schemaMismatch = (reason: string): ServiceError =>
  badRequest(`Provided object does not match schema 'image': ${reason}`);
