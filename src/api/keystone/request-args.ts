// Query-string and body helpers the Keystone routes share.
import type { FastifyRequest } from 'fastify';

type Query = Record<string, string | string[] | undefined>;

/** A query parameter's first value. */
export const q = (request: FastifyRequest, key: string): string | undefined => {
  const v = (request.query as Query)[key];
  return Array.isArray(v) ? v[0] : v;
};

/** A boolean query parameter as Keystone reads them (`?enabled`, `?enabled=false`). */
export const qBool = (request: FastifyRequest, key: string): boolean | undefined => {
  const v = q(request, key);
  if (v === undefined) return undefined;
  return !['false', '0', 'no', 'off'].includes(v.toLowerCase());
};

/** The keys of `body` among `keys`, renamed by `rename` (body key → field), for PATCH. */
export function pick(body: Record<string, unknown>, keys: string[], rename: Record<string, string> = {}) {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (Object.hasOwn(body, k)) out[rename[k] ?? k] = body[k];
  return out;
}

export type Params = Record<string, string>;
export type Body = Record<string, Record<string, unknown>>;
