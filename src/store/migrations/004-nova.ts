import type { Migration } from '../db.js';

// Nova's tables, after nova's api and cell databases folded into one: flavors with extra specs
// and project access, key pairs per user, instances (soft-deleted, as Nova keeps them, so the
// integer id behind `instance-0000000N` is never reused), placement's allocations per host,
// quotas, service records and console tokens.
export const novaSchema: Migration = {
  version: 4,
  name: 'nova',
  sql: `
CREATE TABLE nova_flavors (
  internal_id INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE,
  ram INTEGER NOT NULL, vcpus INTEGER NOT NULL, disk INTEGER NOT NULL, ephemeral INTEGER NOT NULL DEFAULT 0,
  swap INTEGER NOT NULL DEFAULT 0, rxtx_factor REAL NOT NULL DEFAULT 1.0, is_public INTEGER NOT NULL DEFAULT 1,
  disabled INTEGER NOT NULL DEFAULT 0, description TEXT, created_at TEXT NOT NULL);
CREATE TABLE nova_flavor_extra_specs (
  flavor_id TEXT NOT NULL REFERENCES nova_flavors(id) ON DELETE CASCADE, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (flavor_id, key));
CREATE TABLE nova_flavor_projects (
  flavor_id TEXT NOT NULL REFERENCES nova_flavors(id) ON DELETE CASCADE, project_id TEXT NOT NULL,
  PRIMARY KEY (flavor_id, project_id));
CREATE TABLE nova_key_pairs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,
  public_key TEXT NOT NULL, fingerprint TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE (user_id, name));
CREATE TABLE nova_instances (
  id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL,
  hostname TEXT NOT NULL, project_id TEXT NOT NULL, user_id TEXT NOT NULL, image_ref TEXT NOT NULL,
  image TEXT, flavor TEXT NOT NULL, key_name TEXT, key_data TEXT, user_data TEXT,
  metadata TEXT NOT NULL DEFAULT '{}', availability_zone TEXT, security_groups TEXT NOT NULL DEFAULT '[]',
  requested_networks TEXT NOT NULL DEFAULT '[]', network_info TEXT NOT NULL DEFAULT '[]',
  vm_state TEXT NOT NULL, task_state TEXT, power_state INTEGER NOT NULL DEFAULT 0,
  host TEXT, node TEXT, launched_at TEXT, terminated_at TEXT, reservation_id TEXT NOT NULL,
  launch_index INTEGER NOT NULL DEFAULT 0, fault TEXT, access_ip_v4 TEXT, access_ip_v6 TEXT,
  config_drive TEXT NOT NULL DEFAULT '', description TEXT, admin_pass TEXT,
  created_at TEXT NOT NULL, updated_at TEXT, deleted_at TEXT, deleted INTEGER NOT NULL DEFAULT 0);
CREATE INDEX nova_instances_project ON nova_instances (project_id, deleted);
CREATE INDEX nova_instances_host ON nova_instances (host, deleted);
-- Placement's allocations: what each instance consumes on the host it was scheduled to.
CREATE TABLE nova_allocations (
  instance_uuid TEXT PRIMARY KEY, host TEXT NOT NULL, project_id TEXT NOT NULL,
  vcpus INTEGER NOT NULL, memory_mb INTEGER NOT NULL, disk_gb INTEGER NOT NULL);
CREATE INDEX nova_allocations_host ON nova_allocations (host);
CREATE TABLE nova_quotas (
  project_id TEXT NOT NULL, resource TEXT NOT NULL, hard_limit INTEGER NOT NULL,
  PRIMARY KEY (project_id, resource));
CREATE TABLE nova_services (
  id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE, host TEXT NOT NULL, binary TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0, disabled_reason TEXT, forced_down INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL, UNIQUE (host, binary));
CREATE TABLE nova_console_tokens (
  token TEXT PRIMARY KEY, instance_uuid TEXT NOT NULL, console_type TEXT NOT NULL, host TEXT,
  expires_at INTEGER NOT NULL);
`,
};
