import type { Migration } from '../db.js';

// Neutron's resources are kept as their standard attributes in a JSON body plus the columns that
// carry a constraint or an index: what must be unique (a segmentation id, a MAC on a network, an
// IP on a subnet) is unique in the schema, so no race between two requests can hand out a value
// twice.
export const neutronSchema: Migration = {
  version: 2,
  name: 'neutron',
  sql: `
CREATE TABLE neutron_networks (
  id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE neutron_segments (
  network_id TEXT PRIMARY KEY REFERENCES neutron_networks(id) ON DELETE CASCADE,
  network_type TEXT NOT NULL, physical_network TEXT, segmentation_id INTEGER);
-- One network per VNI / per VLAN of a physnet; one flat network per physnet.
CREATE UNIQUE INDEX neutron_segments_id ON neutron_segments (network_type, IFNULL(physical_network, ''), segmentation_id)
  WHERE segmentation_id IS NOT NULL;
CREATE UNIQUE INDEX neutron_segments_flat ON neutron_segments (physical_network) WHERE network_type = 'flat';
CREATE TABLE neutron_subnets (
  id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL,
  network_id TEXT NOT NULL REFERENCES neutron_networks(id), body TEXT NOT NULL);
CREATE INDEX neutron_subnets_network ON neutron_subnets (network_id);
CREATE TABLE neutron_ports (
  id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL,
  network_id TEXT NOT NULL REFERENCES neutron_networks(id), device_id TEXT NOT NULL,
  device_owner TEXT NOT NULL, mac_address TEXT NOT NULL, body TEXT NOT NULL,
  UNIQUE (network_id, mac_address));
CREATE INDEX neutron_ports_network ON neutron_ports (network_id);
CREATE INDEX neutron_ports_device ON neutron_ports (device_id);
CREATE INDEX neutron_ports_mac ON neutron_ports (mac_address);
CREATE TABLE neutron_ip_allocations (
  subnet_id TEXT NOT NULL REFERENCES neutron_subnets(id), ip_address TEXT NOT NULL,
  network_id TEXT NOT NULL, port_id TEXT NOT NULL REFERENCES neutron_ports(id) ON DELETE CASCADE,
  PRIMARY KEY (subnet_id, ip_address));
CREATE INDEX neutron_ip_allocations_port ON neutron_ip_allocations (port_id);
CREATE TABLE neutron_port_security_groups (
  port_id TEXT NOT NULL REFERENCES neutron_ports(id) ON DELETE CASCADE, security_group_id TEXT NOT NULL,
  PRIMARY KEY (port_id, security_group_id));
CREATE INDEX neutron_port_security_groups_sg ON neutron_port_security_groups (security_group_id);
CREATE TABLE neutron_routers (
  id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE neutron_floatingips (
  id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL, floating_network_id TEXT NOT NULL,
  port_id TEXT, router_id TEXT, body TEXT NOT NULL);
CREATE INDEX neutron_floatingips_port ON neutron_floatingips (port_id);
CREATE TABLE neutron_security_groups (
  id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE neutron_default_security_groups (
  project_id TEXT PRIMARY KEY,
  security_group_id TEXT NOT NULL REFERENCES neutron_security_groups(id) ON DELETE CASCADE);
CREATE TABLE neutron_security_group_rules (
  id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL,
  security_group_id TEXT NOT NULL REFERENCES neutron_security_groups(id) ON DELETE CASCADE,
  body TEXT NOT NULL);
CREATE INDEX neutron_security_group_rules_sg ON neutron_security_group_rules (security_group_id);
CREATE TABLE neutron_qos_policies (
  id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE neutron_qos_rules (
  id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL,
  policy_id TEXT NOT NULL REFERENCES neutron_qos_policies(id) ON DELETE CASCADE, body TEXT NOT NULL);
CREATE TABLE neutron_quotas (
  project_id TEXT NOT NULL, resource TEXT NOT NULL, hard_limit INTEGER NOT NULL,
  PRIMARY KEY (project_id, resource));
-- Quotas count a project's resources on every create.
CREATE INDEX neutron_networks_project ON neutron_networks (project_id);
CREATE INDEX neutron_subnets_project ON neutron_subnets (project_id);
CREATE INDEX neutron_ports_project ON neutron_ports (project_id);
CREATE INDEX neutron_routers_project ON neutron_routers (project_id);
CREATE INDEX neutron_floatingips_project ON neutron_floatingips (project_id);
CREATE INDEX neutron_security_groups_project ON neutron_security_groups (project_id);
CREATE INDEX neutron_security_group_rules_project ON neutron_security_group_rules (project_id);
CREATE TABLE neutron_agents (
  id TEXT PRIMARY KEY, project_id TEXT NOT NULL DEFAULT '', name TEXT NOT NULL DEFAULT '',
  agent_type TEXT NOT NULL, host TEXT NOT NULL, body TEXT NOT NULL, UNIQUE (agent_type, host));
`,
};
