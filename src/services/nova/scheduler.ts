// nova-scheduler: Placement's allocation candidates (resources that fit each node's inventory),
// then the enabled filters (ComputeFilter: the host's nova-compute is enabled and up), then the
// weighers (RAM, CPU and disk, each normalised to 0..1 across hosts, multiplier 1.0 — Nova
// spreads by default). The best host gets the claim; the next ones are the alternates the
// conductor reschedules to, up to [scheduler] max_attempts in all.
import type { Logger } from '../../sim/oslo-log.js';
import type { PlacementRepo } from '../../store/index.js';
import { type ComputeNode, capacity, type Hosts } from './hosts.js';

export interface ResourceRequest {
  vcpus: number;
  memoryMb: number;
  diskGb: number;
}

export interface SchedulingSpec {
  instanceUuid: string;
  projectId: string;
  resources: ResourceRequest;
  /** Admin's `--availability-zone nova:HOST` pins the host. */
  forcedHost?: string | null;
  /** Hosts already tried for this build. */
  ignoreHosts?: string[];
  requestId?: string;
}

export const MAX_ATTEMPTS = 3;

export class NoValidHost extends Error {
  /** What the instance action's event shows (the conductor's traceback). */
  readonly traceback: string;
  constructor(readonly reason = '') {
    super(`No valid host was found. ${reason}`);
    this.traceback = `Traceback (most recent call last):\n  File "/usr/lib/python3.9/site-packages/nova/conductor/manager.py", line 1580, in schedule_and_build_instances\n    host_lists = self._schedule_instances(context, request_specs[0],\nnova.exception.NoValidHost: ${this.message}\n`;
  }
}

export class Scheduler {
  constructor(
    private readonly hosts: Hosts,
    private readonly placement: PlacementRepo,
    private readonly log: Logger,
    private readonly maxAttempts = MAX_ATTEMPTS,
  ) {}

  /** Does the request fit a node's inventory with what is already allocated there? */
  fits(node: ComputeNode, r: ResourceRequest): boolean {
    const used = this.placement.usage(node.host.name);
    const inv = node.inventories;
    const ok = (i: typeof inv.VCPU, used: number, want: number) =>
      want <= i.maxUnit && used + want <= capacity(i);
    return (
      ok(inv.VCPU, used.vcpus, r.vcpus) &&
      ok(inv.MEMORY_MB, used.memoryMb, r.memoryMb) &&
      ok(inv.DISK_GB, used.diskGb, r.diskGb)
    );
  }

  private weigh(nodes: ComputeNode[]): ComputeNode[] {
    const free = nodes.map((n) => {
      const u = this.placement.usage(n.host.name);
      const inv = n.inventories;
      return {
        n,
        ram: capacity(inv.MEMORY_MB) - u.memoryMb,
        cpu: capacity(inv.VCPU) - u.vcpus,
        disk: capacity(inv.DISK_GB) - u.diskGb,
      };
    });
    const norm = (k: 'ram' | 'cpu' | 'disk') => {
      const vs = free.map((f) => f[k]);
      const lo = Math.min(...vs);
      const hi = Math.max(...vs);
      return (v: number) => (hi === lo ? 0 : (v - lo) / (hi - lo));
    };
    const [r, c, d] = [norm('ram'), norm('cpu'), norm('disk')];
    return free
      .map((f) => ({ n: f.n, w: r(f.ram) + c(f.cpu) + d(f.disk) }))
      .sort((a, b) => b.w - a.w || a.n.id - b.n.id)
      .map((x) => x.n);
  }

  /**
   * The chosen host (claimed in placement) and its alternates, or NoValidHost. On a reschedule the
   * conductor passes the hosts already tried.
   */
  selectDestinations(spec: SchedulingSpec): { host: string; alternates: string[] } {
    const ctx = { requestId: spec.requestId };
    const tried = new Set(spec.ignoreHosts ?? []);
    const candidates = this.hosts.nodes.filter(
      (n) =>
        !tried.has(n.host.name) &&
        (!spec.forcedHost || n.host.name === spec.forcedHost) &&
        this.fits(n, spec.resources),
    );
    if (candidates.length === 0) {
      this.log.info(
        'Got no allocation candidates from the Placement API. This could be due to insufficient resources or a temporary occurrence as compute nodes start up.',
        ctx,
      );
      throw new NoValidHost();
    }
    const passing = candidates.filter((n) => {
      const s = this.hosts.service(n.host.name, 'nova-compute');
      return s !== undefined && !s.disabled && this.hosts.isUp(s);
    });
    this.log.debug(
      `Filter ComputeFilter returned ${passing.length} host(s) get_filtered_objects /usr/lib/python3.9/site-packages/nova/filters.py:102`,
      ctx,
    );
    if (passing.length === 0) {
      this.log.info(
        `Filter ComputeFilter returned 0 hosts. Filtering removed all hosts for the request with instance ID '${spec.instanceUuid}'. Filter results: ['ComputeFilter: (start: ${candidates.length}, end: 0)']`,
        ctx,
      );
      throw new NoValidHost('There are not enough hosts available.');
    }
    const ranked = this.weigh(passing);
    const [chosen, ...rest] = ranked;
    this.claim(chosen.host.name, spec);
    this.log.debug(
      `Selected host: (${chosen.host.name}, ${chosen.host.name}) ram: ${capacity(chosen.inventories.MEMORY_MB) - this.placement.usage(chosen.host.name).memoryMb}MB _consume_selected_host`,
      ctx,
    );
    return {
      host: chosen.host.name,
      alternates: rest.slice(0, this.maxAttempts - 1).map((n) => n.host.name),
    };
  }

  /** Claims on an alternate when rescheduling, if it still fits (placement re-checks). */
  claimAlternate(host: string, spec: SchedulingSpec): boolean {
    const node = this.hosts.node(host);
    if (!node || !this.fits(node, spec.resources)) return false;
    this.claim(host, spec);
    return true;
  }

  private claim(host: string, spec: SchedulingSpec): void {
    this.placement.allocate({
      instanceUuid: spec.instanceUuid,
      host,
      projectId: spec.projectId,
      vcpus: spec.resources.vcpus,
      memoryMb: spec.resources.memoryMb,
      diskGb: spec.resources.diskGb,
    });
  }

  release(instanceUuid: string): void {
    this.placement.release(instanceUuid);
  }

  get attempts(): number {
    return this.maxAttempts;
  }
}
