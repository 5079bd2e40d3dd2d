// The MAC learning table behind the NORMAL action (lib/mac-learning.c): one entry per
// (VLAN, MAC), pointing at the port the MAC was last seen on, aged out after 300 s without
// traffic (MAC_ENTRY_DEFAULT_IDLE_TIME; Bridge other_config:mac-aging-time changes it).
// `ovs-appctl fdb/show BR` prints it. Keys are numbers (48-bit MAC per VLAN map), no strings per frame.

import { mac48ToString } from '../wire/mac.js';
import { formatPort } from './ports.js';

export const DEFAULT_MAC_AGING_S = 300;

export interface MacEntry {
  vlan: number;
  mac: number;
  port: number;
  seenNs: number;
}

export class MacLearningTable {
  /** Per VLAN (0..4095): MAC (48-bit number) -> entry. */
  private readonly vlans: (Map<number, MacEntry> | undefined)[] = new Array(4096);
  agingNs = DEFAULT_MAC_AGING_S * 1e9;

  constructor(private readonly now: () => number) {}

  /** Learns (or refreshes) that `mac` on `vlan` is behind `port`; true when the entry is new or moved. */
  learn(vlan: number, mac: number, port: number): boolean {
    let m = this.vlans[vlan];
    if (m === undefined) {
      m = new Map();
      this.vlans[vlan] = m;
    }
    const now = this.now();
    const e = m.get(mac);
    if (e === undefined) {
      m.set(mac, { vlan, mac, port, seenNs: now });
      return true;
    }
    e.seenNs = now;
    if (e.port !== port) {
      e.port = port;
      return true;
    }
    return false;
  }

  /** The port `mac` was learned on in `vlan`, or -1 (unknown or aged out). */
  lookup(vlan: number, mac: number): number {
    const m = this.vlans[vlan];
    if (m === undefined) return -1;
    const e = m.get(mac);
    if (e === undefined) return -1;
    if (this.now() - e.seenNs >= this.agingNs) {
      m.delete(mac);
      return -1;
    }
    return e.port;
  }

  /** Forgets everything learned on `port` (the port was deleted). */
  flushPort(port: number): void {
    for (const m of this.vlans) {
      if (!m) continue;
      for (const [k, e] of m) if (e.port === port) m.delete(k);
    }
  }

  flush(): void {
    this.vlans.fill(undefined);
  }

  /** Live entries, least recently seen first (the LRU order fdb/show walks). */
  entries(): MacEntry[] {
    const now = this.now();
    const out: MacEntry[] = [];
    for (const m of this.vlans) {
      if (!m) continue;
      for (const [k, e] of m) {
        if (now - e.seenNs >= this.agingNs) m.delete(k);
        else out.push(e);
      }
    }
    return out.sort((a, b) => a.seenNs - b.seenNs);
  }

  /** `ovs-appctl fdb/show BR`. */
  formatShow(): string {
    const now = this.now();
    let s = ' port  VLAN  MAC                Age\n';
    for (const e of this.entries()) {
      const port = formatPort(e.port);
      const age = Math.floor((now - e.seenNs) / 1e9);
      s += `${port.padStart(5)}  ${String(e.vlan).padStart(4)}  ${mac48ToString(e.mac)}  ${String(age).padStart(3)}\n`;
    }
    return s;
  }
}
