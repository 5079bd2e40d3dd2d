import type { Migration } from '../db.js';

export const keystoneSchema: Migration = {
  version: 1,
  name: 'keystone',
  sql: `
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE domains (
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL DEFAULT '',
  enabled INTEGER NOT NULL DEFAULT 1, tags TEXT NOT NULL DEFAULT '[]', options TEXT NOT NULL DEFAULT '{}');
CREATE TABLE projects (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, domain_id TEXT NOT NULL REFERENCES domains(id),
  description TEXT NOT NULL DEFAULT '', enabled INTEGER NOT NULL DEFAULT 1, parent_id TEXT,
  tags TEXT NOT NULL DEFAULT '[]', options TEXT NOT NULL DEFAULT '{}', UNIQUE (domain_id, name));
CREATE TABLE users (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, domain_id TEXT NOT NULL REFERENCES domains(id),
  enabled INTEGER NOT NULL DEFAULT 1, default_project_id TEXT, password_hash TEXT,
  description TEXT, email TEXT, options TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL,
  UNIQUE (domain_id, name));
CREATE TABLE groups (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, domain_id TEXT NOT NULL REFERENCES domains(id),
  description TEXT NOT NULL DEFAULT '', UNIQUE (domain_id, name));
CREATE TABLE group_members (
  group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, PRIMARY KEY (group_id, user_id));
CREATE TABLE roles (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, domain_id TEXT, description TEXT,
  options TEXT NOT NULL DEFAULT '{}');
CREATE UNIQUE INDEX roles_name ON roles (name, IFNULL(domain_id, ''));
CREATE TABLE implied_roles (
  prior_role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  implied_role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  PRIMARY KEY (prior_role_id, implied_role_id));
-- type: UserProject | UserDomain | GroupProject | GroupDomain | UserSystem | GroupSystem
CREATE TABLE role_assignments (
  type TEXT NOT NULL, actor_id TEXT NOT NULL, target_id TEXT NOT NULL,
  role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE, inherited INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (type, actor_id, target_id, role_id, inherited));
CREATE INDEX role_assignments_actor ON role_assignments (actor_id);
CREATE TABLE regions (id TEXT PRIMARY KEY, description TEXT NOT NULL DEFAULT '', parent_region_id TEXT);
CREATE TABLE services (
  id TEXT PRIMARY KEY, type TEXT NOT NULL, name TEXT NOT NULL, description TEXT,
  enabled INTEGER NOT NULL DEFAULT 1);
CREATE TABLE endpoints (
  id TEXT PRIMARY KEY, service_id TEXT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
  interface TEXT NOT NULL, region_id TEXT REFERENCES regions(id), url TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1);
-- Keystone's revocation events: a token is revoked by its audit id, or every token of a user
-- issued before a time (password change, user disabled or deleted).
CREATE TABLE revocation_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, audit_id TEXT, user_id TEXT, project_id TEXT,
  issued_before TEXT NOT NULL, revoked_at TEXT NOT NULL);
`,
};
