// ML2's TypeDriver (neutron_lib.plugins.ml2.api.TypeDriver): one per network_type, chosen by
// `[ml2] type_drivers`. A driver validates and reserves provider segments, allocates tenant
// segments from its pool, and knows its MTU. Adding a network type is adding a file beside this
// one and a line in type-drivers.ts.
import type { NeutronRepo, SegmentRow } from '../../../store/neutron-repo.js';
import type { NeutronConfig } from '../config.js';

export interface SegmentRequest {
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
}

export type Segment = Omit<SegmentRow, 'network_id'>;

export interface TypeDriver {
  readonly type: string;
  /** Checks an admin's provider:* attributes; throws InvalidInput in Neutron's words. */
  validateProviderSegment(req: SegmentRequest): void;
  /** Completes and reserves a provider segment (a missing segmentation id is allocated). */
  reserveProviderSegment(repo: NeutronRepo, req: SegmentRequest): Segment;
  /** A segment from the tenant pool, or null when the pool is exhausted. */
  allocateTenantSegment(repo: NeutronRepo): Segment | null;
  /** The network MTU for a segment of this type. */
  mtu(segment: Segment): number;
}

export type TypeDriverFactory = (config: NeutronConfig) => TypeDriver;

/** "a:b" ranges of a config option, as [a, b] pairs. */
export function parseRanges(items: readonly string[], what: string): [number, number][] {
  return items.map((item) => {
    const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(item);
    if (!m || Number(m[1]) > Number(m[2])) throw new Error(`invalid ${what} range '${item}'`);
    return [Number(m[1]), Number(m[2])];
  });
}

/** A random free number of the ranges (probes, then a scan), as ML2 picks segmentation ids. */
export function pickFree(
  ranges: readonly [number, number][],
  used: (n: number) => boolean,
  all: () => Set<number>,
): number | null {
  const total = ranges.reduce((n, [a, b]) => n + b - a + 1, 0);
  if (total === 0) return null;
  const nth = (k: number) => {
    for (const [a, b] of ranges) {
      if (k <= b - a) return a + k;
      k -= b - a + 1;
    }
    return ranges[0][0];
  };
  for (let i = 0; i < 8; i++) {
    const n = nth(Math.floor(Math.random() * total));
    if (!used(n)) return n;
  }
  const taken = all();
  const free: number[] = [];
  for (const [a, b] of ranges)
    for (let n = a; n <= b && free.length < 4096; n++) if (!taken.has(n)) free.push(n);
  return free.length ? free[Math.floor(Math.random() * free.length)] : null;
}

/** The smallest non-zero of the MTUs (ML2's _get_mtu ignores 0, "no limit"). */
export function minMtu(...values: (number | undefined)[]): number {
  const set = values.filter((v): v is number => v !== undefined && v > 0);
  return set.length ? Math.min(...set) : 0;
}
