// A Linux bridge's forwarding database (net/bridge/br_fdb.c): MAC → port, learned from source
// addresses, aged out `ageingTime` after the last frame from that MAC. Expiry is checked lazily at
// lookup (as `has_expired` does), so ageing needs no timer. Ageing 0 makes every learned entry
// expire at once: the bridge floods like a hub (os-vif's qbr bridges rely on it); local entries
// (the ports' own MACs) never expire.

import { mac48ToString } from '../wire/mac.js';
import type { NetDevice } from './device.js';

export interface FdbEntry {
  mac: number;
  port: NetDevice;
  /** Port's own address (`is local? yes` in brctl showmacs). */
  local: boolean;
  /** Virtual time (ns) of the last frame seen from this MAC. */
  updated: number;
}

export class Fdb {
  private readonly entries = new Map<number, FdbEntry>();

  constructor(
    /** Ageing time in ns; 0 = nothing learned survives. */
    public ageingTime: number,
  ) {}

  /** Entry for a MAC if present and not expired. */
  lookup(mac: number, now: number): FdbEntry | undefined {
    const e = this.entries.get(mac);
    if (e === undefined || e.local) return e;
    if (e.updated + this.ageingTime <= now) {
      this.entries.delete(mac);
      return undefined;
    }
    return e;
  }

  /** Learns `mac` on `port` (br_fdb_update). Returns true when the entry is new or moved. */
  learn(mac: number, port: NetDevice, now: number): boolean {
    if (this.ageingTime === 0) return false;
    const e = this.entries.get(mac);
    if (e !== undefined) {
      if (e.local) return false;
      const moved = e.port !== port;
      e.port = port;
      e.updated = now;
      return moved;
    }
    this.entries.set(mac, { mac, port, local: false, updated: now });
    return true;
  }

  addLocal(mac: number, port: NetDevice): void {
    this.entries.set(mac, { mac, port, local: true, updated: 0 });
  }

  /** Drops every entry pointing at `port` (port removed or down). */
  flushPort(port: NetDevice): void {
    for (const [k, e] of this.entries) if (e.port === port) this.entries.delete(k);
  }

  /** Live entries, sorted by port number then MAC as `brctl showmacs` prints them. */
  list(now: number): FdbEntry[] {
    const out: FdbEntry[] = [];
    for (const e of this.entries.values()) {
      if (e.local || e.updated + this.ageingTime > now) out.push(e);
    }
    return out.sort((a, b) => a.port.ifindex - b.port.ifindex || a.mac - b.mac);
  }

  describe(mac: number): string {
    return mac48ToString(mac);
  }
}
