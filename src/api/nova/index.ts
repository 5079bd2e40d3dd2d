// The compute API on port 8774.
import type { FastifyInstance } from 'fastify';
import type { Keystone } from '../../services/keystone/index.js';
import type { Nova } from '../../services/nova/index.js';
import type { Logger } from '../../sim/oslo-log.js';
import { NOVA_MAX_MICROVERSION_DEFAULT, versionRoutes } from '../discovery.js';
import { baseUrl } from '../http.js';
import { createServiceApi } from '../service-api.js';
import { novaError, novaMalformedJson, novaNotFound, novaTooLarge, novaValidation } from './errors.js';
import { mv, negotiate, parseMinor, versionHeaders } from './microversion.js';
import { flavorRoutes } from './routes-flavors.js';
import { hostRoutes } from './routes-hosts.js';
import { instanceActionRoutes } from './routes-instance-actions.js';
import { securityGroupRoutes } from './routes-security-groups.js';
import { serverRoutes } from './routes-servers.js';

export interface NovaApiOptions {
  keystone: Keystone;
  identityRoot: string;
  log: Logger;
  /** The services; without them the port answers version discovery only. */
  nova?: Nova;
  /** The highest microversion advertised and accepted (default 2.91: see docs/nova.md). */
  maxMicroversion?: string;
}

export function novaApi(o: NovaApiOptions): FastifyInstance {
  const max = o.maxMicroversion ?? NOVA_MAX_MICROVERSION_DEFAULT;
  const maxMinor = parseMinor(max);
  // nova's requestlog middleware words its line with the microversion the request was served at.
  const served = new Map<string, number>();
  const log: Logger = {
    ...o.log,
    info: (line, ctx) => {
      const m = /^(\S+) "(\S+) (\S+) HTTP\/1\.1" status: (\d+) {2}len: (\S+) time: ([\d.]+)$/.exec(line);
      if (!m || !ctx?.requestId) return o.log.info(line, ctx);
      const minor = served.get(ctx.requestId) ?? 1;
      served.delete(ctx.requestId);
      o.log.info(
        `${m[1]} "${m[2]} ${m[3]}" status: ${m[4]} len: ${m[5]} microversion: 2.${minor} time: ${Number(m[6]).toFixed(6)}`,
        ctx,
      );
    },
  };
  const app = createServiceApi({
    name: 'nova-api',
    keystone: o.keystone,
    identityRoot: o.identityRoot,
    log,
    public: (p) => p === '/' || p === '/v2.1' || p === '/v2.1/',
    formatError: novaError,
    malformedJson: novaMalformedJson,
    tooLarge: novaTooLarge,
    notFound: novaNotFound,
    validation: novaValidation,
    // novaclient reads x-compute-request-id for "(Request-ID: …)"; every answer names its microversion.
    headers: (request) => ({ 'x-compute-request-id': request.id, ...versionHeaders(mv(request)) }),
  });
  app.addHook('onRequest', async (request) => {
    request.novaMinor = negotiate(request, maxMinor);
    served.set(request.id, request.novaMinor);
  });
  versionRoutes(app, 'compute', baseUrl, max);
  if (o.nova) {
    serverRoutes(app, o.nova);
    flavorRoutes(app, o.nova);
    hostRoutes(app, o.nova);
    instanceActionRoutes(app, o.nova);
    securityGroupRoutes(app, o.nova);
  }
  return app;
}
