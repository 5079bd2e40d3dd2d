// The agents talk to neutron-server over src/bus with the catalogue's calls and events
// (src/bus/neutron-rpc.ts, neutron-events.ts): Neutron's agent RPC names and payloads.
export type { Bus as AgentBus } from '../../bus/bus.js';

/** ISO time as report_state sends it (oslo's utcnow().strftime, no zone). */
export function rpcTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '');
}
