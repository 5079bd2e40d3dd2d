// Networking for instances as Nova's neutron API module does it (nova/network/neutron.py):
// one port per requested network, created for the instance's project with device_owner
// `compute:nova`, device_id = the server's uuid and binding:host_id = the chosen host; ports the
// user brought (`--nic port-id=`) are bound instead of created, and unbound rather than deleted
// when the server goes. The instance keeps a copy of what it got (Nova's network info cache).
import type { ComputePort } from '../../bus/index.js';
import { badRequest, conflict, forbidden, isServiceError } from '../errors.js';
import { isAdmin, type RequestContext } from '../policy.js';
import type { NetworkApi, NovaNetwork, NovaPort } from './collaborators.js';

/** One entry of `networks` in a create request, after validation. */
export interface RequestedNetwork {
  networkId?: string;
  portId?: string;
  fixedIp?: string;
}
export type NetworkRequest = 'auto' | 'none' | RequestedNetwork[];

/** ML2 could not bind a port on the host (no live agent there …): Nova's PortBindingFailed. */
export class PortBindingFailed extends Error {
  constructor(readonly portId: string) {
    super(`Binding failed for port ${portId}, please check neutron logs for more information.`);
  }
}

/** The instance's network info cache: its ports and what the API shows of them. */
export interface VifInfo {
  port: ComputePort;
  floatingIps: string[];
  /** Brought by the user: unbound, not deleted, when the server is deleted. */
  preexisting: boolean;
}

export const DEVICE_OWNER = 'compute:nova';

export class InstanceNetworking {
  constructor(private readonly net: NetworkApi) {}

  /**
   * Checks a create request's networks before anything is stored (Nova's API does this in
   * _validate_requested_port_ids / validate_networks) and resolves "auto".
   */
  async validate(ctx: RequestContext, req: NetworkRequest | undefined): Promise<NetworkRequest> {
    if (req === 'none') return req;
    // No networks at all (before 2.37): every network the project may use, if it is only one.
    if (req === 'auto' || req === undefined) {
      const usable = (await this.net.listNetworks(ctx)).filter((n) => !n.external || n.shared);
      if (usable.length === 0 && req === undefined) return 'none';
      if (usable.length === 0)
        throw badRequest(`Unable to automatically allocate a network for project ${ctx.projectId}`);
      if (usable.length > 1)
        throw conflict(
          'Multiple possible networks found, use a Network ID to be more specific.',
          'NetworkAmbiguous',
        );
      return [{ networkId: usable[0].id }];
    }
    for (const r of req) {
      if (r.portId) {
        const p = await this.net.getPort(ctx, r.portId);
        if (!p) throw badRequest(`Port ${r.portId} could not be found.`);
        if (p.deviceId) throw conflict(`Port ${r.portId} is still in use.`, 'PortInUse');
        r.networkId = p.networkId;
      } else if (r.networkId) {
        const n = await this.net.getNetwork(ctx, r.networkId);
        if (!n) throw badRequest(`Network ${r.networkId} could not be found.`);
        // nova/network/neutron.py: only admins attach to an external network that is not shared.
        if (n.external && !n.shared && !isAdmin(ctx))
          throw forbidden(
            `It is not allowed to create an interface on external network ${n.id}`,
            'ExternalNetworkAttachForbidden',
          );
        if (n.subnets.length === 0)
          throw badRequest(`Network ${r.networkId} requires a subnet in order to boot instances on.`);
      }
    }
    return req;
  }

  /** Creates or binds the instance's ports on the host; Nova's BuildAbort text on failure. */
  async allocate(
    ctx: RequestContext,
    o: {
      instanceUuid: string;
      projectId: string;
      host: string;
      requested: NetworkRequest;
      securityGroups: string[];
    },
  ): Promise<VifInfo[]> {
    if (o.requested === 'none' || o.requested === 'auto') return [];
    const out: VifInfo[] = [];
    try {
      for (const r of o.requested) {
        let port: NovaPort;
        if (r.portId) {
          port = await this.net.updatePortBinding(ctx, r.portId, {
            deviceId: o.instanceUuid,
            deviceOwner: DEVICE_OWNER,
            bindingHostId: o.host,
          });
        } else {
          port = await this.net.createPort(ctx, {
            networkId: r.networkId as string,
            projectId: o.projectId,
            deviceId: o.instanceUuid,
            deviceOwner: DEVICE_OWNER,
            bindingHostId: o.host,
            fixedIps: r.fixedIp ? [{ ipAddress: r.fixedIp }] : undefined,
            securityGroups: o.securityGroups,
          });
        }
        const network = await this.net.getNetwork(ctx, port.networkId);
        out.push({ port: computePort(port, network), floatingIps: [], preexisting: Boolean(r.portId) });
        if (port.vifType === 'binding_failed') throw new PortBindingFailed(port.id);
      }
    } catch (e) {
      await this.deallocate(ctx, out);
      throw e;
    }
    return out;
  }

  /** Deletes the ports Nova created and unbinds the user's own. Gone ports are fine. */
  async deallocate(ctx: RequestContext, vifs: VifInfo[]): Promise<void> {
    for (const v of vifs) {
      try {
        if (v.preexisting)
          await this.net.updatePortBinding(ctx, v.port.id, {
            deviceId: '',
            deviceOwner: '',
            bindingHostId: '',
          });
        else await this.net.deletePort(ctx, v.port.id);
      } catch (e) {
        if (!isServiceError(e) || e.status !== 404) throw e;
      }
    }
  }

  /** Re-reads the instance's ports and floating IPs (Nova's info cache refresh). */
  async refresh(ctx: RequestContext, instanceUuid: string, cached: VifInfo[]): Promise<VifInfo[]> {
    const ports = await this.net.listPortsOfDevice(ctx, instanceUuid);
    const out: VifInfo[] = [];
    for (const p of ports) {
      const old = cached.find((v) => v.port.id === p.id);
      const network = await this.net.getNetwork(ctx, p.networkId);
      out.push({
        port: computePort(p, network),
        floatingIps: await this.net.floatingIpsOfPort(ctx, p.id),
        preexisting: old?.preexisting ?? false,
      });
    }
    return out;
  }
}

function computePort(p: NovaPort, n: NovaNetwork | null): ComputePort {
  return {
    id: p.id,
    macAddress: p.macAddress,
    networkId: p.networkId,
    networkName: n?.name ?? '',
    mtu: n?.mtu ?? 1500,
    networkType: n?.networkType ?? 'vxlan',
    segmentationId: n?.segmentationId ?? null,
    physicalNetwork: n?.physicalNetwork ?? null,
    fixedIps: p.fixedIps.map((ip) => {
      const s = n?.subnets.find((x) => x.id === ip.subnetId);
      return {
        subnetId: ip.subnetId,
        ipAddress: ip.ipAddress,
        cidr: s?.cidr ?? null,
        gatewayIp: s?.gatewayIp ?? null,
      };
    }),
    securityGroupIds: p.securityGroups,
    deviceName: `tap${p.id.slice(0, 11)}`,
  };
}
