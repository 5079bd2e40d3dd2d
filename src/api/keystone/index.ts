// The identity API on port 5000.
import type { FastifyInstance } from 'fastify';
import type { Keystone } from '../../services/keystone/index.js';
import type { Logger } from '../../sim/oslo-log.js';
import { createApi } from '../http.js';
import {
  keystoneError,
  keystoneMalformedJson,
  keystoneNotFound,
  keystoneTooLarge,
  keystoneValidation,
} from './errors.js';
import { keystoneRoutes } from './routes.js';

/** Keystone's max_request_body_size default (114688 bytes). */
export const KEYSTONE_BODY_LIMIT = 114688;

export function keystoneApi(ks: Keystone, log: Logger): FastifyInstance {
  const app = createApi(
    {
      name: 'keystone',
      log,
      bodyLimit: KEYSTONE_BODY_LIMIT,
      formatError: keystoneError,
      malformedJson: keystoneMalformedJson,
      tooLarge: keystoneTooLarge,
      notFound: keystoneNotFound,
    },
    keystoneValidation,
  );
  keystoneRoutes(app, ks);
  return app;
}
