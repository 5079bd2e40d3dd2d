// The compute hosts as Nova's control plane sees them: one compute node and nova-compute
// service per compute host of the layout, placement inventories with Nova's defaults, service
// liveness from the hosts' heartbeats (nova-compute reports every 10 s; a service is down after
// service_down_time = 60 s without one), and the controller's nova-conductor and nova-scheduler.
import { createHash, randomUUID } from 'node:crypto';
import type { ComputeServiceReport } from '../../bus/index.js';
import type { HostSpec, Layout } from '../../sim/layout.js';
import type { NovaServiceRow, PlacementRepo } from '../../store/index.js';
import { badRequest } from '../errors.js';

export const PLACEMENT_DEFAULTS = {
  /** [DEFAULT] reserved_host_memory_mb */
  reservedHostMemoryMb: 512,
  /** initial_cpu_allocation_ratio / initial_ram_allocation_ratio / initial_disk_allocation_ratio */
  cpuRatio: 16.0,
  ramRatio: 1.5,
  diskRatio: 1.0,
};
export const SERVICE_DOWN_TIME_MS = 60_000;
export const DEFAULT_AZ = 'nova';

export interface Inventory {
  total: number;
  reserved: number;
  allocationRatio: number;
  maxUnit: number;
}
export interface ComputeNode {
  host: HostSpec;
  /** The compute node's integer id (hypervisor id before 2.53) and uuid (after). */
  id: number;
  uuid: string;
  inventories: { VCPU: Inventory; MEMORY_MB: Inventory; DISK_GB: Inventory };
}

/** A uuid (version 5 shape) derived from a name, so the node keeps it across restarts. */
function nodeUuid(seed: string): string {
  const h = createHash('sha1').update(`compute_node:${seed}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((Number.parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Placement's capacity of one resource class: (total − reserved) × ratio. */
export const capacity = (i: Inventory) => Math.floor((i.total - i.reserved) * i.allocationRatio);

export class Hosts {
  readonly nodes: ComputeNode[];
  /** When the emulated hosts came up (the cloud's start): hypervisor uptime counts from here. */
  readonly bootedAt: Date;
  private readonly heartbeats = new Map<string, ComputeServiceReport>();

  constructor(
    readonly layout: Layout,
    private readonly placement: PlacementRepo,
    private readonly now: () => Date,
    inventory = PLACEMENT_DEFAULTS,
  ) {
    this.bootedAt = now();
    const controllers = layout.hosts.filter((h) => h.roles.includes('controller'));
    const at = now().toISOString();
    for (const h of controllers.length ? controllers : [layout.hosts[0]]) {
      placement.ensureService(h.name, 'nova-conductor', randomUUID(), at);
      placement.ensureService(h.name, 'nova-scheduler', randomUUID(), at);
    }
    const computes = layout.hosts.filter((h) => h.roles.includes('compute'));
    for (const h of computes) placement.ensureService(h.name, 'nova-compute', randomUUID(), at);
    this.nodes = computes.map((host, i) => ({
      host,
      id: i + 1,
      // Stable across restarts: derived from the compute service's uuid (a different uuid, as
      // the compute node and the service are different records in Nova).
      uuid: nodeUuid(this.service(host.name, 'nova-compute')?.uuid ?? host.name),
      inventories: {
        VCPU: { total: host.vcpus, reserved: 0, allocationRatio: inventory.cpuRatio, maxUnit: host.vcpus },
        MEMORY_MB: {
          total: host.ramMb,
          reserved: inventory.reservedHostMemoryMb,
          allocationRatio: inventory.ramRatio,
          maxUnit: host.ramMb,
        },
        DISK_GB: {
          total: host.diskGb,
          reserved: 0,
          allocationRatio: inventory.diskRatio,
          maxUnit: host.diskGb,
        },
      },
    }));
  }

  node(hostName: string): ComputeNode | undefined {
    return this.nodes.find((n) => n.host.name === hostName);
  }

  services(): NovaServiceRow[] {
    return this.placement.services();
  }
  service(host: string, binary: string): NovaServiceRow | undefined {
    return this.placement.services().find((s) => s.host === host && s.binary === binary);
  }

  /**
   * `openstack compute service set`: enable/disable (the scheduler's ComputeFilter skips a
   * disabled nova-compute) and force down. Nova's messages for what it refuses.
   */
  setService(
    s: NovaServiceRow,
    change: { disabled?: boolean; disabledReason?: string | null; forcedDown?: boolean },
  ): NovaServiceRow {
    if (change.forcedDown !== undefined && s.binary !== 'nova-compute')
      throw badRequest('Updating a nova-compute service only.');
    const disabled = change.disabled ?? s.disabled;
    const reason = disabled
      ? (change.disabledReason ?? (change.disabled === undefined ? s.disabledReason : null))
      : null;
    if (change.disabledReason && !disabled)
      throw badRequest('Specifying a disabled_reason with status enabled is invalid.');
    this.placement.updateService(s.id, disabled, reason, change.forcedDown ?? s.forcedDown);
    return this.service(s.host, s.binary) as NovaServiceRow;
  }

  report(r: ComputeServiceReport): void {
    this.heartbeats.set(r.host, r);
  }
  lastReport(host: string): ComputeServiceReport | undefined {
    return this.heartbeats.get(host);
  }

  /** When the service last reported (the control-plane services are up while the cloud runs). */
  updatedAt(s: NovaServiceRow): string | null {
    if (s.binary !== 'nova-compute') return this.now().toISOString();
    return this.heartbeats.get(s.host)?.at ?? null;
  }

  isUp(s: NovaServiceRow): boolean {
    if (s.forcedDown) return false;
    if (s.binary !== 'nova-compute') return true;
    const at = this.heartbeats.get(s.host)?.at;
    return at !== undefined && this.now().getTime() - Date.parse(at) <= SERVICE_DOWN_TIME_MS;
  }

  /** What placement has allocated on a node. */
  usage(hostName: string) {
    return this.placement.usage(hostName);
  }
}

/** A compute node as os-hypervisors shows it (the resource tracker's view: reserved RAM counts as used). */
export interface Hypervisor {
  id: number;
  uuid: string;
  hostname: string;
  hostIp: string;
  state: 'up' | 'down';
  status: 'enabled' | 'disabled';
  service: { id: number; uuid: string; host: string; disabledReason: string | null };
  vcpus: number;
  memoryMb: number;
  localGb: number;
  vcpusUsed: number;
  memoryMbUsed: number;
  localGbUsed: number;
  freeRamMb: number;
  freeDiskGb: number;
  runningVms: number;
  cpuInfo: string;
}

export function hypervisorOf(hosts: Hosts, node: ComputeNode): Hypervisor {
  const s = hosts.service(node.host.name, 'nova-compute');
  const u = hosts.usage(node.host.name);
  const reserved = node.inventories.MEMORY_MB.reserved;
  const memoryMbUsed = reserved + u.memoryMb;
  return {
    id: node.id,
    uuid: node.uuid,
    hostname: node.host.name,
    hostIp: node.host.underlayIp,
    state: s && hosts.isUp(s) ? 'up' : 'down',
    status: s?.disabled ? 'disabled' : 'enabled',
    service: {
      id: s?.id ?? 0,
      uuid: s?.uuid ?? '',
      host: node.host.name,
      disabledReason: s?.disabledReason ?? null,
    },
    vcpus: node.host.vcpus,
    memoryMb: node.host.ramMb,
    localGb: node.host.diskGb,
    vcpusUsed: u.vcpus,
    memoryMbUsed,
    localGbUsed: u.diskGb,
    freeRamMb: node.host.ramMb - memoryMbUsed,
    freeDiskGb: node.host.diskGb - u.diskGb,
    runningVms: u.instances,
    cpuInfo: JSON.stringify({
      arch: 'x86_64',
      model: 'Broadwell-IBRS',
      vendor: 'Intel',
      topology: { cells: 1, sockets: node.host.vcpus, cores: 1, threads: 1 },
      features: ['sse4.2', 'vmx', 'x2apic', 'aes', 'avx', 'avx2'],
    }),
  };
}

/** `uptime`'s line, as os-hypervisors/{id}/uptime returns it. */
export function uptimeLine(now: Date, bootedAt: Date, running: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const secs = Math.max(0, Math.floor((now.getTime() - bootedAt.getTime()) / 1000));
  const days = Math.floor(secs / 86400);
  const h = Math.floor((secs % 86400) / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const up =
    days > 0
      ? `${days} day${days > 1 ? 's' : ''}, ${String(h).padStart(2)}:${pad(m)}`
      : h > 0
        ? `${String(h).padStart(2)}:${pad(m)}`
        : `${m} min`;
  const load = (running * 0.01).toFixed(2);
  return ` ${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())} up ${up},  1 user,  load average: ${load}, ${load}, ${load}`;
}
