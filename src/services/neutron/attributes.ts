// Neutron's resource attribute maps (neutron_lib/api/definitions): which attributes a POST or
// PUT may carry, their converters and validators, and the errors api/v2/base.py gives for a body
// that breaks them. Every entry point — the HTTP routes and Nova's in-process calls — goes
// through prepareBody(), so both see the same errors.
import { canonicalIp, parseNet } from './address.js';
import { neutronErrors as E } from './errors.js';

type Check = (v: unknown) => unknown; // returns the converted value or throws

export interface Attr {
  post: boolean;
  put: boolean;
  /** Required on POST. */
  required?: boolean;
  check?: Check;
}

const UUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

const fail = (attr: string, reason: string) => E.invalidAttribute(attr, reason);

export const checks = {
  string:
    (max = 255): ((attr: string) => Check) =>
    (attr) =>
    (v) => {
      if (typeof v !== 'string') throw fail(attr, `'${String(v)}' is not a valid string`);
      if (v.length > max) throw fail(attr, `'${v}' exceeds maximum length of ${max}`);
      return v;
    },
  bool: (): ((attr: string) => Check) => () => (v) => {
    if (typeof v === 'boolean') return v;
    const s = String(v).toLowerCase();
    if (['true', '1'].includes(s)) return true;
    if (['false', '0'].includes(s)) return false;
    throw E.invalidInput(`'${String(v)}' cannot be converted to boolean`);
  },
  int:
    (min?: number, max?: number): ((attr: string) => Check) =>
    (attr) =>
    (v) => {
      const n =
        typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : Number.NaN;
      if (!Number.isInteger(n)) throw E.invalidInput(`'${String(v)}' is not an integer`);
      if (min !== undefined && n < min) throw fail(attr, `'${n}' is too small - must be at least '${min}'`);
      if (max !== undefined && n > max)
        throw fail(attr, `'${n}' is too large - must be no larger than '${max}'`);
      return n;
    },
  uuid:
    (nullable = false): ((attr: string) => Check) =>
    (attr) =>
    (v) => {
      if (v === null && nullable) return null;
      if (typeof v !== 'string' || !UUID.test(v)) throw fail(attr, `'${String(v)}' is not a valid UUID`);
      return v;
    },
  values:
    (allowed: readonly unknown[], nullable = false): ((attr: string) => Check) =>
    (attr) =>
    (v) => {
      if (v === null && nullable) return null;
      if (!allowed.includes(v))
        throw fail(
          attr,
          `${typeof v === 'string' ? `'${v}'` : String(v)} is not in [${allowed.map((a) => `'${a}'`).join(', ')}]`,
        );
      return v;
    },
  ip:
    (nullable = true): ((attr: string) => Check) =>
    (attr) =>
    (v) => {
      if (v === null && nullable) return null;
      const c = typeof v === 'string' ? canonicalIp(v) : null;
      if (c === null) throw fail(attr, `'${String(v)}' is not a valid IP address`);
      return v;
    },
  cidr:
    (nullable = true): ((attr: string) => Check) =>
    (attr) =>
    (v) => {
      if (v === null && nullable) return null;
      if (typeof v !== 'string' || !parseNet(v)) throw fail(attr, `'${String(v)}' is not a valid IP subnet`);
      return v;
    },
  list:
    (item?: (attr: string) => Check): ((attr: string) => Check) =>
    (attr) =>
    (v) => {
      if (!Array.isArray(v)) throw fail(attr, `'${String(v)}' is not a list`);
      return item ? v.map(item(attr)) : v;
    },
  dict: (): ((attr: string) => Check) => (attr) => (v) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw fail(attr, `'${String(v)}' is not a dictionary`);
    return v;
  },
  any: (): ((attr: string) => Check) => () => (v) => v,
};

type Spec = [post: boolean, put: boolean, check?: (attr: string) => Check, required?: boolean];
const map = (specs: Record<string, Spec>): Record<string, Attr> =>
  Object.fromEntries(
    Object.entries(specs).map(([k, [post, put, check, required]]) => [
      k,
      { post, put, check: check?.(k), required },
    ]),
  );

const s = checks;
const standard: Record<string, Spec> = {
  name: [true, true, s.string(255)],
  description: [true, true, s.string(255)],
  tenant_id: [true, false, s.string(255)],
  project_id: [true, false, s.string(255)],
  tags: [true, false, s.list(s.string(255))],
};
const provider: Record<string, Spec> = {
  'provider:network_type': [true, true, s.string(255)],
  'provider:physical_network': [true, true, s.any()],
  'provider:segmentation_id': [true, true, s.any()],
};

export const resourceAttributes: Record<string, Record<string, Attr>> = {
  network: map({
    ...standard,
    ...provider,
    admin_state_up: [true, true, s.bool()],
    shared: [true, true, s.bool()],
    'router:external': [true, true, s.bool()],
    port_security_enabled: [true, true, s.bool()],
    is_default: [true, true, s.bool()],
    availability_zone_hints: [true, false, s.list(s.string(255))],
    qos_policy_id: [true, true, s.uuid(true)],
    mtu: [true, true, s.int(68)],
    dns_domain: [true, true, s.string(255)],
  }),
  subnet: map({
    ...standard,
    network_id: [true, false, s.uuid(), true],
    ip_version: [true, false, s.values([4, 6, '4', '6']), true],
    cidr: [true, false, s.any()],
    gateway_ip: [true, true, s.ip()],
    allocation_pools: [true, true, s.list(s.dict())],
    dns_nameservers: [true, true, s.list(s.ip(false))],
    host_routes: [true, true, s.list(s.dict())],
    enable_dhcp: [true, true, s.bool()],
    ipv6_ra_mode: [true, false, s.values(['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac'], true)],
    ipv6_address_mode: [true, false, s.values(['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac'], true)],
    subnetpool_id: [true, false, s.values([null])],
    service_types: [true, true, s.list(s.string(255))],
    segment_id: [true, true, s.values([null])],
    use_default_subnetpool: [true, false, s.values([false])],
  }),
  port: map({
    ...standard,
    network_id: [true, false, s.uuid(), true],
    admin_state_up: [true, true, s.bool()],
    mac_address: [true, true, s.string(17)],
    fixed_ips: [true, true, s.list(s.dict())],
    device_id: [true, true, s.string(255)],
    device_owner: [true, true, s.string(255)],
    security_groups: [true, true, s.list(s.uuid())],
    port_security_enabled: [true, true, s.bool()],
    allowed_address_pairs: [true, true, s.list(s.dict())],
    extra_dhcp_opts: [true, true, s.list(s.dict())],
    'binding:host_id': [true, true, s.string(255)],
    'binding:profile': [true, true, s.dict()],
    'binding:vnic_type': [
      true,
      true,
      s.values([
        'normal',
        'direct',
        'macvtap',
        'baremetal',
        'direct-physical',
        'virtio-forwarder',
        'smart-nic',
        'vdpa',
        'accelerator-direct',
        'accelerator-direct-physical',
        'remote-managed',
      ]),
    ],
    qos_policy_id: [true, true, s.uuid(true)],
    dns_name: [true, true, s.string(255)],
    propagate_uplink_status: [true, true, s.bool()],
  }),
  router: map({
    ...standard,
    admin_state_up: [true, true, s.bool()],
    external_gateway_info: [true, true, s.any()],
    routes: [false, true, s.list(s.dict())],
    distributed: [true, true, s.values([false, 'false', 'False'])],
    ha: [true, true, s.values([false, 'false', 'False'])],
    availability_zone_hints: [true, false, s.list(s.string(255))],
    flavor_id: [true, false, s.values([null])],
  }),
  floatingip: map({
    ...standard,
    floating_network_id: [true, false, s.uuid(), true],
    floating_ip_address: [true, false, s.ip()],
    subnet_id: [true, false, s.uuid(true)],
    port_id: [true, true, s.uuid(true)],
    fixed_ip_address: [true, true, s.ip()],
    qos_policy_id: [true, true, s.uuid(true)],
  }),
  security_group: map({ ...standard, stateful: [true, true, s.bool()] }),
  security_group_rule: map({
    ...standard,
    security_group_id: [true, false, s.uuid(), true],
    direction: [true, false, s.values(['ingress', 'egress']), true],
    ethertype: [true, false, s.values(['IPv4', 'IPv6'])],
    protocol: [true, false, s.any()],
    port_range_min: [true, false, s.any()],
    port_range_max: [true, false, s.any()],
    remote_ip_prefix: [true, false, s.cidr()],
    remote_group_id: [true, false, s.uuid(true)],
    remote_address_group_id: [true, false, s.values([null])],
  }),
  policy: map({
    ...standard,
    shared: [true, true, s.bool()],
    is_default: [true, true, s.bool()],
  }),
  bandwidth_limit_rule: map({
    max_kbps: [true, true, s.int(0, 2 ** 31 - 1), true],
    max_burst_kbps: [true, true, s.int(0, 2 ** 31 - 1)],
    direction: [true, true, s.values(['egress', 'ingress'])],
  }),
};

/**
 * Checks a request body of a resource (the object inside `{"network": {...}}`) and returns the
 * converted attributes. Unknown attributes and attributes the operation may not set are refused
 * as api/v2/base.py refuses them.
 */
export function prepareBody(resource: string, body: unknown, create: boolean): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw E.httpBadRequest(`Unable to find '${resource}' in request body`);
  const attrs = resourceAttributes[resource];
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !attrs[k]);
  if (unknown.length) throw E.httpBadRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(b)) {
    const a = attrs[k];
    if (create && !a.post) throw E.httpBadRequest(`Attribute '${k}' not allowed in POST`);
    if (!create && !a.put) throw E.httpBadRequest(`Cannot update read-only attribute ${k}`);
    out[k] = a.check ? a.check(v) : v;
  }
  if (create)
    for (const [k, a] of Object.entries(attrs))
      if (a.required && out[k] === undefined)
        throw E.httpBadRequest(`Failed to parse request. Required attribute '${k}' not specified`);
  return out;
}

/** A UUID as Neutron's validate_uuid accepts it (dashes optional). */
export const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID.test(v);
