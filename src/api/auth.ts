// keystonemiddleware, in process: every service API validates the caller's X-Auth-Token with
// Keystone's token provider and gets the request context the policies read.
import type { FastifyRequest } from 'fastify';
import { unauthorized } from '../services/errors.js';
import type { Tokens } from '../services/keystone/index.js';
import type { RequestContext } from '../services/policy.js';
import { header } from './http.js';

export function authenticate(tokens: Tokens, request: FastifyRequest): RequestContext {
  if (request.ctx) return request.ctx;
  const token = header(request, 'x-auth-token');
  if (!token) throw unauthorized();
  let ctx: RequestContext;
  try {
    ctx = tokens.contextOf(tokens.validate(token), request.id);
  } catch {
    throw unauthorized();
  }
  request.ctx = ctx;
  return ctx;
}

/** keystonemiddleware's 401 body, as webob renders it (captured from Glance; Nova and Neutron use the same middleware). */
export const middleware401Body =
  '401 Unauthorized\n\nThis server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.\n\n   ';
