// Nova's key pairs, owned by a user (not a project). Rows in, plain objects out.
import type { Db } from './db.js';

export interface KeyPairRow {
  id: number;
  userId: string;
  name: string;
  type: string;
  publicKey: string;
  fingerprint: string;
  createdAt: string;
}

type Raw = Record<string, unknown>;
const toKeyPair = (r: Raw): KeyPairRow => ({
  id: r.id as number,
  userId: r.user_id as string,
  name: r.name as string,
  type: r.type as string,
  publicKey: r.public_key as string,
  fingerprint: r.fingerprint as string,
  createdAt: r.created_at as string,
});

export class KeyPairRepo {
  constructor(private readonly db: Db) {}

  get(userId: string, name: string): KeyPairRow | undefined {
    const r = this.db
      .prepare('SELECT * FROM nova_key_pairs WHERE user_id = ? AND name = ?')
      .get(userId, name) as Raw | undefined;
    return r && toKeyPair(r);
  }
  /** A user's key pairs by name (Nova's order), optionally after a marker name. */
  list(userId: string): KeyPairRow[] {
    return (
      this.db.prepare('SELECT * FROM nova_key_pairs WHERE user_id = ? ORDER BY name').all(userId) as Raw[]
    ).map(toKeyPair);
  }
  count(userId: string): number {
    return (
      this.db.prepare('SELECT COUNT(*) AS n FROM nova_key_pairs WHERE user_id = ?').get(userId) as {
        n: number;
      }
    ).n;
  }
  /** Inserts and returns the row with its id. */
  insert(k: Omit<KeyPairRow, 'id'>): KeyPairRow {
    const r = this.db
      .prepare(
        'INSERT INTO nova_key_pairs (user_id, name, type, public_key, fingerprint, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(k.userId, k.name, k.type, k.publicKey, k.fingerprint, k.createdAt);
    return { ...k, id: Number(r.lastInsertRowid) };
  }
  delete(userId: string, name: string): boolean {
    return (
      this.db.prepare('DELETE FROM nova_key_pairs WHERE user_id = ? AND name = ?').run(userId, name).changes >
      0
    );
  }
}
