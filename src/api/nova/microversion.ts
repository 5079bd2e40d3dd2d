// Microversions (nova/api/openstack/api_version_request.py): the caller asks with
// `OpenStack-API-Version: compute X` or the older `X-OpenStack-Nova-API-Version: X` (the first wins
// when both are sent); no header means 2.1, `latest` the maximum; a version outside min..max is a
// 406. Every response names the version it was shaped for, in both headers.
import type { FastifyRequest } from 'fastify';
import { badRequest, ServiceError } from '../../services/errors.js';
import { header } from '../http.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The negotiated compute microversion's minor number (2.X). */
    novaMinor?: number;
  }
}

export const MIN_MINOR = 1;

export function parseMinor(v: string): number {
  const m = /^2\.(0|[1-9]\d*)$/.exec(v.trim());
  if (!m)
    throw badRequest(
      `API Version String ${v.trim()} is of invalid format. Must be of format MajorNum.MinorNum.`,
    );
  return Number(m[1]);
}

/** The version asked for in the headers, or null for none. */
function requested(request: FastifyRequest): string | null {
  const modern = header(request, 'openstack-api-version');
  if (modern) {
    for (const part of modern.split(',')) {
      const [service, version] = part.trim().split(/\s+/);
      if (service?.toLowerCase() === 'compute' && version) return version;
    }
  }
  return header(request, 'x-openstack-nova-api-version') ?? null;
}

export function negotiate(request: FastifyRequest, maxMinor: number): number {
  const v = requested(request);
  if (v === null) return MIN_MINOR;
  if (v.trim().toLowerCase() === 'latest') return maxMinor;
  const minor = parseMinor(v);
  if (minor < MIN_MINOR || minor > maxMinor)
    throw new ServiceError(
      'NotAcceptable',
      `Version 2.${minor} is not supported by the API. Minimum is 2.${MIN_MINOR} and maximum is 2.${maxMinor}.`,
    );
  return minor;
}

/** The negotiated minor of a request (2.1 for those answered before negotiation). */
export const mv = (request: FastifyRequest) => request.novaMinor ?? MIN_MINOR;

export function versionHeaders(minor: number): Record<string, string> {
  return {
    'OpenStack-API-Version': `compute 2.${minor}`,
    'X-OpenStack-Nova-API-Version': `2.${minor}`,
    Vary: 'OpenStack-API-Version, X-OpenStack-Nova-API-Version',
  };
}
