// neutron-server's side of the agents' RPC, served on the bus (plugins/ml2/rpc.py,
// api/rpc/handlers/{dhcp,l3,securitygroups}_rpc.py, db/agents_db.py report_state).
import type { Bus, Unsubscribe } from '../../bus/bus.js';
import type {
  NeutronNetwork,
  NeutronPort,
  NeutronSecurityGroupRule,
  NeutronSubnet,
} from '../../bus/neutron-events.js';
import type { DeviceDetails, SyncedRouter } from '../../bus/neutron-rpc.js';
import type { Doc } from '../../store/neutron-repo.js';
import { internalContext } from '../policy.js';
import type { Agents } from './agents.js';
import { type NeutronCore, tx } from './core.js';
import type { FloatingIps } from './floating-ips.js';
import type { Ports } from './ports.js';
import { DHCP_ENTITY, L2_AGENT_ENTITY, type ProvisioningBlocks } from './provisioning-blocks.js';
import { GATEWAY, INTERFACE } from './routers.js';

export interface RpcParts {
  core: NeutronCore;
  ports: Ports;
  agents: Agents;
  floatingIps: FloatingIps;
  provisioning: ProvisioningBlocks;
}

const asPort = (p: Doc) => p as unknown as NeutronPort;

export function serveAgentRpc(bus: Bus, o: RpcParts): Unsubscribe {
  const { core, ports, agents, floatingIps, provisioning } = o;
  const repo = core.repo;
  const tunnels = new Map<string, { ip_address: string; host: string; type: string }>();

  /** A device as the agents name it: the port id, or a tap/qvo/qvb name (prefix + 11 chars of it). */
  const resolve = (device: string): Doc | undefined => {
    const p = repo.ports.get(device);
    if (p) return p;
    const m = /^(?:tap|qvo|qvb|qr-|qg-|ns-)([0-9a-f-]{11})$/.exec(device);
    if (!m) return undefined;
    return repo.ports.withIdPrefix(m[1])[0];
  };

  const subnetsOf = (p: Doc): NeutronSubnet[] =>
    (p.fixed_ips as { subnet_id: string }[])
      .map((f) => repo.subnets.get(f.subnet_id))
      .filter((s): s is Doc => s !== undefined) as unknown as NeutronSubnet[];

  const mtuOf = (networkId: string) => (repo.networks.get(networkId)?.mtu as number | undefined) ?? 1500;

  const offs: Unsubscribe[] = [
    bus.serve('report_state', ({ agent_state }) => {
      const r = agents.report(agent_state);
      // An agent that just came up can take the bindings that failed without it (ML2 retries).
      if (r.status !== 'alive') ports.rebindHost(agent_state.host);
      return r;
    }),

    bus.serve('get_devices_details_list', ({ host, devices }) =>
      devices.map((device): DeviceDetails | { device: string } => {
        const p = resolve(device);
        if (!p) return { device };
        const bound = p['binding:host_id'] as string;
        if (bound && bound !== host) return { device };
        const seg = repo.segment(p.network_id as string);
        if (!seg) return { device };
        // The agent is wiring it (ml2 rpc _get_new_status): BUILD, or DOWN when admin-down — from
        // any other status, ACTIVE included: a restarted agent's ports go BUILD → ACTIVE again, and
        // Nova hears network-vif-plugged for them.
        const wiring = p.admin_state_up ? 'BUILD' : 'DOWN';
        if (p.status !== wiring) ports.setStatus(p.id, wiring, host);
        const net = repo.networks.get(p.network_id as string);
        return {
          device,
          port_id: p.id,
          mac_address: p.mac_address as string,
          admin_state_up: p.admin_state_up as boolean,
          network_id: p.network_id as string,
          network_type: seg.network_type,
          physical_network: seg.physical_network,
          segmentation_id: seg.segmentation_id,
          mtu: mtuOf(p.network_id as string),
          fixed_ips: p.fixed_ips as DeviceDetails['fixed_ips'],
          device_owner: p.device_owner as string,
          allowed_address_pairs: p.allowed_address_pairs as DeviceDetails['allowed_address_pairs'],
          port_security_enabled: (p.port_security_enabled as boolean | undefined) ?? true,
          security_groups: p.security_groups as string[],
          qos_policy_id: (p.qos_policy_id as string | null | undefined) ?? null,
          network_qos_policy_id: (net?.qos_policy_id as string | null | undefined) ?? null,
          profile: p['binding:profile'] as Record<string, unknown>,
        };
      }),
    ),

    bus.serve('update_device_up', ({ host, device, refresh_tunnels }) => {
      const p = resolve(device);
      if (!p) return { device, exists: false };
      const bound = p['binding:host_id'] as string;
      if (bound && bound !== host) return { device, exists: true };
      // The L2 agent has wired it; ACTIVE once no other entity (the DHCP agent) still blocks it.
      provisioning.complete(p.id, L2_AGENT_ENTITY);
      for (const h of ports.wiredHooks) h(p, host, refresh_tunnels === true);
      return { device, exists: true };
    }),

    bus.serve('update_device_down', ({ host, device }) => {
      const p = resolve(device);
      if (!p) return { device, exists: false };
      ports.setStatus(p.id, 'DOWN', host);
      return { device, exists: true };
    }),

    bus.serve('security_group_info_for_devices', ({ devices }) => {
      const found = devices.map(resolve).filter((p): p is Doc => p !== undefined);
      const groups = new Set(found.flatMap((p) => p.security_groups as string[]));
      const security_groups: Record<string, NeutronSecurityGroupRule[]> = {};
      const remote = new Set<string>();
      for (const sg of groups) {
        const rules = repo.securityGroupRules.list({
          security_group_id: sg,
        }) as unknown as NeutronSecurityGroupRule[];
        security_groups[sg] = rules;
        for (const r of rules) if (r.remote_group_id) remote.add(r.remote_group_id);
      }
      const sg_member_ips: Record<string, { IPv4: string[]; IPv6: string[] }> = {};
      for (const sg of remote) {
        const ips = { IPv4: [] as string[], IPv6: [] as string[] };
        for (const id of repo.portsOfSecurityGroups([sg])) {
          const p = repo.ports.get(id);
          if (!p) continue;
          const addrs = [
            ...(p.fixed_ips as { ip_address: string }[]).map((f) => f.ip_address),
            ...(p.allowed_address_pairs as { ip_address: string }[]).map((a) => a.ip_address),
          ];
          for (const a of addrs) (a.includes(':') ? ips.IPv6 : ips.IPv4).push(a);
        }
        sg_member_ips[sg] = ips;
      }
      return {
        security_groups,
        sg_member_ips,
        devices: Object.fromEntries(found.map((p) => [p.id, asPort(p)])),
      };
    }),

    bus.serve('tunnel_sync', ({ tunnel_ip, tunnel_type, host }) => {
      const known = tunnels.get(`${tunnel_type}|${tunnel_ip}`);
      if (!known || known.host !== host) {
        tunnels.set(`${tunnel_type}|${tunnel_ip}`, { ip_address: tunnel_ip, host, type: tunnel_type });
        core.bus.publish('tunnel.updated', { tunnel_ip, tunnel_type, host });
      }
      return {
        tunnels: [...tunnels.values()]
          .filter((t) => t.type === tunnel_type)
          .map((t) => ({ ip_address: t.ip_address, host: t.host })),
      };
    }),

    bus.serve('get_active_networks_info', () => {
      const withDhcp = new Set(
        repo.subnets
          .list()
          .filter((s) => s.enable_dhcp === true)
          .map((s) => s.network_id as string),
      );
      return repo.networks
        .list()
        .filter((n) => n.admin_state_up === true && withDhcp.has(n.id))
        .map((n) => n.id);
    }),

    bus.serve('get_network_info', ({ network_id }) => {
      const n = repo.networks.get(network_id);
      if (!n) return null;
      return {
        ...(n as unknown as NeutronNetwork),
        subnets_detail: repo.subnets.list({ network_id }) as unknown as NeutronSubnet[],
        ports: repo.ports.list({ network_id }) as unknown as NeutronPort[],
      };
    }),

    bus.serve('sync_routers', ({ host, router_ids }) => {
      const wanted = router_ids?.length ? new Set(router_ids) : null;
      const routers = repo.routers.list().filter((r) => !wanted || wanted.has(r.id));
      // l3_rpc._ensure_host_set_on_ports: the router's ports are bound to the agent's host.
      tx(core, () => {
        for (const r of routers)
          for (const p of repo.ports.list({ device_id: r.id }))
            if (p['binding:host_id'] !== host && (p.device_owner === INTERFACE || p.device_owner === GATEWAY))
              ports.update(internalContext(), p.id, { 'binding:host_id': host });
      });
      return routers.map((r) => {
        const own = repo.ports.list({ device_id: r.id });
        const withSubnets = (p: Doc) => ({
          ...asPort(p),
          subnets: subnetsOf(p),
          mtu: mtuOf(p.network_id as string),
        });
        const gw = own.find((p) => p.device_owner === GATEWAY);
        return {
          ...(r as unknown as SyncedRouter),
          gw_port: gw ? withSubnets(gw) : null,
          _interfaces: own.filter((p) => p.device_owner === INTERFACE).map(withSubnets),
          _floatingips: repo.floatingips
            .list({ router_id: r.id })
            .filter((f) => f.port_id) as unknown as SyncedRouter['_floatingips'],
        };
      });
    }),

    bus.serve('update_floatingip_statuses', ({ router_id, fip_statuses }) => ({
      updated: floatingIps.setStatuses(router_id, fip_statuses),
    })),

    bus.serve('create_dhcp_port', ({ host, port }) => {
      const network = repo.networks.get(port.network_id);
      if (!network) return null;
      return tx(core, () => {
        const existing = repo.ports
          .list({ network_id: port.network_id, device_owner: 'network:dhcp' })
          .find((p) => p.device_id === port.device_id);
        if (existing) return asPort(existing);
        const created = ports.insert(
          internalContext(),
          network,
          {
            network_id: network.id,
            device_id: port.device_id,
            device_owner: 'network:dhcp',
            project_id: network.project_id,
            tenant_id: network.project_id,
            admin_state_up: port.admin_state_up ?? true,
            name: port.name ?? '',
            'binding:host_id': host,
            ...(port.fixed_ips ? { fixed_ips: port.fixed_ips } : {}),
          },
          true,
        );
        return asPort(created);
      });
    }),

    bus.serve('update_dhcp_port', ({ port_id, port }) =>
      asPort(ports.update(internalContext(), port_id, { fixed_ips: port.fixed_ips })),
    ),

    // dhcp_rpc.dhcp_ready_on_ports: dnsmasq has these ports in its host file now.
    bus.serve('dhcp_ready_on_ports', ({ port_ids }) => {
      for (const id of port_ids) provisioning.complete(id, DHCP_ENTITY);
      return null;
    }),

    bus.serve('release_dhcp_port', ({ network_id, device_id }) => {
      tx(core, () => {
        for (const p of repo.ports.list({ network_id, device_owner: 'network:dhcp' }))
          if (p.device_id === device_id) ports.remove(p);
      });
      return { released: true };
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
