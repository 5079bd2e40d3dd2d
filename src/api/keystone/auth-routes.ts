// Keystone's version documents, tokens and /v3/auth/*.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, notFound } from '../../services/errors.js';
import { type Keystone, TokenInvalid } from '../../services/keystone/index.js';
import type { RequestContext } from '../../services/policy.js';
import { baseUrl, header } from '../http.js';
import { q } from './request-args.js';
import { domainView, listLinks, projectView, tokenView } from './views.js';

export const keystoneVersion = (base: string) => ({
  id: 'v3.14',
  status: 'stable',
  updated: '2020-04-07T00:00:00Z',
  links: [{ rel: 'self', href: `${base}/v3/` }],
  'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
});

export function authRoutes(
  app: FastifyInstance,
  ks: Keystone,
  auth: (r: FastifyRequest) => RequestContext,
): void {
  const { identity, tokens } = ks;
  // ---- version discovery
  app.get('/', async (request, reply) => {
    const base = baseUrl(request);
    reply.code(300).header('Location', `${base}/v3/`);
    return { versions: { values: [keystoneVersion(base)] } };
  });
  for (const path of ['/v3', '/v3/'])
    app.get(path, async (request) => ({ version: keystoneVersion(baseUrl(request)) }));

  // ---- tokens
  app.post('/v3/auth/tokens', async (request, reply) => {
    const body = request.body as { auth?: unknown } | undefined;
    if (body === undefined || typeof body !== 'object' || body === null)
      throw badRequest(
        'Expecting to find auth in request body. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.',
      );
    const data = await tokens.issue(body.auth);
    reply.code(201).header('X-Subject-Token', data.id);
    return tokenView(data, q(request, 'nocatalog') !== undefined ? null : tokens.catalogFor(data));
  });
  const subject = (request: FastifyRequest) => {
    const ctx = auth(request);
    const id = header(request, 'x-subject-token');
    if (!id) throw notFound('Could not find token: None.');
    try {
      const data = tokens.validate(id);
      tokens.checkValidatePolicy(ctx, data);
      return data;
    } catch (e) {
      if (e instanceof TokenInvalid) throw notFound(e.message);
      throw e;
    }
  };
  app.get('/v3/auth/tokens', async (request, reply) => {
    const data = subject(request);
    reply.header('X-Subject-Token', data.id);
    return tokenView(data, q(request, 'nocatalog') !== undefined ? null : tokens.catalogFor(data));
  });
  // HEAD /v3/auth/tokens comes from the GET route (Fastify answers HEAD with the GET's headers).
  app.delete('/v3/auth/tokens', async (request, reply) => {
    const ctx = auth(request);
    const id = header(request, 'x-subject-token');
    if (!id) throw notFound('Could not find token: None.');
    try {
      tokens.revoke(ctx, id);
    } catch (e) {
      if (e instanceof TokenInvalid) throw notFound(e.message);
      throw e;
    }
    reply.code(204).send();
  });
  app.get('/v3/auth/catalog', async (request) => {
    const ctx = auth(request);
    const data = tokens.validate(ctx.token);
    return { catalog: tokens.catalogFor(data), links: listLinks(baseUrl(request), '/v3/auth/catalog') };
  });
  app.get('/v3/auth/projects', async (request) => {
    const ctx = auth(request);
    const base = baseUrl(request);
    return {
      projects: identity
        .projectsOfUser(ctx.userId)
        .filter((p) => p.enabled)
        .map((p) => projectView(base, p)),
      links: listLinks(base, '/v3/auth/projects'),
    };
  });
  app.get('/v3/auth/domains', async (request) => {
    const ctx = auth(request);
    const base = baseUrl(request);
    const ids = new Set(
      identity
        .effectiveAssignments(ctx.userId)
        .filter((a) => a.type.endsWith('Domain'))
        .map((a) => a.targetId),
    );
    return {
      domains: identity.repo
        .listDomains()
        .filter((d) => ids.has(d.id))
        .map((d) => domainView(base, d)),
      links: listLinks(base, '/v3/auth/domains'),
    };
  });
  app.get('/v3/auth/system', async (request) => {
    const ctx = auth(request);
    const system = identity.rolesOn(ctx.userId, { type: 'system' }).length > 0 ? [{ all: true }] : [];
    return { system, links: listLinks(baseUrl(request), '/v3/auth/system') };
  });
}
