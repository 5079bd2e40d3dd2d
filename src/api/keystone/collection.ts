// One Keystone collection (`/v3/projects` …): list, show, create, update, delete, each a thin
// call into the service and the collection's view. Keystone's collections all have this shape.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../services/policy.js';
import { baseUrl } from '../http.js';
import { listLinks } from './views.js';

export interface CollectionSpec<Row> {
  /** `/v3/projects` */
  path: string;
  /** `project`: the body key of one item. */
  member: string;
  /** `projects`: the body key of a list. */
  plural: string;
  auth: (request: FastifyRequest) => RequestContext;
  view: (base: string, row: Row) => unknown;
  list: (ctx: RequestContext, request: FastifyRequest) => Row[];
  get: (ctx: RequestContext, id: string) => Row;
  create?: {
    schema: object;
    run: (ctx: RequestContext, item: Record<string, unknown>) => Row | Promise<Row>;
  };
  update?: {
    schema: object;
    run: (ctx: RequestContext, id: string, item: Record<string, unknown>) => Row | Promise<Row>;
  };
  remove?: (ctx: RequestContext, id: string) => void;
}

export function collection<Row>(app: FastifyInstance, spec: CollectionSpec<Row>): void {
  const one = (request: FastifyRequest, row: Row) => ({ [spec.member]: spec.view(baseUrl(request), row) });
  const id = (request: FastifyRequest) => (request.params as { id: string }).id;
  const item = (request: FastifyRequest) =>
    (request.body as Record<string, Record<string, unknown>>)[spec.member];

  app.get(spec.path, async (request) => {
    const base = baseUrl(request);
    const rows = spec.list(spec.auth(request), request);
    return { [spec.plural]: rows.map((r) => spec.view(base, r)), links: listLinks(base, request.url) };
  });
  app.get(`${spec.path}/:id`, async (request) => one(request, spec.get(spec.auth(request), id(request))));
  const { create, update, remove } = spec;
  if (create)
    app.post(spec.path, { schema: { body: create.schema } }, async (request, reply) => {
      const row = await create.run(spec.auth(request), item(request));
      reply.code(201);
      return one(request, row);
    });
  if (update)
    app.patch(`${spec.path}/:id`, { schema: { body: update.schema } }, async (request) =>
      one(request, await update.run(spec.auth(request), id(request), item(request))),
    );
  if (remove)
    app.delete(`${spec.path}/:id`, async (request, reply) => {
      remove(spec.auth(request), id(request));
      reply.code(204).send();
    });
}
