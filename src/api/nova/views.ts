// Response bodies of the compute API, per microversion (nova/api/openstack/compute/views/*.py
// and the api_samples of each microversion).
import { createHash } from 'node:crypto';
import type { ComputeFlavor, ComputeImage } from '../../bus/index.js';
import {
  type Flavor,
  type Hypervisor,
  type Instance,
  instanceName,
  statusOf,
  type VifInfo,
} from '../../services/nova/index.js';
import type { KeyPairRow } from '../../store/index.js';

/** Nova's API timestamps: seconds, `Z`. */
export const apiTime = (iso: string | null) => (iso ? iso.replace(/\.\d+Z$/, 'Z') : null);
/** Python isoformat without a zone, with microseconds (launched_at, key pair created_at). */
export const pyTime = (iso: string | null) =>
  iso ? iso.replace(/\.(\d{3})Z$/, '.$1000').replace(/Z$/, '') : null;

const links = (base: string, kind: string, id: string) => [
  { rel: 'self', href: `${base}/v2.1/${kind}/${id}` },
  { rel: 'bookmark', href: `${base}/${kind}/${id}` },
];

export function flavorView(base: string, f: Flavor, minor: number, brief = false) {
  const v: Record<string, unknown> = { id: f.id, name: f.name };
  if (!brief) {
    Object.assign(v, {
      ram: f.ram,
      disk: f.disk,
      swap: minor >= 75 ? f.swap : f.swap || '',
      'OS-FLV-EXT-DATA:ephemeral': f.ephemeral,
      'OS-FLV-DISABLED:disabled': f.disabled,
      vcpus: f.vcpus,
      'os-flavor-access:is_public': f.isPublic,
      rxtx_factor: f.rxtxFactor,
    });
  }
  v.links = links(base, 'flavors', f.id);
  if (minor >= 55) v.description = f.description;
  if (minor >= 61 && !brief) v.extra_specs = f.extraSpecs;
  return v;
}

export function keypairView(
  k: KeyPairRow & { privateKey?: string },
  minor: number,
  kind: 'create' | 'list' | 'show',
) {
  const v: Record<string, unknown> = { name: k.name, public_key: k.publicKey, fingerprint: k.fingerprint };
  if (kind !== 'list') v.user_id = k.userId;
  if (kind === 'create' && k.privateKey !== undefined) v.private_key = k.privateKey;
  if (minor >= 2) v.type = k.type;
  if (kind === 'show')
    Object.assign(v, {
      created_at: pyTime(k.createdAt),
      deleted: false,
      deleted_at: null,
      updated_at: null,
      id: k.id,
    });
  return v;
}

/** hostId: a hash of the project and the host, so tenants can tell co-location without host names. */
export const hostId = (projectId: string, host: string | null) =>
  host
    ? createHash('sha224')
        .update(projectId + host)
        .digest('hex')
    : '';

export function addressesOf(vifs: VifInfo[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const v of vifs) {
    const list = (out[v.port.networkName] ??= []);
    for (const ip of v.port.fixedIps)
      list.push({
        version: ip.ipAddress.includes(':') ? 6 : 4,
        addr: ip.ipAddress,
        'OS-EXT-IPS:type': 'fixed',
        'OS-EXT-IPS-MAC:mac_addr': v.port.macAddress,
      });
    for (const fip of v.floatingIps)
      list.push({
        version: 4,
        addr: fip,
        'OS-EXT-IPS:type': 'floating',
        'OS-EXT-IPS-MAC:mac_addr': v.port.macAddress,
      });
  }
  return out;
}

export function serverBrief(base: string, i: Instance) {
  return { id: i.uuid, name: i.displayName, links: links(base, 'servers', i.uuid) };
}

export interface ViewerRights {
  admin: boolean;
}

export function serverView(base: string, i: Instance, minor: number, who: ViewerRights) {
  const flavor = i.flavor as ComputeFlavor;
  const image = i.image as ComputeImage | null;
  const status = statusOf(i.vmState, i.taskState);
  const v: Record<string, unknown> = {
    id: i.uuid,
    name: i.displayName,
    status,
    tenant_id: i.projectId,
    user_id: i.userId,
    metadata: i.metadata,
    hostId: hostId(i.projectId, i.host),
    image: image ? { id: image.id, links: [{ rel: 'bookmark', href: `${base}/images/${image.id}` }] } : '',
    flavor:
      minor >= 47
        ? {
            vcpus: flavor.vcpus,
            ram: flavor.ramMb,
            disk: flavor.rootGb,
            ephemeral: flavor.ephemeralGb,
            swap: flavor.swapMb,
            original_name: flavor.name,
            extra_specs: flavor.extraSpecs,
          }
        : { id: flavor.id, links: [{ rel: 'bookmark', href: `${base}/flavors/${flavor.id}` }] },
    created: apiTime(i.createdAt),
    updated: apiTime(i.updatedAt ?? i.createdAt),
    addresses: addressesOf(i.networkInfo as VifInfo[]),
    accessIPv4: i.accessIpV4 ?? '',
    accessIPv6: i.accessIpV6 ?? '',
    links: links(base, 'servers', i.uuid),
    'OS-DCF:diskConfig': 'MANUAL',
    key_name: i.keyName,
    config_drive: i.configDrive,
    'OS-EXT-AZ:availability_zone': i.host ? 'nova' : (i.availabilityZone ?? ''),
  };
  if (['ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING'].includes(status)) v.progress = 0;
  if (who.admin) {
    v['OS-EXT-SRV-ATTR:host'] = i.host;
    v['OS-EXT-SRV-ATTR:hypervisor_hostname'] = i.node;
    v['OS-EXT-SRV-ATTR:instance_name'] = instanceName(i.id);
    if (minor >= 3) {
      Object.assign(v, {
        'OS-EXT-SRV-ATTR:hostname': i.hostname,
        'OS-EXT-SRV-ATTR:reservation_id': i.reservationId,
        'OS-EXT-SRV-ATTR:launch_index': i.launchIndex,
        'OS-EXT-SRV-ATTR:kernel_id': '',
        'OS-EXT-SRV-ATTR:ramdisk_id': '',
        'OS-EXT-SRV-ATTR:root_device_name': i.host ? '/dev/vda' : null,
        'OS-EXT-SRV-ATTR:user_data': i.userData,
      });
    }
  }
  if (minor >= 90) v['OS-EXT-SRV-ATTR:hostname'] = i.hostname;
  Object.assign(v, {
    'OS-EXT-STS:task_state': i.taskState,
    'OS-EXT-STS:vm_state': i.vmState,
    'OS-EXT-STS:power_state': i.powerState,
    'OS-SRV-USG:launched_at': pyTime(i.launchedAt),
    'OS-SRV-USG:terminated_at': pyTime(i.terminatedAt),
    'os-extended-volumes:volumes_attached': [],
    security_groups: i.securityGroups.map((name) => ({ name })),
  });
  if (minor >= 9) v.locked = false;
  if (minor >= 16 && who.admin) v.host_status = i.host ? 'UP' : '';
  if (minor >= 19) v.description = i.description;
  if (minor >= 26) v.tags = [];
  if (minor >= 63) v.trusted_image_certificates = null;
  if (minor >= 71) v.server_groups = [];
  if (minor >= 73) v.locked_reason = null;
  const fault = i.fault as { code: number; message: string; details: string; created: string } | null;
  if (fault && (status === 'ERROR' || status === 'DELETED')) {
    // details only for admins, or when the fault is not a 500 (views/servers.py _get_fault).
    const f: Record<string, unknown> = { code: fault.code, created: fault.created, message: fault.message };
    if (who.admin || fault.code !== 500) f.details = fault.details;
    v.fault = f;
  }
  return v;
}

export function hypervisorView(h: Hypervisor, minor: number, detail: boolean, uptime?: string) {
  const v: Record<string, unknown> = {
    id: minor >= 53 ? h.uuid : h.id,
    hypervisor_hostname: h.hostname,
    state: h.state,
    status: h.status,
  };
  if (detail) {
    Object.assign(v, {
      host_ip: h.hostIp,
      hypervisor_type: 'QEMU',
      hypervisor_version: 8002000,
      service: {
        host: h.service.host,
        id: minor >= 53 ? h.service.uuid : h.service.id,
        disabled_reason: h.service.disabledReason,
      },
    });
    if (minor < 88)
      Object.assign(v, {
        vcpus: h.vcpus,
        memory_mb: h.memoryMb,
        local_gb: h.localGb,
        vcpus_used: h.vcpusUsed,
        memory_mb_used: h.memoryMbUsed,
        local_gb_used: h.localGbUsed,
        free_ram_mb: h.freeRamMb,
        free_disk_gb: h.freeDiskGb,
        current_workload: 0,
        running_vms: h.runningVms,
        disk_available_least: h.freeDiskGb,
        cpu_info: minor >= 28 ? JSON.parse(h.cpuInfo) : h.cpuInfo,
      });
  }
  if (uptime !== undefined) v.uptime = uptime;
  return v;
}
