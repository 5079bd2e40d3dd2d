// Keystone's default policies (Zed, scope enforcement off as Debian ships it), for a cloud
// whose tokens are project-scoped: the admin role may do everything; a member reads what is
// its own (its user, its projects, its token) and changes its own password.
import { Policy, type Rule, rules } from '../policy.js';

const ownProject: Rule = (ctx, t) => ctx.projectId !== null && t.project_id === ctx.projectId;
const ownDomain: Rule = (ctx, t) => t.domain_id === ctx.projectDomainId || t.domain_id === ctx.domainId;

const table: Record<string, Rule> = {
  'identity:list_domains': rules.admin,
  'identity:get_domain': (ctx, t) => rules.admin(ctx, t) || ownDomain(ctx, t),
  'identity:create_domain': rules.admin,
  'identity:update_domain': rules.admin,
  'identity:delete_domain': rules.admin,
  'identity:list_projects': rules.admin,
  'identity:get_project': (ctx, t) => rules.admin(ctx, t) || ownProject(ctx, t),
  'identity:create_project': rules.admin,
  'identity:update_project': rules.admin,
  'identity:delete_project': rules.admin,
  'identity:list_user_projects': rules.adminOrSelf,
  'identity:list_users': rules.admin,
  'identity:get_user': rules.adminOrSelf,
  'identity:create_user': rules.admin,
  'identity:update_user': rules.admin,
  'identity:delete_user': rules.admin,
  'identity:change_password': rules.adminOrSelf,
  'identity:list_groups': rules.admin,
  'identity:get_group': rules.admin,
  'identity:create_group': rules.admin,
  'identity:update_group': rules.admin,
  'identity:delete_group': rules.admin,
  'identity:add_user_to_group': rules.admin,
  'identity:remove_user_from_group': rules.admin,
  'identity:check_user_in_group': rules.admin,
  'identity:list_users_in_group': rules.admin,
  'identity:list_groups_for_user': rules.adminOrSelf,
  'identity:list_roles': rules.admin,
  'identity:get_role': rules.admin,
  'identity:create_role': rules.admin,
  'identity:update_role': rules.admin,
  'identity:delete_role': rules.admin,
  'identity:create_grant': rules.admin,
  'identity:check_grant': rules.admin,
  'identity:revoke_grant': rules.admin,
  'identity:list_grants': rules.admin,
  'identity:list_role_assignments': rules.admin,
  'identity:list_services': rules.admin,
  'identity:get_service': rules.admin,
  'identity:create_service': rules.admin,
  'identity:update_service': rules.admin,
  'identity:delete_service': rules.admin,
  'identity:list_endpoints': rules.admin,
  'identity:get_endpoint': rules.admin,
  'identity:create_endpoint': rules.admin,
  'identity:update_endpoint': rules.admin,
  'identity:delete_endpoint': rules.admin,
  'identity:list_regions': rules.any,
  'identity:get_region': rules.any,
  'identity:create_region': rules.admin,
  'identity:delete_region': rules.admin,
  // A token's subject may check, validate and revoke it; services (admin) may too.
  'identity:validate_token': (ctx, t) => rules.admin(ctx, t) || t.user_id === ctx.userId,
  'identity:revoke_token': (ctx, t) => rules.admin(ctx, t) || t.user_id === ctx.userId,
};

export const keystonePolicy = new Policy(table);
