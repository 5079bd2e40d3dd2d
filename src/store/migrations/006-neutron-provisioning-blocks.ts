import type { Migration } from '../db.js';

// Neutron's provisioningblocks table (neutron/db/models/provisioning_block.py): one row per port
// and entity (L2, DHCP) that still has to report the port ready before it may go ACTIVE. Kept in
// the database as Neutron keeps it, so a block survives a restart of the cloud; a port's rows go
// with the port.
export const neutronProvisioningBlocksSchema: Migration = {
  version: 6,
  name: 'neutron-provisioning-blocks',
  sql: `
CREATE TABLE neutron_provisioning_blocks (
  port_id TEXT NOT NULL REFERENCES neutron_ports(id) ON DELETE CASCADE, entity TEXT NOT NULL,
  PRIMARY KEY (port_id, entity));
`,
};
