// br-int's VIF ports as the agent reads and writes them (ovs_lib get_vif_ports, the Port row's
// tag and other_config): one OVSDB read per loop, and what a bound port's row and spoofing
// tables should hold.
import type { SpoofingAllow } from './bridges.js';
import type { OvsCli } from './ovs-cli.js';
import type { DeviceDetails } from './rpc-payloads.js';

/** A port of br-int that carries an iface-id (ovs_lib VifPort). */
export interface VifPort {
  name: string;
  ofport: number;
  portId: string;
  /** The Interface row (a replaced port has a new one). */
  ifaceUuid: string;
  mac: string;
  /** The Port row's tag and other_config as the scan read them (kept current by the agent). */
  tag: number | null;
  otherConfig: Record<string, string>;
}

const uuids = (v: unknown) =>
  v === null || v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)];

/** scan_ports: the bridge's ports with an iface-id and a valid ofport, by port id. */
export function scanVifPorts(cli: OvsCli, bridge: string): Map<string, VifPort> {
  const [bridges, ports, ifaces] = cli.query(
    { table: 'Bridge', columns: ['name', 'ports'], record: bridge },
    { table: 'Port', columns: ['_uuid', 'name', 'tag', 'other_config', 'interfaces'] },
    { table: 'Interface', columns: ['_uuid', 'name', 'ofport', 'external_ids'] },
  );
  const onBridge = new Set(uuids(bridges[0]?.ports));
  const ifaceById = new Map(ifaces.map((r) => [String(r._uuid), r]));
  const out = new Map<string, VifPort>();
  for (const port of ports) {
    if (!onBridge.has(String(port._uuid))) continue;
    for (const ifId of uuids(port.interfaces)) {
      const row = ifaceById.get(ifId);
      const ext = (row?.external_ids ?? {}) as Record<string, string>;
      const ofport = typeof row?.ofport === 'number' ? row.ofport : -1;
      if (!row || !ext['iface-id'] || ofport <= 0) continue;
      out.set(ext['iface-id'], {
        name: String(row.name),
        ofport,
        portId: ext['iface-id'],
        ifaceUuid: ifId,
        mac: ext['attached-mac'] ?? '',
        tag: typeof port.tag === 'number' ? port.tag : null,
        otherConfig: (port.other_config ?? {}) as Record<string, string>,
      });
    }
  }
  return out;
}

/** port_bound's vlan_mapping plus _add_port_tag_info's tag, as other_config keys. */
export function portOtherConfig(d: DeviceDetails, vlan: number): Record<string, string> {
  return {
    net_uuid: d.network_id,
    network_type: d.network_type,
    physical_network: d.physical_network ?? 'None',
    ...(d.segmentation_id !== null ? { segmentation_id: String(d.segmentation_id) } : {}),
    tag: String(vlan),
  };
}

/**
 * setup_arp_spoofing_protection's decision: null (no protection) for ports without port security,
 * network:* ports and ports with a /0 address pair; else the MACs and addresses allowed.
 */
export function spoofingAllowOf(d: DeviceDetails): SpoofingAllow | null {
  if (!d.port_security_enabled || d.device_owner.startsWith('network:')) return null;
  const ips = [...d.fixed_ips.map((f) => f.ip_address), ...d.allowed_address_pairs.map((p) => p.ip_address)];
  if (ips.some((ip) => ip.endsWith('/0'))) return null;
  return {
    macs: [d.mac_address, ...d.allowed_address_pairs.map((p) => p.mac_address ?? d.mac_address)],
    ipv4: ips.filter((a) => !a.includes(':')),
    ipv6: ips.filter((a) => a.includes(':')),
  };
}
