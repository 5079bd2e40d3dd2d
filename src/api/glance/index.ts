// The image API on port 9292.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** glance-api runs under eventlet's WSGI server, whose access line this is (its default log_format). */
export function eventletAccessLine(
  request: FastifyRequest,
  reply: FastifyReply,
  seconds: number,
  at = new Date(),
) {
  const when = `${two(at.getDate())}/${MONTHS[at.getMonth()]}/${at.getFullYear()} ${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
  const length = reply.getHeader('content-length') ?? 0;
  return `${request.ip} - - [${when}] "${request.method} ${request.url} HTTP/1.1" ${reply.statusCode} ${length} ${seconds.toFixed(6)}`;
}

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
    accessLine: eventletAccessLine,
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
