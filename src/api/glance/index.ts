// The image API on port 9292.
import type { FastifyInstance } from 'fastify';
import type { Glance } from '../../services/glance/index.js';
import type { Keystone } from '../../services/keystone/index.js';
import type { Logger } from '../../sim/oslo-log.js';
import { versionRoutes } from '../discovery.js';
import { baseUrl } from '../http.js';
import { createServiceApi } from '../service-api.js';
import {
  glanceError,
  glanceMalformedJson,
  glanceNotFound,
  glanceTooLarge,
  glanceValidation,
} from './errors.js';
import { glanceRoutes } from './routes.js';

export interface GlanceApiOptions {
  keystone: Keystone;
  glance: Glance;
  identityRoot: string;
  log: Logger;
}

export function glanceApi(o: GlanceApiOptions): FastifyInstance {
  const app = createServiceApi({
    name: 'glance-api',
    keystone: o.keystone,
    identityRoot: o.identityRoot,
    log: o.log,
    public: (p) => p === '/' || p === '/versions',
    formatError: glanceError,
    malformedJson: glanceMalformedJson,
    tooLarge: glanceTooLarge,
    notFound: glanceNotFound,
    validation: glanceValidation,
  });
  // Glance's JSON answers say `application/json`, without a charset.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.getHeader('content-type') === 'application/json; charset=utf-8') reply.type('application/json');
    return payload;
  });
  versionRoutes(app, 'image', baseUrl);
  glanceRoutes(app, o.glance);
  return app;
}
