// Keystone's revocation events: by audit id (one token) or by user (every token issued before).
import type { Db } from './db.js';

export interface RevocationEvent {
  auditId: string | null;
  userId: string | null;
  projectId: string | null;
  issuedBefore: string;
  revokedAt: string;
}

export class RevocationRepo {
  constructor(private readonly db: Db) {}
  list(): RevocationEvent[] {
    return (
      this.db.prepare('SELECT * FROM revocation_events ORDER BY id').all() as Record<string, unknown>[]
    ).map((r) => ({
      auditId: (r.audit_id as string | null) ?? null,
      userId: (r.user_id as string | null) ?? null,
      projectId: (r.project_id as string | null) ?? null,
      issuedBefore: r.issued_before as string,
      revokedAt: r.revoked_at as string,
    }));
  }
  insert(e: RevocationEvent): void {
    this.db
      .prepare(
        'INSERT INTO revocation_events (audit_id, user_id, project_id, issued_before, revoked_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(e.auditId, e.userId, e.projectId, e.issuedBefore, e.revokedAt);
  }
  /** Events older than the longest token lifetime can never match a live token. */
  prune(before: string): void {
    this.db.prepare('DELETE FROM revocation_events WHERE revoked_at < ?').run(before);
  }
}
