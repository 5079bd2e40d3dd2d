// Who may do what: oslo.policy's idea in a few lines. Every service declares its rules as
// functions of the request context (from the validated token) and the target; enforce()
// throws the 403 the real service would. Rules follow the upstream Zed defaults with scope
// enforcement off (what Debian's packages ship): a project-scoped admin token is admin.
import { forbidden, type ServiceError } from './errors.js';

export interface RequestContext {
  userId: string;
  userName: string;
  userDomainId: string;
  /** The project the token is scoped to, if any. */
  projectId: string | null;
  projectName: string | null;
  projectDomainId: string | null;
  domainId: string | null;
  system: boolean;
  roles: readonly string[];
  /** The token itself, for services that call other services on the user's behalf. */
  token: string;
  requestId: string;
}

export type Target = Record<string, unknown>;
export type Rule = (ctx: RequestContext, target: Target) => boolean;

export const hasRole = (ctx: RequestContext, role: string) => ctx.roles.includes(role);
export const isAdmin = (ctx: RequestContext) => hasRole(ctx, 'admin');

export const rules = {
  any: (() => true) as Rule,
  admin: ((ctx) => isAdmin(ctx)) as Rule,
  /** The resource belongs to the token's project (Neutron/Nova/Glance "owner"). */
  owner: ((ctx, t) => ctx.projectId !== null && (t.project_id ?? t.tenant_id) === ctx.projectId) as Rule,
  adminOrOwner: ((ctx, t) => isAdmin(ctx) || rules.owner(ctx, t)) as Rule,
  /** The target user is the token's user. */
  self: ((ctx, t) => t.user_id === ctx.userId) as Rule,
  adminOrSelf: ((ctx, t) => isAdmin(ctx) || t.user_id === ctx.userId) as Rule,
};

export class Policy {
  constructor(
    private readonly table: Record<string, Rule>,
    private readonly deny: (action: string) => ServiceError = (action) =>
      forbidden(`You are not authorized to perform the requested action: ${action}.`),
  ) {}

  allowed(action: string, ctx: RequestContext, target: Target = {}): boolean {
    const rule = this.table[action];
    if (!rule) throw new Error(`policy: no rule for ${action}`);
    return rule(ctx, target);
  }

  enforce(action: string, ctx: RequestContext, target: Target = {}): void {
    if (!this.allowed(action, ctx, target)) throw this.deny(action);
  }
}

/** The context of the cloud itself (bootstrap, agents' service calls): everything allowed. */
export function internalContext(requestId = 'req-internal'): RequestContext {
  return {
    userId: 'internal',
    userName: 'internal',
    userDomainId: 'default',
    projectId: null,
    projectName: null,
    projectDomainId: null,
    domainId: null,
    system: true,
    roles: ['admin', 'member', 'reader'],
    token: '',
    requestId,
  };
}
