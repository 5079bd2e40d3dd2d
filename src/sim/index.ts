export { DEFAULT_LATENCY, HOP, type HopDelay, type HopKind, LatencyModel } from './latency.js';
export {
  allInOne,
  type HostRole,
  type HostSpec,
  type Layout,
  LayoutError,
  type LayoutOptions,
  layoutFromYaml,
  multiNode,
  parseSizeMb,
  resolveLayout,
} from './layout.js';
export {
  type LogContext,
  LogFile,
  type Logger,
  type LogLevel,
  LogRegistry,
  osloLine,
  osloTime,
} from './oslo-log.js';
export { RealtimeDriver, type RealtimeOptions } from './pacing.js';
export { Random } from './random.js';
export {
  type EventFn,
  NS_PER_MS,
  NS_PER_S,
  NS_PER_US,
  Scheduler,
  type SchedulerOptions,
  type TimerHandle,
} from './scheduler.js';
