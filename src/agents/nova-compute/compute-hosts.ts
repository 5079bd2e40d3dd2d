// nova-compute with the libvirt driver on every compute host of the world: the agent acts on the
// host's kernel, Open vSwitch and memory, and leaves its libvirt on the world host (LIBVIRT_PART)
// where `virsh` and `pocketstack vm exec` find the domains.
import type { WorldHost } from '../../world/world.js';
import { LIBVIRT_PART } from './libvirt.js';
import { LibvirtDriver } from './libvirt-driver.js';
import { NovaCompute, type NovaComputeOptions } from './manager.js';

export async function startLibvirtComputes(
  o: Omit<NovaComputeOptions, 'host' | 'log' | 'memory' | 'driver'> & {
    hosts: Iterable<WorldHost>;
    logFor: (host: string) => NovaComputeOptions['log'];
  },
): Promise<NovaCompute[]> {
  const agents: NovaCompute[] = [];
  for (const wh of o.hosts) {
    if (!wh.hasRole('compute')) continue;
    const now = o.now ?? (() => new Date());
    const driver = new LibvirtDriver({
      host: wh.kernel,
      ovs: wh.vswitchd,
      memory: wh.memory,
      sched: wh.world.sched,
      now,
      overheadMb: o.qemuOverheadMb,
    });
    wh.attach(LIBVIRT_PART, driver.libvirt);
    agents.push(new NovaCompute({ ...o, host: wh.spec, log: o.logFor(wh.name), driver }));
  }
  await Promise.all(agents.map((a) => a.start()));
  return agents;
}
