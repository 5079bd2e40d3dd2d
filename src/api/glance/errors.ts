// Glance answers errors as webob renders them (reference/real-glance/): an HTML page when the
// request's Accept takes text/html (the CLIs send `*/*`), JSON when it asks for JSON, else
// text/plain — the same body template either way:
//   "${explanation}<br /><br />\n${detail}\n${comment}\n"
// with newlines folded to spaces and <br /> turned into newlines for text/plain.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, notFound, ServiceError } from '../../services/errors.js';
import { DetailedError } from '../../services/glance/index.js';
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
  416: 'Requested Range Not Satisfiable',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** webob's default explanations, shown before a detail. */
const explanations: Record<number, string> = {
  400: 'The server could not comply with the request since it is either malformed or otherwise incorrect.',
  403: 'Access was denied to this resource.',
  404: 'The resource could not be found.',
  409: 'There was a conflict when trying to complete your request.',
};

/** webob errors whose body is their own template, not explanation + detail (415, 405). */
export class TemplatedError extends ServiceError {
  constructor(
    kind: ConstructorParameters<typeof ServiceError>[0],
    readonly text: string,
    readonly headers: Record<string, string>,
  ) {
    super(kind, text);
  }
}

export class UnsupportedMediaType extends TemplatedError {
  constructor(mediaType: string) {
    super('UnsupportedMediaType', `The request media type ${mediaType} is not supported by this server.`, {
      'Accept-Patch': ACCEPT_PATCH,
    });
  }
}

export class MethodNotAllowed extends TemplatedError {
  constructor(method: string, allow: string) {
    super('MethodNotAllowed', `The method ${method} is not allowed for this resource.`, { Allow: allow });
  }
}

const escapeHtml = (s: string) =>
  s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#x27;');

/** webob's strip_tags. */
const stripTags = (s: string) =>
  s
    .replaceAll('\n', ' ')
    .replaceAll('\r', '')
    .replace(/<br.*?>/gi, '\n')
    .replace(/<!--.*?-->/g, '')
    .replace(/<.*?>/g, '');

type Offer = 'html' | 'json' | 'plain';
/** webob's acceptable_offers(['text/html', 'application/json']), text/plain when neither. */
export function errorOffer(accept: string | undefined): Offer {
  let best: Offer = 'plain';
  let bestQ = 0;
  for (const offer of ['html', 'json'] as const) {
    const [type, sub] = offer === 'html' ? ['text', 'html'] : ['application', 'json'];
    let q = 0;
    let specificity = -1;
    for (const part of (accept ?? '').split(',')) {
      const [range, ...params] = part.trim().toLowerCase().split(';');
      const [t, s] = range.trim().split('/');
      const spec =
        t === type && s === sub ? 2 : t === type && s === '*' ? 1 : t === '*' && s === '*' ? 0 : -1;
      if (spec <= specificity) continue;
      specificity = spec;
      const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      q = qp ? Number(qp.slice(2)) || 0 : 1;
    }
    if (q > bestQ) {
      best = offer;
      bestQ = q;
    }
  }
  return best;
}

function body(e: ServiceError, esc: (s: string) => string): string {
  if (e instanceof TemplatedError) return `${esc(e.text)}\n<br /><br />\n`;
  const detailed = e instanceof DetailedError;
  const explanation = detailed ? (explanations[e.status] ?? '') : e.message;
  const detail = detailed ? e.detail : '';
  return `${esc(explanation)}<br /><br />\n${esc(detail)}\n\n`;
}

export function glanceError(e: ServiceError, request: FastifyRequest): ErrorReply {
  const status = `${e.status} ${titles[e.status] ?? 'Error'}`;
  const offer = errorOffer(header(request, 'accept'));
  const headers = e instanceof TemplatedError ? e.headers : undefined;
  if (offer === 'html')
    return {
      status: e.status,
      contentType: 'text/html; charset=UTF-8',
      headers,
      body: `<html>\n <head>\n  <title>${status}</title>\n </head>\n <body>\n  <h1>${status}</h1>\n  ${body(e, escapeHtml)}\n </body>\n</html>`,
    };
  // webob's JSON error carries the body template as is, <br /> and all.
  if (offer === 'json')
    return {
      status: e.status,
      headers,
      body: { message: body(e, (s) => s), code: status, title: titles[e.status] ?? 'Error' },
    };
  const text = stripTags(body(e, (s) => s));
  return {
    status: e.status,
    contentType: 'text/plain; charset=UTF-8',
    headers,
    body: `${status}\n\n${text}`,
  };
}

export const ACCEPT_PATCH =
  'application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch';
export const glanceMalformedJson = () => badRequest('Malformed JSON in request body.');
export const glanceTooLarge = () =>
  new ServiceError('RequestTooLarge', 'Request Entity Too Large', undefined, 413);
export const glanceValidation = (_field: string, reason: string) => badRequest(reason);
export function glanceNotFound(request: FastifyRequest, reply: FastifyReply) {
  const r = glanceError(notFound('The resource could not be found.'), request);
  reply.code(r.status).type(r.contentType ?? 'application/json');
  return typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
}
