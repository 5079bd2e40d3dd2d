// What nova-compute asks of the hypervisor on its host (nova/virt/driver.py ComputeDriver, as
// the libvirt driver implements it): spawn a domain for an instance with its VIFs, destroy it,
// power it off and on, reboot it, read its console log. The manager (manager.ts) owns the RPC,
// the logs and the failure handling; a driver owns what exists on the host. AccountingDriver is
// today's driver (memory and a console record); the data-plane work swaps in one that also
// defines the libvirt domain, plugs tap → qbr → qvb/qvo → br-int and boots a guest.
import type { ComputeInstance, ComputePort } from '../../bus/index.js';

/** power_state values (nova/compute/power_state.py). */
export const POWER_RUNNING = 1;
export const POWER_PAUSED = 3;
export const POWER_SHUTDOWN = 4;

/** What adopt made of a domain. */
export interface Adopted {
  powerState: number;
  /** The domain was not running and adopt started it. */
  started: boolean;
}

export interface Domain {
  instance: ComputeInstance;
  ports: ComputePort[];
  powerState: number;
}

/**
 * libvirt's failure as nova sees it (libvirt.libvirtError): the message is libvirt's own text,
 * e.g. `internal error: qemu unexpectedly closed the monitor: … Cannot allocate memory`.
 */
export class LibvirtError extends Error {
  override readonly name = 'libvirt.libvirtError';
}

export interface ComputeDriver {
  /**
   * Defines and starts the domain (the VIFs plugged first); throws LibvirtError when it cannot.
   * With `paused` the domain starts paused and `unpause` lets the guest run: Nova does so while it
   * waits for Neutron's network-vif-plugged (libvirt driver _create_guest_with_network), so the
   * guest's first DHCP request finds its port wired.
   */
  spawn(domain: Domain, opts?: { paused?: boolean }): void | Promise<void>;
  /** Stops and undefines the domain and unplugs its VIFs; nothing left on the host. */
  destroy(domain: Domain): void | Promise<void>;
  powerOff(domain: Domain): void | Promise<void>;
  /** Throws LibvirtError when the domain cannot start again (no memory …). */
  powerOn(domain: Domain): void | Promise<void>;
  reboot(domain: Domain, type: 'SOFT' | 'HARD'): void | Promise<void>;
  /** Freezes the guest's CPUs; its memory stays. */
  pause(domain: Domain): void | Promise<void>;
  unpause(domain: Domain): void | Promise<void>;
  /** Saves the guest to disk (managed save): its memory is given back to the host. */
  suspend(domain: Domain): void | Promise<void>;
  /** Restores a saved guest; throws LibvirtError when the host has no memory for it. */
  resume(domain: Domain): void | Promise<void>;
  /**
   * After an agent restart: make the host hold a domain that should exist (running or not).
   * Returns the power state it could give it and whether it had to start the domain; with
   * `paused`, a domain it starts is created paused (POWER_PAUSED) until `unpause`.
   */
  adopt(domain: Domain, running: boolean, opts?: { paused?: boolean }): Adopted | Promise<Adopted>;
  /** The serial console log's lines. */
  consoleLog(domain: Domain): string[];
  /** The host's memory in use and installed, for the service's state reports. */
  memory(): { usedMb: number; totalMb: number };
}
