// The host-local VLAN ids of br-int (reference/dataplane.md §3). The real agent keeps a Python
// `set(range(1, 4095))` and takes `set.pop()`; CPython stores small ints at the slot of their
// own value and `pop()` resumes scanning from a finger one past the previous pop, so the next
// tag is the lowest free one above the last allocated, wrapping round to the lowest free one.
// A fresh agent therefore hands out 1, 2, 3 … in the order networks appear; a tag given back
// is not reused until the finger wraps. At start, tags already on br-int ports (Port `tag` with
// other_config net_uuid) are taken out of the set as hints, so a restart keeps them.

export const MIN_VLAN_TAG = 1;
export const MAX_VLAN_TAG = 4094;
/** Ports of unknown networks, unbound or admin-down ports (ovs_constants DEAD_VLAN_TAG). */
export const DEAD_VLAN_TAG = MAX_VLAN_TAG + 1;

export class LocalVlanPool {
  private readonly free = new Uint8Array(MAX_VLAN_TAG + 1);
  private freeCount = 0;
  private finger = 0;
  /** net uuid → tag found on br-int at start (_restore_local_vlan_map). */
  private readonly hints = new Map<string, number>();

  constructor() {
    for (let v = MIN_VLAN_TAG; v <= MAX_VLAN_TAG; v++) this.free[v] = 1;
    this.freeCount = MAX_VLAN_TAG;
  }

  /** Remembers a tag read back from OVSDB for a network; false when the tag is taken or invalid. */
  hint(netUuid: string, vlan: number): boolean {
    if (this.hints.has(netUuid) || !(vlan >= MIN_VLAN_TAG && vlan <= MAX_VLAN_TAG) || !this.free[vlan])
      return false;
    this.take(vlan);
    this.hints.set(netUuid, vlan);
    return true;
  }

  /** After the first full sync: hints no network claimed go back to the set. */
  disposeHints(): void {
    for (const v of this.hints.values()) this.release(v);
    this.hints.clear();
  }

  /** The tag for a network appearing on this host (its hint, else set.pop()); null when exhausted. */
  allocate(netUuid: string): number | null {
    const hinted = this.hints.get(netUuid);
    if (hinted !== undefined) {
      this.hints.delete(netUuid);
      return hinted;
    }
    if (this.freeCount === 0) return null;
    let v = this.finger;
    for (;;) {
      if (v > MAX_VLAN_TAG) v = 0;
      if (this.free[v]) break;
      v++;
    }
    this.take(v);
    this.finger = v + 1;
    return v;
  }

  release(vlan: number): void {
    if (vlan < MIN_VLAN_TAG || vlan > MAX_VLAN_TAG || this.free[vlan]) return;
    this.free[vlan] = 1;
    this.freeCount++;
  }

  private take(vlan: number): void {
    this.free[vlan] = 0;
    this.freeCount--;
  }
}
