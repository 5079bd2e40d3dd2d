// What every API port shares: request ids, JSON parsing with the service's own error words,
// one error mapper per API, an access log line per request in the service's log file.
import { randomUUID } from 'node:crypto';
import { Ajv } from 'ajv';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { isServiceError, ServiceError } from '../services/errors.js';
import type { RequestContext } from '../services/policy.js';
import type { Logger } from '../sim/oslo-log.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, once authenticate() has validated its X-Auth-Token. */
    ctx?: RequestContext;
  }
}

export interface ErrorReply {
  status: number;
  body: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface ApiOptions {
  /** `keystone`, `nova-api`, … — names the log module. */
  name: string;
  log: Logger;
  bodyLimit: number;
  /** Formats a service error the way this API's real service does. */
  formatError: (e: ServiceError, request: FastifyRequest) => ErrorReply;
  /** The service's words for a body that is not JSON. */
  malformedJson: () => ServiceError;
  /** The service's words for a body over the limit. */
  tooLarge: () => ServiceError;
  /** The answer for a path the service does not know. */
  notFound: (request: FastifyRequest, reply: FastifyReply) => unknown;
  /** Headers every response carries. */
  headers?: (request: FastifyRequest) => Record<string, string>;
  /** The access log line of a request, when the service's server words it its own way. */
  accessLine?: (request: FastifyRequest, reply: FastifyReply, seconds: number) => string;
}

/** Python's repr of a JSON value, as jsonschema's messages show it. */
export function pyRepr(v: unknown): string {
  if (typeof v === 'string') return `'${v.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object')
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
      .join(', ')}}`;
  return String(v);
}

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  data?: unknown;
}

/** jsonschema's wording of the first validation failure: "'x' is not of type 'boolean'". */
export function describeValidation(
  err: AjvError,
  body: unknown,
): { field: string; reason: string; value: unknown } {
  const path = err.instancePath.split('/').filter(Boolean);
  let value: unknown = body;
  for (const p of path) value = (value as Record<string, unknown> | undefined)?.[p];
  let field = path.length ? path[path.length - 1] : '';
  let reason: string;
  switch (err.keyword) {
    case 'type':
      reason = `${pyRepr(value)} is not of type '${String(err.params.type).replace('integer', 'integer')}'`;
      break;
    case 'required':
      field = String(err.params.missingProperty);
      reason = `'${field}' is a required property`;
      break;
    case 'additionalProperties':
      reason = `Additional properties are not allowed ('${String(err.params.additionalProperty)}' was unexpected)`;
      break;
    case 'minLength':
      reason = `${pyRepr(value)} is too short`;
      break;
    case 'maxLength':
      reason = `${pyRepr(value)} is too long`;
      break;
    case 'enum':
      reason = `${pyRepr(value)} is not one of ${pyRepr(err.params.allowedValues)}`;
      break;
    case 'pattern':
      reason = `${pyRepr(value)} does not match ${pyRepr(err.params.pattern)}`;
      break;
    default:
      reason = err.message ?? 'is invalid';
  }
  return { field, reason, value };
}

let shared: Ajv | undefined;
// One Ajv for every API, made on first use; our schemas are ours, so the meta-schema check is skipped.
const ajv = () =>
  (shared ??= new Ajv({
    coerceTypes: false,
    removeAdditional: false,
    allErrors: false,
    useDefaults: false,
    strict: false,
    validateSchema: false,
  }));

function lazyValidator({ schema }: { schema: unknown }) {
  let validate: ReturnType<Ajv['compile']> | undefined;
  return (data: unknown) => {
    validate ??= ajv().compile(schema as object);
    return validate(data)
      ? { value: data }
      : { error: Object.assign(new Error('validation'), { validation: validate.errors }) };
  };
}

export function createApi(
  opts: ApiOptions,
  validationError: (v: AjvError, body: unknown) => ServiceError,
): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit,
    genReqId: () => `req-${randomUUID()}`,
    return503OnClosing: true,
  });
  // Schemas compile on first use, not at listen: start-up time matters more than the first
  // request's (Fastify's own compiler built an Ajv and compiled every schema at ready()).
  app.setValidatorCompiler(lazyValidator);

  app.removeAllContentTypeParsers();
  // The clients send JSON (sometimes without a JSON content type); anything parseable is JSON.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, text, done) => {
    const s = text as string;
    if (s.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(s));
    } catch {
      done(opts.malformedJson(), undefined);
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-openstack-request-id', request.id);
    reply.header('Vary', 'X-Auth-Token');
    for (const [k, v] of Object.entries(opts.headers?.(request) ?? {})) reply.header(k, v);
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const ctx = request.ctx;
    const ms = reply.elapsedTime / 1000;
    const line =
      opts.accessLine?.(request, reply, ms) ??
      `${request.ip} "${request.method} ${request.url} HTTP/1.1" status: ${reply.statusCode}  len: ${reply.getHeader('content-length') ?? 0} time: ${ms.toFixed(7)}`;
    const logCtx = { requestId: request.id, userId: ctx?.userId, projectId: ctx?.projectId ?? undefined };
    opts.log.info(line, logCtx);
  });

  app.setErrorHandler((error, request, reply) => {
    let e: ServiceError;
    const fe = error as { code?: string; statusCode?: number; validation?: AjvError[]; message: string };
    if (isServiceError(error)) e = error;
    else if (fe.validation?.length) e = validationError(fe.validation[0], request.body);
    else if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = opts.tooLarge();
    else if (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
      e = opts.malformedJson();
    else if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500)
      e = new ServiceError('BadRequest', fe.message, undefined, fe.statusCode);
    else {
      opts.log.error(`Unexpected error: ${(error as Error).stack ?? String(error)}`, {
        requestId: request.id,
      });
      e = new ServiceError('ServiceUnavailable', 'An unknown exception occurred.', 'InternalError', 500);
    }
    if (e.status >= 400 && e.status !== 404 && e.status !== 401)
      opts.log.info(`${e.kind}: ${e.message}`, { requestId: request.id });
    const r = opts.formatError(e, request);
    reply.status(r.status);
    for (const [k, v] of Object.entries(r.headers ?? {})) reply.header(k, v);
    reply.type(r.contentType ?? 'application/json');
    return reply.send(typeof r.body === 'string' ? r.body : `${JSON.stringify(r.body)}\n`);
  });

  app.setNotFoundHandler((request, reply) => opts.notFound(request, reply));
  return app;
}

/** `http://host:port` as the client addressed us: version documents and links follow the Host header. */
export function baseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host ?? request.hostname}`;
}

/** Reads a header that may be repeated; the first value. */
export function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
