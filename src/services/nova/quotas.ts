// Nova's quotas (nova/quota.py, [quota] defaults) and the absolute limits built from them.
// Counting is done from the instances themselves (Nova's "counted" quota driver since Pike).
import type { InstanceRepo, PlacementRepo } from '../../store/index.js';
import { badRequest, forbidden } from '../errors.js';
import type { RequestContext } from '../policy.js';
import { novaPolicy } from './policy.js';

export const QUOTA_DEFAULTS = {
  instances: 10,
  cores: 20,
  ram: 51200,
  metadata_items: 128,
  key_pairs: 100,
  server_groups: 10,
  server_group_members: 10,
  injected_files: 5,
  injected_file_content_bytes: 10240,
  injected_file_path_bytes: 255,
} as const;
export type QuotaResource = keyof typeof QUOTA_DEFAULTS;
export type QuotaSet = Record<QuotaResource, number>;

export class Quotas {
  constructor(
    private readonly placement: PlacementRepo,
    private readonly instances: InstanceRepo,
  ) {}

  limitsFor(projectId: string): QuotaSet {
    return { ...QUOTA_DEFAULTS, ...this.placement.quotaOverrides(projectId) } as QuotaSet;
  }

  show(ctx: RequestContext, projectId: string): QuotaSet {
    novaPolicy.enforce('os_compute_api:os-quota-sets:show', ctx, { project_id: projectId });
    return this.limitsFor(projectId);
  }

  update(ctx: RequestContext, projectId: string, changes: Partial<Record<string, number>>): QuotaSet {
    novaPolicy.enforce('os_compute_api:os-quota-sets:update', ctx);
    for (const [k, v] of Object.entries(changes)) {
      if (!(k in QUOTA_DEFAULTS)) throw badRequest(`Bad key(s) ${k} in quota_set`);
      if (typeof v !== 'number' || !Number.isInteger(v) || v < -1)
        throw badRequest(`Quota limit ${String(v)} for ${k} must be -1 or greater.`);
    }
    for (const [k, v] of Object.entries(changes)) this.placement.setQuota(projectId, k, v as number);
    return this.limitsFor(projectId);
  }

  reset(ctx: RequestContext, projectId: string): void {
    novaPolicy.enforce('os_compute_api:os-quota-sets:delete', ctx);
    this.placement.deleteQuotas(projectId);
  }

  usage(projectId: string) {
    return this.instances.usage(projectId);
  }

  /**
   * How many of `max` instances the project may still create (at least `min`), or Nova's 403
   * naming the first resource over its limit.
   */
  allowedInstances(projectId: string, min: number, max: number, per: { cores: number; ram: number }): number {
    const q = this.limitsFor(projectId);
    const used = this.instances.usage(projectId);
    const room = (limit: number, inUse: number, each: number) =>
      limit < 0
        ? Number.POSITIVE_INFINITY
        : each === 0
          ? Number.POSITIVE_INFINITY
          : Math.floor((limit - inUse) / each);
    const fits = Math.min(
      room(q.instances, used.instances, 1),
      room(q.cores, used.cores, per.cores),
      room(q.ram, used.ram, per.ram),
    );
    if (fits >= min) return Math.min(max, fits);
    // Nova's TooManyInstances: the resources over, with what was requested and is in use.
    const overs: [string, number, number, number][] = [];
    if (room(q.instances, used.instances, 1) < min)
      overs.push(['instances', min, used.instances, q.instances]);
    if (room(q.cores, used.cores, per.cores) < min)
      overs.push(['cores', min * per.cores, used.cores, q.cores]);
    if (room(q.ram, used.ram, per.ram) < min) overs.push(['ram', min * per.ram, used.ram, q.ram]);
    const [name, req, inUse, allowed] = overs[0];
    throw forbidden(
      `Quota exceeded for ${name}: Requested ${req}, but already used ${inUse} of ${allowed} ${name}`,
      'TooManyInstances',
    );
  }

  /** GET /limits: the absolute limits and what the project uses. */
  absoluteLimits(ctx: RequestContext, projectId: string) {
    novaPolicy.enforce('os_compute_api:limits', ctx);
    const q = this.limitsFor(projectId);
    const used = this.instances.usage(projectId);
    return {
      maxServerMeta: q.metadata_items,
      maxPersonality: q.injected_files,
      maxPersonalitySize: q.injected_file_content_bytes,
      maxImageMeta: q.metadata_items,
      maxTotalKeypairs: q.key_pairs,
      maxServerGroups: q.server_groups,
      maxServerGroupMembers: q.server_group_members,
      maxTotalInstances: q.instances,
      maxTotalCores: q.cores,
      maxTotalRAMSize: q.ram,
      maxTotalFloatingIps: -1,
      maxSecurityGroups: -1,
      maxSecurityGroupRules: -1,
      totalInstancesUsed: used.instances,
      totalCoresUsed: used.cores,
      totalRAMUsed: used.ram,
      totalFloatingIpsUsed: 0,
      totalSecurityGroupsUsed: 0,
      totalServerGroupsUsed: 0,
    };
  }
}
