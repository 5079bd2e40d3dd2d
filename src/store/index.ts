export * from './catalog-repo.js';
export { type Db, inTransaction, openDatabase } from './db.js';
export * from './identity-repo.js';
export * from './revocation-repo.js';
export * from './settings-repo.js';
export * from './nova-flavor-repo.js';
export * from './nova-instance-repo.js';
export * from './nova-keypair-repo.js';
export * from './nova-placement-repo.js';
