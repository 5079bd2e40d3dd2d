// Security groups and their rules (neutron/db/securitygroups_db.py): each project has a
// `default` group, created on first need with four rules (ingress from the group itself, egress
// anywhere, IPv4 and IPv6); a new group gets the two egress rules; duplicates are refused.
import type { Doc } from '../../store/neutron-repo.js';
import { isAdmin, type RequestContext } from '../policy.js';
import { formatNet, parseNet } from './address.js';
import { prepareBody } from './attributes.js';
import {
  applyFilters,
  type Filters,
  type NeutronCore,
  newId,
  publish,
  standardAttributes,
  timestamp,
  touch,
  tx,
} from './core.js';
import { neutronErrors as E } from './errors.js';
import { adminOrOwner, denied } from './policy.js';
import type { Quotas } from './quotas.js';
import { ruleKey, sgError, validateRule } from './security-group-rules.js';

const GROUP_FIELDS = new Set([
  'id',
  'name',
  'tenant_id',
  'project_id',
  'description',
  'stateful',
  'shared',
  'tags',
  'created_at',
  'updated_at',
  'revision_number',
  'security_group_rules',
]);
const RULE_FIELDS = new Set([
  'id',
  'tenant_id',
  'project_id',
  'security_group_id',
  'ethertype',
  'direction',
  'protocol',
  'port_range_min',
  'port_range_max',
  'remote_ip_prefix',
  'remote_group_id',
  'normalized_cidr',
  'remote_address_group_id',
  'description',
  'tags',
  'created_at',
  'updated_at',
  'revision_number',
]);

export class SecurityGroups {
  constructor(
    private readonly core: NeutronCore,
    private readonly quotas: Quotas,
  ) {}

  /** The project's default group, created with its four rules the first time it is needed. */
  ensureDefault(projectId: string | null): string | null {
    if (!projectId) return null;
    const existing = this.core.repo.defaultSecurityGroup(projectId);
    if (existing) return existing;
    return tx(this.core, () => {
      const t = timestamp(this.core.now());
      const sg: Doc = {
        id: newId(),
        name: 'default',
        tenant_id: projectId,
        description: 'Default security group',
        stateful: true,
        tags: [],
        created_at: t,
        updated_at: t,
        revision_number: 1,
        project_id: projectId,
        shared: false,
      };
      this.core.repo.securityGroups.insert(sg);
      this.core.repo.setDefaultSecurityGroup(projectId, sg.id);
      for (const ethertype of ['IPv4', 'IPv6']) {
        this.insertRule(sg, { direction: 'ingress', ethertype, remote_group_id: sg.id });
        this.insertRule(sg, { direction: 'egress', ethertype });
      }
      publish(this.core, 'security_group', 'created', this.view(sg));
      return sg.id;
    });
  }

  private insertRule(sg: Doc, r: Record<string, unknown>): Doc {
    const t = timestamp(this.core.now());
    const prefix = (r.remote_ip_prefix as string | null | undefined) ?? null;
    const net = prefix ? parseNet(prefix) : null;
    const rule: Doc = {
      id: newId(),
      tenant_id: sg.project_id,
      security_group_id: sg.id,
      ethertype: r.ethertype ?? 'IPv4',
      direction: r.direction,
      protocol: r.protocol ?? null,
      port_range_min: r.port_range_min ?? null,
      port_range_max: r.port_range_max ?? null,
      remote_ip_prefix: prefix,
      remote_group_id: r.remote_group_id ?? null,
      normalized_cidr: net ? formatNet(net) : null,
      remote_address_group_id: null,
      description: (r.description as string | undefined) ?? '',
      tags: [],
      created_at: t,
      updated_at: t,
      revision_number: 0,
      project_id: sg.project_id,
    };
    this.core.repo.securityGroupRules.insert(rule);
    return rule;
  }

  /** The group with its rules, as the API shows it. */
  view(sg: Doc): Doc {
    return {
      ...sg,
      security_group_rules: this.core.repo.securityGroupRules.list({ security_group_id: sg.id }),
    };
  }

  find(ctx: RequestContext, id: string): Doc {
    const sg = this.core.repo.securityGroups.get(id);
    if (!sg || !adminOrOwner(ctx, sg)) throw E.securityGroupNotFound(id);
    return sg;
  }

  get(ctx: RequestContext, id: string): Doc {
    this.ensureDefault(ctx.projectId);
    return this.view(this.find(ctx, id));
  }

  list(ctx: RequestContext, filters: Filters = {}): Doc[] {
    this.ensureDefault(ctx.projectId);
    const groups = this.core.repo.securityGroups.list().filter((g) => adminOrOwner(ctx, g));
    const rules = new Map<string, Doc[]>();
    for (const r of this.core.repo.securityGroupRules.list()) {
      const k = r.security_group_id as string;
      const list = rules.get(k);
      if (list) list.push(r);
      else rules.set(k, [r]);
    }
    const docs = groups.map((g) => ({ ...g, security_group_rules: rules.get(g.id) ?? [] }));
    return applyFilters(docs, filters, GROUP_FIELDS);
  }

  create(ctx: RequestContext, input: unknown): Doc {
    const body = prepareBody('security_group', input, true);
    const std = standardAttributes(this.core, ctx, body);
    this.ensureDefault(std.project_id);
    if (body.name === 'default')
      throw sgError(
        'Conflict',
        'SecurityGroupDefaultAlreadyExists',
        'Default security group already exists.',
      );
    return tx(this.core, () => {
      this.quotas.check(std.project_id, 'security_group', 1);
      const sg: Doc = {
        id: std.id,
        name: std.name,
        tenant_id: std.tenant_id,
        description: std.description,
        stateful: (body.stateful as boolean | undefined) ?? true,
        tags: std.tags,
        created_at: std.created_at,
        updated_at: std.updated_at,
        revision_number: 1,
        project_id: std.project_id,
        shared: false,
      };
      this.core.repo.securityGroups.insert(sg);
      for (const ethertype of ['IPv4', 'IPv6']) this.insertRule(sg, { direction: 'egress', ethertype });
      const v = this.view(sg);
      publish(this.core, 'security_group', 'created', v);
      return v;
    });
  }

  update(ctx: RequestContext, id: string, input: unknown): Doc {
    const body = prepareBody('security_group', input, false);
    const sg = this.find(ctx, id);
    if (this.core.repo.isDefaultSecurityGroup(id) && body.name !== undefined && body.name !== 'default')
      throw sgError(
        'Conflict',
        'SecurityGroupCannotUpdateDefault',
        'Updating default security group not allowed.',
      );
    return tx(this.core, () => {
      for (const k of ['name', 'description', 'stateful']) if (body[k] !== undefined) sg[k] = body[k];
      touch(this.core, sg);
      this.core.repo.securityGroups.update(sg);
      const v = this.view(sg);
      publish(this.core, 'security_group', 'updated', v);
      return v;
    });
  }

  delete(ctx: RequestContext, id: string): void {
    const sg = this.find(ctx, id);
    // securitygroups_db.delete_security_group: only an admin may remove a `default` group.
    if (sg.name === 'default' && !isAdmin(ctx)) throw E.securityGroupCannotRemoveDefault();
    tx(this.core, () => {
      if (this.core.repo.portsOfSecurityGroups([id]).length) throw E.securityGroupInUse(id);
      const v = this.view(sg);
      this.core.repo.securityGroups.delete(id);
      publish(this.core, 'security_group', 'deleted', v);
    });
  }

  // --- rules
  findRule(ctx: RequestContext, id: string): Doc {
    const r = this.core.repo.securityGroupRules.get(id);
    if (!r || !adminOrOwner(ctx, r)) throw E.securityGroupRuleNotFound(id);
    return r;
  }

  listRules(ctx: RequestContext, filters: Filters = {}): Doc[] {
    this.ensureDefault(ctx.projectId);
    const sg = filters.security_group_id;
    const docs = this.core.repo.securityGroupRules
      .list(sg?.length ? { security_group_id: sg } : {})
      .filter((r) => adminOrOwner(ctx, r));
    return applyFilters(docs, filters, RULE_FIELDS);
  }

  createRule(ctx: RequestContext, input: unknown): Doc {
    const body = prepareBody('security_group_rule', input, true);
    this.ensureDefault(ctx.projectId);
    const sg = this.find(ctx, body.security_group_id as string);
    if (!adminOrOwner(ctx, sg)) throw denied('create_security_group_rule');
    const rule = validateRule(body, (id) => this.find(ctx, id));
    return tx(this.core, () => {
      this.quotas.check(sg.project_id as string, 'security_group_rule', 1);
      const key = ruleKey(rule);
      for (const existing of this.core.repo.securityGroupRules.list({ security_group_id: sg.id }))
        if (ruleKey(existing) === key) throw E.securityGroupRuleExists(existing.id);
      const r = this.insertRule(sg, rule);
      touch(this.core, sg);
      this.core.repo.securityGroups.update(sg);
      publish(this.core, 'security_group_rule', 'created', r);
      publish(this.core, 'security_group', 'updated', this.view(sg));
      return r;
    });
  }

  deleteRule(ctx: RequestContext, id: string): void {
    const r = this.findRule(ctx, id);
    tx(this.core, () => {
      this.core.repo.securityGroupRules.delete(id);
      const sg = this.core.repo.securityGroups.get(r.security_group_id as string);
      publish(this.core, 'security_group_rule', 'deleted', r);
      if (sg) {
        touch(this.core, sg);
        this.core.repo.securityGroups.update(sg);
        publish(this.core, 'security_group', 'updated', this.view(sg));
      }
    });
  }
}
