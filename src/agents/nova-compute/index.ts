// nova-compute, one per compute host: the manager (RPC, logs, failure handling) over a driver
// (what exists on the host).
import type { HostSpec } from '../../sim/layout.js';
import { NovaCompute, type NovaComputeOptions } from './manager.js';
import type { HostMemory } from './memory.js';

export { AccountingDriver } from './accounting-driver.js';
export {
  type ComputeDriver,
  type Domain,
  LibvirtError,
  POWER_PAUSED,
  POWER_RUNNING,
  POWER_SHUTDOWN,
} from './driver.js';
export { NovaCompute, type NovaComputeOptions } from './manager.js';
export { guestFootprintMb, HostMemory, QEMU_OVERHEAD_MB } from './memory.js';

/** Starts nova-compute on each compute host of a layout. */
export async function startNovaComputes(
  o: Omit<NovaComputeOptions, 'host' | 'log' | 'memory' | 'driver'> & {
    hosts: HostSpec[];
    logFor: (host: string) => NovaComputeOptions['log'];
    /** The emulated host's memory, when the hosts are emulated (the world's hosts). */
    memoryFor?: (host: string) => HostMemory | undefined;
  },
): Promise<NovaCompute[]> {
  const agents = o.hosts
    .filter((h) => h.roles.includes('compute'))
    .map((h) => new NovaCompute({ ...o, host: h, log: o.logFor(h.name), memory: o.memoryFor?.(h.name) }));
  await Promise.all(agents.map((a) => a.start()));
  return agents;
}
