// Glance answers errors as webob renders them: a short HTML page for browsers and `*/*`, the
// same words as text/plain or JSON when asked (reference/real-glance/).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, ServiceError } from '../../services/errors.js';
import { type ErrorReply, header } from '../http.js';

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function glanceError(e: ServiceError, request: FastifyRequest): ErrorReply {
  const title = titles[e.status] ?? 'Error';
  const accept = header(request, 'accept') ?? '*/*';
  if (accept.includes('application/json'))
    return { status: e.status, body: { code: e.status, title, message: e.message } };
  return {
    status: e.status,
    contentType: 'text/html; charset=UTF-8',
    body: `<html>\n <head>\n  <title>${e.status} ${title}</title>\n </head>\n <body>\n  <h1>${e.status} ${title}</h1>\n  ${e.message}<br /><br />\n\n\n\n </body>\n</html>`,
  };
}
export const glanceMalformedJson = () => badRequest('Body expected in request.');
export const glanceTooLarge = () =>
  new ServiceError('RequestTooLarge', 'Image exceeds the storage quota.', undefined, 413);
export const glanceValidation = (_field: string, reason: string) => badRequest(reason);
export function glanceNotFound(_request: FastifyRequest, reply: FastifyReply) {
  reply.code(404).type('text/plain; charset=UTF-8');
  return '404 Not Found\n\nThe resource could not be found.\n\n   ';
}
