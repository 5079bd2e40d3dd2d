// The agents' heartbeat (neutron/agent/rpc.py PluginReportStateAPI driven by a
// FixedIntervalLoopingCall): report_state at once, then every `[agent] report_interval` (30 s) of
// virtual time. The first report carries start_flag; an answer of 'revived' (the server had
// declared the agent dead) asks the agent for a full resync, as the real agents do.
import type { Logger } from '../../sim/oslo-log.js';
import { NS_PER_S, type Scheduler, type TimerHandle } from '../../sim/scheduler.js';
import { type AgentBus, rpcTime } from './agent-bus.js';
import type { AgentState } from './neutron-payloads.js';

export interface StateReporterOptions {
  bus: AgentBus;
  sched: Scheduler;
  log: Logger;
  /** Seconds between reports (`[agent] report_interval`); 0 disables reporting. */
  interval: number;
  /** Wall-clock ms now, for the report's `time`. */
  wallMs: () => number;
  /** The state to send; `configurations` is refreshed by the agent before each report. */
  state: () => AgentState;
  /** Called after the first successful report and on 'revived'. */
  onResyncNeeded: (reason: string) => void;
}

export class StateReporter {
  private timer: TimerHandle | null = null;
  private startFlag = true;
  private failed = false;
  private stopped = false;

  constructor(private readonly o: StateReporterOptions) {}

  start(): void {
    if (this.o.interval <= 0) {
      this.o.onResyncNeeded('started without state reports');
      return;
    }
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.o.sched.cancel(this.timer);
    this.timer = null;
  }

  private tick = (): void => {
    if (this.stopped) return;
    this.timer = this.o.sched.schedule(this.o.interval * NS_PER_S, this.tick);
    void this.report();
  };

  /** One report_state call (also used by tests to report without waiting 30 s). */
  async report(): Promise<void> {
    const state: AgentState = { ...this.o.state() };
    if (this.startFlag) state.start_flag = true;
    try {
      const answer = await this.o.bus.call('report_state', {
        agent_state: state,
        time: rpcTime(this.o.wallMs()),
      });
      const status = answer.status;
      if (this.failed) {
        this.failed = false;
        this.o.log.info('Successfully reported state after a previous failure.');
      }
      if (this.startFlag) {
        this.startFlag = false;
        this.o.onResyncNeeded('agent started');
      } else if (status === 'revived') {
        this.o.log.info('Agent has just been revived. Doing a full sync.');
        this.o.onResyncNeeded('Agent has just been revived');
      }
    } catch (e) {
      this.failed = true;
      this.o.log.error(`Failed reporting state!: ${(e as Error).message}`);
    }
  }
}
