// What an agent is given to run on a host: the kernel, the host's Open vSwitch, the bus, the
// scheduler, a log, and where its files are readable by the host tools. Shared by the DHCP and
// L3 agents' start functions.
import { createHash } from 'node:crypto';
import type { Host } from '../../kernel/host.js';
import type { Vswitchd } from '../../ovs/vswitchd.js';
import type { Logger } from '../../sim/oslo-log.js';
import type { Scheduler } from '../../sim/scheduler.js';
import type { AgentBus } from './agent-bus.js';

/** A host's readable files (kernel/vfs.ts HostFiles fits): a path rendered on every read. */
export interface FileRegistry {
  register(path: string, render: () => string): () => void;
}

export interface AgentHostOptions {
  /** The host's kernel (namespaces, devices). */
  host: Host;
  vswitchd: Vswitchd;
  bus: AgentBus;
  sched: Scheduler;
  log: Logger;
  /** Where the agent's files appear for `host exec … cat`; without it they are only in `files()`. */
  files?: FileRegistry;
  /** Wall-clock ms (lease expiry times, report_state time); default: the wall clock at start plus virtual time. */
  wallMs?: () => number;
}

/** A wall clock following the scheduler's virtual time from now on. */
export function virtualWallClock(sched: Scheduler): () => number {
  const epoch = Date.now() - sched.now / 1e6;
  return () => epoch + sched.now / 1e6;
}

/** uuid.uuid5 (SHA-1, RFC 4122 §4.3). */
export function uuid5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** uuid.NAMESPACE_DNS */
export const NAMESPACE_DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

/** A serial work queue: agent operations run one at a time, in order (the agents' locks). */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();

  run(fn: () => Promise<void> | void, onError: (e: Error) => void): Promise<void> {
    const next = this.tail.then(fn).catch((e: unknown) => onError(e as Error));
    this.tail = next;
    return next;
  }
}
