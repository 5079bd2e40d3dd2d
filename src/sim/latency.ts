// How long each kind of hop takes, so that a guest's ping prints RTTs like a real host's and
// never 0.000 ms. Figures are in nanoseconds, chosen from what `ping` shows on a packstack compute
// node (0.3–1.5 ms between two VMs on one host, ~0.6–3 ms across hosts over a VXLAN underlay):
// a veth or bridge hop costs the kernel a few microseconds of softirq work, plus scheduling noise;
// virtio/tap and the guest's own stack (a vCPU that must be woken) dominate.

import type { Random } from './random.js';

export type HopKind =
  | 'loopback' // lo, or a packet a namespace sends to itself
  | 'veth' // one end of a veth pair to the other
  | 'bridge' // a Linux bridge forwarding decision (FDB lookup, br_netfilter)
  | 'ovs' // an Open vSwitch datapath pass (flow lookup, actions)
  | 'tap' // host tap <-> guest virtio NIC
  | 'stack' // a host namespace's IP stack (routing, local delivery)
  | 'underlay' // a physical link between hosts (NIC, switch, NIC)
  | 'guest'; // the guest kernel's stack (vCPU wake-up, interrupt, softirq)

/** Base delay and uniform jitter (both ns) of one hop kind. */
export interface HopDelay {
  base: number;
  jitter: number;
}

export const DEFAULT_LATENCY: Readonly<Record<HopKind, HopDelay>> = {
  loopback: { base: 4_000, jitter: 3_000 },
  veth: { base: 6_000, jitter: 8_000 },
  bridge: { base: 10_000, jitter: 15_000 },
  ovs: { base: 12_000, jitter: 18_000 },
  tap: { base: 20_000, jitter: 30_000 },
  stack: { base: 15_000, jitter: 20_000 },
  underlay: { base: 120_000, jitter: 150_000 },
  guest: { base: 45_000, jitter: 90_000 },
};

/** Something frames pass through in order: the virtual time its last frame comes out. */
export interface FifoQueue {
  fifoAt: number;
}

/** Per-hop delays with seeded jitter. */
export class LatencyModel {
  private readonly base: Float64Array;
  private readonly jitter: Float64Array;
  private readonly kinds: HopKind[];

  constructor(
    private readonly rng: Random,
    overrides: Partial<Record<HopKind, HopDelay>> = {},
  ) {
    this.kinds = Object.keys(DEFAULT_LATENCY) as HopKind[];
    this.base = new Float64Array(this.kinds.length);
    this.jitter = new Float64Array(this.kinds.length);
    this.kinds.forEach((k, i) => {
      const d = overrides[k] ?? DEFAULT_LATENCY[k];
      this.base[i] = d.base;
      this.jitter[i] = d.jitter;
    });
  }

  /** Index of a hop kind, for callers that cache it (`delayOf(index)` avoids a string lookup). */
  indexOf(kind: HopKind): number {
    return this.kinds.indexOf(kind);
  }

  /** A delay in ns for one hop of this kind: base + uniform jitter, at least 1 ns. */
  delay(kind: HopKind): number {
    return this.delayOf(this.kinds.indexOf(kind));
  }

  /**
   * The delay of one hop through `queue` that keeps the queue's order (a link, a device's backlog):
   * never earlier than the frame it carried before, whatever the jitter draws.
   */
  fifoDelayOf(index: number, queue: FifoQueue, now: number): number {
    const at = Math.max(now + this.delayOf(index), queue.fifoAt);
    queue.fifoAt = at;
    return at - now;
  }

  delayOf(index: number): number {
    const j = this.jitter[index];
    const d = this.base[index] + (j > 0 ? Math.floor(this.rng.random() * j) : 0);
    return d > 0 ? d : 1;
  }
}

/** Hop kind indices in DEFAULT_LATENCY's order, for hot paths. */
export const HOP = {
  loopback: 0,
  veth: 1,
  bridge: 2,
  ovs: 3,
  tap: 4,
  stack: 5,
  underlay: 6,
  guest: 7,
} as const;
