// Neutron's default policies (Zed, scope enforcement off as Debian ships them), as predicates
// over the request context and the resource. Two things follow from them as a user sees it:
// a resource the caller may not read does not exist (404 in the resource's own words, because
// the database query already filters it out), and an action on a resource the caller may read
// but not change is 403 PolicyNotAuthorized, naming the rule.
import type { Doc } from '../../store/neutron-repo.js';
import { isAdmin, type RequestContext } from '../policy.js';
import { neutronErrors as E } from './errors.js';

export const owner = (ctx: RequestContext, d: Doc | undefined) =>
  d !== undefined && ctx.projectId !== null && (d.project_id ?? d.tenant_id) === ctx.projectId;
export const adminOrOwner = (ctx: RequestContext, d: Doc | undefined) => isAdmin(ctx) || owner(ctx, d);

/** Attributes only an admin may set, by action (create_network:shared …). */
const adminOnlyAttributes: Record<string, readonly string[]> = {
  network: [
    'shared',
    'router:external',
    'provider:network_type',
    'provider:physical_network',
    'provider:segmentation_id',
    'is_default',
  ],
  port: ['binding:host_id', 'binding:profile'],
  router: ['distributed', 'ha'],
  floatingip: ['floating_ip_address'],
  policy: ['shared', 'is_default'],
};

/** Attributes an admin sees and a member does not (get_network:provider:* …). */
export const adminOnlyViews: Record<string, readonly string[]> = {
  network: ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id', 'segments'],
  port: ['binding:host_id', 'binding:profile', 'binding:vif_type', 'binding:vif_details'],
  router: ['distributed', 'ha'],
};

/** The rule name of an action on an attribute, as oslo.policy prints a failed compound check. */
export function enforceAttributes(
  ctx: RequestContext,
  action: 'create' | 'update',
  resource: string,
  body: Record<string, unknown>,
  extra: (attr: string) => boolean = () => false,
): void {
  if (isAdmin(ctx)) return;
  for (const attr of adminOnlyAttributes[resource] ?? [])
    if (body[attr] !== undefined && !extra(attr))
      throw E.policyNotAuthorized(`(rule:${action}_${resource} and rule:${action}_${resource}:${attr})`);
}

/** The 403 for an action on a resource the caller can read but not change. */
export const denied = (action: string) => E.policyNotAuthorized(`rule:${action}`);

/** external_gateway_info's enable_snat and external_fixed_ips are the admin's to set (Zed policy). */
export function enforceGatewayInfo(ctx: RequestContext, action: string, info: Record<string, unknown>): void {
  if (isAdmin(ctx)) return;
  for (const k of ['enable_snat', 'external_fixed_ips'])
    if (info[k] !== undefined)
      throw E.policyNotAuthorized(
        `(rule:${action}_router and rule:${action}_router:external_gateway_info and rule:${action}_router:external_gateway_info:${k})`,
      );
}
