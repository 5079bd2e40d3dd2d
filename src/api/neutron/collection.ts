// What every Neutron collection shares (neutron/api/v2/base.py and api_common.py): filters from
// the query string, `fields=`, `sort_key`/`sort_dir`, `limit`/`marker`/`page_reverse` with
// `<collection>_links`, and request bodies for one resource or a bulk list.
import type { FastifyRequest } from 'fastify';
import { badRequest } from '../../services/errors.js';
import { baseUrl } from '../http.js';

type Item = Record<string, unknown>;
export type Query = Record<string, string[]>;

/** The query string as lists of values (`?fields=id&fields=name`). */
export function queryOf(request: FastifyRequest): Query {
  const out: Query = {};
  for (const [k, v] of Object.entries(
    (request.query ?? {}) as Record<string, string | string[] | undefined>,
  )) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v : [v];
  }
  return out;
}

const bad = (m: string) => badRequest(m, 'HTTPBadRequest');

/** Only the fields asked for (the clients read nothing else). */
export function selectFields(item: Item, fields: string[] | undefined): Item {
  if (!fields || fields.length === 0) return item;
  const out: Item = {};
  for (const f of fields) if (Object.hasOwn(item, f)) out[f] = item[f];
  return out;
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a ? 1 : -1;
  const x = typeof a === 'string' ? a : JSON.stringify(a);
  const y = typeof b === 'string' ? b : JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * A list answer: sorted, paged and trimmed to `fields`, with next/previous links when a limit
 * cut it (the SDK follows `rel: next`).
 */
export function listAnswer(request: FastifyRequest, collection: string, items: Item[], query: Query): Item {
  const sortKeys = query.sort_key ?? [];
  const sortDirs = query.sort_dir ?? [];
  if (sortDirs.length && sortDirs.length !== sortKeys.length)
    throw bad('The number of sort_keys and sort_dirs must be same');
  for (const d of sortDirs) if (d !== 'asc' && d !== 'desc') throw bad(`${d} is invalid value for sort_dir`);
  const known = items.length ? new Set(Object.keys(items[0])) : null;
  for (const k of sortKeys) if (known && !known.has(k)) throw bad(`${k} is invalid attribute for sort_key`);

  let limit: number | null = null;
  if (query.limit?.length) {
    const raw = query.limit[0];
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n))
      throw bad(`Limit must be an integer 0 or greater and not '${raw}'`);
    limit = n === 0 ? null : n;
  }
  const reverse = (query.page_reverse?.[0] ?? '').toLowerCase() === 'true';
  let list = items;
  if (sortKeys.length || limit !== null) {
    // Pagination needs a total order: the sort keys, then id (api_common.get_sorts).
    const keys = [...sortKeys, ...(sortKeys.includes('id') ? [] : ['id'])];
    const dirs = keys.map((_, i) => (sortDirs[i] ?? 'asc') === 'desc');
    list = [...items].sort((a, b) => {
      for (let i = 0; i < keys.length; i++) {
        const c = compare(a[keys[i]], b[keys[i]]);
        if (c !== 0) return dirs[i] ? -c : c;
      }
      return 0;
    });
  }
  const marker = query.marker?.[0];
  let links: Item[] | undefined;
  if (limit !== null || marker) {
    if (reverse) list = [...list].reverse();
    if (marker) {
      const at = list.findIndex((i) => i.id === marker);
      list = at >= 0 ? list.slice(at + 1) : list;
    }
    const page = limit !== null ? list.slice(0, limit) : list;
    const more = limit !== null && list.length > limit;
    links = [];
    const href = (m: string, previous: boolean) => {
      const q = new URLSearchParams();
      for (const [k, vs] of Object.entries(query))
        if (!['marker', 'page_reverse'].includes(k)) for (const v of vs) q.append(k, v);
      q.set('marker', m);
      if (previous !== reverse) q.set('page_reverse', 'True');
      return `${baseUrl(request)}${request.url.split('?')[0]}?${q.toString()}`;
    };
    const last = page[page.length - 1]?.id as string | undefined;
    const first = page[0]?.id as string | undefined;
    if (more && last) links.push({ rel: 'next', href: href(last, false) });
    if (marker && first) links.push({ rel: 'previous', href: href(first, true) });
    list = reverse ? [...page].reverse() : page;
  }
  const fields = query.fields;
  const out: Item = { [collection]: list.map((i) => selectFields(i, fields)) };
  if (links?.length) out[`${collection}_links`] = links;
  return out;
}

/** The resource bodies of a POST: `{"network": {...}}` or, bulk, `{"networks": [...]}`. */
export function createBodies(
  body: unknown,
  resource: string,
  collection: string,
): { items: unknown[]; bulk: boolean } {
  if (body === null || body === undefined || typeof body !== 'object' || Array.isArray(body))
    throw bad('Resource body required');
  const b = body as Record<string, unknown>;
  if (Array.isArray(b[collection])) {
    const items = b[collection] as unknown[];
    if (items.length === 0) throw bad('Resources required');
    return { items, bulk: true };
  }
  if (b[resource] === undefined) throw bad(`Unable to find '${resource}' in request body`);
  return { items: [b[resource]], bulk: false };
}

/** The body of a PUT: `{"network": {...}}`. */
export function updateBody(body: unknown, resource: string): unknown {
  if (body === null || body === undefined || typeof body !== 'object' || Array.isArray(body))
    throw bad('Resource body required');
  const inner = (body as Record<string, unknown>)[resource];
  if (inner === undefined) throw bad(`Unable to find '${resource}' in request body`);
  return inner;
}
