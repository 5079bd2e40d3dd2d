// Small key/value facts a cloud keeps across restarts (the Fernet keys, bootstrap marks).
import type { Db } from './db.js';

export class SettingsRepo {
  constructor(private readonly db: Db) {}
  get(key: string): string | undefined {
    const r = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as
      | { value: string }
      | undefined;
    return r?.value;
  }
  set(key: string, value: string): void {
    this.db
      .prepare(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      )
      .run(key, value);
  }
}
