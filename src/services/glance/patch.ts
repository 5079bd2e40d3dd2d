// PATCH /v2/images/X: Glance's JSON-patch dialect (application/openstack-images-v2.1-json-patch,
// and the older v2.0 one), checked and applied as glance/api/v2/images.py does: the pointer
// rules, read-only and reserved attributes, the schema check of each value, then add / replace /
// remove on base attributes and custom properties.
import { badRequest, forbidden } from '../errors.js';
import { DetailedError, readOnly, reserved } from './errors.js';
import { validateImage } from './schema-check.js';

export type PatchOp = 'add' | 'remove' | 'replace';
export interface ImageChange {
  op: PatchOp;
  /** The attribute or property name (one path segment, JSON-pointer decoded). */
  attr: string;
  value?: unknown;
  /** 4 for the v2.0 media type (add of an existing property is a conflict), 10 for v2.1. */
  schemaVersion: 4 | 10;
}

export const PATCH_MEDIA_TYPES: Record<string, 4 | 10> = {
  'application/openstack-images-v2.0-json-patch': 4,
  'application/openstack-images-v2.1-json-patch': 10,
};

const OPS: readonly PatchOp[] = ['add', 'remove', 'replace'];
/** Readable, never writable (images.py `_readonly_properties`). */
export const READ_ONLY = [
  'created_at',
  'updated_at',
  'status',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'size',
  'virtual_size',
  'direct_url',
  'self',
  'file',
  'schema',
  'id',
  'stores',
];
export const RESERVED = ['location', 'deleted', 'deleted_at'];
export const RESERVED_NAMESPACE = 'os_glance';

function decodePointer(pointer: string): string[] {
  const bad = (why: string) => badRequest(`Pointer \`${pointer}\` ${why}`);
  if (!pointer.startsWith('/')) throw bad('does not start with "/".');
  if (/\/\s*?\//.test(pointer.slice(1))) throw bad('contains adjacent "/".');
  if (pointer.length > 1 && pointer.endsWith('/')) throw bad('end with "/".');
  if (pointer.slice(1).trim() === '/') throw bad('does not contains valid token.');
  if (/~[^01]/.test(pointer) || pointer.endsWith('~'))
    throw bad('contains "~" not part of a recognized escape sequence.');
  return pointer
    .replace(/^\/+/, '')
    .split('/')
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~').trim());
}

export function checkAttributeWritable(attr: string): void {
  if (READ_ONLY.includes(attr)) throw readOnly(attr);
  if (RESERVED.includes(attr) || attr.startsWith(RESERVED_NAMESPACE)) throw reserved(attr);
}

/** The request body as a list of changes, or Glance's 400/403 for the first bad one. */
export function parseChanges(body: unknown, schemaVersion: 4 | 10): ImageChange[] {
  if (!Array.isArray(body)) throw badRequest('Request body must be a JSON array of operation objects.');
  return body.map((raw) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw badRequest('Operations must be JSON objects.');
    const r = raw as Record<string, unknown>;
    const available = OPS.join(', ');
    if (r.op === undefined || r.op === null)
      throw badRequest(
        `Unable to find \`op\` in JSON Schema change. It must be one of the following: ${available}.`,
      );
    if (!OPS.includes(r.op as PatchOp))
      throw badRequest(
        `Invalid operation: \`${String(r.op)}\`. It must be one of the following: ${available}.`,
      );
    const op = r.op as PatchOp;
    if (typeof r.path !== 'string') throw badRequest("Unable to find 'path' in JSON Schema change");
    const path = decodePointer(r.path);
    const [attr] = path;
    if (path.length !== 1 && !(attr === 'locations' && path.length === 2))
      throw badRequest(`Invalid JSON pointer for this resource: '/${path.join('/')}'`);
    checkAttributeWritable(attr);
    if (attr === 'locations')
      throw forbidden(
        `It's not allowed to ${op === 'replace' ? 'update' : op} locations if locations are invisible.`,
      );
    const change: ImageChange = { op, attr, schemaVersion };
    if (op !== 'remove') {
      if (!Object.hasOwn(r, 'value')) throw badRequest(`"${op}" request requires a "value" field.`);
      change.value = r.value;
      validateImage({ [attr]: r.value });
    }
    return change;
  });
}

/** The attributes a PATCH may set directly (the domain Image's settable fields). */
export const BASE_ATTRIBUTES = [
  'name',
  'visibility',
  'protected',
  'os_hidden',
  'container_format',
  'disk_format',
  'min_ram',
  'min_disk',
  'owner',
  'tags',
] as const;
export type BaseAttribute = (typeof BASE_ATTRIBUTES)[number];
export const isBase = (attr: string): attr is BaseAttribute =>
  (BASE_ATTRIBUTES as readonly string[]).includes(attr);

/**
 * Applies the changes to a base-attribute record and a property map: `set` is called for
 * base attributes (it enforces the domain rules), properties are edited in place.
 */
export function applyChanges(
  changes: ImageChange[],
  properties: Record<string, string>,
  set: (attr: BaseAttribute, value: unknown) => void,
): void {
  for (const c of changes) {
    const exists = Object.hasOwn(properties, c.attr);
    if (c.op === 'remove') {
      if (isBase(c.attr)) throw new DetailedError('Forbidden', `Property ${c.attr} may not be removed.`);
      if (!exists) throw new DetailedError('Conflict', `Property ${c.attr} does not exist.`);
      delete properties[c.attr];
      continue;
    }
    if (c.op === 'add' && c.schemaVersion === 4 && (isBase(c.attr) || exists))
      throw new DetailedError('Conflict', `Property ${c.attr} already present.`);
    if (isBase(c.attr)) set(c.attr, c.value);
    else if (c.op === 'replace' && !exists)
      throw new DetailedError('Conflict', `Property ${c.attr} does not exist.`);
    else if (c.value === null) delete properties[c.attr];
    else properties[c.attr] = c.value as string;
  }
}
