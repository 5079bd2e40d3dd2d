// One line of `ovs-ofctl dump-flows` (ofputil_flow_stats_format in lib/ofp-flow.c), as an
// OpenFlow 1.0 + Nicira reply prints it:
//  cookie=0x…, duration=S.mmms, table=N, n_packets=N, n_bytes=N, [idle_timeout=N, ][hard_timeout=N, ]
//  [send_flow_rem ][importance=N, ]idle_age=N, [hard_age=N, ]<match> actions=<actions>

import { formatActions } from './actions.js';
import { K } from './flow-fields.js';
import { formatMatch, VLAN_CFI } from './flow-match.js';
import type { Flow } from './flow-table.js';
import type { PortNames } from './ports.js';

export interface DumpOptions {
  /** Port names instead of numbers (`--names`, what a terminal shows). */
  names?: PortNames;
  /** `--no-stats`: only cookie (when non-zero), table (when non-zero), timeouts, match, actions. */
  noStats?: boolean;
  /** Print idle_age/hard_age (the OpenFlow 1.0 Nicira reply has them; a terminal dump with names does not). */
  ages?: boolean;
  /** OpenFlow 1.3 reply: native instruction spellings, no ages. */
  of13?: boolean;
}

/** ofp_print_duration: whole seconds, then .mmm when there is a fraction (OVS keeps milliseconds). */
export function formatDuration(ns: number): string {
  const ms = Math.floor(ns / 1e6);
  const sec = Math.floor(ms / 1000);
  const frac = ms % 1000;
  return frac === 0 ? `${sec}s` : `${sec}.${String(frac).padStart(3, '0')}s`;
}

export function formatFlowLine(f: Flow, nowNs: number, opts: DumpOptions = {}): string {
  const stats = !opts.noStats;
  let s = ' ';
  if (stats || f.cookie !== 0n) s += `cookie=0x${f.cookie.toString(16)}, `;
  const durationNs = nowNs - f.createdNs;
  if (stats) s += `duration=${formatDuration(durationNs)}, `;
  if (stats || f.table !== 0) s += `table=${f.table}, `;
  if (stats) s += `n_packets=${f.nPackets}, n_bytes=${f.nBytes}, `;
  if (f.idleTimeout) s += `idle_timeout=${f.idleTimeout}, `;
  if (f.hardTimeout) s += `hard_timeout=${f.hardTimeout}, `;
  if (f.flags.sendFlowRem) s += 'send_flow_rem ';
  if (stats && opts.ages !== false && !opts.of13) {
    const idleAge = Math.floor((nowNs - f.usedNs) / 1e9);
    s += `idle_age=${idleAge}, `;
    const hardAge = Math.floor((nowNs - f.modifiedNs) / 1e9);
    if (hardAge !== Math.floor(durationNs / 1e9)) s += `hard_age=${hardAge}, `;
  }
  const match = formatMatch(f.match, f.priority, opts.names);
  if (match !== '') s += `${match} `;
  const matchHasVlan =
    (f.match.mask[K.VLAN_TCI] & VLAN_CFI) !== 0 && (f.match.value[K.VLAN_TCI] & VLAN_CFI) !== 0;
  s += `actions=${formatActions(f.actions, { names: opts.names, of13: opts.of13, matchHasVlan })}`;
  return s;
}
