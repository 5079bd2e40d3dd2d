// /flavors (with os-flavor-manage, os-flavor-extra-specs, os-flavor-access) and /os-keypairs.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../services/errors.js';
import type { Nova, PublicFilter } from '../../services/nova/index.js';
import { isAdmin, type RequestContext } from '../../services/policy.js';
import { baseUrl, pyRepr } from '../http.js';
import { mv } from './microversion.js';
import { bool, fail, int, str, wrapped } from './validate.js';
import { flavorView, keypairView } from './views.js';

type Obj = Record<string, unknown>;
type Query = Record<string, string | string[] | undefined>;
const ctxOf = (r: FastifyRequest) => r.ctx as RequestContext;
const q1 = (r: FastifyRequest, k: string) => {
  const v = (r.query as Query)[k];
  return Array.isArray(v) ? v[0] : v;
};

/** `is_public`: true by default; `none` (any case) means both, for admins. */
function publicFilter(v: string | undefined): PublicFilter | undefined {
  if (v === undefined) return undefined;
  if (v.toLowerCase() === 'none') return null;
  if (/^(true|t|1|yes|y|on)$/i.test(v)) return true;
  if (/^(false|f|0|no|n|off)$/i.test(v)) return false;
  throw badRequest(`Invalid is_public filter [${v}]`);
}

const FLAVOR_ID = /^(?! )[a-zA-Z0-9. _-]+(?<! )$/;

export function flavorRoutes(app: FastifyInstance, nova: Nova): void {
  const fv = (r: FastifyRequest, f: Parameters<typeof flavorView>[1], brief = false) =>
    flavorView(baseUrl(r), f, mv(r), brief);

  for (const detail of [false, true])
    app.get(detail ? '/v2.1/flavors/detail' : '/v2.1/flavors', async (request) => {
      const minRam = q1(request, 'minRam');
      const minDisk = q1(request, 'minDisk');
      let rows = nova.flavors.list(ctxOf(request), {
        isPublic: publicFilter(q1(request, 'is_public')),
        minRam: minRam === undefined ? undefined : Number(minRam),
        minDisk: minDisk === undefined ? undefined : Number(minDisk),
      });
      const marker = q1(request, 'marker');
      if (marker !== undefined) {
        const i = rows.findIndex((f) => f.id === marker);
        if (i < 0) throw badRequest(`marker [${marker}] not found`);
        rows = rows.slice(i + 1);
      }
      const limit = q1(request, 'limit');
      if (limit !== undefined) rows = rows.slice(0, Number(limit));
      return { flavors: rows.map((f) => fv(request, f, !detail)) };
    });

  app.get('/v2.1/flavors/:id', async (request) => {
    const { id } = request.params as { id: string };
    return { flavor: fv(request, nova.flavors.get(ctxOf(request), id)) };
  });

  app.post('/v2.1/flavors', async (request) => {
    const f = wrapped(request.body, 'flavor');
    const name = (str(f, 'name', { required: true, min: 1, max: 255 }) as string).trim();
    if (name.length === 0)
      throw fail('name', `${pyRepr(f.name)} does not match '^(?! )[a-zA-Z0-9. _-]+(?<! )$'`, f.name);
    const id = f.id === undefined || f.id === null ? null : String(f.id);
    if (id !== null && !FLAVOR_ID.test(id))
      throw fail('id', `${pyRepr(f.id)} does not match '^(?! )[a-zA-Z0-9. _-]+(?<! )$'`, f.id);
    const isPublic = bool(f, 'os-flavor-access:is_public');
    const rxtx = f.rxtx_factor;
    if (rxtx !== undefined && (typeof rxtx !== 'number' || rxtx <= 0))
      throw fail('rxtx_factor', `${pyRepr(rxtx)} is less than or equal to the minimum of 0`, rxtx);
    const created = nova.flavors.create(ctxOf(request), {
      name,
      id,
      ram: int(f, 'ram', { required: true, min: 1 }) as number,
      vcpus: int(f, 'vcpus', { required: true, min: 1 }) as number,
      disk: int(f, 'disk', { required: true, min: 0 }) as number,
      ephemeral: int(f, 'OS-FLV-EXT-DATA:ephemeral'),
      swap: int(f, 'swap'),
      rxtxFactor: typeof rxtx === 'number' ? rxtx : undefined,
      isPublic,
      description: mv(request) >= 55 ? str(f, 'description', { max: 65535, nullable: true }) : undefined,
    });
    return { flavor: fv(request, created) };
  });

  app.put('/v2.1/flavors/:id', async (request) => {
    const { id } = request.params as { id: string };
    if (mv(request) < 55) throw badRequest('The resource could not be found.');
    const f = wrapped(request.body, 'flavor');
    const description = str(f, 'description', { required: true, max: 65535, nullable: true }) ?? null;
    return { flavor: fv(request, nova.flavors.setDescription(ctxOf(request), id, description)) };
  });

  app.delete('/v2.1/flavors/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    nova.flavors.delete(ctxOf(request), id);
    reply.code(202).send();
  });

  // ---- extra specs
  app.get('/v2.1/flavors/:id/os-extra_specs', async (request) => {
    const { id } = request.params as { id: string };
    return { extra_specs: nova.flavors.extraSpecs(ctxOf(request), id) };
  });
  app.post('/v2.1/flavors/:id/os-extra_specs', async (request) => {
    const { id } = request.params as { id: string };
    const specs = (request.body as Obj | undefined)?.extra_specs;
    if (typeof specs !== 'object' || specs === null || Array.isArray(specs))
      throw fail('extra_specs', `${pyRepr(specs)} is not of type 'object'`, specs);
    const clean: Record<string, string> = {};
    for (const [k, v] of Object.entries(specs)) {
      if (!/^[\w.:\- ]{1,255}$/.test(k))
        throw fail(
          'extra_specs',
          `Additional properties are not allowed (${pyRepr(k)} was unexpected)`,
          specs,
        );
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
        throw fail(k, `${pyRepr(v)} is not of type 'string', 'integer', 'number', 'boolean'`, v);
      clean[k] = typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v);
    }
    return { extra_specs: nova.flavors.setExtraSpecs(ctxOf(request), id, clean) };
  });
  app.get('/v2.1/flavors/:id/os-extra_specs/:key', async (request) => {
    const { id, key } = request.params as { id: string; key: string };
    return { [key]: nova.flavors.extraSpec(ctxOf(request), id, key) };
  });
  app.put('/v2.1/flavors/:id/os-extra_specs/:key', async (request) => {
    const { id, key } = request.params as { id: string; key: string };
    const b = request.body as Obj | undefined;
    if (!b || Object.keys(b).length !== 1 || !(key in b)) throw badRequest('Request body and URI mismatch');
    nova.flavors.setExtraSpecs(ctxOf(request), id, { [key]: String(b[key]) });
    return { [key]: String(b[key]) };
  });
  app.delete('/v2.1/flavors/:id/os-extra_specs/:key', async (request, reply) => {
    const { id, key } = request.params as { id: string; key: string };
    nova.flavors.deleteExtraSpec(ctxOf(request), id, key);
    reply.code(200).send();
  });

  // ---- access
  const accessView = (rows: { flavorId: string; projectId: string }[]) => ({
    flavor_access: rows.map((r) => ({ flavor_id: r.flavorId, tenant_id: r.projectId })),
  });
  app.get('/v2.1/flavors/:id/os-flavor-access', async (request) => {
    const { id } = request.params as { id: string };
    return accessView(nova.flavors.access(ctxOf(request), id));
  });
  app.post('/v2.1/flavors/:id/action', async (request) => {
    const { id } = request.params as { id: string };
    const b = request.body as Obj | undefined;
    const ctx = ctxOf(request);
    if (b?.addTenantAccess !== undefined) {
      const t = str(wrapped(b, 'addTenantAccess'), 'tenant', { required: true, min: 1, max: 255 }) as string;
      return accessView(nova.flavors.addAccess(ctx, id, t));
    }
    if (b?.removeTenantAccess !== undefined) {
      const t = str(wrapped(b, 'removeTenantAccess'), 'tenant', {
        required: true,
        min: 1,
        max: 255,
      }) as string;
      return accessView(nova.flavors.removeAccess(ctx, id, t));
    }
    throw badRequest(`There is no such action: ${Object.keys(b ?? {})[0] ?? ''}`);
  });

  // ---- key pairs
  const userParam = (r: FastifyRequest) => (mv(r) >= 10 ? q1(r, 'user_id') : undefined);
  app.get('/v2.1/os-keypairs', async (request) => {
    const limit = mv(request) >= 35 ? q1(request, 'limit') : undefined;
    const rows = nova.keypairs.list(ctxOf(request), {
      userId: userParam(request),
      limit: limit === undefined ? undefined : Number(limit),
      marker: mv(request) >= 35 ? q1(request, 'marker') : undefined,
    });
    return { keypairs: rows.map((k) => ({ keypair: keypairView(k, mv(request), 'list') })) };
  });
  app.get('/v2.1/os-keypairs/:name', async (request) => {
    const { name } = request.params as { name: string };
    return {
      keypair: keypairView(nova.keypairs.get(ctxOf(request), name, userParam(request)), mv(request), 'show'),
    };
  });
  app.post('/v2.1/os-keypairs', async (request, reply) => {
    const minor = mv(request);
    const k = wrapped(request.body, 'keypair');
    const name = str(k, 'name', { required: true, min: 1, max: 255 }) as string;
    // From 2.92 a public key is required: Nova stopped generating key pairs.
    const publicKey =
      minor >= 92 ? str(k, 'public_key', { required: true }) : str(k, 'public_key', { nullable: true });
    let type: string | undefined;
    if (minor < 2 && k.type !== undefined)
      throw fail('keypair', "Additional properties are not allowed ('type' was unexpected)", k);
    if (minor >= 2) {
      type = str(k, 'type');
      if (type !== undefined && type !== 'ssh' && type !== 'x509')
        throw fail('type', `${pyRepr(type)} is not one of ['ssh', 'x509']`, type);
    }
    const userId = minor >= 10 ? str(k, 'user_id') : undefined;
    if (userId !== undefined && userId !== ctxOf(request).userId && !isAdmin(ctxOf(request)))
      throw fail('user_id', 'Only admin may set user_id', userId);
    const created = nova.keypairs.create(ctxOf(request), {
      name,
      type,
      publicKey,
      userId,
      microversion292: minor >= 92,
    });
    // 200 at 2.1; 2.2 changed create to 201 (and delete from 202 to 204).
    reply.code(minor >= 2 ? 201 : 200);
    return { keypair: keypairView(created, minor, 'create') };
  });
  app.delete('/v2.1/os-keypairs/:name', async (request, reply) => {
    const { name } = request.params as { name: string };
    nova.keypairs.delete(ctxOf(request), name, userParam(request));
    reply.code(mv(request) >= 2 ? 204 : 202).send();
  });
}
