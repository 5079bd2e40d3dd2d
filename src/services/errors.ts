// The one error vocabulary of the services. Each API maps a ServiceError to its own body
// format in one place (api/*/errors.ts); services never know about HTTP bodies.

export type ErrorKind =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'Conflict'
  | 'Gone'
  | 'RequestTooLarge'
  | 'UnsupportedMediaType'
  | 'OverLimit'
  | 'ServiceUnavailable'
  | 'NotImplemented';

const statusOf: Record<ErrorKind, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  Conflict: 409,
  Gone: 410,
  RequestTooLarge: 413,
  UnsupportedMediaType: 415,
  OverLimit: 413,
  ServiceUnavailable: 503,
  NotImplemented: 501,
};

export class ServiceError extends Error {
  readonly status: number;
  /**
   * @param kind the class of failure, which decides the HTTP status
   * @param message the user-facing text, exactly as the real service words it
   * @param type the real service's exception class name where the API shows it (Neutron's
   *   `NetworkNotFound`, `IpAddressGenerationFailure` …)
   */
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly type?: string,
    status?: number,
  ) {
    super(message);
    this.status = status ?? statusOf[kind];
  }
}

export const badRequest = (message: string, type?: string) => new ServiceError('BadRequest', message, type);
export const unauthorized = (message = 'The request you have made requires authentication.') =>
  new ServiceError('Unauthorized', message);
export const forbidden = (message: string, type?: string) => new ServiceError('Forbidden', message, type);
export const notFound = (message: string, type?: string) => new ServiceError('NotFound', message, type);
export const conflict = (message: string, type?: string) => new ServiceError('Conflict', message, type);

export function isServiceError(e: unknown): e is ServiceError {
  return e instanceof ServiceError;
}
