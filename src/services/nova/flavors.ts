// Flavors (nova/compute/flavors.py and the os-flavor-manage, os-flavor-extra-specs and
// os-flavor-access APIs). Nova itself creates none; packstack (CONFIG_NOVA_MANAGE_FLAVORS=y)
// creates m1.tiny … m1.xlarge with ids 1–5, which a fresh cloud here starts with.
import { randomUUID } from 'node:crypto';
import { type FlavorRepo, type FlavorRow, isUniqueViolation } from '../../store/index.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { isAdmin, type RequestContext } from '../policy.js';
import { novaPolicy } from './policy.js';

export interface Flavor extends FlavorRow {
  extraSpecs: Record<string, string>;
}

export const PACKSTACK_FLAVORS: [string, string, number, number, number][] = [
  ['1', 'm1.tiny', 512, 1, 1],
  ['2', 'm1.small', 2048, 20, 1],
  ['3', 'm1.medium', 4096, 40, 2],
  ['4', 'm1.large', 8192, 80, 4],
  ['5', 'm1.xlarge', 16384, 160, 8],
];

export interface FlavorCreate {
  name: string;
  id?: string | null;
  ram: number;
  vcpus: number;
  disk: number;
  ephemeral?: number;
  swap?: number;
  rxtxFactor?: number;
  isPublic?: boolean;
  description?: string | null;
}

/** `is_public` as the flavors list takes it: true (default), false, or null for both. */
export type PublicFilter = boolean | null;

export class Flavors {
  constructor(
    private readonly repo: FlavorRepo,
    private readonly now: () => Date,
  ) {}

  seedDefaults(): void {
    for (const [id, name, ram, disk, vcpus] of PACKSTACK_FLAVORS)
      if (!this.repo.get(id) && !this.repo.getByName(name))
        this.repo.insert({
          id,
          name,
          ram,
          vcpus,
          disk,
          ephemeral: 0,
          swap: 0,
          rxtxFactor: 1,
          isPublic: true,
          disabled: false,
          description: null,
          createdAt: this.now().toISOString(),
        });
  }

  private withSpecs(f: FlavorRow): Flavor {
    return { ...f, extraSpecs: this.repo.extraSpecs(f.id) };
  }

  /** A flavor the caller may see: public ones, or private ones its project was given (admin: all). */
  private visible(ctx: RequestContext, f: FlavorRow): boolean {
    return (
      f.isPublic ||
      isAdmin(ctx) ||
      (ctx.projectId !== null && this.repo.projects(f.id).includes(ctx.projectId))
    );
  }

  get(ctx: RequestContext, id: string): Flavor {
    const f = this.repo.get(id);
    if (!f || !this.visible(ctx, f)) throw notFound(`Flavor ${id} could not be found.`, 'FlavorNotFound');
    return this.withSpecs(f);
  }

  /** The flavor for a server create (flavorRef may be an id or a link ending in the id). */
  forBoot(ctx: RequestContext, ref: string): Flavor {
    const id = ref.split('/').pop() ?? ref;
    const f = this.repo.get(id);
    if (!f || !this.visible(ctx, f) || f.disabled) throw badRequest('Flavor ' + id + ' could not be found.');
    return this.withSpecs(f);
  }

  list(
    ctx: RequestContext,
    o: { isPublic?: PublicFilter; minRam?: number; minDisk?: number } = {},
  ): Flavor[] {
    // Nova: a non-admin sees public flavors plus those of its project, whatever is_public says.
    const pub = o.isPublic === undefined ? true : o.isPublic;
    const own = ctx.projectId ? this.repo.flavorsOfProject(ctx.projectId) : new Set<string>();
    return this.repo
      .list()
      .filter((f) =>
        isAdmin(ctx)
          ? pub === null || f.isPublic === pub || (pub && own.has(f.id))
          : f.isPublic || own.has(f.id),
      )
      .filter((f) => o.minRam === undefined || f.ram >= o.minRam)
      .filter((f) => o.minDisk === undefined || f.disk >= o.minDisk)
      .map((f) => this.withSpecs(f));
  }

  create(ctx: RequestContext, c: FlavorCreate): Flavor {
    novaPolicy.enforce('os_compute_api:os-flavor-manage:create', ctx);
    const id = c.id ?? randomUUID();
    if (this.repo.get(id)) throw conflict(`Flavor with ID ${id} already exists.`, 'FlavorIdExists');
    if (this.repo.getByName(c.name))
      throw conflict(`Flavor with name ${c.name} already exists.`, 'FlavorExists');
    const row: FlavorRow = {
      id,
      name: c.name,
      ram: c.ram,
      vcpus: c.vcpus,
      disk: c.disk,
      ephemeral: c.ephemeral ?? 0,
      swap: c.swap ?? 0,
      rxtxFactor: c.rxtxFactor ?? 1,
      isPublic: c.isPublic ?? true,
      disabled: false,
      description: c.description ?? null,
      createdAt: this.now().toISOString(),
    };
    try {
      this.repo.insert(row);
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict(`Flavor with name ${c.name} already exists.`, 'FlavorExists');
      throw e;
    }
    // A private flavor is given to the creating project, as Nova does.
    if (!row.isPublic && ctx.projectId) this.repo.addProject(id, ctx.projectId);
    return this.withSpecs(row);
  }

  setDescription(ctx: RequestContext, id: string, description: string | null): Flavor {
    novaPolicy.enforce('os_compute_api:os-flavor-manage:update', ctx);
    this.get(ctx, id);
    this.repo.setDescription(id, description);
    return this.get(ctx, id);
  }

  delete(ctx: RequestContext, id: string): void {
    novaPolicy.enforce('os_compute_api:os-flavor-manage:delete', ctx);
    if (!this.repo.get(id)) throw notFound(`Flavor ${id} could not be found.`, 'FlavorNotFound');
    this.repo.delete(id);
  }

  extraSpecs(ctx: RequestContext, id: string): Record<string, string> {
    novaPolicy.enforce('os_compute_api:os-flavor-extra-specs:index', ctx);
    return this.get(ctx, id).extraSpecs;
  }

  extraSpec(ctx: RequestContext, id: string, key: string): string {
    novaPolicy.enforce('os_compute_api:os-flavor-extra-specs:show', ctx);
    const v = this.get(ctx, id).extraSpecs[key];
    if (v === undefined)
      throw notFound(`Flavor ${id} has no extra specs with key ${key}.`, 'FlavorExtraSpecsNotFound');
    return v;
  }

  setExtraSpecs(ctx: RequestContext, id: string, specs: Record<string, string>): Record<string, string> {
    novaPolicy.enforce('os_compute_api:os-flavor-extra-specs:create', ctx);
    this.get(ctx, id);
    for (const [k, v] of Object.entries(specs)) this.repo.setExtraSpec(id, k, v);
    return specs;
  }

  deleteExtraSpec(ctx: RequestContext, id: string, key: string): void {
    novaPolicy.enforce('os_compute_api:os-flavor-extra-specs:delete', ctx);
    this.get(ctx, id);
    if (!this.repo.deleteExtraSpec(id, key))
      throw notFound(`Flavor ${id} has no extra specs with key ${key}.`, 'FlavorExtraSpecsNotFound');
  }

  access(ctx: RequestContext, id: string): { flavorId: string; projectId: string }[] {
    novaPolicy.enforce('os_compute_api:os-flavor-access', ctx);
    const f = this.get(ctx, id);
    if (f.isPublic) throw notFound('Access list not available for public flavors.');
    return this.repo.projects(id).map((p) => ({ flavorId: id, projectId: p }));
  }

  addAccess(ctx: RequestContext, id: string, projectId: string): { flavorId: string; projectId: string }[] {
    novaPolicy.enforce('os_compute_api:os-flavor-access:add_tenant_access', ctx);
    const f = this.get(ctx, id);
    if (f.isPublic) throw conflict('Can not add access to a public flavor.');
    if (this.repo.projects(id).includes(projectId))
      throw conflict(`Flavor access already exists for flavor ${id} and project ${projectId} combination.`);
    this.repo.addProject(id, projectId);
    return this.access(ctx, id);
  }

  removeAccess(
    ctx: RequestContext,
    id: string,
    projectId: string,
  ): { flavorId: string; projectId: string }[] {
    novaPolicy.enforce('os_compute_api:os-flavor-access:remove_tenant_access', ctx);
    this.get(ctx, id);
    if (!this.repo.removeProject(id, projectId))
      throw notFound(`Flavor access not found for ${id} / ${projectId} combination.`);
    return this.access(ctx, id);
  }
}
