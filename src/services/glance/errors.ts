// Glance's words for its failures (glance/api/v2/*.py, glance/common/exception.py), as the real
// service raises them. Some of Glance's webob exceptions are raised with the message as the
// *detail* (`HTTPConflict(msg)`), which webob prints after the status's default explanation
// (reference/real-glance/patch_remove_missing_409.json): DetailedError carries that shape.
import { badRequest, conflict, forbidden, notFound, ServiceError } from '../errors.js';

export class DetailedError extends ServiceError {
  constructor(
    kind: ConstructorParameters<typeof ServiceError>[0],
    readonly detail: string,
  ) {
    super(kind, detail);
  }
}

export const imageNotFound = (id: string) => notFound(`No image found with ID ${id}`);
export const readOnly = (attr: string) => forbidden(`Attribute '${attr}' is read-only.`);
export const reserved = (attr: string) => forbidden(`Attribute '${attr}' is reserved.`);
export const statusTransition = (from: string, to: string) =>
  conflict(`Image status transition from ${from} to ${to} is not allowed`);
export const negativeValue = (param: string, value: unknown) =>
  badRequest(`Invalid value '${String(value)}' for parameter '${param}': Cannot be a negative value`);
export const tooLarge = () =>
  new ServiceError('RequestTooLarge', 'The incoming image is too large: The provided image is too large.');
export const propertyLimit = (attempted: number, maximum: number) =>
  new ServiceError(
    'RequestTooLarge',
    `The limit has been exceeded on the number of allowed image properties. Attempted: ${attempted}, Maximum: ${maximum}`,
  );
export const tagLimit = (attempted: number, maximum: number) =>
  new ServiceError(
    'RequestTooLarge',
    `The limit has been exceeded on the number of allowed image tags. Attempted: ${attempted}, Maximum: ${maximum}`,
  );
