// Request body schemas, after Keystone's own (keystone/*/schema.py), checked by Fastify's Ajv;
// a failure becomes Keystone's "Invalid input for field …" 400.
const name = { type: 'string', minLength: 1, maxLength: 255 };
const id = { type: 'string', minLength: 1, maxLength: 64 };
const nullableId = { type: ['string', 'null'], maxLength: 64 };
const enabled = { type: 'boolean' };
const description = { type: ['string', 'null'] };
const tags = { type: 'array', items: { type: 'string', minLength: 1, maxLength: 255 }, maxItems: 80 };
const options = { type: 'object' };

const wrap = (key: string, props: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  required: [key],
  properties: { [key]: { type: 'object', properties: props, required } },
});

export const projectCreate = wrap(
  'project',
  {
    name,
    description,
    enabled,
    domain_id: id,
    parent_id: nullableId,
    is_domain: { type: 'boolean' },
    tags,
    options,
  },
  ['name'],
);
export const projectUpdate = wrap('project', { name, description, enabled, tags, options });
export const domainCreate = wrap('domain', { name, description, enabled, tags, options }, ['name']);
export const domainUpdate = wrap('domain', { name, description, enabled, tags, options });
export const userCreate = wrap(
  'user',
  {
    name,
    domain_id: id,
    password: { type: ['string', 'null'] },
    enabled,
    default_project_id: nullableId,
    description,
    email: { type: ['string', 'null'] },
    options,
  },
  ['name'],
);
export const userUpdate = wrap('user', {
  name,
  password: { type: ['string', 'null'] },
  enabled,
  default_project_id: nullableId,
  description,
  email: { type: ['string', 'null'] },
  options,
});
export const passwordChange = wrap(
  'user',
  { password: { type: 'string' }, original_password: { type: 'string' } },
  ['password', 'original_password'],
);
export const groupCreate = wrap('group', { name, domain_id: id, description }, ['name']);
export const groupUpdate = wrap('group', { name, description });
export const roleCreate = wrap('role', { name, description, domain_id: nullableId, options }, ['name']);
export const roleUpdate = wrap('role', { name, description, options });
export const regionCreate = wrap('region', { id, description, parent_region_id: nullableId });
export const serviceCreate = wrap('service', { type: name, name: { type: 'string' }, description, enabled }, [
  'type',
]);
export const serviceUpdate = wrap('service', { type: name, name: { type: 'string' }, description, enabled });
const iface = { type: 'string', enum: ['public', 'internal', 'admin'] };
export const endpointCreate = wrap(
  'endpoint',
  {
    service_id: id,
    interface: iface,
    region_id: nullableId,
    region: nullableId,
    url: { type: 'string', minLength: 1 },
    enabled,
  },
  ['service_id', 'interface', 'url'],
);
export const endpointUpdate = wrap('endpoint', {
  service_id: id,
  interface: iface,
  region_id: nullableId,
  url: { type: 'string', minLength: 1 },
  enabled,
});
