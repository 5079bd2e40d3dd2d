// A host's RAM as `free` reports it and as qemu meets it when it allocates guest memory: the
// installed total, what the host's own services hold, and one allocation per owner (a domain's
// `pc.ram`). nova-compute allocates before it starts a guest and releases when the guest stops;
// an allocation that does not fit fails as qemu's mmap does ("Cannot allocate memory"). Swap is
// not modelled (packstack hosts in the seed had none).

export class HostMemory {
  private readonly allocations = new Map<string, number>();

  constructor(
    /** Installed RAM in MiB (the layout's ramMb). */
    readonly totalMb: number,
    /** What the host's own daemons hold (the layout's servicesRamMb). */
    readonly servicesMb: number,
  ) {}

  /** MiB held by guests (sum of allocations). */
  get guestsMb(): number {
    let n = 0;
    for (const mb of this.allocations.values()) n += mb;
    return n;
  }

  /** `used` of `free`: services plus guests. */
  get usedMb(): number {
    return Math.min(this.totalMb, this.servicesMb + this.guestsMb);
  }

  /** What a new allocation may take (`available` of `free`). */
  get availableMb(): number {
    return Math.max(0, this.totalMb - this.servicesMb - this.guestsMb);
  }

  /** Number of live allocations (guests). */
  get count(): number {
    return this.allocations.size;
  }

  /**
   * Takes `mb` MiB for `owner` (replacing an earlier allocation of the same owner). False, and
   * nothing taken, when it does not fit: the caller reports qemu's "Cannot allocate memory".
   */
  allocate(owner: string, mb: number): boolean {
    if (!Number.isFinite(mb) || mb < 0) throw new Error(`invalid allocation of ${mb} MiB`);
    const had = this.allocations.get(owner) ?? 0;
    if (mb - had > this.availableMb) return false;
    this.allocations.set(owner, mb);
    return true;
  }

  /** Gives back what `owner` holds; returns the MiB released (0 when it held nothing). */
  release(owner: string): number {
    const mb = this.allocations.get(owner) ?? 0;
    this.allocations.delete(owner);
    return mb;
  }

  /** MiB held by `owner`, 0 when none. */
  heldBy(owner: string): number {
    return this.allocations.get(owner) ?? 0;
  }

  /** Owners and their MiB, in allocation order. */
  list(): [string, number][] {
    return [...this.allocations];
  }
}
