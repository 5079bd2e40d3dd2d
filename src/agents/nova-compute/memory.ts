// What a guest takes of its host's physical memory, which placement does not see: its flavor's
// RAM (qemu's `pc.ram`) plus what the qemu process needs beside it (device emulation, page
// tables, vhost and display buffers) — a few tens of MB of RSS for a small guest; we model 64 MB.
// The host's memory itself (the installed total, what its own OpenStack services hold, one
// allocation per running guest) is the emulated kernel's HostMemory, the same object `free`
// reads, so what nova-compute takes is what the host tools show.
export { HostMemory } from '../../kernel/memory.js';

export const QEMU_OVERHEAD_MB = 64;

/** What a running guest of this flavor RAM holds on its host. */
export const guestFootprintMb = (flavorRamMb: number, overheadMb = QEMU_OVERHEAD_MB) =>
  flavorRamMb + overheadMb;
