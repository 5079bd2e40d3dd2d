// What the agents need of the bus: calls to neutron-server (the agents' RPC) and the fan-out
// notifications. Kept structural and string-named so an agent sees the bus as the real agents
// see oslo.messaging: a method name and a dict. src/bus's Bus satisfies it.

export interface AgentBus {
  call(method: string, request: unknown): Promise<unknown>;
  subscribe(topic: string, fn: (payload: never) => void): () => void;
}

/** ISO time as report_state sends it (oslo's utcnow().strftime, no zone). */
export function rpcTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '');
}
