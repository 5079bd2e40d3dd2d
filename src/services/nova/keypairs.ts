// Key pairs (nova/compute/api.py KeypairAPI): per user, generated or imported, counted against
// the key_pairs quota. From microversion 2.92 Nova no longer generates keys: a public key is
// required (the API schema enforces that, see api/nova).
import { isUniqueViolation, type KeyPairRepo, type KeyPairRow } from '../../store/index.js';
import { badRequest, conflict, forbidden, notFound } from '../errors.js';
import type { RequestContext } from '../policy.js';
import { novaPolicy } from './policy.js';
import type { Quotas } from './quotas.js';
import { fingerprintOfPublicKey, generateRsaKey } from './ssh-keys.js';

export type KeyPair = KeyPairRow & { privateKey?: string };

// Nova's name check before 2.92 (nova/api/validation/parameter_types.py keypair name): word
// characters, spaces, '.', '-', '_' … ; from 2.92 also '@'.
const SAFE_NAME = /^[\w. -]+$/;
const SAFE_NAME_292 = /^[\w. @-]+$/;

export class KeyPairs {
  constructor(
    private readonly repo: KeyPairRepo,
    private readonly quotas: Quotas,
    private readonly now: () => Date,
  ) {}

  /** Whose key pairs: the caller's, or (admin, 2.10+) the user named in the request. */
  private owner(ctx: RequestContext, action: string, userId?: string): string {
    const owner = userId ?? ctx.userId;
    novaPolicy.enforce(`os_compute_api:os-keypairs:${action}`, ctx, { user_id: owner });
    return owner;
  }

  list(ctx: RequestContext, o: { userId?: string; limit?: number; marker?: string } = {}): KeyPairRow[] {
    const owner = this.owner(ctx, 'index', o.userId);
    let rows = this.repo.list(owner);
    if (o.marker !== undefined) {
      const i = rows.findIndex((k) => k.name === o.marker);
      if (i < 0) throw badRequest(`marker [${o.marker}] not found`);
      rows = rows.slice(i + 1);
    }
    return o.limit === undefined ? rows : rows.slice(0, o.limit);
  }

  get(ctx: RequestContext, name: string, userId?: string): KeyPairRow {
    const owner = this.owner(ctx, 'show', userId);
    const k = this.repo.get(owner, name);
    if (!k) throw notFound(`Keypair ${name} not found for user ${owner}`, 'KeypairNotFound');
    return k;
  }

  create(
    ctx: RequestContext,
    c: { name: string; type?: string; publicKey?: string | null; userId?: string; microversion292?: boolean },
  ): KeyPair {
    const owner = this.owner(ctx, 'create', c.userId);
    const safe = c.microversion292 ? SAFE_NAME_292 : SAFE_NAME;
    if (!safe.test(c.name))
      throw badRequest('Keypair data is invalid: Keypair name contains unsafe characters');
    const limit = this.quotas.limitsFor(ctx.projectId ?? '').key_pairs;
    if (limit >= 0 && this.repo.count(owner) >= limit) throw forbidden('Quota exceeded, too many key pairs.');
    const type = c.type ?? 'ssh';
    let publicKey: string;
    let fingerprint: string;
    let privateKey: string | undefined;
    if (c.publicKey === undefined || c.publicKey === null) {
      const g = generateRsaKey();
      ({ publicKey, fingerprint, privateKey } = g);
    } else {
      if (type === 'x509') throw badRequest('Keypair data is invalid: failed to generate fingerprint');
      fingerprint = fingerprintOfPublicKey(c.publicKey);
      publicKey = c.publicKey;
    }
    if (this.repo.get(owner, c.name)) throw conflict(`Key pair '${c.name}' already exists.`, 'KeyPairExists');
    try {
      const row = this.repo.insert({
        userId: owner,
        name: c.name,
        type,
        publicKey,
        fingerprint,
        createdAt: this.now().toISOString(),
      });
      return privateKey === undefined ? row : { ...row, privateKey };
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict(`Key pair '${c.name}' already exists.`, 'KeyPairExists');
      throw e;
    }
  }

  delete(ctx: RequestContext, name: string, userId?: string): void {
    const owner = this.owner(ctx, 'delete', userId);
    if (!this.repo.delete(owner, name))
      throw notFound(`Keypair ${name} not found for user ${owner}`, 'KeypairNotFound');
  }
}
