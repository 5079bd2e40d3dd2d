// QoS policies and their bandwidth-limit rules (the `qos` service plugin and ML2's qos
// extension driver): stored and shown; the agents' QoS extension will enforce them.
import type { Doc } from '../../store/neutron-repo.js';
import type { RequestContext } from '../policy.js';
import { prepareBody } from './attributes.js';
import {
  applyFilters,
  type Filters,
  type NeutronCore,
  newId,
  standardAttributes,
  touch,
  tx,
} from './core.js';
import { neutronErrors as E } from './errors.js';
import { adminOrOwner, denied, enforceAttributes } from './policy.js';

const POLICY_FIELDS = new Set([
  'id',
  'name',
  'description',
  'shared',
  'is_default',
  'project_id',
  'tenant_id',
  'rules',
  'tags',
  'created_at',
  'updated_at',
  'revision_number',
]);

export const QOS_RULE_TYPES = ['bandwidth_limit'];

export class Qos {
  constructor(private readonly core: NeutronCore) {}

  private visible(ctx: RequestContext, p: Doc | undefined): p is Doc {
    return p !== undefined && (adminOrOwner(ctx, p) || p.shared === true);
  }

  findPolicy(ctx: RequestContext, id: string): Doc {
    const p = this.core.repo.qosPolicies.get(id);
    if (!this.visible(ctx, p)) throw E.qosPolicyNotFound(id);
    return p;
  }

  view(p: Doc): Doc {
    return { ...p, rules: this.core.repo.qosRules.list({ policy_id: p.id }).map(ruleView) };
  }

  getPolicy(ctx: RequestContext, id: string): Doc {
    return this.view(this.findPolicy(ctx, id));
  }

  listPolicies(ctx: RequestContext, filters: Filters = {}): Doc[] {
    const docs = this.core.repo.qosPolicies.list().filter((p) => this.visible(ctx, p));
    return applyFilters(
      docs.map((p) => this.view(p)),
      filters,
      POLICY_FIELDS,
    );
  }

  createPolicy(ctx: RequestContext, input: unknown): Doc {
    const body = prepareBody('policy', input, true);
    enforceAttributes(ctx, 'create', 'policy', body);
    const std = standardAttributes(this.core, ctx, body);
    return tx(this.core, () => {
      const p: Doc = {
        id: std.id,
        name: std.name,
        description: std.description,
        shared: (body.shared as boolean | undefined) ?? false,
        is_default: (body.is_default as boolean | undefined) ?? false,
        project_id: std.project_id,
        tenant_id: std.tenant_id,
        tags: std.tags,
        created_at: std.created_at,
        updated_at: std.updated_at,
        revision_number: 0,
      };
      this.core.repo.qosPolicies.insert(p);
      return this.view(p);
    });
  }

  updatePolicy(ctx: RequestContext, id: string, input: unknown): Doc {
    const body = prepareBody('policy', input, false);
    const p = this.findPolicy(ctx, id);
    if (!adminOrOwner(ctx, p)) throw denied('update_policy');
    enforceAttributes(ctx, 'update', 'policy', body);
    return tx(this.core, () => {
      for (const k of ['name', 'description', 'shared', 'is_default'])
        if (body[k] !== undefined) p[k] = body[k];
      touch(this.core, p);
      this.core.repo.qosPolicies.update(p);
      return this.view(p);
    });
  }

  deletePolicy(ctx: RequestContext, id: string): void {
    const p = this.findPolicy(ctx, id);
    if (!adminOrOwner(ctx, p)) throw denied('delete_policy');
    tx(this.core, () => {
      const users = [
        ...this.core.repo.networks.list().filter((n) => n.qos_policy_id === id),
        ...this.core.repo.ports.list().filter((x) => x.qos_policy_id === id),
      ];
      if (users.length) throw E.qosPolicyInUse(id, users[0].mac_address ? 'port' : 'network', users[0].id);
      this.core.repo.qosPolicies.delete(id);
    });
  }

  // --- bandwidth limit rules
  listRules(ctx: RequestContext, policyId: string): Doc[] {
    this.findPolicy(ctx, policyId);
    return this.core.repo.qosRules.list({ policy_id: policyId }).map(ruleView);
  }

  getRule(ctx: RequestContext, policyId: string, ruleId: string): Doc {
    this.findPolicy(ctx, policyId);
    const r = this.core.repo.qosRules.get(ruleId);
    if (!r || r.policy_id !== policyId) throw E.qosRuleNotFound(ruleId, policyId);
    return ruleView(r);
  }

  createRule(ctx: RequestContext, policyId: string, input: unknown): Doc {
    const body = prepareBody('bandwidth_limit_rule', input, true);
    const p = this.findPolicy(ctx, policyId);
    if (!adminOrOwner(ctx, p)) throw denied('create_policy_bandwidth_limit_rule');
    const direction = (body.direction as string | undefined) ?? 'egress';
    return tx(this.core, () => {
      for (const r of this.core.repo.qosRules.list({ policy_id: policyId }))
        if (r.direction === direction) throw E.qosRulesConflict('bandwidth_limit', r.id, policyId);
      const r: Doc = {
        id: newId(),
        project_id: p.project_id,
        name: '',
        policy_id: policyId,
        max_kbps: body.max_kbps,
        max_burst_kbps: (body.max_burst_kbps as number | undefined) ?? 0,
        direction,
      };
      this.core.repo.qosRules.insert(r);
      touch(this.core, p);
      this.core.repo.qosPolicies.update(p);
      return ruleView(r);
    });
  }

  updateRule(ctx: RequestContext, policyId: string, ruleId: string, input: unknown): Doc {
    const body = prepareBody('bandwidth_limit_rule', input, false);
    this.getRule(ctx, policyId, ruleId);
    return tx(this.core, () => {
      const r = this.core.repo.qosRules.get(ruleId) as Doc;
      for (const k of ['max_kbps', 'max_burst_kbps', 'direction']) if (body[k] !== undefined) r[k] = body[k];
      this.core.repo.qosRules.update(r);
      return ruleView(r);
    });
  }

  deleteRule(ctx: RequestContext, policyId: string, ruleId: string): void {
    this.getRule(ctx, policyId, ruleId);
    this.core.repo.qosRules.delete(ruleId);
  }
}

function ruleView(r: Doc): Doc {
  return {
    id: r.id,
    max_kbps: r.max_kbps,
    max_burst_kbps: r.max_burst_kbps,
    direction: r.direction,
    qos_policy_id: r.policy_id,
    type: 'bandwidth_limit',
  };
}
