// Keystone: identity, resources, assignments, catalog and tokens over one database.
import { randomBytes } from 'node:crypto';
import { CatalogRepo, type Db, IdentityRepo, RevocationRepo, SettingsRepo } from '../../store/index.js';
import { type BootstrapInput, bootstrap } from './bootstrap.js';
import { Catalog } from './catalog.js';
import { FernetKey } from './fernet.js';
import { Identity } from './identity.js';
import { Tokens } from './tokens.js';

export type { BootstrapInput, CatalogService } from './bootstrap.js';
export { Catalog, type CatalogEntry } from './catalog.js';
export { type AssignmentFilter, DEFAULT_DOMAIN_ID, type Grant, Identity, newId } from './identity.js';
export { keystonePolicy } from './policy.js';
export { type TokenData, TokenInvalid, type TokenScope, Tokens } from './tokens.js';

export interface KeystoneOptions {
  tokenLifetimeSeconds?: number;
  now?: () => number;
}

export class Keystone {
  readonly identity: Identity;
  readonly catalog: Catalog;
  readonly tokens: Tokens;

  constructor(db: Db, options: KeystoneOptions = {}) {
    const settings = new SettingsRepo(db);
    let key = settings.get('fernet_key');
    if (!key) {
      key = FernetKey.generate();
      settings.set('fernet_key', key);
    }
    const now = options.now ?? (() => Date.now());
    this.identity = new Identity(new IdentityRepo(db), () => new Date(now()));
    this.catalog = new Catalog(new CatalogRepo(db));
    this.tokens = new Tokens(
      this.identity,
      this.catalog,
      new RevocationRepo(db),
      key,
      options.tokenLifetimeSeconds,
      now,
    );
  }

  bootstrap(input: BootstrapInput): Promise<void> {
    return bootstrap(this.identity, this.catalog, input);
  }
}

/** A password like packstack's generated ones: 16 hex characters. */
export const generatePassword = () => randomBytes(8).toString('hex');
