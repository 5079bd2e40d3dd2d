// The DHCP agent's dhcp_ready_ports and dhcp_prio_ready_ports with _dhcp_ready_ports_loop
// (neutron/agent/dhcp/agent.py): ports whose addresses dnsmasq has just been (re)loaded with are
// told to neutron-server (dhcp_ready_on_ports), which lifts their DHCP provisioning block. Every
// 0.1 s at most 64 go in one call, the ports of create/update notifications first; a failed call
// puts them back for the next round.
import type { Logger } from '../../sim/oslo-log.js';
import type { Scheduler, TimerHandle } from '../../sim/scheduler.js';
import type { AgentBus } from '../common/agent-bus.js';

export const DHCP_READY_PORTS_SYNC_MAX = 64;
const LOOP_INTERVAL_NS = 100_000_000;

export class ReadyPorts {
  private readonly prio = new Set<string>();
  private readonly normal = new Set<string>();
  private timer: TimerHandle | null = null;
  private sending = false;
  private stopped = false;

  constructor(private readonly o: { bus: AgentBus; sched: Scheduler; log: Logger; host: string }) {}

  /** Ports now in dnsmasq's files; `prio` for a port's own create/update notification. */
  add(portIds: Iterable<string>, prio: boolean): void {
    const into = prio ? this.prio : this.normal;
    for (const id of portIds) into.add(id);
    this.arm();
  }

  /** Ports waiting to be told (tests). */
  pending(): string[] {
    return [...this.prio, ...this.normal];
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.o.sched.cancel(this.timer);
    this.timer = null;
  }

  private arm(): void {
    if (this.stopped || this.timer !== null || this.sending) return;
    if (this.prio.size + this.normal.size === 0) return;
    this.timer = this.o.sched.schedule(LOOP_INTERVAL_NS, () => {
      this.timer = null;
      void this.send();
    });
  }

  private async send(): Promise<void> {
    const prio = take(this.prio, DHCP_READY_PORTS_SYNC_MAX);
    const normal = take(this.normal, DHCP_READY_PORTS_SYNC_MAX - prio.length);
    const batch = [...prio, ...normal];
    this.sending = true;
    try {
      await this.o.bus.call('dhcp_ready_on_ports', { host: this.o.host, port_ids: batch });
      this.o.log.info(
        `DHCP configuration for ports {${batch.map((id) => `'${id}'`).join(', ')}} is completed`,
      );
    } catch (e) {
      this.o.log.error(
        `Failure notifying DHCP server of ready DHCP ports. Will retry on next iteration.: ${(e as Error).message}`,
      );
      for (const id of prio) this.prio.add(id);
      for (const id of normal) this.normal.add(id);
    } finally {
      this.sending = false;
      this.arm();
    }
  }
}

/** Removes and returns up to n members, oldest first (the loop's set.pop()). */
function take(set: Set<string>, n: number): string[] {
  const out: string[] = [];
  for (const id of set) {
    if (out.length >= n) break;
    out.push(id);
  }
  for (const id of out) set.delete(id);
  return out;
}
