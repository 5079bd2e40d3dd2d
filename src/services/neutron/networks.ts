// Networks: ML2 picks the segment (a tenant network from tenant_network_types' pools, a
// provider network from the admin's provider:* attributes) and the MTU from it.
import type { Doc } from '../../store/neutron-repo.js';
import type { RequestContext } from '../policy.js';
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
import type { Segment, SegmentRequest, TypeDriver } from './ml2/type-driver.js';
import { adminOrOwner, denied, enforceAttributes } from './policy.js';
import type { Quotas } from './quotas.js';

const NETWORK_FIELDS = new Set([
  'id',
  'name',
  'tenant_id',
  'project_id',
  'admin_state_up',
  'mtu',
  'status',
  'subnets',
  'shared',
  'port_security_enabled',
  'router:external',
  'provider:network_type',
  'provider:physical_network',
  'provider:segmentation_id',
  'is_default',
  'availability_zone_hints',
  'availability_zones',
  'ipv4_address_scope',
  'ipv6_address_scope',
  'description',
  'tags',
  'created_at',
  'updated_at',
  'revision_number',
  'qos_policy_id',
]);

export class Networks {
  constructor(
    private readonly core: NeutronCore,
    private readonly typeDrivers: Map<string, TypeDriver>,
    private readonly quotas: Quotas,
  ) {}

  /** Visible to the caller: its own, shared and external networks (admin: all). */
  visible(ctx: RequestContext, n: Doc | undefined): n is Doc {
    return n !== undefined && (adminOrOwner(ctx, n) || n.shared === true || n['router:external'] === true);
  }

  /** The network or NetworkNotFound, as the caller may see it. */
  find(ctx: RequestContext, id: string): Doc {
    const n = this.core.repo.networks.get(id);
    if (!this.visible(ctx, n)) throw E.networkNotFound(id);
    return n;
  }

  get(ctx: RequestContext, id: string): Doc {
    return this.find(ctx, id);
  }

  list(ctx: RequestContext, filters: Filters = {}): Doc[] {
    const docs = this.core.repo.networks.list().filter((n) => this.visible(ctx, n));
    return applyFilters(docs, filters, NETWORK_FIELDS);
  }

  create(ctx: RequestContext, input: unknown): Doc {
    const body = prepareBody('network', input, true);
    enforceAttributes(ctx, 'create', 'network', body);
    const std = standardAttributes(this.core, ctx, body);
    const qos = this.core.config.ml2.extensionDrivers.includes('qos');
    const portSecurity = this.core.config.ml2.extensionDrivers.includes('port_security');
    return tx(this.core, () => {
      this.quotas.check(std.project_id, 'network', 1);
      const segment = this.segmentFor(body);
      const driver = this.typeDrivers.get(segment.network_type) as TypeDriver;
      const maxMtu = driver.mtu(segment);
      let mtu = maxMtu;
      if (body.mtu !== undefined) {
        if ((body.mtu as number) > maxMtu)
          throw E.invalidInput(`Requested MTU is too big, maximum is ${maxMtu}`);
        mtu = body.mtu as number;
      }
      const doc: Doc = {
        id: std.id,
        name: std.name,
        tenant_id: std.tenant_id,
        admin_state_up: (body.admin_state_up as boolean | undefined) ?? true,
        mtu,
        status: 'ACTIVE',
        subnets: [],
        shared: (body.shared as boolean | undefined) ?? false,
        project_id: std.project_id,
        ...(portSecurity
          ? { port_security_enabled: (body.port_security_enabled as boolean | undefined) ?? true }
          : {}),
        ...(qos ? { qos_policy_id: (body.qos_policy_id as string | null | undefined) ?? null } : {}),
        'router:external': (body['router:external'] as boolean | undefined) ?? false,
        'provider:network_type': segment.network_type,
        'provider:physical_network': segment.physical_network,
        'provider:segmentation_id': segment.segmentation_id,
        is_default: (body.is_default as boolean | undefined) ?? false,
        availability_zone_hints: (body.availability_zone_hints as string[] | undefined) ?? [],
        availability_zones: [],
        ipv4_address_scope: null,
        ipv6_address_scope: null,
        description: std.description,
        tags: std.tags,
        created_at: std.created_at,
        updated_at: std.updated_at,
        // ML2 writes the segment after the network row: a new network is at revision 1.
        revision_number: 1,
      };
      this.core.repo.networks.insert(doc);
      this.core.repo.insertSegment({ network_id: doc.id, ...segment });
      publish(this.core, 'network', 'created', doc);
      return doc;
    });
  }

  private segmentFor(body: Record<string, unknown>): Segment {
    const type = body['provider:network_type'] as string | undefined;
    const physnet = body['provider:physical_network'];
    const segId = body['provider:segmentation_id'];
    if (type === undefined && (physnet !== undefined || segId !== undefined))
      throw E.invalidInput('network_type required');
    if (type !== undefined) {
      const driver = this.typeDrivers.get(type);
      if (!driver) throw E.invalidInput(`network_type value '${type}' not supported`);
      let seg: number | null = null;
      if (segId !== undefined && segId !== null) {
        seg = typeof segId === 'number' ? segId : Number(segId);
        if (!Number.isInteger(seg)) throw E.invalidInput(`'${String(segId)}' is not an integer`);
      }
      const req: SegmentRequest = {
        network_type: type,
        physical_network:
          physnet === undefined || physnet === null || physnet === '' ? null : String(physnet),
        segmentation_id: seg,
      };
      driver.validateProviderSegment(req);
      return driver.reserveProviderSegment(this.core.repo, req);
    }
    // A plain network: the first tenant network type with room, in tenant_network_types order.
    for (const t of this.core.config.ml2.tenantNetworkTypes) {
      const s = this.typeDrivers.get(t)?.allocateTenantSegment(this.core.repo);
      if (s) return s;
    }
    throw E.noNetworkAvailable();
  }

  update(ctx: RequestContext, id: string, input: unknown): Doc {
    const body = prepareBody('network', input, false);
    const n = this.find(ctx, id);
    if (!adminOrOwner(ctx, n)) throw denied('update_network');
    enforceAttributes(ctx, 'update', 'network', body);
    for (const k of ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id'])
      if (body[k] !== undefined && body[k] !== n[k])
        throw E.invalidInput('Plugin does not support updating provider attributes');
    return tx(this.core, () => {
      if (body['router:external'] === false && n['router:external'] === true) {
        const gw = this.core.repo.ports.count({ network_id: id, device_owner: 'network:router_gateway' });
        if (gw > 0) throw E.externalNetworkInUse(id);
      }
      if (body.mtu !== undefined) {
        const seg = this.core.repo.segment(id);
        const max = seg ? (this.typeDrivers.get(seg.network_type)?.mtu(seg) ?? 0) : 0;
        if ((body.mtu as number) > max) throw E.invalidInput(`Requested MTU is too big, maximum is ${max}`);
      }
      for (const k of [
        'name',
        'description',
        'admin_state_up',
        'shared',
        'router:external',
        'port_security_enabled',
        'qos_policy_id',
        'is_default',
        'mtu',
      ])
        if (body[k] !== undefined) n[k] = body[k];
      touch(this.core, n);
      this.core.repo.networks.update(n);
      publish(this.core, 'network', 'updated', n);
      return n;
    });
  }

  delete(
    ctx: RequestContext,
    id: string,
    deleteSubnets: (subnet: Doc) => void,
    deletePort: (port: Doc) => void,
  ): void {
    const n = this.find(ctx, id);
    if (!adminOrOwner(ctx, n)) throw denied('delete_network');
    tx(this.core, () => {
      const ports = this.core.repo.ports.list({ network_id: id });
      // DHCP ports go with the network; anything else keeps it in use (ml2 delete_network).
      const busy = ports.filter((p) => p.device_owner !== 'network:dhcp');
      if (busy.length)
        throw E.networkInUse(
          id,
          busy.map((p) => p.id),
        );
      for (const p of ports) deletePort(p);
      for (const s of this.core.repo.subnets.list({ network_id: id })) deleteSubnets(s);
      const last = this.core.repo.networks.get(id) ?? n;
      this.core.repo.networks.delete(id);
      publish(this.core, 'network', 'deleted', last);
    });
  }

  /** Records a subnet on its network (the network's revision moves, as Neutron's does). */
  linkSubnet(networkId: string, subnetId: string, add: boolean): void {
    const n = this.core.repo.networks.get(networkId);
    if (!n) return;
    const list = (n.subnets as string[]).filter((s) => s !== subnetId);
    if (add) list.push(subnetId);
    n.subnets = list;
    touch(this.core, n);
    this.core.repo.networks.update(n);
    publish(this.core, 'network', 'updated', n);
  }
}
