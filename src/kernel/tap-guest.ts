// A namespace standing in for a guest behind a tap: its `eth0` is the guest's virtio NIC. Lets
// kernel-level tests and benchmarks drive the full tap → qbr → … path with a real IPv4 stack
// before (or without) the guest layer. Each direction adds the guest stack's latency.

import { type FifoQueue, HOP } from '../sim/latency.js';
import type { ExternalDevice, Tap } from './links.js';
import type { Namespace } from './netns.js';
import type { Trace } from './trace.js';

function toGuest(nic: ExternalDevice, frame: Uint8Array, trace: Trace | null): void {
  nic.receive(frame, trace);
}

function toTap(tap: Tap, frame: Uint8Array, trace: Trace | null): void {
  tap.injectFromGuest(frame, trace);
}

/**
 * Plugs `ns` in as the guest of `tap`: creates `ns`'s `name` device with `mac` (the guest MAC,
 * fa:16:3e:… for a Neutron port) and MTU `mtu`, up, and attaches it to the tap.
 */
export function attachNamespaceAsGuest(
  tap: Tap,
  ns: Namespace,
  mac: Uint8Array,
  mtu = 1500,
  name = 'eth0',
): ExternalDevice {
  // The NIC belongs to the namespace's host: a guest VM is a host of its own (src/guest), so its
  // eth0 must not appear among the compute host's devices.
  const host = ns.host;
  const toHost: FifoQueue = { fifoAt: 0 };
  const nic = host.addExternalDevice(
    name,
    (_dev, frame, trace) =>
      host.sched.schedule(
        host.latency.fifoDelayOf(HOP.guest, toHost, host.sched.now),
        toTap,
        tap,
        frame,
        trace,
      ),
    { netns: ns, mac, mtu, kind: 'dummy' },
  );
  tap.attachGuest((frame, trace) =>
    host.sched.schedule(host.latency.fifoDelayOf(HOP.guest, nic, host.sched.now), toGuest, nic, frame, trace),
  );
  nic.setUp(true);
  return nic;
}
