// Glance v2 routes: thin handlers over services/glance. Call sequences of the real clients are
// in reference/real-glance/cli-traces/.
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, notFound, ServiceError } from '../../services/errors.js';
import {
  type Glance,
  IMPORT_METHODS,
  imageSchema,
  imagesSchema,
  memberSchema,
  membersSchema,
  PATCH_MEDIA_TYPES,
  parseChanges,
} from '../../services/glance/index.js';
import type { RequestContext } from '../../services/policy.js';
import { baseUrl, header } from '../http.js';
import { MethodNotAllowed, UnsupportedMediaType } from './errors.js';
import { imageListView, imageView, memberView } from './views.js';

type Params = { id: string; tag: string; member: string };

const ctxOf = (request: FastifyRequest): RequestContext => request.ctx as RequestContext;
const mediaType = (request: FastifyRequest) => (header(request, 'content-type') ?? '').split(';')[0].trim();

/** 204 as Glance sends it: text/html, no body. */
const noContent = (reply: FastifyReply) => reply.code(204).type('text/html; charset=UTF-8').send();

function queryParams(request: FastifyRequest): [string, string][] {
  const q = request.url.indexOf('?');
  return q < 0 ? [] : [...new URLSearchParams(request.url.slice(q + 1))];
}

/** `Range: bytes=a-b` (one range, as Glance serves), inclusive offsets within the image. */
export function parseRange(
  value: string | undefined,
  size: number,
): { start: number; end: number } | undefined {
  if (!value) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size)
    throw new ServiceError('BadRequest', 'Requested range not satisfiable', undefined, 416);
  return { start, end };
}

export function glanceRoutes(app: FastifyInstance, glance: Glance): void {
  // Image data arrives as a stream: handed to the service untouched, never buffered here.
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));

  app.get('/v2/images', async (request) => {
    const params = queryParams(request);
    const page = glance.listImages(ctxOf(request), params);
    return imageListView(page.images, params, page.nextMarker);
  });

  app.post('/v2/images', async (request, reply) => {
    if (request.body === undefined) throw badRequest('Body expected in request.');
    const image = glance.createImage(ctxOf(request), request.body);
    reply
      .code(201)
      .header('Location', `${baseUrl(request)}/v2/images/${image.id}`)
      .header('OpenStack-image-import-methods', IMPORT_METHODS.join(','));
    return imageView(image);
  });

  app.get<{ Params: Params }>('/v2/images/:id', async (request) =>
    imageView(glance.getImage(ctxOf(request), request.params.id)),
  );

  app.patch<{ Params: Params }>('/v2/images/:id', async (request) => {
    const version = PATCH_MEDIA_TYPES[mediaType(request)];
    if (!version) throw new UnsupportedMediaType(mediaType(request) || 'None');
    if (request.body === undefined) throw badRequest('Body expected in request.');
    const changes = parseChanges(request.body, version);
    return imageView(glance.updateImage(ctxOf(request), request.params.id, changes));
  });

  app.delete<{ Params: Params }>('/v2/images/:id', async (request, reply) => {
    glance.deleteImage(ctxOf(request), request.params.id);
    return noContent(reply);
  });

  for (const action of ['deactivate', 'reactivate'] as const)
    app.post<{ Params: Params }>(`/v2/images/:id/actions/${action}`, async (request, reply) => {
      glance.setActive(ctxOf(request), request.params.id, action === 'reactivate');
      return noContent(reply);
    });

  app.put<{ Params: Params }>('/v2/images/:id/tags/:tag', async (request, reply) => {
    glance.addTag(ctxOf(request), request.params.id, request.params.tag);
    return noContent(reply);
  });
  app.delete<{ Params: Params }>('/v2/images/:id/tags/:tag', async (request, reply) => {
    glance.deleteTag(ctxOf(request), request.params.id, request.params.tag);
    return noContent(reply);
  });

  app.put<{ Params: Params }>('/v2/images/:id/file', async (request, reply) => {
    if (mediaType(request) !== 'application/octet-stream')
      throw new UnsupportedMediaType(mediaType(request) || 'None');
    const length = header(request, 'content-length');
    const body = request.body as Readable;
    await glance.upload(
      ctxOf(request),
      request.params.id,
      body,
      length === undefined ? undefined : Number(length),
    );
    return noContent(reply);
  });

  // Interoperable image import: stage the data, then import it (202, the import runs on).
  app.put<{ Params: Params }>('/v2/images/:id/stage', async (request, reply) => {
    if (mediaType(request) !== 'application/octet-stream')
      throw new UnsupportedMediaType(mediaType(request) || 'None');
    await glance.imports.stage(ctxOf(request), request.params.id, request.body as Readable);
    return noContent(reply);
  });
  app.post<{ Params: Params }>('/v2/images/:id/import', async (request, reply) => {
    glance.imports.start(ctxOf(request), request.params.id, request.body);
    return reply.code(202).type('text/html; charset=UTF-8').send();
  });

  app.get<{ Params: Params }>('/v2/images/:id/file', async (request, reply) => {
    const { image, open } = glance.readData(ctxOf(request), request.params.id);
    if (!open || image.size === null) return reply.code(204).header('Content-Length', '0').send();
    const range = parseRange(header(request, 'range'), image.size);
    reply.type('application/octet-stream');
    if (image.checksum) reply.header('Content-MD5', image.checksum);
    if (!range || image.size === 0) {
      reply.header('Content-Length', String(image.size));
      return reply.send(open());
    }
    reply
      .code(206)
      .header('Content-Range', `bytes ${range.start}-${range.end}/${image.size}`)
      .header('Content-Length', String(range.end - range.start + 1));
    return reply.send(open(range.start, range.end));
  });

  // Image members: owner shares, member accepts (glance member-create / member-update).
  app.post<{ Params: Params }>('/v2/images/:id/members', async (request) =>
    memberView(glance.members.add(ctxOf(request), request.params.id, request.body)),
  );
  app.get<{ Params: Params }>('/v2/images/:id/members', async (request) => ({
    members: glance.members.list(ctxOf(request), request.params.id).map(memberView),
    schema: '/v2/schemas/members',
  }));
  app.get<{ Params: Params }>('/v2/images/:id/members/:member', async (request) =>
    memberView(glance.members.get(ctxOf(request), request.params.id, request.params.member)),
  );
  app.put<{ Params: Params }>('/v2/images/:id/members/:member', async (request) =>
    memberView(
      glance.members.setStatus(ctxOf(request), request.params.id, request.params.member, request.body),
    ),
  );
  app.delete<{ Params: Params }>('/v2/images/:id/members/:member', async (request, reply) => {
    glance.members.remove(ctxOf(request), request.params.id, request.params.member);
    return noContent(reply);
  });

  const schemas: Record<string, unknown> = {
    image: imageSchema,
    images: imagesSchema,
    member: memberSchema,
    members: membersSchema,
  };
  app.get<{ Params: { name: string } }>('/v2/schemas/:name', async (request) => {
    const s = schemas[request.params.name];
    if (!s) throw notFound('The resource could not be found.');
    return s;
  });

  // Glance's router answers other methods on its paths with 405 and the allowed ones.
  const allowed: [string, string[]][] = [
    ['/v2/images', ['GET', 'POST']],
    ['/v2/images/:id', ['GET', 'PATCH', 'DELETE']],
    ['/v2/images/:id/file', ['GET', 'PUT']],
    ['/v2/images/:id/stage', ['PUT']],
    ['/v2/images/:id/import', ['POST']],
    ['/v2/images/:id/actions/deactivate', ['POST']],
    ['/v2/images/:id/actions/reactivate', ['POST']],
    ['/v2/images/:id/tags/:tag', ['PUT', 'DELETE']],
    ['/v2/images/:id/members', ['GET', 'POST']],
    ['/v2/images/:id/members/:member', ['GET', 'PUT', 'DELETE']],
    ['/v2/schemas/:name', ['GET']],
  ];
  for (const [url, methods] of allowed) {
    const others = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => !methods.includes(m));
    app.route({
      method: others,
      url,
      handler: async (request) => {
        throw new MethodNotAllowed(request.method, methods.join(', '));
      },
    });
  }

  app.get('/v2/info/import', async () => ({
    'import-methods': { description: 'Import methods available.', type: 'array', value: IMPORT_METHODS },
  }));
  // Multi-store is off, as in the captured Glance.
  app.get('/v2/info/stores', async () => {
    throw notFound('Multi backend is not supported at this site.');
  });
}
