// A compute host's physical memory, which placement does not see: the host's own OpenStack
// services take HostSpec.servicesRamMb (a packstack all-in-one runs ~5 GB of them), and every
// running guest its flavor's RAM plus what the qemu process needs beside it. QEMU's own overhead
// for a small guest (device emulation, page tables, the vhost and display buffers) is a few tens
// of MB in RSS; we model 64 MB per guest. When a guest does not fit, qemu's mmap of the guest RAM
// fails and libvirt reports `cannot set up guest memory 'pc.ram': Cannot allocate memory`.

export const QEMU_OVERHEAD_MB = 64;

export class HostMemory {
  private readonly guests = new Map<string, number>();

  constructor(
    readonly totalMb: number,
    readonly servicesMb: number,
    readonly overheadMb = QEMU_OVERHEAD_MB,
  ) {}

  get guestsMb(): number {
    let s = 0;
    for (const v of this.guests.values()) s += v;
    return s;
  }
  get usedMb(): number {
    return Math.min(this.totalMb, this.servicesMb + this.guestsMb);
  }
  get freeMb(): number {
    return Math.max(0, this.totalMb - this.servicesMb - this.guestsMb);
  }

  /** What a guest of this size takes when its qemu runs. */
  need(guestRamMb: number): number {
    return guestRamMb + this.overheadMb;
  }

  /** Reserves a guest's memory; false (nothing taken) when it does not fit. */
  take(uuid: string, guestRamMb: number): boolean {
    if (this.guests.has(uuid)) return true;
    const need = this.need(guestRamMb);
    if (need > this.freeMb) return false;
    this.guests.set(uuid, need);
    return true;
  }

  release(uuid: string): void {
    this.guests.delete(uuid);
  }
}
