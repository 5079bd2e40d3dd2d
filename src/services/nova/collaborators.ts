// What Nova needs of Glance and Neutron, as narrow interfaces: cloud.ts adapts the real services
// to them (Nova calls them with the user's context, as it calls the real APIs with the user's
// token), and unit tests give small in-memory ones.
import type { RequestContext } from '../policy.js';

/** An image as Nova reads it from Glance (visibility already applied for the caller). */
export interface NovaImage {
  id: string;
  name: string;
  status: string;
  diskFormat: string | null;
  containerFormat: string | null;
  size: number | null;
  minDisk: number;
  minRam: number;
  properties: Record<string, string>;
}

export interface ImageLookup {
  /** The image or null when it does not exist or the caller may not see it. */
  getImage(ctx: RequestContext, id: string): Promise<NovaImage | null>;
}

export interface NovaNetwork {
  id: string;
  name: string;
  projectId: string;
  shared: boolean;
  external: boolean;
  mtu: number;
  networkType: string;
  segmentationId: number | null;
  physicalNetwork: string | null;
  subnets: { id: string; cidr: string; gatewayIp: string | null; ipVersion: number }[];
}

export interface NovaPort {
  id: string;
  networkId: string;
  macAddress: string;
  fixedIps: { subnetId: string; ipAddress: string }[];
  deviceId: string;
  deviceOwner: string;
  bindingHostId: string;
  securityGroups: string[];
  projectId: string;
  /** Neutron's port status: DOWN until an agent has wired it, then ACTIVE. */
  status: string;
  /** binding:vif_type after binding to a host (`ovs`, or `binding_failed` when ML2 could not bind). */
  vifType?: string;
}

export interface NovaSecurityGroup {
  id: string;
  name: string;
  description: string;
  projectId: string;
  rules: {
    id: string;
    direction: string;
    protocol: string | null;
    portMin: number | null;
    portMax: number | null;
    remoteIpPrefix: string | null;
    remoteGroupId: string | null;
  }[];
}

export interface PortCreate {
  networkId: string;
  projectId: string;
  deviceId: string;
  deviceOwner: string;
  bindingHostId: string;
  fixedIps?: { ipAddress: string }[];
  securityGroups?: string[];
}

export interface NetworkApi {
  getNetwork(ctx: RequestContext, id: string): Promise<NovaNetwork | null>;
  /** Networks the caller may boot on: its own and shared ones (never external ones unless shared). */
  listNetworks(ctx: RequestContext): Promise<NovaNetwork[]>;
  getPort(ctx: RequestContext, id: string): Promise<NovaPort | null>;
  createPort(ctx: RequestContext, body: PortCreate): Promise<NovaPort>;
  /** Binds or unbinds an existing port (device_id, device_owner, binding:host_id). */
  updatePortBinding(
    ctx: RequestContext,
    id: string,
    binding: { deviceId: string; deviceOwner: string; bindingHostId: string },
  ): Promise<NovaPort>;
  deletePort(ctx: RequestContext, id: string): Promise<void>;
  listPortsOfDevice(ctx: RequestContext, deviceId: string): Promise<NovaPort[]>;
  /** Floating IPs associated with a port. */
  floatingIpsOfPort(ctx: RequestContext, portId: string): Promise<string[]>;
  /** Security group names → ids in the project; throws Nova's 400 for an unknown name. */
  resolveSecurityGroups(ctx: RequestContext, projectId: string, names: string[]): Promise<string[]>;
  /** The project's security groups, for Nova's os-security-groups proxy (before 2.36). */
  listSecurityGroups(ctx: RequestContext): Promise<NovaSecurityGroup[]>;
  /** Replaces a port's security groups (ids). */
  setPortSecurityGroups(ctx: RequestContext, portId: string, ids: string[]): Promise<void>;
}

/** A cloud without Neutron: no networks to boot on (only `networks: none` servers). */
export const NO_NETWORKING: NetworkApi = {
  getNetwork: async () => null,
  listNetworks: async () => [],
  getPort: async () => null,
  createPort: async () => {
    throw new Error('no network service');
  },
  updatePortBinding: async () => {
    throw new Error('no network service');
  },
  deletePort: async () => {},
  listPortsOfDevice: async () => [],
  floatingIpsOfPort: async () => [],
  resolveSecurityGroups: async () => [],
  setPortSecurityGroups: async () => {},
  listSecurityGroups: async () => [],
};

/** A cloud without Glance: every image reference is unknown (Nova's 400 on create). */
export const NO_IMAGES: ImageLookup = { getImage: async () => null };
