// Neutron's error body: {"NeutronError": {"type", "message", "detail"}} (neutron_lib.exceptions).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, ServiceError } from '../../services/errors.js';
import type { ErrorReply } from '../http.js';

const defaultTypes: Record<number, string> = {
  400: 'HTTPBadRequest',
  403: 'HTTPForbidden',
  404: 'HTTPNotFound',
  405: 'HTTPMethodNotAllowed',
  409: 'HTTPConflict',
  413: 'HTTPRequestEntityTooLarge',
  415: 'HTTPUnsupportedMediaType',
  500: 'HTTPInternalServerError',
  503: 'HTTPServiceUnavailable',
};

export function neutronError(e: ServiceError): ErrorReply {
  return {
    status: e.status,
    body: {
      NeutronError: {
        type: e.type ?? defaultTypes[e.status] ?? 'NeutronException',
        message: e.message,
        detail: '',
      },
    },
  };
}
export const neutronMalformedJson = () => badRequest('Malformed request body', 'HTTPBadRequest');
export const neutronTooLarge = () =>
  new ServiceError('RequestTooLarge', 'Request is too large.', 'HTTPRequestEntityTooLarge');
export const neutronValidation = (field: string, reason: string) =>
  badRequest(`Invalid input for ${field}. Reason: ${reason}.`, 'HTTPBadRequest');
export function neutronNotFound(_request: FastifyRequest, reply: FastifyReply) {
  reply.code(404).type('application/json');
  return { NeutronError: { type: 'HTTPNotFound', message: 'The resource could not be found.', detail: '' } };
}
