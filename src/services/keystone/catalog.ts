// Keystone's catalog: regions, services and their endpoints, and the catalog put in tokens.
import type { CatalogRepo, EndpointRow, RegionRow, ServiceRow } from '../../store/index.js';
import { conflict, notFound } from '../errors.js';
import type { RequestContext } from '../policy.js';
import { newId } from './identity.js';
import { keystonePolicy } from './policy.js';

export interface CatalogEntry {
  endpoints: {
    id: string;
    interface: string;
    region_id: string | null;
    url: string;
    region: string | null;
  }[];
  id: string;
  type: string;
  name: string;
}

export class Catalog {
  constructor(readonly repo: CatalogRepo) {}

  /** The catalog as tokens carry it: enabled services with their enabled endpoints. */
  forToken(): CatalogEntry[] {
    const endpoints = this.repo.listEndpoints().filter((e) => e.enabled);
    return this.repo
      .listServices()
      .filter((s) => s.enabled)
      .map((s) => ({
        endpoints: endpoints
          .filter((e) => e.serviceId === s.id)
          .map((e) => ({
            id: e.id,
            interface: e.interface,
            region_id: e.regionId,
            url: e.url,
            region: e.regionId,
          })),
        id: s.id,
        type: s.type,
        name: s.name,
      }));
  }

  listRegions(ctx: RequestContext): RegionRow[] {
    keystonePolicy.enforce('identity:list_regions', ctx);
    return this.repo.listRegions();
  }
  getRegion(ctx: RequestContext, id: string): RegionRow {
    keystonePolicy.enforce('identity:get_region', ctx);
    const r = this.repo.getRegion(id);
    if (!r) throw notFound(`Could not find region: ${id}.`);
    return r;
  }
  createRegion(
    ctx: RequestContext,
    input: { id?: string; description?: string; parentRegionId?: string | null },
  ): RegionRow {
    keystonePolicy.enforce('identity:create_region', ctx);
    const r: RegionRow = {
      id: input.id ?? newId(),
      description: input.description ?? '',
      parentRegionId: input.parentRegionId ?? null,
    };
    if (this.repo.getRegion(r.id))
      throw conflict(`Conflict occurred attempting to store region - Duplicate ID, ${r.id}.`);
    if (r.parentRegionId && !this.repo.getRegion(r.parentRegionId))
      throw notFound(`Could not find region: ${r.parentRegionId}.`);
    this.repo.insertRegion(r);
    return r;
  }
  deleteRegion(ctx: RequestContext, id: string): void {
    keystonePolicy.enforce('identity:delete_region', ctx);
    this.getRegion(ctx, id);
    this.repo.deleteRegion(id);
  }

  listServices(ctx: RequestContext, filter: { type?: string; name?: string } = {}): ServiceRow[] {
    keystonePolicy.enforce('identity:list_services', ctx);
    return this.repo
      .listServices()
      .filter(
        (s) =>
          (filter.type === undefined || s.type === filter.type) &&
          (filter.name === undefined || s.name === filter.name),
      );
  }
  getService(ctx: RequestContext, id: string): ServiceRow {
    keystonePolicy.enforce('identity:get_service', ctx);
    const s = this.repo.getService(id);
    if (!s) throw notFound(`Could not find service: ${id}.`);
    return s;
  }
  createService(
    ctx: RequestContext,
    input: { type: string; name?: string; description?: string | null; enabled?: boolean },
  ): ServiceRow {
    keystonePolicy.enforce('identity:create_service', ctx);
    const s: ServiceRow = {
      id: newId(),
      type: input.type,
      name: input.name ?? '',
      description: input.description ?? null,
      enabled: input.enabled ?? true,
    };
    this.repo.insertService(s);
    return s;
  }
  updateService(ctx: RequestContext, id: string, patch: Partial<Omit<ServiceRow, 'id'>>): ServiceRow {
    keystonePolicy.enforce('identity:update_service', ctx);
    const s = { ...this.getService(ctx, id), ...patch };
    this.repo.updateService(s);
    return s;
  }
  deleteService(ctx: RequestContext, id: string): void {
    keystonePolicy.enforce('identity:delete_service', ctx);
    this.getService(ctx, id);
    this.repo.deleteService(id);
  }

  listEndpoints(
    ctx: RequestContext,
    filter: { serviceId?: string; interface?: string; regionId?: string } = {},
  ): EndpointRow[] {
    keystonePolicy.enforce('identity:list_endpoints', ctx);
    return this.repo
      .listEndpoints()
      .filter(
        (e) =>
          (filter.serviceId === undefined || e.serviceId === filter.serviceId) &&
          (filter.interface === undefined || e.interface === filter.interface) &&
          (filter.regionId === undefined || e.regionId === filter.regionId),
      );
  }
  getEndpoint(ctx: RequestContext, id: string): EndpointRow {
    keystonePolicy.enforce('identity:get_endpoint', ctx);
    const e = this.repo.getEndpoint(id);
    if (!e) throw notFound(`Could not find endpoint: ${id}.`);
    return e;
  }
  createEndpoint(
    ctx: RequestContext,
    input: Omit<EndpointRow, 'id' | 'enabled'> & { enabled?: boolean },
  ): EndpointRow {
    keystonePolicy.enforce('identity:create_endpoint', ctx);
    if (!this.repo.getService(input.serviceId)) throw notFound(`Could not find service: ${input.serviceId}.`);
    if (input.regionId && !this.repo.getRegion(input.regionId))
      throw notFound(`Could not find region: ${input.regionId}.`);
    const e: EndpointRow = { ...input, id: newId(), enabled: input.enabled ?? true };
    this.repo.insertEndpoint(e);
    return e;
  }
  updateEndpoint(ctx: RequestContext, id: string, patch: Partial<Omit<EndpointRow, 'id'>>): EndpointRow {
    keystonePolicy.enforce('identity:update_endpoint', ctx);
    const e = { ...this.getEndpoint(ctx, id), ...patch };
    this.repo.updateEndpoint(e);
    return e;
  }
  deleteEndpoint(ctx: RequestContext, id: string): void {
    keystonePolicy.enforce('identity:delete_endpoint', ctx);
    this.getEndpoint(ctx, id);
    this.repo.deleteEndpoint(id);
  }
}
