// Keystone's error body: {"error": {"code", "message", "title"}} (keystone/exception.py).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, ServiceError } from '../../services/errors.js';
import { baseUrl, describeValidation, type ErrorReply } from '../http.js';

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

export function keystoneError(e: ServiceError, request: FastifyRequest): ErrorReply {
  const headers: Record<string, string> = {};
  if (e.status === 401) headers['WWW-Authenticate'] = `Keystone uri="${baseUrl(request)}/v3"`;
  return {
    status: e.status,
    body: { error: { code: e.status, message: e.message, title: titles[e.status] ?? 'Error' } },
    headers,
  };
}

const suffix =
  ' The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.';
export const keystoneMalformedJson = () =>
  badRequest(`Expecting to find valid JSON in request body.${suffix}`);
export const keystoneTooLarge = () => new ServiceError('RequestTooLarge', 'Request is too large.');

export function keystoneValidation(v: Parameters<typeof describeValidation>[0], body: unknown): ServiceError {
  const { field, reason } = describeValidation(v, body);
  return badRequest(field ? `Invalid input for field '${field}': ${reason}` : `Invalid input: ${reason}`);
}

/** Flask's own 404 page: Keystone answers unknown paths with HTML, not its JSON error. */
export function keystoneNotFound(_request: FastifyRequest, reply: FastifyReply) {
  reply
    .code(404)
    .type('text/html; charset=utf-8')
    .send(
      '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n',
    );
}
