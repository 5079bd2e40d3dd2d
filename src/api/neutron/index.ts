// The network API on port 9696.
import type { FastifyInstance } from 'fastify';
import type { Keystone } from '../../services/keystone/index.js';
import type { Neutron } from '../../services/neutron/index.js';
import type { Logger } from '../../sim/oslo-log.js';
import { versionRoutes } from '../discovery.js';
import { baseUrl } from '../http.js';
import { createServiceApi } from '../service-api.js';
import {
  neutronError,
  neutronMalformedJson,
  neutronNotFound,
  neutronTooLarge,
  neutronValidation,
} from './errors.js';
import { neutronRoutes } from './routes.js';

export interface NeutronApiOptions {
  keystone: Keystone;
  identityRoot: string;
  log: Logger;
  /** The service behind the routes (absent: version discovery only). */
  neutron?: Neutron;
}

export function neutronApi(o: NeutronApiOptions): FastifyInstance {
  const app = createServiceApi({
    name: 'neutron-server',
    keystone: o.keystone,
    identityRoot: o.identityRoot,
    log: o.log,
    public: (p) => p === '/',
    formatError: neutronError,
    malformedJson: neutronMalformedJson,
    tooLarge: neutronTooLarge,
    notFound: neutronNotFound,
    validation: neutronValidation,
  });
  versionRoutes(app, 'network', baseUrl);
  if (o.neutron) neutronRoutes(app, o.neutron);
  return app;
}
