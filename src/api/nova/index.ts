// The compute API on port 8774.
import type { FastifyInstance } from 'fastify';
import type { Keystone } from '../../services/keystone/index.js';
import type { Logger } from '../../sim/oslo-log.js';
import { NOVA_MAX_MICROVERSION_DEFAULT, versionRoutes } from '../discovery.js';
import { baseUrl } from '../http.js';
import { createServiceApi } from '../service-api.js';
import { novaError, novaMalformedJson, novaNotFound, novaTooLarge, novaValidation } from './errors.js';

export interface NovaApiOptions {
  keystone: Keystone;
  identityRoot: string;
  log: Logger;
  maxMicroversion?: string;
}

export function novaApi(o: NovaApiOptions): FastifyInstance {
  const app = createServiceApi({
    name: 'nova-api',
    keystone: o.keystone,
    identityRoot: o.identityRoot,
    log: o.log,
    public: (p) => p === '/' || p === '/v2.1' || p === '/v2.1/',
    formatError: novaError,
    malformedJson: novaMalformedJson,
    tooLarge: novaTooLarge,
    notFound: novaNotFound,
    validation: novaValidation,
    // novaclient reads x-compute-request-id for "(Request-ID: …)".
    headers: (request) => ({ 'x-compute-request-id': request.id }),
  });
  versionRoutes(app, 'compute', baseUrl, o.maxMicroversion ?? NOVA_MAX_MICROVERSION_DEFAULT);
  return app;
}
