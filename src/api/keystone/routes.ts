// Keystone v3 routes: thin handlers over services/keystone.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Keystone } from '../../services/keystone/index.js';
import { authenticate } from '../auth.js';
import { authRoutes } from './auth-routes.js';
import { grantRoutes } from './grant-routes.js';
import { resourceRoutes } from './resources.js';

export { keystoneVersion } from './auth-routes.js';

export function keystoneRoutes(app: FastifyInstance, ks: Keystone): void {
  const auth = (r: FastifyRequest) => authenticate(ks.tokens, r);
  authRoutes(app, ks, auth);
  resourceRoutes(app, ks, auth);
  grantRoutes(app, ks, auth);
}
