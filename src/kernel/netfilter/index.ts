// iptables, ipset and connection tracking for one network namespace.
//
// HOW THE KERNEL USES IT (src/kernel owns devices, routing and the hook call sites):
//
//   const nf = new Netfilter({ clock: sched, random: () => sched.rng.u32(), addressOf, onReject });
//   netns.netfilter = nf;                       // `run(pkt)` fits kernel/nf-hooks.ts NetfilterHooks
//   const v = nf.run({ hook: 'PREROUTING', frame, l3: 14, inDev, outDev: null,
//                      physIn, physOut, bridged });   // -> 'ACCEPT' | 'DROP' | 'STOLEN'
//
// - `frame` is the packet with its IPv4 header at `l3` (Ethernet at 0 when l3 >= 14: -m mac reads
//   the source MAC at offset 6). NAT rewrites addresses, ports/echo ids and checksums in place;
//   after an ACCEPT on PREROUTING/OUTPUT the caller re-reads the destination and re-routes.
// - Hooks run in Linux order (raw, conntrack, mangle, nat, filter; see netfilter.ts). Bridged
//   frames (br_netfilter) call PREROUTING, FORWARD, POSTROUTING with `bridged: true`, inDev/outDev
//   the bridge and physIn/physOut the bridge ports (for -m physdev).
// - Per-packet state (the conntrack entry, zone, skb mark) is carried from hook to hook while
//   the same `frame` object comes back (the usual case: PREROUTING→FORWARD→POSTROUTING of a bridged
//   frame, OUTPUT→POSTROUTING, FORWARD→POSTROUTING); when the caller copies the frame in between
//   (PREROUTING→FORWARD of a routed packet), the connection is found again by tuple. A caller that
//   carries `pkt.mark` itself gets it read at PREROUTING/OUTPUT and written back after every hook.
// - REJECT: `onReject(pkt, icmpType, icmpCode)` is called (type -1 = tcp-reset) and the verdict is
//   STOLEN; without onReject it is DROP, with nf.lastRejectType/Code set.
// - Time: conntrack timeouts run on `clock.now` (virtual ns); call nf.conntrack.gc() now and then.
// - Traces: after a verdict, nf.explain() says which table/chain/rule decided it.
//
// PROGRAMMING IT (agents, host tools):
//   iptablesRestore(nf, text, { noflush })  -> { status, stdout, stderr, line? }   (atomic per table)
//   iptablesRestoreCommand(nf, argv, stdin) / iptablesSaveCommand(nf, argv, time)  (argv forms)
//   iptablesSave(nf, { time: 'Thu Nov 26 08:00:00 2026', counters })  -> text
//   iptables(nf, ['-t', 'nat', '-S']) / iptables(nf, ['-L', '-n', '-v'])  -> { status, stdout, stderr }
//   nf.ipsets.command(['create', 'NIPv4…', 'hash:net', 'family', 'inet']) / nf.ipsets.restore(text)
//   conntrackList(nf) -> `conntrack -L` text; conntrackCommand(nf, ['-D', '-d', '10.0.0.5', '-w', '4097'])
// Formats are iptables 1.8.9 (nf_tables backend, Debian 12): -S/save as in host-tools.md §7/§8,
// `-L -n -v` with numeric protocols; ipset 7.17; conntrack-tools 1.4.7.
export { splitArgs } from './argv.js';
export { ConntrackTable, CtEntry, formatEntry } from './conntrack.js';
export { conntrackCommand } from './conntrack-tool.js';
export { IptablesError } from './errors.js';
export { Ipset, IpsetRegistry, type ToolResult } from './ipset.js';
export { IPTABLES_VERSION, iptables, iptablesLine, listRules } from './iptables.js';
export { formatCount, type ListOptions, listChains } from './listing.js';
export { Netfilter, type NetfilterOptions, type NfPacket, type NfVerdict } from './netfilter.js';
export type { HookName } from './packet-state.js';
export {
  iptablesRestore,
  iptablesSave,
  type RestoreOptions,
  type RestoreResult,
  type SaveOptions,
} from './restore.js';
export { parseRuleSpec, type RuleSpec, saveRule } from './rule.js';
export { BUILTIN_CHAINS, Chain, Rule, Table, type TableName } from './table.js';

import type { Netfilter } from './netfilter.js';

/** `conntrack -L`: entries on stdout, the summary line conntrack prints on stderr. */
export function conntrackList(nf: Netfilter): { stdout: string; stderr: string } {
  const lines = nf.conntrack.list();
  return {
    stdout: lines.map((l) => `${l}\n`).join(''),
    stderr: `conntrack v1.4.7 (conntrack-tools): ${lines.length} flow entries have been shown.\n`,
  };
}
