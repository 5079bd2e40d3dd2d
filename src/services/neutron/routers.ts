// Routers (neutron/db/l3_db.py): interfaces are ports with the subnet's gateway IP
// (device_owner network:router_interface, device_id = router); the external gateway is a port on
// an external network with a free address of its subnet (network:router_gateway, no project).
import type { Doc } from '../../store/neutron-repo.js';
import type { RequestContext } from '../policy.js';
import { netContains, parseIp, parseNet } from './address.js';
import { checks, isUuid, prepareBody } from './attributes.js';
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
import type { Networks } from './networks.js';
import { adminOrOwner, enforceAttributes, enforceGatewayInfo } from './policy.js';
import type { Ports } from './ports.js';
import type { Quotas } from './quotas.js';
import type { Subnets } from './subnets.js';

const ROUTER_FIELDS = new Set([
  'id',
  'name',
  'tenant_id',
  'project_id',
  'admin_state_up',
  'status',
  'external_gateway_info',
  'description',
  'availability_zones',
  'distributed',
  'ha',
  'availability_zone_hints',
  'routes',
  'flavor_id',
  'tags',
  'created_at',
  'updated_at',
  'revision_number',
]);

export const INTERFACE = 'network:router_interface';
export const GATEWAY = 'network:router_gateway';

export class Routers {
  constructor(
    private readonly core: NeutronCore,
    private readonly networks: Networks,
    private readonly subnets: Subnets,
    private readonly ports: Ports,
    private readonly quotas: Quotas,
  ) {}

  find(ctx: RequestContext, id: string): Doc {
    const r = this.core.repo.routers.get(id);
    if (!r || !adminOrOwner(ctx, r)) throw E.routerNotFound(id);
    return r;
  }

  list(ctx: RequestContext, filters: Filters = {}): Doc[] {
    const docs = this.core.repo.routers.list().filter((r) => adminOrOwner(ctx, r));
    return applyFilters(docs, filters, ROUTER_FIELDS);
  }

  interfaces(routerId: string): Doc[] {
    return this.core.repo.ports.list({ device_id: routerId, device_owner: INTERFACE });
  }

  gatewayPort(routerId: string): Doc | undefined {
    return this.core.repo.ports.list({ device_id: routerId, device_owner: GATEWAY })[0];
  }

  create(ctx: RequestContext, input: unknown): Doc {
    const body = prepareBody('router', input, true);
    enforceAttributes(ctx, 'create', 'router', body);
    const std = standardAttributes(this.core, ctx, body);
    return tx(this.core, () => {
      this.quotas.check(std.project_id, 'router', 1);
      const r: Doc = {
        id: std.id,
        name: std.name,
        tenant_id: std.tenant_id,
        admin_state_up: (body.admin_state_up as boolean | undefined) ?? true,
        status: 'ACTIVE',
        external_gateway_info: null,
        description: std.description,
        availability_zones: [],
        distributed: false,
        ha: false,
        availability_zone_hints: (body.availability_zone_hints as string[] | undefined) ?? [],
        routes: [],
        flavor_id: null,
        tags: std.tags,
        created_at: std.created_at,
        updated_at: std.updated_at,
        revision_number: 1,
        project_id: std.project_id,
      };
      const gw = body.external_gateway_info as Record<string, unknown> | null | undefined;
      if (gw && Object.keys(gw).length) {
        enforceGatewayInfo(ctx, 'create', gw);
        this.setGateway(ctx, r, gw);
      }
      this.core.repo.routers.insert(r);
      publish(this.core, 'router', 'created', r);
      return r;
    });
  }

  update(ctx: RequestContext, id: string, input: unknown): Doc {
    const body = prepareBody('router', input, false);
    const r = this.find(ctx, id);
    enforceAttributes(ctx, 'update', 'router', body);
    return tx(this.core, () => {
      if (body.external_gateway_info !== undefined) {
        const gw = body.external_gateway_info as Record<string, unknown> | null;
        if (gw !== null && (typeof gw !== 'object' || Array.isArray(gw)))
          throw E.invalidAttribute('external_gateway_info', `'${String(gw)}' is not a dictionary`);
        if (gw && Object.keys(gw).length) {
          enforceGatewayInfo(ctx, 'update', gw);
          this.setGateway(ctx, r, gw);
        } else this.clearGateway(r);
      }
      if (body.routes !== undefined)
        r.routes = this.validateRoutes(r, body.routes as Record<string, unknown>[]);
      for (const k of ['name', 'description', 'admin_state_up']) if (body[k] !== undefined) r[k] = body[k];
      touch(this.core, r);
      this.core.repo.routers.update(r);
      publish(this.core, 'router', 'updated', r);
      return r;
    });
  }

  delete(ctx: RequestContext, id: string): void {
    const r = this.find(ctx, id);
    tx(this.core, () => {
      if (this.interfaces(id).length) throw E.routerInUse(id);
      this.clearGateway(r);
      this.core.repo.routers.delete(id);
      publish(this.core, 'router', 'deleted', r);
    });
  }

  /**
   * extraroute-atomic: add_extraroutes / remove_extraroutes change the routes as a set, in one
   * step (`{"router": {"routes": [...]}}` → the router).
   */
  changeRoutes(ctx: RequestContext, id: string, input: unknown, add: boolean): Doc {
    const r = this.find(ctx, id);
    const routes = (input as { router?: { routes?: unknown } } | null)?.router?.routes;
    if (!Array.isArray(routes)) throw E.httpBadRequest("Unable to find 'router' in request body");
    return tx(this.core, () => {
      const key = (x: { destination: string; nexthop: string }) => `${x.destination}|${x.nexthop}`;
      const current = r.routes as { destination: string; nexthop: string }[];
      const asked = add
        ? this.validateRoutes(r, routes as Record<string, unknown>[])
        : (routes as { destination: string; nexthop: string }[]);
      const askedKeys = new Set(asked.map(key));
      r.routes = add
        ? [...current, ...asked.filter((x) => !current.some((c) => key(c) === key(x)))]
        : current.filter((c) => !askedKeys.has(key(c)));
      touch(this.core, r);
      this.core.repo.routers.update(r);
      publish(this.core, 'router', 'updated', r);
      return r;
    });
  }

  /** Sets (or changes) the external gateway: a port on the external network with a free IP. */
  private setGateway(ctx: RequestContext, r: Doc, info: Record<string, unknown>): void {
    const unknown = Object.keys(info).filter(
      (k) => !['network_id', 'enable_snat', 'external_fixed_ips'].includes(k),
    );
    if (unknown.length)
      throw E.invalidAttribute('external_gateway_info', `Unexpected keys supplied: ${unknown.join(', ')}`);
    const netId = info.network_id;
    if (!isUuid(netId))
      throw E.invalidAttribute('external_gateway_info', `'${String(netId)}' is not a valid UUID`);
    const network = this.networks.find(ctx, netId);
    if (network['router:external'] !== true)
      throw E.badRequest('router', `Network ${netId} is not an external network`);
    const enableSnat =
      info.enable_snat === undefined ? true : (checks.bool()('enable_snat')(info.enable_snat) as boolean);
    const current = r.external_gateway_info as { network_id: string; external_fixed_ips: unknown[] } | null;
    const asked = info.external_fixed_ips as { subnet_id?: string; ip_address?: string }[] | undefined;
    let port = this.gatewayPort(r.id);
    if (!current || current.network_id !== netId || asked !== undefined) {
      if (current && current.network_id !== netId) this.checkNoFloatingIps(r, current.network_id);
      if (port) this.ports.remove(port);
      port = this.ports.insert(
        ctx,
        network,
        {
          network_id: netId,
          device_id: r.id,
          device_owner: GATEWAY,
          // The gateway port belongs to no project (l3_db._create_gw_port).
          project_id: '',
          tenant_id: '',
          admin_state_up: true,
          name: '',
          ...(asked !== undefined ? { fixed_ips: asked } : {}),
        },
        true,
      );
      if (
        (port.fixed_ips as unknown[]).length === 0 &&
        this.core.repo.subnets.count({ network_id: netId }) > 0
      )
        throw E.ipAddressGenerationFailure(netId);
    }
    r.external_gateway_info = {
      network_id: netId,
      enable_snat: enableSnat,
      external_fixed_ips: (port?.fixed_ips as unknown[]) ?? [],
    };
  }

  private clearGateway(r: Doc): void {
    const current = r.external_gateway_info as { network_id: string } | null;
    if (!current) return;
    this.checkNoFloatingIps(r, current.network_id);
    const port = this.gatewayPort(r.id);
    if (port) this.ports.remove(port);
    r.external_gateway_info = null;
  }

  private checkNoFloatingIps(r: Doc, netId: string): void {
    if (this.core.repo.floatingips.count({ router_id: r.id }) > 0)
      throw E.routerGatewayInUseByFloatingIp(r.id, netId);
  }

  /** extraroute: each nexthop must be on a subnet the router is attached to. */
  private validateRoutes(
    r: Doc,
    routes: Record<string, unknown>[],
  ): { destination: string; nexthop: string }[] {
    const subnets = this.routerSubnets(r)
      .map((s) => parseNet(s.cidr as string))
      .filter((n) => n !== null);
    const text = () =>
      `[${routes.map((x) => `{'destination': '${String(x.destination)}', 'nexthop': '${String(x.nexthop)}'}`).join(', ')}]`;
    const out: { destination: string; nexthop: string }[] = [];
    for (const route of routes) {
      const dest = typeof route.destination === 'string' ? parseNet(route.destination) : null;
      const hop = typeof route.nexthop === 'string' ? parseIp(route.nexthop) : null;
      if (!dest || !hop || Object.keys(route).some((k) => k !== 'destination' && k !== 'nexthop'))
        throw E.invalidAttribute('routes', `Invalid data format for hostroute: '${JSON.stringify(route)}'`);
      if (!subnets.some((n) => netContains(n, hop.version, hop.value)))
        throw E.invalidRoutes(
          `Invalid format for routes: ${text()}, the nexthop is not connected with router`,
        );
      out.push({ destination: route.destination as string, nexthop: route.nexthop as string });
    }
    return out;
  }

  private routerSubnets(r: Doc): Doc[] {
    const ids = this.interfaces(r.id).flatMap((p) =>
      (p.fixed_ips as { subnet_id: string }[]).map((f) => f.subnet_id),
    );
    const gw = this.gatewayPort(r.id);
    if (gw) ids.push(...(gw.fixed_ips as { subnet_id: string }[]).map((f) => f.subnet_id));
    return ids.map((id) => this.core.repo.subnets.get(id)).filter((s): s is Doc => s !== undefined);
  }

  /** Routers with a gateway on the external network and an interface on the subnet. */
  routerForFloatingIp(extNetId: string, subnetId: string): Doc | undefined {
    for (const r of this.core.repo.routers.list()) {
      const gw = r.external_gateway_info as { network_id: string } | null;
      if (!gw || gw.network_id !== extNetId) continue;
      if (
        this.interfaces(r.id).some((p) =>
          (p.fixed_ips as { subnet_id: string }[]).some((f) => f.subnet_id === subnetId),
        )
      )
        return r;
    }
    return undefined;
  }
}
