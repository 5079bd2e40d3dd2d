// Ports: a MAC from base_mac (fa:16:3e:…), addresses from IPAM, the project's default security
// group, and ML2's binding to a host. Every allocation and the port row commit in one
// transaction, and the schema keeps IPs per subnet and MACs per network unique.
import type { NetworkChangeEvent } from '../../bus/neutron-events.js';
import type { Doc } from '../../store/neutron-repo.js';
import { internalContext, isAdmin, type RequestContext } from '../policy.js';
import { prepareBody } from './attributes.js';
import {
  applyFilters,
  type Filters,
  indexed,
  type NeutronCore,
  publish,
  send,
  standardAttributes,
  touch,
  tx,
} from './core.js';
import { neutronErrors as E } from './errors.js';
import type { MechanismDriver } from './ml2/mech-openvswitch.js';
import type { Networks } from './networks.js';
import { adminOrOwner, denied, enforceAttributes, owner } from './policy.js';
import {
  addressPairs,
  allocateFixedIps,
  extraDhcpOpts,
  type FixedIpRequest,
  hasIpAddress,
  macFor,
} from './port-fields.js';
import type { ProvisioningBlocks } from './provisioning-blocks.js';
import type { Quotas } from './quotas.js';
import type { SecurityGroups } from './security-groups.js';

const PORT_FIELDS = new Set([
  'id',
  'name',
  'network_id',
  'tenant_id',
  'project_id',
  'mac_address',
  'admin_state_up',
  'status',
  'device_id',
  'device_owner',
  'fixed_ips',
  'port_security_enabled',
  'security_groups',
  'binding:vnic_type',
  'binding:profile',
  'binding:host_id',
  'binding:vif_type',
  'binding:vif_details',
  'allowed_address_pairs',
  'extra_dhcp_opts',
  'description',
  'tags',
  'created_at',
  'updated_at',
  'revision_number',
  'qos_policy_id',
  'qos_network_policy_id',
  'ip_allocation',
]);

export class Ports {
  constructor(
    private readonly core: NeutronCore,
    private readonly networks: Networks,
    private readonly securityGroups: SecurityGroups,
    private readonly quotas: Quotas,
    private readonly mechanisms: () => MechanismDriver[],
    private readonly provisioning: () => ProvisioningBlocks,
  ) {}

  /** Mechanism drivers that follow port status (l2population): (port, previous, status). */
  readonly statusHooks: ((port: Doc, previous: string, status: string) => void)[] = [];
  /** Mechanism drivers told of every update_device_up (l2population): (port, host, refresh_tunnels). */
  readonly wiredHooks: ((port: Doc, host: string, refreshTunnels: boolean) => void)[] = [];
  /** Mechanism drivers told of each update (l2population's chg_ip, a port moved): (original, port). */
  readonly updateHooks: ((original: Doc, port: Doc) => void)[] = [];

  /** get_port: admin, the port's owner, or the owner of its network. */
  visible(ctx: RequestContext, p: Doc | undefined): p is Doc {
    if (!p) return false;
    if (adminOrOwner(ctx, p)) return true;
    return owner(ctx, this.core.repo.networks.get(p.network_id as string));
  }

  find(ctx: RequestContext, id: string): Doc {
    const p = this.core.repo.ports.get(id);
    if (!this.visible(ctx, p)) throw E.portNotFound(id);
    return p;
  }

  list(ctx: RequestContext, filters: Filters = {}): Doc[] {
    const where: Record<string, string[]> = {};
    for (const k of ['network_id', 'device_id', 'device_owner', 'mac_address', 'id']) {
      const v = indexed(filters, k);
      if (v) where[k] = v;
    }
    if (!isAdmin(ctx)) {
      // Own ports, and every port of the caller's own networks.
      const own = this.core.repo.networks.list({ project_id: ctx.projectId ?? '' }).map((n) => n.id);
      const docs = this.core.repo.ports
        .list(where)
        .filter((p) => owner(ctx, p) || own.includes(p.network_id as string));
      return applyFilters(docs, filters, PORT_FIELDS);
    }
    return applyFilters(this.core.repo.ports.list(where), filters, PORT_FIELDS);
  }

  create(ctx: RequestContext, input: unknown): Doc {
    const body = prepareBody('port', input, true);
    const network = this.networks.find(ctx, body.network_id as string);
    const netOwner = adminOrOwner(ctx, network);
    // api/v2/base.py _validate_network_tenant_ownership.
    if (!netOwner && network.shared !== true) throw E.notAllowedOnNetwork(ctx.projectId ?? '', 'port');
    enforceAttributes(ctx, 'create', 'port', body);
    if (!netOwner && (body.mac_address !== undefined || hasIpAddress(body.fixed_ips)))
      throw E.policyNotAuthorized(
        `(rule:create_port and rule:create_port:${body.mac_address !== undefined ? 'mac_address' : 'fixed_ips:ip_address'})`,
      );
    return tx(this.core, () => this.insert(ctx, network, body, false));
  }

  /**
   * Creates a port in a transaction already open (routers and floating IPs create theirs). The
   * body is checked already; `internal` ports (router, gateway, floating IP) skip the quota and
   * the security groups.
   */
  insert(ctx: RequestContext, network: Doc, body: Record<string, unknown>, internal: boolean): Doc {
    // The cloud's own ports (router, gateway, floating IP, DHCP) name their project themselves.
    const std = standardAttributes(this.core, internal ? internalContext() : ctx, body);
    if (!internal) this.quotas.check(std.project_id, 'port', 1);
    const extension = this.core.config.ml2.extensionDrivers;
    const deviceOwner = (body.device_owner as string | undefined) ?? '';
    const portSecurity =
      (body.port_security_enabled as boolean | undefined) ??
      (internal ? false : ((network.port_security_enabled as boolean | undefined) ?? true));
    const mac = macFor(this.core, network.id, body.mac_address as string | undefined);
    const groups = this.groupsFor(
      ctx,
      std.project_id,
      body.security_groups as string[] | undefined,
      portSecurity,
      deviceOwner,
      internal,
    );
    const pairs = addressPairs(body.allowed_address_pairs, mac, portSecurity);
    const port: Doc = {
      id: std.id,
      name: std.name,
      network_id: network.id,
      tenant_id: std.tenant_id,
      mac_address: mac,
      admin_state_up: (body.admin_state_up as boolean | undefined) ?? true,
      status: 'DOWN',
      device_id: (body.device_id as string | undefined) ?? '',
      device_owner: deviceOwner,
      fixed_ips: [],
      project_id: std.project_id,
      ...(extension.includes('port_security') ? { port_security_enabled: portSecurity } : {}),
      ...(extension.includes('qos')
        ? {
            qos_policy_id: (body.qos_policy_id as string | null | undefined) ?? null,
            qos_network_policy_id: (network.qos_policy_id as string | null | undefined) ?? null,
          }
        : {}),
      security_groups: groups,
      'binding:vnic_type': (body['binding:vnic_type'] as string | undefined) ?? 'normal',
      'binding:profile': (body['binding:profile'] as Record<string, unknown> | undefined) ?? {},
      'binding:host_id': (body['binding:host_id'] as string | undefined) ?? '',
      'binding:vif_type': 'unbound',
      'binding:vif_details': {},
      allowed_address_pairs: pairs,
      extra_dhcp_opts: extraDhcpOpts(body.extra_dhcp_opts),
      description: std.description,
      tags: std.tags,
      created_at: std.created_at,
      updated_at: std.updated_at,
      // ML2 binds (or leaves unbound) right after the insert: a new port is at revision 1.
      revision_number: 1,
    };
    this.core.repo.ports.insert(port);
    port.fixed_ips = allocateFixedIps(
      this.core,
      network,
      { id: port.id, mac_address: mac, device_owner: deviceOwner },
      body.fixed_ips as FixedIpRequest[] | undefined,
    );
    this.core.repo.setPortSecurityGroups(port.id, groups);
    this.bind(port);
    this.core.repo.ports.update(port);
    // create_port_precommit (the L2 agent's block), then the DHCP agent's, in the same transaction.
    this.provisioning().setupL2(port);
    this.provisioning().setupDhcp(port);
    publish(this.core, 'port', 'created', port);
    return port;
  }

  private groupsFor(
    ctx: RequestContext,
    projectId: string,
    asked: string[] | undefined,
    portSecurity: boolean,
    deviceOwner: string,
    internal: boolean,
  ): string[] {
    if (!this.core.config.enableSecurityGroup || internal) return [];
    if (asked !== undefined) {
      if (asked.length && !portSecurity) throw E.portSecurityAndIpRequiredForSecurityGroups();
      const unique = [...new Set(asked)];
      for (const id of unique) {
        const sg = this.core.repo.securityGroups.get(id);
        if (!sg || (sg.project_id !== projectId && !isAdmin(ctx))) throw E.securityGroupNotFound(id);
      }
      return unique;
    }
    // Ports of the network itself (router, DHCP) and ports without port security get none.
    if (!portSecurity || deviceOwner.startsWith('network:')) return [];
    const def = this.securityGroups.ensureDefault(projectId);
    return def ? [def] : [];
  }

  /** ML2's binding: the first mechanism driver that can bind the segment on the host. */
  private bind(port: Doc): void {
    const host = port['binding:host_id'] as string;
    if (!host) {
      port['binding:vif_type'] = 'unbound';
      port['binding:vif_details'] = {};
      return;
    }
    const seg = this.core.repo.segment(port.network_id as string);
    if (seg)
      for (const m of this.mechanisms()) {
        const b = m.bindPort(host, seg);
        if (b) {
          port['binding:vif_type'] = b.vif_type;
          port['binding:vif_details'] = b.vif_details;
          return;
        }
      }
    this.core.log.error(
      `Failed to bind port ${port.id} on host ${host} for vnic_type ${String(port['binding:vnic_type'])} using segments [${seg ? `{'network_type': '${seg.network_type}', 'physical_network': ${seg.physical_network ? `'${seg.physical_network}'` : 'None'}, 'segmentation_id': ${seg.segmentation_id ?? 'None'}}` : ''}]`,
    );
    port['binding:vif_type'] = 'binding_failed';
    port['binding:vif_details'] = {};
  }

  update(ctx: RequestContext, id: string, input: unknown): Doc {
    const body = prepareBody('port', input, false);
    const p = this.find(ctx, id);
    if (!adminOrOwner(ctx, p)) throw denied('update_port');
    enforceAttributes(ctx, 'update', 'port', body);
    if (body.mac_address !== undefined && !isAdmin(ctx))
      throw E.policyNotAuthorized('(rule:update_port and rule:update_port:mac_address)');
    return tx(this.core, () => {
      const original = structuredClone(p);
      const network = this.core.repo.networks.get(p.network_id as string) as Doc;
      const portSecurity =
        (body.port_security_enabled as boolean | undefined) ??
        (p.port_security_enabled as boolean | undefined) ??
        true;
      let groups = p.security_groups as string[];
      if (body.security_groups !== undefined) {
        groups = this.groupsFor(
          ctx,
          p.project_id as string,
          body.security_groups as string[],
          portSecurity,
          p.device_owner as string,
          false,
        );
      } else if (body.port_security_enabled === false && groups.length)
        throw E.portSecurityPortHasSecurityGroup();
      if (!portSecurity && groups.length) throw E.portSecurityPortHasSecurityGroup();
      if (body.allowed_address_pairs !== undefined)
        p.allowed_address_pairs = addressPairs(
          body.allowed_address_pairs,
          p.mac_address as string,
          portSecurity,
        );
      else if (!portSecurity && (p.allowed_address_pairs as unknown[]).length)
        throw E.addressPairAndPortSecurityRequired();
      // update_port: a new address or MAC needs the DHCP agent again.
      const addressesBefore = JSON.stringify([p.mac_address, p.fixed_ips]);
      if (body.mac_address !== undefined) {
        if (p['binding:vif_type'] !== 'unbound' && p['binding:vif_type'] !== 'binding_failed')
          throw E.portBound(
            p.id,
            p['binding:vif_type'] as string,
            p.mac_address as string,
            body.mac_address as string,
          );
        p.mac_address = macFor(this.core, network.id, body.mac_address as string);
      }
      if (body.fixed_ips !== undefined) {
        const keep = new Map(
          (p.fixed_ips as { subnet_id: string; ip_address: string }[]).map((f) => [
            `${f.subnet_id}|${f.ip_address}`,
            f,
          ]),
        );
        const asked = body.fixed_ips as FixedIpRequest[];
        const stays = asked.filter(
          (f) =>
            f.ip_address !== undefined &&
            [...keep.values()].some(
              (k) =>
                k.ip_address === f.ip_address && (f.subnet_id === undefined || f.subnet_id === k.subnet_id),
            ),
        );
        this.core.repo.deleteAllocations(p.id);
        const reinsert = stays.map(
          (f) =>
            [...keep.values()].find((k) => k.ip_address === f.ip_address) as {
              subnet_id: string;
              ip_address: string;
            },
        );
        for (const f of reinsert)
          this.core.repo.insertAllocation({
            subnet_id: f.subnet_id,
            ip_address: f.ip_address,
            network_id: network.id,
            port_id: p.id,
          });
        const fresh = allocateFixedIps(
          this.core,
          network,
          { id: p.id, mac_address: p.mac_address as string, device_owner: p.device_owner as string },
          asked.filter((f) => !stays.includes(f)),
        );
        p.fixed_ips = [...reinsert, ...fresh];
      }
      if (body.extra_dhcp_opts !== undefined) p.extra_dhcp_opts = extraDhcpOpts(body.extra_dhcp_opts);
      for (const k of [
        'name',
        'description',
        'admin_state_up',
        'device_id',
        'device_owner',
        'binding:profile',
        'binding:vnic_type',
        'qos_policy_id',
      ])
        if (body[k] !== undefined) p[k] = body[k];
      if (body.port_security_enabled !== undefined && p.port_security_enabled !== undefined)
        p.port_security_enabled = portSecurity;
      p.security_groups = groups;
      this.core.repo.setPortSecurityGroups(p.id, groups);
      if (body['binding:host_id'] !== undefined && body['binding:host_id'] !== p['binding:host_id']) {
        p['binding:host_id'] = body['binding:host_id'];
        p.status = 'DOWN';
        this.bind(p);
        // update_port_precommit: a port bound to a new host waits for that host's L2 agent.
        this.provisioning().setupL2(p);
      }
      if (JSON.stringify([p.mac_address, p.fixed_ips]) !== addressesBefore) this.provisioning().setupDhcp(p);
      touch(this.core, p);
      this.core.repo.ports.update(p);
      publish(this.core, 'port', 'updated', p);
      for (const h of this.updateHooks) h(original, p);
      networkChange(this.core, 'update_port', null, p);
      return p;
    });
  }

  delete(ctx: RequestContext, id: string, disassociateFloatingIps: (portId: string) => void): void {
    const p = this.find(ctx, id);
    if (!adminOrOwner(ctx, p)) throw denied('delete_port');
    const ownerKind = p.device_owner as string;
    if (
      [
        'network:router_interface',
        'network:router_gateway',
        'network:floatingip',
        'network:router_ha_interface',
      ].includes(ownerKind)
    )
      throw E.l3PortInUse(p.id, ownerKind);
    tx(this.core, () => {
      disassociateFloatingIps(p.id);
      this.remove(p);
      networkChange(this.core, 'delete_port', null, p);
    });
  }

  /** Deletes a port, its allocations and provisioning blocks (no checks: routers, floating IPs and networks call it). */
  remove(p: Doc): void {
    this.core.repo.ports.delete(p.id);
    publish(this.core, 'port', 'deleted', p);
    for (const h of this.statusHooks) h(p, p.status as string, 'DELETED');
  }

  /** Drops a port's address on a subnet (a DHCP port when its subnet goes). */
  removeSubnetAddress(portId: string, subnetId: string): void {
    const p = this.core.repo.ports.get(portId);
    if (!p) return;
    p.fixed_ips = (p.fixed_ips as { subnet_id: string }[]).filter((f) => f.subnet_id !== subnetId);
    this.core.repo.deleteAllocations(p.id);
    for (const f of p.fixed_ips as { subnet_id: string; ip_address: string }[])
      this.core.repo.insertAllocation({ ...f, network_id: p.network_id as string, port_id: p.id });
    touch(this.core, p);
    this.core.repo.ports.update(p);
    publish(this.core, 'port', 'updated', p);
  }

  /** A status from the agents (BUILD, DOWN; ACTIVE when provisioned): published for Nova's vif-plugged. */
  setStatus(portId: string, status: string, host: string): Doc | undefined {
    return tx(this.core, () => {
      const p = this.core.repo.ports.get(portId);
      if (!p) return undefined;
      const previous = p.status as string;
      if (previous === status) return p;
      p.status = status;
      touch(this.core, p);
      this.core.repo.ports.update(p);
      publish(this.core, 'port', 'updated', p);
      for (const h of this.statusHooks) h(p, previous, status);
      const snapshot = structuredClone(p);
      send(this.core, () =>
        this.core.bus.publish('port.status_changed', {
          port_id: p.id,
          device_id: p.device_id as string,
          device_owner: p.device_owner as string,
          network_id: p.network_id as string,
          host,
          previous,
          status,
          port: snapshot as never,
        }),
      );
      return p;
    });
  }

  /** Rebinds the ports of a host (an agent came up or went away). */
  rebindHost(host: string): void {
    tx(this.core, () => {
      for (const p of this.core.repo.ports.list()) {
        if (p['binding:host_id'] !== host) continue;
        const before = p['binding:vif_type'];
        this.bind(p);
        if (before !== p['binding:vif_type']) {
          touch(this.core, p);
          this.core.repo.ports.update(p);
          publish(this.core, 'port', 'updated', p);
        }
      }
    });
  }
}

/**
 * The Nova notifier's send_network_change input: an API change of a port or floating IP, with the
 * port it concerns (Nova hears network-changed, or network-vif-deleted, for compute ports).
 */
export function networkChange(
  core: NeutronCore,
  action: NetworkChangeEvent['action'],
  previousPort: Doc | null,
  port: Doc | null,
): void {
  const ref = (p: Doc | null) =>
    p === null
      ? null
      : { id: p.id, device_id: p.device_id as string, device_owner: p.device_owner as string };
  const payload = { action, previousPort: ref(previousPort), port: ref(port) };
  send(core, () => core.bus.publish('port.network_change', payload));
}
