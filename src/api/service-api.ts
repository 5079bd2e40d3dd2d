// The shell every non-identity API shares: version documents without a token, then
// keystonemiddleware (a 401 without a valid X-Auth-Token), then the service's own routes.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ServiceError, unauthorized } from '../services/errors.js';
import type { Keystone } from '../services/keystone/index.js';
import type { Logger } from '../sim/oslo-log.js';
import { authenticate, middleware401Body } from './auth.js';
import { createApi, describeValidation, type ErrorReply } from './http.js';

export interface ServiceApiOptions {
  name: string;
  keystone: Keystone;
  /** Keystone's public root (no /v3), for WWW-Authenticate. */
  identityRoot: string;
  log: Logger;
  bodyLimit?: number;
  /** Paths answered without a token (version discovery). */
  public: (path: string) => boolean;
  formatError: (e: ServiceError, request: FastifyRequest) => ErrorReply;
  malformedJson: () => ServiceError;
  tooLarge: () => ServiceError;
  notFound: (request: FastifyRequest, reply: FastifyReply) => unknown;
  validation: (field: string, reason: string, value: unknown) => ServiceError;
  headers?: (request: FastifyRequest) => Record<string, string>;
  accessLine?: (request: FastifyRequest, reply: FastifyReply, seconds: number) => string;
}

export function createServiceApi(o: ServiceApiOptions): FastifyInstance {
  const app = createApi(
    {
      name: o.name,
      log: o.log,
      bodyLimit: o.bodyLimit ?? 1024 * 1024,
      formatError: (e, request) => {
        // keystonemiddleware answers before the service: its own 401 text, whatever the service.
        if (e.status === 401 && e.message === unauthorized().message)
          return {
            status: 401,
            body: middleware401Body,
            contentType: 'text/plain; charset=UTF-8',
            headers: { 'WWW-Authenticate': `Keystone uri="${o.identityRoot}"` },
          };
        return o.formatError(e, request);
      },
      malformedJson: o.malformedJson,
      tooLarge: o.tooLarge,
      notFound: (request, reply) => {
        authenticate(o.keystone.tokens, request);
        return o.notFound(request, reply);
      },
      headers: o.headers,
      accessLine: o.accessLine,
    },
    (v, body) => {
      const d = describeValidation(v, body);
      return o.validation(d.field, d.reason, d.value);
    },
  );
  app.addHook('preHandler', async (request) => {
    const path = request.url.split('?')[0];
    if (!o.public(path)) authenticate(o.keystone.tokens, request);
  });
  return app;
}
