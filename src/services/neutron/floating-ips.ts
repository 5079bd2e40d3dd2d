// Floating IPs (l3_db): an address of an external network held by a port of its own
// (network:floatingip); associating it with a port needs a router with a gateway on that
// external network and an interface on the port's subnet. Status stays DOWN until the L3
// agent reports it ACTIVE (update_floatingip_statuses).
import type { Doc } from '../../store/neutron-repo.js';
import { isAdmin, type RequestContext } from '../policy.js';
import { parseIp } from './address.js';
import { prepareBody } from './attributes.js';
import {
  applyFilters,
  type Filters,
  indexed,
  type NeutronCore,
  publish,
  standardAttributes,
  touch,
  tx,
} from './core.js';
import { neutronErrors as E } from './errors.js';
import type { Networks } from './networks.js';
import { adminOrOwner, denied, enforceAttributes } from './policy.js';
import { networkChange, type Ports } from './ports.js';
import type { Quotas } from './quotas.js';
import type { Routers } from './routers.js';

const FIP_FIELDS = new Set([
  'id',
  'floating_ip_address',
  'floating_network_id',
  'router_id',
  'port_id',
  'fixed_ip_address',
  'status',
  'tenant_id',
  'project_id',
  'description',
  'tags',
  'port_details',
  'revision_number',
  'created_at',
  'updated_at',
  'qos_policy_id',
]);

export class FloatingIps {
  constructor(
    private readonly core: NeutronCore,
    private readonly networks: Networks,
    private readonly ports: Ports,
    private readonly routers: Routers,
    private readonly quotas: Quotas,
  ) {}

  find(ctx: RequestContext, id: string): Doc {
    const f = this.core.repo.floatingips.get(id);
    if (!f || !adminOrOwner(ctx, f)) throw E.floatingIpNotFound(id);
    return f;
  }

  /** The floating IP with fip-port-details filled from its port. */
  view(f: Doc): Doc {
    let details: Record<string, unknown> | null = null;
    if (f.port_id) {
      const p = this.core.repo.ports.get(f.port_id as string);
      if (p)
        details = {
          name: p.name,
          network_id: p.network_id,
          mac_address: p.mac_address,
          admin_state_up: p.admin_state_up,
          status: p.status,
          device_id: p.device_id,
          device_owner: p.device_owner,
        };
    }
    return { ...f, port_details: details };
  }

  get(ctx: RequestContext, id: string): Doc {
    return this.view(this.find(ctx, id));
  }

  list(ctx: RequestContext, filters: Filters = {}): Doc[] {
    const where: Record<string, string[]> = {};
    for (const k of ['port_id', 'router_id', 'floating_network_id']) {
      const v = indexed(filters, k);
      if (v) where[k] = v;
    }
    const docs = this.core.repo.floatingips.list(where).filter((f) => adminOrOwner(ctx, f));
    return applyFilters(
      docs.map((f) => this.view(f)),
      filters,
      FIP_FIELDS,
    );
  }

  create(ctx: RequestContext, input: unknown): Doc {
    const body = prepareBody('floatingip', input, true);
    enforceAttributes(ctx, 'create', 'floatingip', body);
    const network = this.networks.find(ctx, body.floating_network_id as string);
    if (network['router:external'] !== true)
      throw E.badRequest('floatingip', `Network ${network.id} is not a valid external network`);
    const std = standardAttributes(this.core, ctx, body);
    return tx(this.core, () => {
      this.quotas.check(std.project_id, 'floatingip', 1);
      const subnets = this.core.repo.subnets
        .list({ network_id: network.id })
        .filter((s) => s.ip_version === 4);
      if (subnets.length === 0)
        throw E.badRequest('floatingip', `Network ${network.id} does not contain any IPv4 subnet`);
      const fixed: Record<string, unknown>[] = [];
      if (body.floating_ip_address !== undefined && body.floating_ip_address !== null)
        fixed.push({
          ...(body.subnet_id ? { subnet_id: body.subnet_id } : {}),
          ip_address: body.floating_ip_address,
        });
      else if (body.subnet_id) fixed.push({ subnet_id: body.subnet_id });
      const port = this.ports.insert(
        ctx,
        network,
        {
          network_id: network.id,
          device_id: std.id,
          device_owner: 'network:floatingip',
          // The floating IP's own port belongs to no project (l3_db.create_floatingip).
          project_id: '',
          tenant_id: '',
          admin_state_up: true,
          name: '',
          ...(fixed.length ? { fixed_ips: fixed } : {}),
        },
        true,
      );
      const address = (port.fixed_ips as { ip_address: string }[])[0]?.ip_address;
      if (!address) throw E.ipAddressGenerationFailure(network.id);
      const f: Doc = {
        id: std.id,
        floating_ip_address: address,
        floating_network_id: network.id,
        router_id: null,
        port_id: null,
        fixed_ip_address: null,
        status: 'DOWN',
        tenant_id: std.tenant_id,
        project_id: std.project_id,
        description: std.description,
        tags: std.tags,
        revision_number: 0,
        created_at: std.created_at,
        updated_at: std.updated_at,
        ...(this.core.config.ml2.extensionDrivers.includes('qos')
          ? { qos_policy_id: (body.qos_policy_id as string | null | undefined) ?? null }
          : {}),
      };
      if (body.port_id)
        this.associate(ctx, f, body.port_id as string, body.fixed_ip_address as string | undefined);
      this.core.repo.floatingips.insert(f);
      const v = this.view(f);
      publish(this.core, 'floatingip', 'created', v);
      if (f.port_id) networkChange(this.core, 'create_floatingip', null, this.portOf(f.port_id as string));
      return v;
    });
  }

  private associate(ctx: RequestContext, f: Doc, portId: string, fixedAsked: string | undefined): void {
    const port = this.ports.find(ctx, portId);
    if (!isAdmin(ctx) && port.project_id !== f.project_id)
      throw E.badRequest(
        'floatingip',
        `Cannot create floating IP and bind it to Port ${portId}, since that port is owned by a different tenant`,
      );
    const v4 = (port.fixed_ips as { subnet_id: string; ip_address: string }[]).filter(
      (x) => parseIp(x.ip_address)?.version === 4,
    );
    let fixed: { subnet_id: string; ip_address: string } | undefined;
    if (fixedAsked !== undefined && fixedAsked !== null) {
      fixed = v4.find((x) => x.ip_address === fixedAsked);
      if (!fixed) throw E.badRequest('floatingip', `Port ${portId} does not have fixed ip ${fixedAsked}`);
    } else {
      if (v4.length === 0) throw E.badRequest('floatingip', `Port ${portId} does not have any IPv4 address`);
      if (v4.length > 1)
        throw E.badRequest(
          'floatingip',
          `Port ${portId} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP`,
        );
      fixed = v4[0];
    }
    const netId = f.floating_network_id as string;
    for (const other of this.core.repo.floatingips.list({ port_id: portId }))
      if (
        other.id !== f.id &&
        other.fixed_ip_address === fixed.ip_address &&
        other.floating_network_id === netId
      )
        throw E.floatingIpPortAlreadyAssociated(
          f.floating_ip_address as string,
          f.id,
          portId,
          fixed.ip_address,
          netId,
        );
    const router = this.routers.routerForFloatingIp(netId, fixed.subnet_id);
    if (!router) throw E.externalGatewayForFloatingIpNotFound(netId, fixed.subnet_id, portId);
    f.port_id = portId;
    f.fixed_ip_address = fixed.ip_address;
    f.router_id = router.id;
  }

  private portOf(id: string | null): Doc | null {
    return id === null ? null : (this.core.repo.ports.get(id) ?? null);
  }

  private disassociate(f: Doc): void {
    f.port_id = null;
    f.fixed_ip_address = null;
    f.router_id = null;
  }

  update(ctx: RequestContext, id: string, input: unknown): Doc {
    const body = prepareBody('floatingip', input, false);
    const f = this.find(ctx, id);
    return tx(this.core, () => {
      const before = f.port_id as string | null;
      if (body.port_id !== undefined) {
        if (body.port_id === null) this.disassociate(f);
        else this.associate(ctx, f, body.port_id as string, body.fixed_ip_address as string | undefined);
      } else if (body.fixed_ip_address !== undefined && f.port_id)
        this.associate(ctx, f, f.port_id as string, body.fixed_ip_address as string);
      for (const k of ['description', 'qos_policy_id']) if (body[k] !== undefined) f[k] = body[k];
      touch(this.core, f);
      this.core.repo.floatingips.update(f);
      const v = this.view(f);
      publish(this.core, 'floatingip', 'updated', v);
      // send_network_change: the port it is on now (or was, when disassociated); a floating IP
      // moved without a disassociation first also tells the port it left.
      const after = f.port_id as string | null;
      networkChange(
        this.core,
        'update_floatingip',
        after && before ? this.portOf(before) : null,
        this.portOf(after ?? before),
      );
      return v;
    });
  }

  delete(ctx: RequestContext, id: string): void {
    const f = this.find(ctx, id);
    if (!adminOrOwner(ctx, f)) throw denied('delete_floatingip');
    tx(this.core, () => {
      const v = this.view(f);
      if (f.port_id) networkChange(this.core, 'delete_floatingip', null, this.portOf(f.port_id as string));
      this.core.repo.floatingips.delete(id);
      for (const p of this.core.repo.ports.list({ device_id: id, device_owner: 'network:floatingip' }))
        this.ports.remove(p);
      publish(this.core, 'floatingip', 'deleted', v);
    });
  }

  /** A port going away takes its floating IPs' association with it (l3_db.disassociate_floatingips). */
  disassociatePort(portId: string): void {
    for (const f of this.core.repo.floatingips.list({ port_id: portId })) {
      this.disassociate(f);
      touch(this.core, f);
      this.core.repo.floatingips.update(f);
      publish(this.core, 'floatingip', 'updated', this.view(f));
    }
  }

  /** The L3 agent's report (update_floatingip_statuses). */
  setStatuses(routerId: string, statuses: Record<string, string>): string[] {
    return tx(this.core, () => {
      const updated: string[] = [];
      for (const [id, status] of Object.entries(statuses)) {
        const f = this.core.repo.floatingips.get(id);
        if (!f || f.status === status) continue;
        // A floating IP moved to another router meanwhile is not this router's to report.
        if (f.router_id !== routerId && status !== 'DOWN') continue;
        f.status = status;
        touch(this.core, f);
        this.core.repo.floatingips.update(f);
        publish(this.core, 'floatingip', 'updated', this.view(f));
        updated.push(id);
      }
      return updated;
    });
  }
}
