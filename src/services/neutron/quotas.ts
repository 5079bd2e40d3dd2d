// Neutron's quotas (DbQuotaNoLockDriver): per-project limits with neutron.conf's [quotas]
// defaults, usage counted from the resources, 409 OverQuota when a create would pass a limit.
import type { NeutronRepo } from '../../store/neutron-repo.js';
import { isAdmin, type RequestContext } from '../policy.js';
import { checks } from './attributes.js';
import { QUOTA_RESOURCES, type QuotaResource } from './config.js';
import type { NeutronCore } from './core.js';
import { neutronErrors as E } from './errors.js';
import { denied } from './policy.js';

export type QuotaSet = Record<QuotaResource, number>;

const counters: Record<QuotaResource, (repo: NeutronRepo, project: string) => number> = {
  network: (r, p) => r.networks.count({ project_id: p }),
  subnet: (r, p) => r.subnets.count({ project_id: p }),
  port: (r, p) => r.ports.count({ project_id: p }),
  router: (r, p) => r.routers.count({ project_id: p }),
  floatingip: (r, p) => r.floatingips.count({ project_id: p }),
  security_group: (r, p) => r.securityGroups.count({ project_id: p }),
  security_group_rule: (r, p) => r.securityGroupRules.count({ project_id: p }),
  rbac_policy: () => 0,
  subnetpool: () => 0,
};

export class Quotas {
  constructor(private readonly core: NeutronCore) {}

  limits(projectId: string): QuotaSet {
    const over = this.core.repo.quotaOverrides(projectId);
    return Object.fromEntries(
      QUOTA_RESOURCES.map((r) => [r, over[r] ?? this.core.config.quotas[r]]),
    ) as QuotaSet;
  }

  /** Throws OverQuota when `count` more of the resource would pass the project's limit. */
  check(projectId: string, resource: QuotaResource, count: number): void {
    if (projectId === '') return; // resources of the cloud itself (gateway, floating IP ports)
    const limit = this.limits(projectId)[resource];
    if (limit < 0) return;
    if (counters[resource](this.core.repo, projectId) + count > limit) throw E.overQuota([resource]);
  }

  private checkRead(ctx: RequestContext, projectId: string): void {
    if (!isAdmin(ctx) && ctx.projectId !== projectId) throw denied('get_quota');
  }

  show(ctx: RequestContext, projectId: string): QuotaSet {
    this.checkRead(ctx, projectId);
    return this.limits(projectId);
  }

  defaults(ctx: RequestContext, projectId: string): QuotaSet {
    this.checkRead(ctx, projectId);
    return { ...this.core.config.quotas };
  }

  details(
    ctx: RequestContext,
    projectId: string,
  ): Record<QuotaResource, { limit: number; used: number; reserved: number }> {
    this.checkRead(ctx, projectId);
    const limits = this.limits(projectId);
    return Object.fromEntries(
      QUOTA_RESOURCES.map((r) => [
        r,
        { limit: limits[r], used: counters[r](this.core.repo, projectId), reserved: 0 },
      ]),
    ) as Record<QuotaResource, { limit: number; used: number; reserved: number }>;
  }

  /** Projects with limits of their own (GET /quotas). */
  list(ctx: RequestContext): (QuotaSet & { project_id: string; tenant_id: string })[] {
    if (!isAdmin(ctx)) return [];
    return this.core.repo
      .projectsWithQuotas()
      .map((p) => ({ ...this.limits(p), project_id: p, tenant_id: p }));
  }

  update(ctx: RequestContext, projectId: string, input: unknown): QuotaSet {
    if (!isAdmin(ctx)) throw denied('update_quota');
    if (input === null || typeof input !== 'object' || Array.isArray(input))
      throw E.httpBadRequest("Unable to find 'quota' in request body");
    const body = input as Record<string, unknown>;
    const unknown = Object.keys(body).filter((k) => !(QUOTA_RESOURCES as readonly string[]).includes(k));
    if (unknown.length) throw E.httpBadRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
    const values = Object.entries(body).map(
      ([k, v]) => [k, checks.int(-1, 2 ** 31 - 1)(k)(v) as number] as const,
    );
    this.core.repo.transaction(() => {
      for (const [k, v] of values) this.core.repo.setQuota(projectId, k, v);
    });
    return this.limits(projectId);
  }

  reset(ctx: RequestContext, projectId: string): void {
    if (!isAdmin(ctx)) throw denied('delete_quota');
    this.core.repo.deleteQuotas(projectId);
  }
}
