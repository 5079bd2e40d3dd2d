// Keystone's catalog tables: regions, services, endpoints.
import type { Db } from './db.js';

export interface RegionRow {
  id: string;
  description: string;
  parentRegionId: string | null;
}
export interface ServiceRow {
  id: string;
  type: string;
  name: string;
  description: string | null;
  enabled: boolean;
}
export interface EndpointRow {
  id: string;
  serviceId: string;
  interface: 'public' | 'internal' | 'admin';
  regionId: string | null;
  url: string;
  enabled: boolean;
}

type Raw = Record<string, unknown>;
const toService = (r: Raw): ServiceRow => ({
  id: r.id as string,
  type: r.type as string,
  name: r.name as string,
  description: (r.description as string | null) ?? null,
  enabled: r.enabled === 1,
});
const toEndpoint = (r: Raw): EndpointRow => ({
  id: r.id as string,
  serviceId: r.service_id as string,
  interface: r.interface as EndpointRow['interface'],
  regionId: (r.region_id as string | null) ?? null,
  url: r.url as string,
  enabled: r.enabled === 1,
});
const toRegion = (r: Raw): RegionRow => ({
  id: r.id as string,
  description: r.description as string,
  parentRegionId: (r.parent_region_id as string | null) ?? null,
});

export class CatalogRepo {
  constructor(private readonly db: Db) {}

  listRegions(): RegionRow[] {
    return (this.db.prepare('SELECT * FROM regions ORDER BY id').all() as Raw[]).map(toRegion);
  }
  getRegion(id: string): RegionRow | undefined {
    const r = this.db.prepare('SELECT * FROM regions WHERE id = ?').get(id) as Raw | undefined;
    return r && toRegion(r);
  }
  insertRegion(r: RegionRow): void {
    this.db
      .prepare('INSERT INTO regions (id, description, parent_region_id) VALUES (?, ?, ?)')
      .run(r.id, r.description, r.parentRegionId);
  }
  deleteRegion(id: string): void {
    this.db.prepare('DELETE FROM regions WHERE id = ?').run(id);
  }

  listServices(): ServiceRow[] {
    return (this.db.prepare('SELECT * FROM services ORDER BY rowid').all() as Raw[]).map(toService);
  }
  getService(id: string): ServiceRow | undefined {
    const r = this.db.prepare('SELECT * FROM services WHERE id = ?').get(id) as Raw | undefined;
    return r && toService(r);
  }
  insertService(s: ServiceRow): void {
    this.db
      .prepare('INSERT INTO services (id, type, name, description, enabled) VALUES (?, ?, ?, ?, ?)')
      .run(s.id, s.type, s.name, s.description, s.enabled ? 1 : 0);
  }
  updateService(s: ServiceRow): void {
    this.db
      .prepare('UPDATE services SET type = ?, name = ?, description = ?, enabled = ? WHERE id = ?')
      .run(s.type, s.name, s.description, s.enabled ? 1 : 0, s.id);
  }
  deleteService(id: string): void {
    this.db.prepare('DELETE FROM services WHERE id = ?').run(id);
  }

  listEndpoints(): EndpointRow[] {
    return (this.db.prepare('SELECT * FROM endpoints ORDER BY rowid').all() as Raw[]).map(toEndpoint);
  }
  getEndpoint(id: string): EndpointRow | undefined {
    const r = this.db.prepare('SELECT * FROM endpoints WHERE id = ?').get(id) as Raw | undefined;
    return r && toEndpoint(r);
  }
  insertEndpoint(e: EndpointRow): void {
    this.db
      .prepare(
        'INSERT INTO endpoints (id, service_id, interface, region_id, url, enabled) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(e.id, e.serviceId, e.interface, e.regionId, e.url, e.enabled ? 1 : 0);
  }
  updateEndpoint(e: EndpointRow): void {
    this.db
      .prepare(
        'UPDATE endpoints SET service_id = ?, interface = ?, region_id = ?, url = ?, enabled = ? WHERE id = ?',
      )
      .run(e.serviceId, e.interface, e.regionId, e.url, e.enabled ? 1 : 0, e.id);
  }
  deleteEndpoint(id: string): void {
    this.db.prepare('DELETE FROM endpoints WHERE id = ?').run(id);
  }
}
