// Subnets: IPAM validates the CIDR, gateway and pools; the network records the subnet.
import type { Doc } from '../../store/neutron-repo.js';
import type { RequestContext } from '../policy.js';
import { parseIp, parseNet } from './address.js';
import { prepareBody } from './attributes.js';
import {
  applyFilters,
  type Filters,
  type NeutronCore,
  publish,
  standardAttributes,
  touch,
  tx,
} from './core.js';
import { neutronErrors as E } from './errors.js';
import { defaultPools, type Pool, validateSubnet } from './ipam.js';
import type { Networks } from './networks.js';
import { adminOrOwner, denied, owner } from './policy.js';
import type { Quotas } from './quotas.js';

const SUBNET_FIELDS = new Set([
  'id',
  'name',
  'tenant_id',
  'project_id',
  'network_id',
  'ip_version',
  'subnetpool_id',
  'enable_dhcp',
  'ipv6_ra_mode',
  'ipv6_address_mode',
  'gateway_ip',
  'cidr',
  'allocation_pools',
  'host_routes',
  'dns_nameservers',
  'description',
  'service_types',
  'tags',
  'created_at',
  'updated_at',
  'revision_number',
  'shared',
]);

export class Subnets {
  constructor(
    private readonly core: NeutronCore,
    private readonly networks: Networks,
    private readonly quotas: Quotas,
  ) {}

  /** Admin, the subnet's owner, or anyone when its network is shared (get_subnet). */
  visible(ctx: RequestContext, s: Doc | undefined): s is Doc {
    if (!s) return false;
    if (adminOrOwner(ctx, s)) return true;
    const n = this.core.repo.networks.get(s.network_id as string);
    return n?.shared === true || owner(ctx, n);
  }

  find(ctx: RequestContext, id: string): Doc {
    const s = this.core.repo.subnets.get(id);
    if (!this.visible(ctx, s)) throw E.subnetNotFound(id);
    return s;
  }

  list(ctx: RequestContext, filters: Filters = {}): Doc[] {
    const net = filters.network_id;
    const docs = this.core.repo.subnets.list(net?.length ? { network_id: net } : {});
    const shared = new Map<string, boolean>();
    const visible = docs.filter((s) => {
      if (adminOrOwner(ctx, s)) return true;
      const nid = s.network_id as string;
      if (!shared.has(nid)) {
        const n = this.core.repo.networks.get(nid);
        shared.set(nid, n?.shared === true || owner(ctx, n));
      }
      return shared.get(nid) === true;
    });
    return applyFilters(visible, filters, SUBNET_FIELDS);
  }

  create(ctx: RequestContext, input: unknown): Doc {
    const body = prepareBody('subnet', input, true);
    const network = this.networks.find(ctx, body.network_id as string);
    const std = standardAttributes(this.core, ctx, body);
    // _validate_network_tenant_ownership: a subnet goes on one's own or a shared network.
    if (!adminOrOwner(ctx, network) && network.shared !== true)
      throw E.notAllowedOnNetwork(std.project_id, 'subnet');
    if (body.cidr === undefined || body.cidr === null)
      throw E.badRequest('subnets', 'a subnetpool must be specified in the absence of a cidr');
    const ipVersion = Number(body.ip_version);
    return tx(this.core, () => {
      this.quotas.check(std.project_id, 'subnet', 1);
      const others = this.core.repo.subnets.list({ network_id: network.id });
      const v = validateSubnet(
        {
          cidr: body.cidr,
          ip_version: ipVersion,
          gateway_ip: body.gateway_ip,
          allocation_pools: body.allocation_pools,
        },
        network.id,
        others,
      );
      // EUI-64 addresses need a /64 (subnet_alloc / ipam validation).
      const modes = [body.ipv6_address_mode, body.ipv6_ra_mode];
      if (
        v.net.version === 6 &&
        v.net.prefixLen !== 64 &&
        modes.some((m) => m === 'slaac' || m === 'dhcpv6-stateless')
      )
        throw E.invalidInput(
          `Invalid CIDR ${v.cidr} for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64`,
        );
      const doc: Doc = {
        id: std.id,
        name: std.name,
        tenant_id: std.tenant_id,
        network_id: network.id,
        ip_version: ipVersion,
        subnetpool_id: null,
        enable_dhcp: (body.enable_dhcp as boolean | undefined) ?? true,
        ipv6_ra_mode: (body.ipv6_ra_mode as string | null | undefined) ?? null,
        ipv6_address_mode: (body.ipv6_address_mode as string | null | undefined) ?? null,
        gateway_ip: v.gateway_ip,
        cidr: v.cidr,
        allocation_pools: v.allocation_pools,
        host_routes: (body.host_routes as unknown[] | undefined) ?? [],
        dns_nameservers: (body.dns_nameservers as string[] | undefined) ?? [],
        description: std.description,
        service_types: (body.service_types as string[] | undefined) ?? [],
        tags: std.tags,
        created_at: std.created_at,
        updated_at: std.updated_at,
        revision_number: 0,
        project_id: std.project_id,
      };
      this.core.repo.subnets.insert(doc);
      publish(this.core, 'subnet', 'created', doc);
      this.networks.linkSubnet(network.id, doc.id, true);
      return doc;
    });
  }

  update(ctx: RequestContext, id: string, input: unknown): Doc {
    const body = prepareBody('subnet', input, false);
    const s = this.find(ctx, id);
    if (!adminOrOwner(ctx, s)) throw denied('update_subnet');
    return tx(this.core, () => {
      const net = parseNet(s.cidr as string);
      if (body.gateway_ip !== undefined || body.allocation_pools !== undefined) {
        const gateway = body.gateway_ip !== undefined ? body.gateway_ip : s.gateway_ip;
        const v = validateSubnet(
          {
            cidr: s.cidr,
            ip_version: s.ip_version,
            gateway_ip: gateway,
            allocation_pools: body.allocation_pools ?? s.allocation_pools,
          },
          s.network_id as string,
          [],
        );
        s.gateway_ip = v.gateway_ip;
        s.allocation_pools = v.allocation_pools;
        // A new gateway inside the old default pools shrinks them, as Neutron recomputes.
        if (body.allocation_pools === undefined && net && body.gateway_ip !== undefined) {
          const g = v.gateway_ip === null ? null : (parseIp(v.gateway_ip)?.value ?? null);
          const pools = s.allocation_pools as Pool[];
          if (g !== null && pools.some((p) => inPool(p, g))) s.allocation_pools = defaultPools(net, g);
        }
      }
      for (const k of [
        'name',
        'description',
        'enable_dhcp',
        'dns_nameservers',
        'host_routes',
        'service_types',
      ])
        if (body[k] !== undefined) s[k] = body[k];
      touch(this.core, s);
      this.core.repo.subnets.update(s);
      publish(this.core, 'subnet', 'updated', s);
      return s;
    });
  }

  delete(ctx: RequestContext, id: string, removeFromPort: (portId: string, subnetId: string) => void): void {
    const s = this.find(ctx, id);
    if (!adminOrOwner(ctx, s)) throw denied('delete_subnet');
    tx(this.core, () => this.remove(s, removeFromPort));
  }

  /** Deletes a subnet whose only users are DHCP ports (which lose their address on it). */
  remove(s: Doc, removeFromPort: (portId: string, subnetId: string) => void): void {
    for (const portId of this.core.repo.portsOnSubnet(s.id)) {
      const p = this.core.repo.ports.get(portId);
      if (p && p.device_owner !== 'network:dhcp') throw E.subnetInUse(s.id);
    }
    for (const portId of this.core.repo.portsOnSubnet(s.id)) removeFromPort(portId, s.id);
    this.core.repo.subnets.delete(s.id);
    this.networks.linkSubnet(s.network_id as string, s.id, false);
    publish(this.core, 'subnet', 'deleted', s);
  }
}

function inPool(p: Pool, ip: bigint): boolean {
  const a = parseIp(p.start)?.value;
  const b = parseIp(p.end)?.value;
  return a !== undefined && b !== undefined && ip >= a && ip <= b;
}
