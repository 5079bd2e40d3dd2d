// The version documents of Nova, Glance and Neutron (reference/api-*.md), and keystonemiddleware's
// 401 for everything else until a service's own API is mounted on its port.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const NOVA_MAX_MICROVERSION_DEFAULT = '2.91';

export function novaVersionV21(base: string, maxVersion: string) {
  return {
    id: 'v2.1',
    status: 'CURRENT',
    version: maxVersion,
    min_version: '2.1',
    updated: '2013-07-23T11:33:21Z',
    links: [
      { rel: 'self', href: `${base}/v2.1/` },
      { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' },
    ],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
  };
}

export function novaVersions(base: string, maxVersion: string) {
  return {
    versions: [
      {
        id: 'v2.0',
        status: 'SUPPORTED',
        version: '',
        min_version: '',
        updated: '2011-01-21T11:33:21Z',
        links: [{ rel: 'self', href: `${base}/v2/` }],
      },
      {
        id: 'v2.1',
        status: 'CURRENT',
        version: maxVersion,
        min_version: '2.1',
        updated: '2013-07-23T11:33:21Z',
        links: [{ rel: 'self', href: `${base}/v2.1/` }],
      },
    ],
  };
}

const glanceVersionIds = ['v2.15', 'v2.9', 'v2.7', 'v2.6', 'v2.5', 'v2.4', 'v2.3', 'v2.2', 'v2.1', 'v2.0'];
export function glanceVersions(base: string) {
  return {
    versions: glanceVersionIds.map((id, i) => ({
      id,
      status: i === 0 ? 'CURRENT' : 'SUPPORTED',
      links: [{ rel: 'self', href: `${base}/v2/` }],
    })),
  };
}

export function neutronVersions(base: string) {
  return { versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${base}/v2.0/` }] }] };
}

export function versionRoutes(
  app: FastifyInstance,
  service: 'compute' | 'image' | 'network',
  base: (r: FastifyRequest) => string,
  novaMax = NOVA_MAX_MICROVERSION_DEFAULT,
): void {
  if (service === 'compute') {
    app.get('/', async (request: FastifyRequest, reply: FastifyReply) => {
      reply.code(200);
      return novaVersions(base(request), novaMax);
    });
    for (const p of ['/v2.1', '/v2.1/'])
      app.get(p, async (request) => ({ version: novaVersionV21(base(request), novaMax) }));
  } else if (service === 'image') {
    app.get('/', async (request, reply) => {
      reply.code(300);
      return glanceVersions(base(request));
    });
    app.get('/versions', async (request) => glanceVersions(base(request)));
  } else {
    app.get('/', async (request) => neutronVersions(base(request)));
  }
}
