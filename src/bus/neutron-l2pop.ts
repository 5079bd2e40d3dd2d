// l2population's fan-out to the L2 agents (neutron/plugins/ml2/drivers/l2pop/rpc.py
// L2populationAgentNotifyAPI: fdb_add, fdb_remove, update_fdb_entries), published by the l2pop
// mechanism driver when a port becomes ACTIVE on a host or leaves it (or changes its fixed IPs:
// fdb_update's chg_ip), and the full set of a
// network's entries to an agent whose first port of that network comes up, or (cast to that agent
// alone) to an agent that asks with update_device_up's refresh_tunnels after a restart.

/**
 * Per network: its segment and, per agent tunneling IP, the [MAC, IP] of each port there. The
 * all-zero entry (FLOODING_ENTRY ['00:00:00:00:00:00', '0.0.0.0']) asks for flooding to that host.
 */
export interface FdbEntries {
  [networkId: string]: {
    segment_id: number;
    network_type: string;
    ports: Record<string, [string, string][]>;
  };
}

/**
 * update_fdb_entries' chg_ip (a port's fixed IPs changed): per network, per tunneling IP of the
 * port's host, the [MAC, IP] entries it lost (`before`) and gained (`after`).
 */
export interface FdbChgIp {
  [networkId: string]: Record<string, { before?: [string, string][]; after?: [string, string][] }>;
}

export interface FdbUpdateEvent {
  fdb_entries: { chg_ip: FdbChgIp };
}

export interface FdbEvent {
  fdb_entries: FdbEntries;
  /** A cast to one agent (add_fdb_entries(…, host)): only the agent of this host acts on it. */
  host?: string;
}

declare module './bus.js' {
  interface BusEvents {
    fdb_add: FdbEvent;
    fdb_remove: FdbEvent;
    fdb_update: FdbUpdateEvent;
  }
}
