// Conntrack zones of the hybrid driver (neutron/agent/linux/ip_conntrack.py with
// zone_per_port=True): one zone per port, numbered from 4097 (ZONE_START); a new port takes one
// more than the highest zone in use, and only when that passes 65535 are gaps reused. At start
// the map is read back from the raw table's `-j CT --zone N` rules, so a restarted agent keeps
// every port's zone (and the connections tracked in it).

export const ZONE_START = 4097;
export const MAX_CONNTRACK_ZONES = 65535;

export class ConntrackZones {
  private readonly byPort = new Map<string, number>();

  /** _populate_initial_zone_map: `Set zone for <port id>` rules of `iptables -t raw -S`. */
  restoreFrom(rawRules: string): void {
    for (const m of rawRules.matchAll(/--comment "Set zone for ([^"]+)" -j CT --zone (\d+)/g))
      if (!this.byPort.has(m[1])) this.byPort.set(m[1], Number(m[2]));
  }

  get(portId: string): number | undefined {
    return this.byPort.get(portId);
  }

  /** The port's zone, allocating one for a new port (_find_open_zone). */
  zoneOf(portId: string): number {
    const have = this.byPort.get(portId);
    if (have !== undefined) return have;
    const used = [...new Set(this.byPort.values())].sort((a, b) => a - b);
    let zone = ZONE_START;
    if (used.length > 0) {
      const last = used[used.length - 1];
      if (last < MAX_CONNTRACK_ZONES) zone = Math.max(last + 1, ZONE_START);
      else {
        const inUse = new Set(used);
        zone = -1;
        for (let z = ZONE_START; z <= MAX_CONNTRACK_ZONES; z++)
          if (!inUse.has(z)) {
            zone = z;
            break;
          }
        if (zone < 0) throw new Error('no free conntrack zone');
      }
    }
    this.byPort.set(portId, zone);
    return zone;
  }

  release(portId: string): void {
    this.byPort.delete(portId);
  }

  /** Ports whose zones were read back but that are gone now. */
  forgetExcept(portIds: Set<string>): void {
    for (const id of [...this.byPort.keys()]) if (!portIds.has(id)) this.byPort.delete(id);
  }
}
