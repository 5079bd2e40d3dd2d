// What `keystone-manage bootstrap` and packstack's provisioning leave behind, made idempotent:
// run at every start, it creates what is missing and points the catalog at this run's ports.
import type { EndpointRow } from '../../store/index.js';
import { internalContext } from '../policy.js';
import type { Catalog } from './catalog.js';
import { DEFAULT_DOMAIN_ID, type Identity, newId } from './identity.js';
import { hashPassword } from './password.js';

export interface CatalogService {
  type: string;
  name: string;
  description: string;
  url: string;
}

export interface BootstrapInput {
  region: string;
  services: CatalogService[];
  /** Set on first start (or to reset): the passwords written to keystonerc_admin / keystonerc_demo. */
  adminPassword?: string;
  demoPassword?: string;
}

/**
 * Everything but the users is in place when this returns its promise (an async function runs
 * synchronously up to its first await): the caller can go on building the cloud on the projects
 * while scrypt hashes the passwords on libuv's thread pool, and await the users at the end.
 */
export async function bootstrap(identity: Identity, catalog: Catalog, input: BootstrapInput): Promise<void> {
  const repo = identity.repo;
  // Both hashes at once, started first: start-up time matters.
  const hashes = Promise.all(
    [input.adminPassword, input.demoPassword].map((p) => (p === undefined ? undefined : hashPassword(p))),
  );
  if (!repo.getDomain(DEFAULT_DOMAIN_ID)) {
    repo.insertDomain({
      id: DEFAULT_DOMAIN_ID,
      name: 'Default',
      description: 'The default domain',
      enabled: true,
      tags: [],
      options: {},
    });
  }
  const role = (name: string) => {
    const found = repo.getRoleByName(name);
    if (found) return found.id;
    const id = newId();
    repo.insertRole({ id, name, domainId: null, description: null, options: { immutable: true } });
    return id;
  };
  const admin = role('admin');
  const member = role('member');
  const reader = role('reader');
  repo.addImpliedRole(admin, member);
  repo.addImpliedRole(member, reader);

  const project = (name: string, description: string) => {
    const found = repo.listProjects().find((p) => p.domainId === DEFAULT_DOMAIN_ID && p.name === name);
    if (found) return found.id;
    const id = newId();
    repo.insertProject({
      id,
      name,
      domainId: DEFAULT_DOMAIN_ID,
      description,
      enabled: true,
      parentId: DEFAULT_DOMAIN_ID,
      tags: [],
      options: {},
    });
    return id;
  };
  const adminProject = project('admin', 'Bootstrap project for initializing the cloud.');
  project('services', 'Tenant for the openstack services');
  const demoProject = project('demo', 'default tenant');

  const ctx = internalContext();
  if (!catalog.repo.getRegion(input.region)) catalog.createRegion(ctx, { id: input.region });
  for (const s of input.services) {
    const svc =
      catalog.repo.listServices().find((x) => x.type === s.type && x.name === s.name) ??
      catalog.createService(ctx, { type: s.type, name: s.name, description: s.description });
    for (const iface of ['public', 'internal', 'admin'] as const) {
      const existing = catalog.repo
        .listEndpoints()
        .find((e) => e.serviceId === svc.id && e.interface === iface);
      if (!existing)
        catalog.createEndpoint(ctx, {
          serviceId: svc.id,
          interface: iface,
          regionId: input.region,
          url: s.url,
        });
      else if (existing.url !== s.url)
        catalog.repo.updateEndpoint({ ...existing, url: s.url } satisfies EndpointRow);
    }
  }

  const [adminHash, demoHash] = await hashes;
  const user = (name: string, projectId: string, passwordHash: string | undefined) => {
    const found = repo.getUserByName(DEFAULT_DOMAIN_ID, name);
    if (found) {
      if (passwordHash !== undefined) repo.updateUser({ ...found, passwordHash });
      return found.id;
    }
    const id = newId();
    repo.insertUser({
      id,
      name,
      domainId: DEFAULT_DOMAIN_ID,
      enabled: true,
      defaultProjectId: projectId,
      passwordHash: passwordHash ?? null,
      description: null,
      email: null,
      options: {},
      createdAt: new Date().toISOString(),
    });
    return id;
  };
  const adminUser = user('admin', adminProject, adminHash);
  const demoUser = user('demo', demoProject, demoHash);
  repo.addAssignment({
    type: 'UserProject',
    actorId: adminUser,
    targetId: adminProject,
    roleId: admin,
    inherited: false,
  });
  repo.addAssignment({
    type: 'UserSystem',
    actorId: adminUser,
    targetId: 'system',
    roleId: admin,
    inherited: false,
  });
  repo.addAssignment({
    type: 'UserProject',
    actorId: demoUser,
    targetId: demoProject,
    roleId: member,
    inherited: false,
  });
}
