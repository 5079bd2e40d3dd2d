import type { Migration } from '../db.js';

// Nova's instance actions and their events (what `openstack server event list/show` reads): one
// action per user request on a server, events for the steps the conductor and the host took.
export const novaInstanceActionsSchema: Migration = {
  version: 5,
  name: 'nova-instance-actions',
  sql: `
CREATE TABLE nova_instance_actions (
  id INTEGER PRIMARY KEY AUTOINCREMENT, instance_uuid TEXT NOT NULL, action TEXT NOT NULL,
  request_id TEXT NOT NULL, user_id TEXT NOT NULL, project_id TEXT NOT NULL, start_time TEXT NOT NULL,
  updated_at TEXT, message TEXT, UNIQUE (instance_uuid, request_id));
CREATE TABLE nova_instance_action_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, action_id INTEGER NOT NULL REFERENCES nova_instance_actions(id) ON DELETE CASCADE,
  event TEXT NOT NULL, start_time TEXT NOT NULL, finish_time TEXT, result TEXT, traceback TEXT, host TEXT);
`,
};
