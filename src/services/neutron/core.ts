// What every Neutron resource module shares: the tables, the configuration, the bus, the log,
// Neutron's standard attributes (created_at, updated_at, revision_number, description, tags)
// and the list filters that accept any attribute.
import { randomUUID } from 'node:crypto';
import type { Bus } from '../../bus/bus.js';
import type { NeutronResourceKind, NeutronResources } from '../../bus/neutron-events.js';
import type { Logger } from '../../sim/oslo-log.js';
import type { Doc, NeutronRepo } from '../../store/neutron-repo.js';
import { isAdmin, type RequestContext } from '../policy.js';
import type { NeutronConfig } from './config.js';
import { neutronErrors as E } from './errors.js';
import { adminOnlyViews } from './policy.js';

export type Filters = Record<string, string[]>;

export interface NeutronCore {
  repo: NeutronRepo;
  config: NeutronConfig;
  bus: Bus;
  log: Logger;
  now: () => Date;
  /** Events of the transaction in progress, published once it commits. */
  outbox: (() => void)[] | null;
}

/**
 * Runs fn in one database transaction; the events it publishes go out after the commit (and
 * not at all when it fails), so no listener ever sees a change that was rolled back.
 */
export function tx<T>(core: NeutronCore, fn: () => T): T {
  if (core.outbox !== null) return core.repo.transaction(fn);
  core.outbox = [];
  try {
    const r = core.repo.transaction(fn);
    const out = core.outbox;
    core.outbox = null;
    for (const send of out) send();
    return r;
  } catch (e) {
    core.outbox = null;
    throw e;
  }
}

/** Neutron's timestamps: second precision, `Z`. */
export const timestamp = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;

export const newId = () => randomUUID();

/** The standard attributes of a new resource owned by the caller (or the project it names). */
export function standardAttributes(core: NeutronCore, ctx: RequestContext, body: Record<string, unknown>) {
  const project = projectFor(ctx, body);
  const t = timestamp(core.now());
  return {
    id: newId(),
    name: (body.name as string | undefined) ?? '',
    tenant_id: project,
    project_id: project,
    description: (body.description as string | undefined) ?? '',
    tags: (body.tags as string[] | undefined) ?? [],
    created_at: t,
    updated_at: t,
    revision_number: 0,
  };
}

/** The project a new resource belongs to: the caller's, or (admin only) the one it names. */
export function projectFor(ctx: RequestContext, body: Record<string, unknown>): string {
  const asked = (body.project_id ?? body.tenant_id) as string | undefined;
  if (body.project_id !== undefined && body.tenant_id !== undefined && body.project_id !== body.tenant_id)
    throw E.httpBadRequest("'project_id' and 'tenant_id' do not match");
  if (asked !== undefined && asked !== ctx.projectId && !isAdmin(ctx))
    throw E.httpBadRequest(
      "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges",
    );
  return asked ?? ctx.projectId ?? '';
}

/** A changed resource: a new revision and updated_at (Neutron's revision plugin bumps on every change). */
export function touch<T extends Doc>(core: NeutronCore, doc: T): T {
  const d = doc as Doc;
  d.revision_number = ((d.revision_number as number) ?? 0) + 1;
  d.updated_at = timestamp(core.now());
  return doc;
}

export function publish<K extends NeutronResourceKind>(
  core: NeutronCore,
  kind: K,
  change: 'created' | 'updated' | 'deleted',
  resource: NeutronResources[K] | Doc,
): void {
  const topic = `${kind}.${change}` as `${K}.created`;
  const payload = { [kind]: structuredClone(resource) } as never;
  send(core, () => core.bus.publish(topic, payload));
}

/** Publishes now, or after the transaction in progress commits. */
export function send(core: NeutronCore, fn: () => void): void {
  if (core.outbox) core.outbox.push(fn);
  else fn();
}

/** The resource as the caller may see it: admin-only attributes removed for members. */
export function visibleAttributes<T extends Doc>(kind: string, ctx: RequestContext, doc: T): T {
  const hidden = adminOnlyViews[kind];
  if (!hidden || isAdmin(ctx)) return doc;
  const out = { ...doc };
  for (const h of hidden) delete out[h];
  return out;
}

// Query parameters that are not filters.
const RESERVED = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse', 'verbose']);
const TAG_FILTERS = new Set(['tags', 'tags-any', 'not-tags', 'not-tags-any']);

function asText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return String(v);
}

function valueMatches(actual: unknown, wanted: string[]): boolean {
  if (Array.isArray(actual)) return actual.some((a) => wanted.includes(asText(a)));
  if (typeof actual === 'boolean') {
    const w = wanted.map((x) => x.toLowerCase());
    return w.includes(actual ? 'true' : 'false') || w.includes(actual ? '1' : '0');
  }
  return wanted.includes(asText(actual)) || (actual === null && wanted.includes('None'));
}

function fixedIpsMatch(actual: { subnet_id: string; ip_address: string }[], wanted: string[]): boolean {
  // ?fixed_ips=ip_address=10.0.0.5&fixed_ips=subnet_id=… (every condition must hold on one entry
  // set, as Neutron's query joins them).
  return wanted.every((w) => {
    const [k, ...rest] = w.split('=');
    const v = rest.join('=');
    if (k === 'ip_address_substr') return actual.some((f) => f.ip_address.includes(v));
    return actual.some((f) => (f as unknown as Record<string, string>)[k] === v);
  });
}

/**
 * Keeps the documents that match every filter. An unknown filter is refused, as Zed's
 * filter-validation extension does.
 */
export function applyFilters<T extends Doc>(docs: T[], filters: Filters, known: ReadonlySet<string>): T[] {
  const entries = Object.entries(filters).filter(([k]) => !RESERVED.has(k));
  const bad = entries.map(([k]) => k).filter((k) => !known.has(k) && !TAG_FILTERS.has(k));
  if (bad.length)
    throw E.httpBadRequest(`[${bad.map((b) => `'${b}'`).join(', ')}] is invalid attribute for filtering`);
  if (entries.length === 0) return docs;
  return docs.filter((d) =>
    entries.every(([k, wanted]) => {
      const tags = (d.tags as string[] | undefined) ?? [];
      const tagList = wanted.flatMap((w) => w.split(','));
      switch (k) {
        case 'tags':
          return tagList.every((t) => tags.includes(t));
        case 'tags-any':
          return tagList.some((t) => tags.includes(t));
        case 'not-tags':
          return !tagList.every((t) => tags.includes(t));
        case 'not-tags-any':
          return !tagList.some((t) => tags.includes(t));
        case 'fixed_ips':
          return fixedIpsMatch((d.fixed_ips as { subnet_id: string; ip_address: string }[]) ?? [], wanted);
        default:
          return valueMatches(d[k], wanted);
      }
    }),
  );
}

/** The first value of a filter on an indexed column, to narrow the query. */
export function indexed(filters: Filters, key: string): string[] | undefined {
  const v = filters[key];
  return v?.length ? v : undefined;
}
