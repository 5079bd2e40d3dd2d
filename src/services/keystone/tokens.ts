// Token issue, validation and revocation (keystone/token/provider.py + auth/plugins). Tokens
// are Fernet, so their meaning (user, scope, methods, expiry, audit ids) travels in the token;
// roles and catalog are recomputed at validation, as Keystone does, so a revoked grant or a
// disabled user stops a token at once.
import { randomBytes } from 'node:crypto';
import type {
  DomainRow,
  ProjectRow,
  RevocationEvent,
  RevocationRepo,
  RoleRow,
  UserRow,
} from '../../store/index.js';
import { badRequest, unauthorized } from '../errors.js';
import type { RequestContext } from '../policy.js';
import type { Catalog, CatalogEntry } from './catalog.js';
import { FernetKey } from './fernet.js';
import type { Identity } from './identity.js';
import { keystonePolicy } from './policy.js';

export type TokenScope =
  | { type: 'project'; project: ProjectRow; domain: DomainRow }
  | { type: 'domain'; domain: DomainRow }
  | { type: 'system' }
  | { type: 'unscoped' };

export interface TokenData {
  id: string;
  methods: string[];
  user: UserRow;
  userDomain: DomainRow;
  scope: TokenScope;
  roles: RoleRow[];
  /** Seconds since the epoch: Fernet timestamps have whole-second precision. */
  issuedAt: number;
  expiresAt: number;
  auditIds: string[];
}

/** Why a token is no good: the API words these differently for X-Auth-Token and X-Subject-Token. */
export class TokenInvalid extends Error {
  constructor(readonly reason: 'unrecognized' | 'invalid') {
    super(reason === 'unrecognized' ? 'Could not recognize Fernet token' : 'Failed to validate token');
  }
}

interface Payload {
  u: string;
  m: string[];
  s: 'p' | 'd' | 's' | 'u';
  t?: string;
  i: number;
  e: number;
  a: string[];
}

const keystoneMissing = (attribute: string, target: string) =>
  badRequest(
    `Expecting to find ${attribute} in ${target}. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`,
  );
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const auditId = () => randomBytes(16).toString('base64url').slice(0, 22);

export class Tokens {
  private readonly key: FernetKey;
  private revocations: RevocationEvent[];
  private readonly cache = new Map<string, TokenData>();

  constructor(
    private readonly identity: Identity,
    private readonly catalog: Catalog,
    private readonly revocationRepo: RevocationRepo,
    fernetKey: string,
    readonly lifetimeSeconds = 3600,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.key = FernetKey.from(fernetKey);
    this.revocationRepo.prune(new Date(this.now() - lifetimeSeconds * 1000).toISOString());
    this.revocations = this.revocationRepo.list();
    identity.onChange((c) => {
      this.cache.clear();
      if (c.kind === 'user-disabled' || c.kind === 'user-deleted' || c.kind === 'password-changed')
        this.addRevocation({ auditId: null, userId: c.userId, projectId: null });
    });
  }

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  /** POST /v3/auth/tokens. */
  async issue(auth: unknown): Promise<TokenData> {
    if (!isObject(auth)) throw keystoneMissing('auth', 'request body');
    const ident = auth.identity;
    if (!isObject(ident)) throw keystoneMissing('identity', 'auth');
    const methods = ident.methods;
    if (!Array.isArray(methods) || methods.length === 0 || methods.some((m) => typeof m !== 'string'))
      throw keystoneMissing('methods', 'identity');

    let user: UserRow;
    let inherited: Payload | undefined;
    if (methods.includes('password')) {
      const pw = ident.password;
      if (!isObject(pw)) throw keystoneMissing('password', 'identity');
      const u = pw.user;
      if (!isObject(u)) throw keystoneMissing('user', 'password');
      if (typeof u.password !== 'string') throw keystoneMissing('password', 'user');
      let found: UserRow | undefined;
      if (typeof u.id === 'string') found = this.identity.repo.getUser(u.id);
      else if (typeof u.name === 'string') {
        const domain = this.identity.resolveDomainRef(u.domain as Record<string, unknown> | undefined, () =>
          isObject(u.domain) ? unauthorized() : keystoneMissing('domain', 'user'),
        );
        found = this.identity.repo.getUserByName(domain.id, u.name);
      } else throw keystoneMissing('id or name', 'user');
      if (!found) throw unauthorized();
      user = await this.identity.authenticate(found.id, u.password);
    } else if (methods.includes('token')) {
      const t = ident.token;
      if (!isObject(t) || typeof t.id !== 'string') throw keystoneMissing('id', 'token');
      let prior: TokenData;
      try {
        prior = this.validate(t.id);
      } catch {
        throw unauthorized();
      }
      user = prior.user;
      inherited = {
        u: user.id,
        m: prior.methods,
        s: 'u',
        i: prior.issuedAt,
        e: prior.expiresAt,
        a: prior.auditIds,
      };
    } else {
      throw unauthorized(`The request you have made requires authentication.`);
    }

    const scope = this.resolveScope(auth.scope, user);
    const issuedAt = this.nowSeconds();
    const payload: Payload = {
      u: user.id,
      m: inherited ? ['token', ...inherited.m.filter((m) => m !== 'token')] : ['password'],
      s: scope.type === 'project' ? 'p' : scope.type === 'domain' ? 'd' : scope.type === 'system' ? 's' : 'u',
      t: scope.type === 'project' ? scope.project.id : scope.type === 'domain' ? scope.domain.id : undefined,
      i: issuedAt,
      // A rescoped token never outlives the token it came from.
      e: inherited ? inherited.e : issuedAt + this.lifetimeSeconds,
      a: inherited ? [auditId(), inherited.a[inherited.a.length - 1]] : [auditId()],
    };
    const id = this.key.encrypt(Buffer.from(JSON.stringify(payload)), issuedAt);
    return this.validate(id);
  }

  private resolveScope(scope: unknown, user: UserRow): TokenScope {
    if (scope === undefined || scope === null) {
      // Keystone scopes an unscoped request to the user's default project when it may.
      const p = user.defaultProjectId ? this.identity.repo.getProject(user.defaultProjectId) : undefined;
      if (p?.enabled && this.identity.rolesOn(user.id, { type: 'project', id: p.id }).length > 0) {
        return { type: 'project', project: p, domain: this.identity.domain(p.domainId) };
      }
      return { type: 'unscoped' };
    }
    if (!isObject(scope)) throw keystoneMissing('project, domain or system', 'scope');
    const chosen = ['project', 'domain', 'system', 'OS-TRUST:trust'].filter((k) => k in scope);
    if (chosen.length > 1)
      throw badRequest('Specifying more than one of project, domain or system in scope is not permitted.');
    if (isObject(scope.project)) {
      const ref = scope.project;
      let p: ProjectRow | undefined;
      if (typeof ref.id === 'string') p = this.identity.repo.getProject(ref.id);
      else if (typeof ref.name === 'string') {
        const d = this.identity.resolveDomainRef(ref.domain as Record<string, unknown> | undefined, () =>
          isObject(ref.domain) ? unauthorized() : keystoneMissing('domain', 'project'),
        );
        p = this.identity.repo.listProjects().find((x) => x.domainId === d.id && x.name === ref.name);
      } else throw keystoneMissing('id or name', 'project');
      if (!p || !p.enabled) throw unauthorized();
      const domain = this.identity.domain(p.domainId);
      if (!domain.enabled) throw unauthorized();
      if (this.identity.rolesOn(user.id, { type: 'project', id: p.id }).length === 0) throw unauthorized();
      return { type: 'project', project: p, domain };
    }
    if (isObject(scope.domain)) {
      const d = this.identity.resolveDomainRef(scope.domain, () => unauthorized());
      if (!d.enabled || this.identity.rolesOn(user.id, { type: 'domain', id: d.id }).length === 0)
        throw unauthorized();
      return { type: 'domain', domain: d };
    }
    if (isObject(scope.system)) {
      if (scope.system.all !== true) throw badRequest('Invalid system scope: only "all" is supported.');
      if (this.identity.rolesOn(user.id, { type: 'system' }).length === 0) throw unauthorized();
      return { type: 'system' };
    }
    throw keystoneMissing('project, domain or system', 'scope');
  }

  /** The token's current meaning, or TokenInvalid. */
  validate(id: string): TokenData {
    const cached = this.cache.get(id);
    if (cached) {
      if (cached.expiresAt <= this.nowSeconds()) throw new TokenInvalid('invalid');
      return cached;
    }
    const raw = this.key.decrypt(id);
    if (!raw) throw new TokenInvalid('unrecognized');
    let p: Payload;
    try {
      p = JSON.parse(raw.toString('utf8')) as Payload;
    } catch {
      throw new TokenInvalid('unrecognized');
    }
    if (p.e <= this.nowSeconds()) throw new TokenInvalid('invalid');
    if (this.isRevoked(p)) throw new TokenInvalid('invalid');
    const user = this.identity.repo.getUser(p.u);
    if (!user?.enabled) throw new TokenInvalid('invalid');
    const userDomain = this.identity.repo.getDomain(user.domainId);
    if (!userDomain?.enabled) throw new TokenInvalid('invalid');
    let scope: TokenScope;
    let roleIds: string[] = [];
    if (p.s === 'p') {
      const project = this.identity.repo.getProject(p.t ?? '');
      const domain = project && this.identity.repo.getDomain(project.domainId);
      if (!project?.enabled || !domain?.enabled) throw new TokenInvalid('invalid');
      scope = { type: 'project', project, domain };
      roleIds = this.identity.rolesOn(user.id, { type: 'project', id: project.id });
    } else if (p.s === 'd') {
      const domain = this.identity.repo.getDomain(p.t ?? '');
      if (!domain?.enabled) throw new TokenInvalid('invalid');
      scope = { type: 'domain', domain };
      roleIds = this.identity.rolesOn(user.id, { type: 'domain', id: domain.id });
    } else if (p.s === 's') {
      scope = { type: 'system' };
      roleIds = this.identity.rolesOn(user.id, { type: 'system' });
    } else scope = { type: 'unscoped' };
    if (scope.type !== 'unscoped' && roleIds.length === 0) throw new TokenInvalid('invalid');
    const roles = sortRoles(
      roleIds.map((r) => this.identity.repo.getRole(r)).filter((r): r is RoleRow => !!r),
    );
    const data: TokenData = {
      id,
      methods: p.m,
      user,
      userDomain,
      scope,
      roles,
      issuedAt: p.i,
      expiresAt: p.e,
      auditIds: p.a,
    };
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(id, data);
    return data;
  }

  private isRevoked(p: Payload): boolean {
    for (const ev of this.revocations) {
      if (ev.auditId !== null && p.a.includes(ev.auditId)) return true;
      if (ev.userId !== null && ev.userId === p.u && p.i <= Date.parse(ev.issuedBefore) / 1000) return true;
    }
    return false;
  }

  private addRevocation(e: {
    auditId: string | null;
    userId: string | null;
    projectId: string | null;
  }): void {
    const now = new Date(this.now()).toISOString();
    const ev: RevocationEvent = { ...e, issuedBefore: now, revokedAt: now };
    this.revocationRepo.insert(ev);
    this.revocations.push(ev);
    this.cache.clear();
  }

  /** DELETE /v3/auth/tokens: revokes the subject token (the whole chain of a rescoped one). */
  revoke(ctx: RequestContext, subject: string): void {
    const data = this.validate(subject);
    keystonePolicy.enforce('identity:revoke_token', ctx, { user_id: data.user.id });
    this.addRevocation({ auditId: data.auditIds[data.auditIds.length - 1], userId: null, projectId: null });
  }

  /** GET/HEAD /v3/auth/tokens policy: the caller may look at the subject token. */
  checkValidatePolicy(ctx: RequestContext, subject: TokenData): void {
    keystonePolicy.enforce('identity:validate_token', ctx, { user_id: subject.user.id });
  }

  catalogFor(data: TokenData): CatalogEntry[] {
    return data.scope.type === 'unscoped' ? [] : this.catalog.forToken();
  }

  /** The context every API builds from a validated X-Auth-Token. */
  contextOf(data: TokenData, requestId: string): RequestContext {
    return {
      userId: data.user.id,
      userName: data.user.name,
      userDomainId: data.user.domainId,
      projectId: data.scope.type === 'project' ? data.scope.project.id : null,
      projectName: data.scope.type === 'project' ? data.scope.project.name : null,
      projectDomainId: data.scope.type === 'project' ? data.scope.project.domainId : null,
      domainId: data.scope.type === 'domain' ? data.scope.domain.id : null,
      system: data.scope.type === 'system',
      roles: data.roles.map((r) => r.name),
      token: data.id,
      requestId,
    };
  }
}

// Keystone lists a token's roles with the granted role first and implied ones after
// (admin, member, reader): order by how many roles each implies.
const rank: Record<string, number> = { admin: 0, member: 1, reader: 2 };
function sortRoles(roles: RoleRow[]): RoleRow[] {
  return roles.sort((a, b) => (rank[a.name] ?? 3) - (rank[b.name] ?? 3) || a.name.localeCompare(b.name));
}
