// Nova's error body: {"<name>": {"code", "message"}} (nova/api/openstack/wsgi.py Fault).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, ServiceError } from '../../services/errors.js';
import { type ErrorReply, pyRepr } from '../http.js';

const names: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

export function novaError(e: ServiceError): ErrorReply {
  return {
    status: e.status,
    body: { [names[e.status] ?? 'computeFault']: { code: e.status, message: e.message } },
  };
}
export const novaMalformedJson = () => badRequest('Malformed request body');
export const novaTooLarge = () =>
  new ServiceError('RequestTooLarge', 'Request is too large.', undefined, 413);
export const novaValidation = (field: string, reason: string, value: unknown) =>
  badRequest(
    `Invalid input for field/attribute ${field}. Value: ${typeof value === 'string' ? value : pyRepr(value)}. ${reason}`,
  );
export function novaNotFound(_request: FastifyRequest, reply: FastifyReply) {
  reply.code(404).type('application/json');
  return { itemNotFound: { code: 404, message: 'The resource could not be found.' } };
}
