// GET /v2/images: Glance's filters, sorting and marker pagination (glance/api/v2/images.py
// RequestDeserializer.index and the sqlalchemy image_get_all). Default sort created_at desc
// with id as the tiebreaker; default page 25, at most 1000 (limit_param_default,
// api_limit_max); `next` only when the page came back full.
import type { ImageRow, MemberStatus } from '../../store/index.js';
import { badRequest } from '../errors.js';
import { isAdmin, type RequestContext } from '../policy.js';
import { isOwner } from './policy.js';

const SORT_KEYS = [
  'name',
  'status',
  'container_format',
  'disk_format',
  'size',
  'id',
  'created_at',
  'updated_at',
];
const VISIBILITIES = ['community', 'public', 'private', 'shared', 'all'];
const MEMBER_STATUSES = ['pending', 'accepted', 'rejected', 'all'];

/** The query string, each key with every value it was given, in order. */
export type QueryParams = [string, string][];

export interface ListRequest {
  limit: number;
  marker?: string;
  sort: { key: string; dir: 'asc' | 'desc' }[];
  memberStatus: string;
  filters: [string, string][];
}

const boolParam = (v: string): boolean | undefined => {
  const s = v.toLowerCase();
  if (['1', 't', 'true', 'on', 'y', 'yes'].includes(s)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(s)) return false;
  return undefined;
};

function sortKey(k: string): string {
  if (!SORT_KEYS.includes(k))
    throw badRequest(`Invalid sort key: ${k}. It must be one of the following: ${SORT_KEYS.join(', ')}.`);
  return k;
}
function sortDir(d: string): 'asc' | 'desc' {
  if (d !== 'asc' && d !== 'desc') throw badRequest(`Invalid sort direction: ${d}`);
  return d;
}

/** Reads and checks the query as Glance's deserializer does. */
export function parseListRequest(params: QueryParams, limitDefault = 25, limitMax = 1000): ListRequest {
  const all = (k: string) => params.filter(([p]) => p === k).map(([, v]) => v);
  const one = (k: string) => all(k).at(-1);
  let limit = limitDefault;
  const rawLimit = one('limit');
  if (rawLimit !== undefined) {
    if (!/^\s*[-+]?\d+\s*$/.test(rawLimit)) throw badRequest('limit param must be an integer');
    limit = Number(rawLimit);
    if (limit < 0) throw badRequest('limit param must be positive');
    limit = Math.min(limit, limitMax);
  }
  const sortParam = one('sort');
  const keys = all('sort_key');
  const dirs = all('sort_dir');
  let sort: ListRequest['sort'];
  if (sortParam !== undefined) {
    if (keys.length || dirs.length)
      throw badRequest(
        'The "sort" parameter is not compatible with the "sort_key" or "sort_dir" parameters.',
      );
    sort = sortParam.split(',').map((s) => {
      const [k, d] = s.trim().split(':');
      return { key: sortKey(k.trim()), dir: sortDir((d ?? 'desc').trim()) };
    });
  } else {
    if (dirs.length > 1 && dirs.length !== keys.length)
      throw badRequest('Number of sort dirs does not match the number of sort keys');
    const ks = keys.length ? keys : ['created_at'];
    sort = ks.map((k, i) => ({ key: sortKey(k), dir: sortDir(dirs[dirs.length > 1 ? i : 0] ?? 'desc') }));
  }
  // The tiebreakers take the one direction given, else desc (image_get_all's default_sort_dir).
  const defaultDir = sort.length === 1 ? sort[0].dir : 'desc';
  for (const k of ['created_at', 'id'])
    if (!sort.some((s) => s.key === k)) sort.push({ key: k, dir: defaultDir });
  const memberStatus = one('member_status') ?? 'accepted';
  if (!MEMBER_STATUSES.includes(memberStatus)) throw badRequest(`Invalid status: ${memberStatus}`);
  const reservedKeys = ['limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'member_status'];
  const filters = params.filter(([k]) => !reservedKeys.includes(k));
  for (const [k, v] of filters) {
    if (k === 'visibility' && !VISIBILITIES.includes(v)) throw badRequest(`Invalid visibility value: ${v}`);
    if (k === 'os_hidden' && boolParam(v) === undefined)
      throw badRequest(`Invalid value for os_hidden: ${v}. It must be one of true, false.`);
    if (k === 'protected' && boolParam(v) === undefined)
      throw badRequest(`Invalid value '${v}' for 'protected' filter. Valid values are 'true' or 'false'.`);
    if ((k === 'size_min' || k === 'size_max') && !/^\d+$/.test(v))
      throw badRequest(`Invalid value for ${k}: ${v}`);
  }
  return { limit, marker: one('marker'), sort, memberStatus, filters };
}

const column = (i: ImageRow, key: string): string | number | null => {
  switch (key) {
    case 'name':
      return i.name;
    case 'status':
      return i.status;
    case 'container_format':
      return i.containerFormat;
    case 'disk_format':
      return i.diskFormat;
    case 'size':
      return i.size;
    case 'id':
      return i.id;
    case 'created_at':
      return i.createdAt;
    default:
      return i.updatedAt;
  }
};

/** Negative when a sorts before b; NULLs first in ascending order, as SQL puts them. */
export function compareImages(a: ImageRow, b: ImageRow, sort: ListRequest['sort']): number {
  for (const { key, dir } of sort) {
    const x = column(a, key);
    const y = column(b, key);
    let c = 0;
    if (x === y) c = 0;
    else if (x === null) c = -1;
    else if (y === null) c = 1;
    else c = x < y ? -1 : 1;
    if (c !== 0) return dir === 'asc' ? c : -c;
  }
  return 0;
}

/** Whether the caller lists this image, before the query's own filters. */
export function listedFor(
  ctx: RequestContext,
  image: ImageRow,
  membership: MemberStatus | undefined,
  visibility: string | undefined,
  memberStatus: string,
): boolean {
  const memberMatches = membership !== undefined && (memberStatus === 'all' || membership === memberStatus);
  if (visibility !== undefined && visibility !== 'all' && image.visibility !== visibility) return false;
  if (isAdmin(ctx)) return true;
  if (isOwner(ctx, image) || image.visibility === 'public') return true;
  if (image.visibility === 'shared') return memberMatches;
  // Community images show only when asked for (visibility=community or all).
  return image.visibility === 'community' && visibility !== undefined;
}

const BASE_FILTERS: Record<string, (i: ImageRow) => unknown> = {
  name: (i) => i.name,
  status: (i) => i.status,
  container_format: (i) => i.containerFormat,
  disk_format: (i) => i.diskFormat,
  owner: (i) => i.owner,
  id: (i) => i.id,
  checksum: (i) => i.checksum,
  os_hash_value: (i) => i.osHashValue,
  min_ram: (i) => String(i.minRam),
  min_disk: (i) => String(i.minDisk),
};

/** The query's filters (everything but visibility and member_status, handled by listedFor). */
export function matchesFilters(image: ImageRow, filters: [string, string][]): boolean {
  let hiddenAsked = false;
  for (const [k, v] of filters) {
    if (k === 'visibility') continue;
    if (k === 'tag') {
      if (!image.tags.includes(v)) return false;
    } else if (k === 'os_hidden') {
      hiddenAsked = true;
      if (image.osHidden !== boolParam(v)) return false;
    } else if (k === 'protected') {
      if (image.protected !== boolParam(v)) return false;
    } else if (k === 'size_min') {
      if (image.size === null || image.size < Number(v)) return false;
    } else if (k === 'size_max') {
      if (image.size === null || image.size > Number(v)) return false;
    } else if (BASE_FILTERS[k]) {
      const actual = BASE_FILTERS[k](image);
      // `in:a,b` lists accepted values (Glance's filter operators).
      const wanted = v.startsWith('in:') ? v.slice(3).split(',') : [v];
      if (!wanted.includes(actual as string)) return false;
    } else if (image.properties[k] !== v) return false;
  }
  // Hidden images stay out of lists unless os_hidden is asked for.
  return hiddenAsked || !image.osHidden;
}
