import type { Migration } from '../db.js';
import { keystoneSchema } from './001-keystone.js';
import { neutronSchema } from './002-neutron.js';
import { glanceSchema } from './003-glance.js';
import { novaSchema } from './004-nova.js';
import { novaInstanceActionsSchema } from './005-nova-instance-actions.js';
import { neutronProvisioningBlocksSchema } from './006-neutron-provisioning-blocks.js';

// Numbered, applied in order, never edited once released: a change is a new file.
export const migrations: readonly Migration[] = [
  keystoneSchema,
  neutronSchema,
  glanceSchema,
  novaSchema,
  novaInstanceActionsSchema,
  neutronProvisioningBlocksSchema,
];
