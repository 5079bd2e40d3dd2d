import type { Migration } from '../db.js';

// Glance's images, as its `images` table with the properties and tags folded into JSON columns
// (one row per image; the API always reads them together). Deleted images keep their row
// (deleted = 1), so a second DELETE and a reused id answer as Glance does.
export const glanceSchema: Migration = {
  version: 3,
  name: 'glance',
  sql: `
CREATE TABLE images (
  id TEXT PRIMARY KEY, name TEXT, disk_format TEXT, container_format TEXT,
  visibility TEXT NOT NULL, status TEXT NOT NULL, size INTEGER, virtual_size INTEGER,
  checksum TEXT, os_hash_algo TEXT, os_hash_value TEXT,
  protected INTEGER NOT NULL DEFAULT 0, os_hidden INTEGER NOT NULL DEFAULT 0,
  min_ram INTEGER NOT NULL DEFAULT 0, min_disk INTEGER NOT NULL DEFAULT 0, owner TEXT,
  properties TEXT NOT NULL DEFAULT '{}', tags TEXT NOT NULL DEFAULT '[]',
  location TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0, deleted_at TEXT);
CREATE INDEX images_owner ON images (owner);
CREATE TABLE image_members (
  image_id TEXT NOT NULL REFERENCES images(id), member TEXT NOT NULL, status TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (image_id, member));
CREATE INDEX image_members_member ON image_members (member);
`,
};
