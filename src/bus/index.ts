export { Bus, type BusCalls, type BusEvents, type BusStats, NoServer, type Unsubscribe } from './bus.js';
export type * from './compute-rpc.js';
