// Router interfaces (l3_db add_router_interface / remove_router_interface): a port on the
// subnet with its gateway IP (network:router_interface, device_id = the router), or an existing
// port taken over; one subnet once per router, no overlapping CIDRs on one router, and an
// interface a floating IP goes through stays.
import type { Doc } from '../../store/neutron-repo.js';
import { isAdmin, type RequestContext } from '../policy.js';
import { netContains, netsOverlap, parseIp, parseNet } from './address.js';
import { isUuid } from './attributes.js';
import { type NeutronCore, publish, send, touch, tx } from './core.js';
import { neutronErrors as E } from './errors.js';
import type { Ports } from './ports.js';
import { INTERFACE, type Routers } from './routers.js';
import type { Subnets } from './subnets.js';

export interface InterfaceInfo {
  id: string;
  tenant_id: string;
  port_id: string;
  network_id: string;
  subnet_id: string;
  subnet_ids: string[];
}

export class RouterInterfaces {
  constructor(
    private readonly core: NeutronCore,
    private readonly routers: Routers,
    private readonly subnets: Subnets,
    private readonly ports: Ports,
  ) {}

  add(ctx: RequestContext, routerId: string, input: unknown): InterfaceInfo {
    const r = this.routers.find(ctx, routerId);
    const body = interfaceBody(input);
    return tx(this.core, () => {
      let port: Doc;
      let subnet: Doc;
      if (body.port_id !== undefined) {
        port = this.ports.find(ctx, body.port_id);
        if (port.device_id) throw E.portInUse(port.id, port.network_id as string, port.device_id as string);
        const fixed = port.fixed_ips as { subnet_id: string; ip_address: string }[];
        if (fixed.length === 0) throw E.badRequest('router', 'Router port must have at least one fixed IP');
        subnet = this.core.repo.subnets.get(fixed[0].subnet_id) as Doc;
        this.checkOverlap(r, subnet);
        port.device_id = r.id;
        port.device_owner = INTERFACE;
        port.port_security_enabled = port.port_security_enabled === undefined ? undefined : false;
        port.security_groups = [];
        this.core.repo.setPortSecurityGroups(port.id, []);
        touch(this.core, port);
        this.core.repo.ports.update(port);
        publish(this.core, 'port', 'updated', port);
      } else {
        subnet = this.subnets.find(ctx, body.subnet_id as string);
        if (!subnet.gateway_ip)
          throw E.badRequest('router', 'Subnet for router interface must have a gateway IP');
        // l3_db._add_interface_by_subnet (LP-1757482): not a subnet of a globally shared network.
        if (subnet.project_id !== ctx.projectId && !isAdmin(ctx))
          throw E.badRequest(
            'router',
            `Cannot add interface to router because subnet ${subnet.id} is not owned by project making the request`,
          );
        this.checkOverlap(r, subnet);
        const network = this.core.repo.networks.get(subnet.network_id as string) as Doc;
        port = this.ports.insert(
          ctx,
          network,
          {
            network_id: network.id,
            project_id: r.project_id,
            tenant_id: r.project_id,
            fixed_ips: [{ subnet_id: subnet.id, ip_address: subnet.gateway_ip }],
            device_id: r.id,
            device_owner: INTERFACE,
            admin_state_up: true,
            name: '',
          },
          true,
        );
        // l3_db creates the port, then sets its device: the interface port is at revision 2.
        touch(this.core, port);
        this.core.repo.ports.update(port);
      }
      touch(this.core, r);
      this.core.repo.routers.update(r);
      publish(this.core, 'router', 'updated', r);
      const info = interfaceInfo(r, port, subnet);
      send(this.core, () =>
        this.core.bus.publish('router.interface_added', {
          router_id: r.id,
          port_id: port.id,
          subnet_id: subnet.id,
          network_id: port.network_id as string,
          project_id: r.project_id as string,
        }),
      );
      return info;
    });
  }

  /** A subnet already on this router, or overlapping one of its subnets, is refused (400). */
  private checkOverlap(r: Doc, subnet: Doc): void {
    const net = parseNet(subnet.cidr as string);
    for (const p of this.routers.interfaces(r.id))
      for (const f of p.fixed_ips as { subnet_id: string }[]) {
        if (f.subnet_id === subnet.id)
          throw E.badRequest('router', `Router already has a port on subnet ${subnet.id}`);
        const other = this.core.repo.subnets.get(f.subnet_id);
        const on = other ? parseNet(other.cidr as string) : null;
        if (net && on && netsOverlap(net, on))
          throw E.badRequest(
            'router',
            `Cidr ${subnet.cidr as string} of subnet ${subnet.id} overlaps with cidr ${other?.cidr as string} of subnet ${f.subnet_id}`,
          );
      }
  }

  remove(ctx: RequestContext, routerId: string, input: unknown): InterfaceInfo {
    const r = this.routers.find(ctx, routerId);
    const body = interfaceBody(input);
    return tx(this.core, () => {
      const ifaces = this.routers.interfaces(r.id);
      let port: Doc | undefined;
      let subnetId: string;
      if (body.port_id !== undefined) {
        port = ifaces.find((p) => p.id === body.port_id);
        if (!port) throw E.routerInterfaceNotFound(r.id, body.port_id);
        subnetId = (port.fixed_ips as { subnet_id: string }[])[0]?.subnet_id ?? '';
        if (body.subnet_id !== undefined && body.subnet_id !== subnetId)
          throw E.badRequest('router', `Subnet ${body.subnet_id} is not attached to port ${body.port_id}`);
      } else {
        subnetId = body.subnet_id as string;
        this.subnets.find(ctx, subnetId);
        port = ifaces.find((p) =>
          (p.fixed_ips as { subnet_id: string }[]).some((f) => f.subnet_id === subnetId),
        );
        if (!port) throw E.routerInterfaceNotFoundForSubnet(r.id, subnetId);
      }
      const subnet = this.core.repo.subnets.get(subnetId) as Doc;
      // A floating IP reached through this interface keeps it (l3_db._confirm_router_interface_not_in_use).
      for (const fip of this.core.repo.floatingips.list({ router_id: r.id })) {
        const fixed = fip.fixed_ip_address as string | null;
        const net = subnet ? parseNet(subnet.cidr as string) : null;
        const ip = fixed ? parseIp(fixed) : null;
        if (net && ip && netContains(net, ip.version, ip.value))
          throw E.routerInterfaceInUseByFloatingIp(r.id, subnetId);
      }
      const info = interfaceInfo(r, port, subnet ?? { id: subnetId });
      this.ports.remove(port);
      touch(this.core, r);
      this.core.repo.routers.update(r);
      publish(this.core, 'router', 'updated', r);
      const removed = port;
      send(this.core, () =>
        this.core.bus.publish('router.interface_removed', {
          router_id: r.id,
          port_id: removed.id,
          subnet_id: subnetId,
          network_id: removed.network_id as string,
          project_id: r.project_id as string,
        }),
      );
      return info;
    });
  }
}

function interfaceBody(input: unknown): { subnet_id?: string; port_id?: string } {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw E.badRequest('router', 'Either subnet_id or port_id must be specified');
  const b = input as Record<string, unknown>;
  if (b.subnet_id === undefined && b.port_id === undefined)
    throw E.badRequest('router', 'Either subnet_id or port_id must be specified');
  if (b.subnet_id !== undefined && b.port_id !== undefined)
    throw E.badRequest('router', 'Cannot specify both subnet-id and port-id');
  for (const k of ['subnet_id', 'port_id'])
    if (b[k] !== undefined && !isUuid(b[k]))
      throw E.invalidAttribute(k, `'${String(b[k])}' is not a valid UUID`);
  return { subnet_id: b.subnet_id as string | undefined, port_id: b.port_id as string | undefined };
}

function interfaceInfo(r: Doc, port: Doc, subnet: Doc | { id: string }): InterfaceInfo {
  const ids = (port.fixed_ips as { subnet_id: string }[]).map((f) => f.subnet_id);
  return {
    id: r.id,
    tenant_id: r.project_id as string,
    port_id: port.id,
    network_id: port.network_id as string,
    subnet_id: subnet.id,
    subnet_ids: ids.length ? ids : [subnet.id],
  };
}
