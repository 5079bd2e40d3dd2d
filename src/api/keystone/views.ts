// Keystone's JSON shapes for its resources (captured in reference/real-keystone/).

import type { CatalogEntry, TokenData } from '../../services/keystone/index.js';
import type {
  DomainRow,
  EndpointRow,
  GroupRow,
  ProjectRow,
  RegionRow,
  RoleRow,
  ServiceRow,
  UserRow,
} from '../../store/index.js';

export const keystoneTime = (seconds: number) =>
  `${new Date(seconds * 1000).toISOString().slice(0, 19)}.000000Z`;

export const domainView = (base: string, d: DomainRow) => ({
  id: d.id,
  name: d.name,
  description: d.description,
  enabled: d.enabled,
  tags: d.tags,
  options: d.options,
  links: { self: `${base}/v3/domains/${d.id}` },
});

export const projectView = (base: string, p: ProjectRow) => ({
  id: p.id,
  name: p.name,
  domain_id: p.domainId,
  description: p.description,
  enabled: p.enabled,
  parent_id: p.parentId,
  is_domain: false,
  tags: p.tags,
  options: p.options,
  links: { self: `${base}/v3/projects/${p.id}` },
});

export const userView = (base: string, u: UserRow) => ({
  id: u.id,
  name: u.name,
  domain_id: u.domainId,
  enabled: u.enabled,
  ...(u.defaultProjectId ? { default_project_id: u.defaultProjectId } : {}),
  ...(u.description !== null ? { description: u.description } : {}),
  ...(u.email !== null ? { email: u.email } : {}),
  password_expires_at: null,
  options: u.options,
  links: { self: `${base}/v3/users/${u.id}` },
});

export const groupView = (base: string, g: GroupRow) => ({
  id: g.id,
  name: g.name,
  domain_id: g.domainId,
  description: g.description,
  links: { self: `${base}/v3/groups/${g.id}` },
});

export const roleView = (base: string, r: RoleRow) => ({
  id: r.id,
  name: r.name,
  domain_id: r.domainId,
  description: r.description,
  options: r.options,
  links: { self: `${base}/v3/roles/${r.id}` },
});

export const regionView = (base: string, r: RegionRow) => ({
  id: r.id,
  description: r.description,
  parent_region_id: r.parentRegionId,
  links: { self: `${base}/v3/regions/${r.id}` },
});

export const serviceView = (base: string, s: ServiceRow) => ({
  id: s.id,
  type: s.type,
  name: s.name,
  enabled: s.enabled,
  ...(s.description !== null ? { description: s.description } : {}),
  links: { self: `${base}/v3/services/${s.id}` },
});

export const endpointView = (base: string, e: EndpointRow) => ({
  id: e.id,
  interface: e.interface,
  region_id: e.regionId,
  service_id: e.serviceId,
  url: e.url,
  enabled: e.enabled,
  region: e.regionId,
  links: { self: `${base}/v3/endpoints/${e.id}` },
});

export const listLinks = (base: string, path: string) => ({
  next: null,
  self: `${base}${path}`,
  previous: null,
});

export function tokenView(t: TokenData, catalog: CatalogEntry[] | null) {
  const domainRef = (d: { id: string; name: string }) => ({ id: d.id, name: d.name });
  const body: Record<string, unknown> = {
    methods: t.methods,
    user: {
      domain: domainRef(t.userDomain),
      id: t.user.id,
      name: t.user.name,
      password_expires_at: null,
    },
    audit_ids: t.auditIds,
    expires_at: keystoneTime(t.expiresAt),
    issued_at: keystoneTime(t.issuedAt),
  };
  if (t.scope.type === 'project') {
    body.project = { domain: domainRef(t.scope.domain), id: t.scope.project.id, name: t.scope.project.name };
    body.is_domain = false;
  } else if (t.scope.type === 'domain') {
    body.domain = domainRef(t.scope.domain);
  } else if (t.scope.type === 'system') {
    body.system = { all: true };
  }
  if (t.scope.type !== 'unscoped') body.roles = t.roles.map((r) => ({ id: r.id, name: r.name }));
  if (catalog !== null && t.scope.type !== 'unscoped') body.catalog = catalog;
  return { token: body };
}
