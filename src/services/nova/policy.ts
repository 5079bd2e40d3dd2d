// Nova's default policies (Zed, scope enforcement off as Debian ships it): the admin role may
// do everything; a member acts on its project's servers and its own key pairs; flavors and
// hosts are admin business.
import { forbidden } from '../errors.js';
import { Policy, type Rule, rules } from '../policy.js';

const projectMember: Rule = (ctx, t) => rules.adminOrOwner(ctx, t);
const adminOrUser: Rule = (ctx, t) => rules.admin(ctx, t) || t.user_id === ctx.userId;

const table: Record<string, Rule> = {
  'os_compute_api:servers:index': rules.any,
  'os_compute_api:servers:detail': rules.any,
  'os_compute_api:servers:index:get_all_tenants': rules.admin,
  'os_compute_api:servers:show': projectMember,
  'os_compute_api:servers:show:host_status': rules.admin,
  'os_compute_api:os-extended-server-attributes': rules.admin,
  'os_compute_api:servers:create': projectMember,
  'os_compute_api:servers:create:forced_host': rules.admin,
  'os_compute_api:servers:delete': projectMember,
  'os_compute_api:servers:update': projectMember,
  'os_compute_api:servers:start': projectMember,
  'os_compute_api:servers:stop': projectMember,
  'os_compute_api:servers:reboot': projectMember,
  'os_compute_api:servers:pause': projectMember,
  'os_compute_api:servers:unpause': projectMember,
  'os_compute_api:servers:suspend': projectMember,
  'os_compute_api:servers:resume': projectMember,
  'os_compute_api:os-console-output': projectMember,
  'os_compute_api:os-attach-interfaces:list': projectMember,
  'os_compute_api:os-security-groups:add': projectMember,
  'os_compute_api:os-instance-actions:list': projectMember,
  'os_compute_api:os-instance-actions:show': projectMember,
  // Events: admin only before 2.51, the project's members too after; tracebacks and hosts: admin.
  'os_compute_api:os-instance-actions:events': rules.admin,
  'os_compute_api:os-instance-actions:events:details': rules.admin,
  'os_compute_api:os-remote-consoles': projectMember,
  'os_compute_api:server-metadata:index': projectMember,
  'os_compute_api:server-metadata:update': projectMember,
  'os_compute_api:server-metadata:delete': projectMember,
  'os_compute_api:os-server-external-events:create': rules.admin,
  'os_compute_api:os-keypairs:index': adminOrUser,
  'os_compute_api:os-keypairs:show': adminOrUser,
  'os_compute_api:os-keypairs:create': adminOrUser,
  'os_compute_api:os-keypairs:delete': adminOrUser,
  'os_compute_api:os-flavor-manage:create': rules.admin,
  'os_compute_api:os-flavor-manage:update': rules.admin,
  'os_compute_api:os-flavor-manage:delete': rules.admin,
  'os_compute_api:os-flavor-extra-specs:index': rules.any,
  'os_compute_api:os-flavor-extra-specs:show': rules.any,
  'os_compute_api:os-flavor-extra-specs:create': rules.admin,
  'os_compute_api:os-flavor-extra-specs:update': rules.admin,
  'os_compute_api:os-flavor-extra-specs:delete': rules.admin,
  'os_compute_api:os-flavor-access': rules.admin,
  'os_compute_api:os-flavor-access:add_tenant_access': rules.admin,
  'os_compute_api:os-flavor-access:remove_tenant_access': rules.admin,
  'os_compute_api:os-hypervisors:list': rules.admin,
  'os_compute_api:os-hypervisors:list-detail': rules.admin,
  'os_compute_api:os-hypervisors:show': rules.admin,
  'os_compute_api:os-hypervisors:statistics': rules.admin,
  'os_compute_api:os-hypervisors:uptime': rules.admin,
  'os_compute_api:os-services:list': rules.admin,
  'os_compute_api:os-services:update': rules.admin,
  'os_compute_api:os-availability-zone:list': rules.any,
  'os_compute_api:os-availability-zone:detail': rules.admin,
  'os_compute_api:os-aggregates:index': rules.admin,
  'os_compute_api:limits': rules.any,
  'os_compute_api:limits:other_project': rules.admin,
  'os_compute_api:os-quota-sets:show': projectMember,
  'os_compute_api:os-quota-sets:defaults': rules.any,
  'os_compute_api:os-quota-sets:update': rules.admin,
  'os_compute_api:os-quota-sets:delete': rules.admin,
};

// Nova's words for a refused policy check (nova/exception.py PolicyNotAuthorized).
export const novaPolicy = new Policy(table, (action) =>
  forbidden(`Policy doesn't allow ${action} to be performed.`, 'PolicyNotAuthorized'),
);
