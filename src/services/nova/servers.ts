// The servers API's domain side (nova/compute/api.py): create with its checks (flavor, image,
// key pair, availability zone, networks, security groups, quota), list with filters, show,
// delete, and the power actions, which nova-compute on the instance's host carries out.
import { randomBytes, randomUUID } from 'node:crypto';
import type { ComputeFlavor, ComputeImage } from '../../bus/index.js';
import type { Logger } from '../../sim/oslo-log.js';
import type { InstanceRepo, InstanceRow, KeyPairRepo } from '../../store/index.js';
import { badRequest, forbidden, isServiceError, notFound } from '../errors.js';
import { isAdmin, type RequestContext } from '../policy.js';
import type { ImageLookup, NetworkApi, NovaPort } from './collaborators.js';
import { type BuildJob, Conductor, instanceName } from './conductor.js';
import type { Flavor, Flavors } from './flavors.js';
import { DEFAULT_AZ, type Hosts } from './hosts.js';
import type { InstanceActions } from './instance-actions.js';
import { novaPolicy } from './policy.js';
import type { InstanceNetworking, NetworkRequest, VifInfo } from './ports.js';
import type { Quotas } from './quotas.js';
import { POWER, statusOf, TASK, VM, vmStatesOfStatus } from './states.js';

export interface ServerCreate {
  name: string;
  imageRef: string;
  flavorRef: string;
  networks?: NetworkRequest;
  keyName?: string | null;
  securityGroups?: string[];
  userData?: string | null;
  metadata?: Record<string, string>;
  availabilityZone?: string | null;
  minCount?: number;
  maxCount?: number;
  accessIpV4?: string | null;
  accessIpV6?: string | null;
  description?: string | null;
  configDrive?: boolean;
  adminPass?: string | null;
}

export interface ServerFilters {
  name?: string;
  status?: string;
  image?: string;
  flavor?: string;
  host?: string;
  ip?: string;
  changesSince?: string;
  allTenants?: boolean;
  projectId?: string;
  reservationId?: string;
  limit?: number;
  marker?: string;
  sortKey?: string;
  sortDir?: 'asc' | 'desc';
}

export type Instance = InstanceRow;

/** Nova's sanitize_hostname: lowercase, dashes for anything else, trimmed to 63 characters. */
export function sanitizeHostname(name: string): string {
  const h = name
    .toLowerCase()
    .replace(/[ _]/g, '-')
    .replace(/[^\w.-]+/g, '')
    .replace(/\./g, '-')
    .replace(/^[.-]+|[.-]+$/g, '')
    .slice(0, 63);
  return h || 'server';
}

// Nova's generate_password: 12 characters without look-alikes (nova/utils.py).
const PASSWORD_SYMBOLS = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const generatePassword = () =>
  [...randomBytes(12)].map((b) => PASSWORD_SYMBOLS[b % PASSWORD_SYMBOLS.length]).join('');

export const instanceNotFound = (id: string) =>
  notFound(`Instance ${id} could not be found.`, 'InstanceNotFound');

export class Servers {
  constructor(
    private readonly repo: InstanceRepo,
    private readonly keypairs: KeyPairRepo,
    private readonly flavors: Flavors,
    private readonly quotas: Quotas,
    private readonly hosts: Hosts,
    private readonly images: ImageLookup,
    private readonly network: NetworkApi,
    private readonly networking: InstanceNetworking,
    private readonly conductor: Conductor,
    private readonly actions: InstanceActions,
    private readonly log: Logger,
    private readonly now: () => Date,
  ) {}

  /** A server the caller may see, or Nova's 404 (never a 403 that would confirm it exists). */
  get(ctx: RequestContext, id: string, action = 'os_compute_api:servers:show'): Instance {
    const i = this.repo.get(id);
    if (!i || !novaPolicy.allowed(action, ctx, { project_id: i.projectId })) throw instanceNotFound(id);
    return i;
  }

  /** A live instance by uuid, whoever owns it (the console proxy, the hosts' reports). */
  byUuid(uuid: string): (Instance & { instanceName: string }) | undefined {
    const i = this.repo.get(uuid);
    return i && { ...i, instanceName: instanceName(i.id) };
  }

  /** The live instances placed on a compute host, with their domain names (os-hypervisors servers). */
  onHost(host: string): { uuid: string; instanceName: string }[] {
    return this.repo.onHost(host).map((i) => ({ uuid: i.uuid, instanceName: instanceName(i.id) }));
  }

  /** Show with a fresh network info cache (ports and floating IPs as Neutron has them now). */
  async show(ctx: RequestContext, id: string): Promise<Instance> {
    const i = this.get(ctx, id);
    if (i.host && i.vmState !== VM.ERROR && i.vmState !== VM.BUILDING) {
      try {
        const vifs = await this.networking.refresh(ctx, i.uuid, i.networkInfo as VifInfo[]);
        this.repo.update(i.uuid, { networkInfo: vifs });
        return { ...i, networkInfo: vifs };
      } catch {
        // Neutron unreachable: Nova shows its cache.
      }
    }
    return i;
  }

  /** Neutron said a port changed (os-server-external-events network-changed): refresh the cache. */
  refreshNetworkInfo(ctx: RequestContext, uuid: string): void {
    const i = this.repo.get(uuid);
    if (!i) return;
    this.networking.refresh(ctx, uuid, i.networkInfo as VifInfo[]).then(
      (vifs) => this.repo.update(uuid, { networkInfo: vifs }),
      () => {},
    );
  }

  list(ctx: RequestContext, f: ServerFilters = {}): Instance[] {
    const all = f.allTenants === true && isAdmin(ctx);
    if (f.allTenants && !all) novaPolicy.enforce('os_compute_api:servers:index:get_all_tenants', ctx);
    let rows = all
      ? f.projectId
        ? this.repo.list(f.projectId)
        : this.repo.list()
      : this.repo.list(ctx.projectId ?? '');
    // Nova treats name (and ip) as regular expressions; a bad one matches nothing.
    const re = (s: string) => {
      try {
        return new RegExp(s);
      } catch {
        return /(?!)/;
      }
    };
    if (f.name !== undefined) {
      const r = re(f.name);
      rows = rows.filter((i) => r.test(i.displayName));
    }
    if (f.status !== undefined) {
      const states = vmStatesOfStatus(f.status);
      if (states === null) return [];
      rows = rows.filter(
        (i) => states.includes(i.vmState) && statusOf(i.vmState, i.taskState) === f.status?.toUpperCase(),
      );
    }
    if (f.image !== undefined) rows = rows.filter((i) => i.imageRef === f.image);
    if (f.flavor !== undefined) rows = rows.filter((i) => (i.flavor as ComputeFlavor).id === f.flavor);
    if (f.host !== undefined && isAdmin(ctx)) rows = rows.filter((i) => i.host === f.host);
    if (f.reservationId !== undefined) rows = rows.filter((i) => i.reservationId === f.reservationId);
    if (f.ip !== undefined) {
      const r = re(f.ip);
      rows = rows.filter((i) =>
        (i.networkInfo as VifInfo[]).some((v) => v.port.fixedIps.some((x) => r.test(x.ipAddress))),
      );
    }
    if (f.changesSince !== undefined) {
      const t = Date.parse(f.changesSince);
      if (Number.isNaN(t)) throw badRequest(`Invalid filter field: changes-since.`);
      rows = rows.filter((i) => Date.parse(i.updatedAt ?? i.createdAt) >= t);
    }
    if (f.sortKey) {
      const key = f.sortKey;
      const get = (i: Instance): string | number =>
        key === 'display_name'
          ? i.displayName
          : key === 'uuid'
            ? i.uuid
            : key === 'vm_state'
              ? i.vmState
              : key === 'updated_at'
                ? (i.updatedAt ?? '')
                : i.createdAt;
      const dir = f.sortDir === 'asc' ? 1 : -1;
      rows = [...rows].sort((a, b) => (get(a) < get(b) ? -dir : get(a) > get(b) ? dir : b.id - a.id));
    }
    if (f.marker !== undefined) {
      const idx = rows.findIndex((i) => i.uuid === f.marker);
      if (idx < 0) throw badRequest(`marker [${f.marker}] not found`);
      rows = rows.slice(idx + 1);
    }
    if (f.limit !== undefined) rows = rows.slice(0, f.limit);
    return rows;
  }

  async create(ctx: RequestContext, c: ServerCreate): Promise<{ instances: Instance[]; adminPass: string }> {
    const projectId = ctx.projectId;
    if (!projectId) throw badRequest('A project-scoped token is required to create servers.');
    novaPolicy.enforce('os_compute_api:servers:create', ctx, { project_id: projectId });
    const flavor = this.flavors.forBoot(ctx, c.flavorRef);
    const image = await this.checkImage(ctx, c.imageRef, flavor);
    let keyData: string | null = null;
    if (c.keyName) {
      const k = this.keypairs.get(ctx.userId, c.keyName);
      if (!k) throw badRequest('Invalid key_name provided.');
      keyData = k.publicKey;
    }
    const forcedHost = this.checkAvailabilityZone(ctx, c.availabilityZone ?? null);
    const requested = await this.networking.validate(ctx, c.networks);
    const sgNames = c.securityGroups?.length ? [...new Set(c.securityGroups)] : ['default'];
    const sgIds =
      requested === 'none' ? [] : await this.network.resolveSecurityGroups(ctx, projectId, sgNames);
    const min = c.minCount ?? 1;
    const max = c.maxCount ?? min;
    if (min > max) throw badRequest('min_count must be <= max_count');
    const mdLimit = this.quotas.limitsFor(projectId).metadata_items;
    if (mdLimit >= 0 && Object.keys(c.metadata ?? {}).length > mdLimit)
      throw forbidden(`Maximum number of metadata items exceeds ${mdLimit}`, 'MetadataLimitExceeded');
    const count = this.quotas.allowedInstances(projectId, min, max, { cores: flavor.vcpus, ram: flavor.ram });
    const adminPass = c.adminPass ?? generatePassword();
    const reservationId = `r-${randomBytes(4).toString('hex').slice(0, 8)}`;
    const now = this.now().toISOString();
    const computeFlavor: ComputeFlavor = {
      id: flavor.id,
      name: flavor.name,
      ramMb: flavor.ram,
      vcpus: flavor.vcpus,
      rootGb: flavor.disk,
      ephemeralGb: flavor.ephemeral,
      swapMb: flavor.swap,
      extraSpecs: flavor.extraSpecs,
    };
    const instances: Instance[] = [];
    for (let n = 0; n < count; n++) {
      // Nova's multi_instance_display_name_template: '%(name)s-%(count)d' from 1.
      const name = count > 1 ? `${c.name}-${n + 1}` : c.name;
      instances.push(
        this.repo.insert({
          uuid: randomUUID(),
          displayName: name,
          hostname: sanitizeHostname(name),
          projectId,
          userId: ctx.userId,
          imageRef: image.id,
          image,
          flavor: computeFlavor,
          keyName: c.keyName ?? null,
          keyData,
          userData: c.userData ?? null,
          metadata: c.metadata ?? {},
          availabilityZone: c.availabilityZone?.split(':')[0] || null,
          securityGroups: sgNames,
          requestedNetworks: requested,
          networkInfo: [],
          vmState: VM.BUILDING,
          taskState: TASK.SCHEDULING,
          powerState: POWER.NOSTATE,
          host: null,
          node: null,
          launchedAt: null,
          terminatedAt: null,
          reservationId,
          launchIndex: n,
          fault: null,
          accessIpV4: c.accessIpV4 ?? null,
          accessIpV6: c.accessIpV6 ?? null,
          configDrive: c.configDrive ? 'True' : '',
          description: c.description ?? null,
          adminPass: null,
          createdAt: now,
          updatedAt: now,
          deletedAt: null,
          deleted: false,
        }),
      );
    }
    for (const i of instances) {
      this.actions.record(ctx, i.uuid, projectId, 'create');
      const job: BuildJob = { ctx, uuid: i.uuid, requested, securityGroupIds: sgIds, forcedHost };
      this.conductor.start(job);
    }
    this.log.info(`Creating ${count} instance(s) of flavor ${flavor.name} from image ${image.id}`, {
      requestId: ctx.requestId,
      userId: ctx.userId,
      projectId,
    });
    return { instances, adminPass };
  }

  private async checkImage(ctx: RequestContext, ref: string, flavor: Flavor): Promise<ComputeImage> {
    if (!ref) throw badRequest('Missing imageRef attribute');
    const id = ref.split('/').pop() ?? ref;
    const img = await this.images.getImage(ctx, id);
    if (!img) throw badRequest(`Image ${id} could not be found.`);
    if (img.status !== 'active') throw badRequest(`Image ${id} is not active.`);
    const GiB = 1024 ** 3;
    if (flavor.disk > 0 && img.size !== null && img.size > flavor.disk * GiB)
      throw badRequest(
        `Flavor's disk is too small for requested image. Flavor disk is ${flavor.disk * GiB} bytes, image is ${img.size} bytes.`,
      );
    if (flavor.disk > 0 && img.minDisk > flavor.disk)
      throw badRequest(
        `Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is ${flavor.disk * GiB} bytes, minimum size is ${img.minDisk * GiB} bytes.`,
      );
    if (img.minRam > flavor.ram) throw badRequest("Flavor's memory is too small for requested image.");
    return {
      id: img.id,
      name: img.name,
      diskFormat: img.diskFormat,
      containerFormat: img.containerFormat,
      size: img.size,
      properties: img.properties,
    };
  }

  /** `nova` (or empty) boots anywhere; `nova:HOST` pins a host (admin only). */
  private checkAvailabilityZone(ctx: RequestContext, az: string | null): string | null {
    if (!az) return null;
    const [zone, host] = az.split(':');
    if (zone !== DEFAULT_AZ && zone !== '')
      throw badRequest('The requested availability zone is not available');
    if (!host) return null;
    novaPolicy.enforce('os_compute_api:servers:create:forced_host', ctx);
    if (!this.hosts.node(host)) throw badRequest(`Compute host ${host} could not be found.`);
    return host;
  }

  /** os-interface: the server's ports as Neutron has them now. */
  async interfaces(ctx: RequestContext, id: string): Promise<NovaPort[]> {
    const i = this.get(ctx, id, 'os_compute_api:os-attach-interfaces:list');
    return this.network.listPortsOfDevice(ctx, i.uuid);
  }

  /**
   * addSecurityGroup / removeSecurityGroup (nova/network/security_group_api.py): the group is
   * added to (removed from) every port of the server, and the server lists it.
   */
  async changeSecurityGroup(ctx: RequestContext, id: string, name: string, add: boolean): Promise<void> {
    const i = this.get(ctx, id, 'os_compute_api:os-security-groups:add');
    const [groupId] = await this.network.resolveSecurityGroups(ctx, i.projectId, [name]).catch((e) => {
      if (isServiceError(e) && e.status === 400)
        throw notFound(
          `Security group ${name} not found for project ${i.projectId}.`,
          'SecurityGroupNotFound',
        );
      throw e;
    });
    // The server lists groups by name, whichever way the request named it.
    const groupName =
      (await this.network.listSecurityGroups(ctx)).find((g) => g.id === groupId)?.name ?? name;
    const ports = await this.network.listPortsOfDevice(ctx, i.uuid);
    const has = ports.some((p) => p.securityGroups.includes(groupId)) || i.securityGroups.includes(groupName);
    if (add && has)
      throw badRequest(
        `Security group ${name} is already associated with the instance ${i.uuid}`,
        'SecurityGroupExistsForInstance',
      );
    if (!add && !has)
      throw badRequest(
        `Security group ${name} not associated with the instance ${i.uuid}`,
        'SecurityGroupNotExistsForInstance',
      );
    for (const p of ports)
      await this.network.setPortSecurityGroups(
        ctx,
        p.id,
        add ? [...new Set([...p.securityGroups, groupId])] : p.securityGroups.filter((g) => g !== groupId),
      );
    const names = add
      ? [...new Set([...i.securityGroups, groupName])]
      : i.securityGroups.filter((n) => n !== groupName);
    this.repo.update(i.uuid, { securityGroups: names, updatedAt: this.now().toISOString() });
  }

  setMetadata(
    ctx: RequestContext,
    id: string,
    metadata: Record<string, string>,
    replace: boolean,
  ): Record<string, string> {
    const i = this.get(ctx, id, 'os_compute_api:server-metadata:update');
    const md = replace ? metadata : { ...i.metadata, ...metadata };
    this.repo.update(i.uuid, { metadata: md, updatedAt: this.now().toISOString() });
    return md;
  }

  deleteMetadata(ctx: RequestContext, id: string, key: string): void {
    const i = this.get(ctx, id, 'os_compute_api:server-metadata:delete');
    if (!(key in i.metadata)) throw notFound(`Metadata item was not found`);
    const { [key]: _gone, ...rest } = i.metadata;
    this.repo.update(i.uuid, { metadata: rest, updatedAt: this.now().toISOString() });
  }

  rename(ctx: RequestContext, id: string, changes: { name?: string; description?: string | null }): Instance {
    const i = this.get(ctx, id, 'os_compute_api:servers:update');
    this.repo.update(i.uuid, {
      ...(changes.name !== undefined ? { displayName: changes.name } : {}),
      ...(changes.description !== undefined ? { description: changes.description } : {}),
      updatedAt: this.now().toISOString(),
    });
    return this.get(ctx, id);
  }
}

export { Conductor };
