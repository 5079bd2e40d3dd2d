// The message bus between services and agents — the RPC and notifications the real system
// carries over RabbitMQ. In process it is function calls and listeners, but every message is
// plain data (cloned on the way through, so no object is shared across the boundary) and every
// delivery is asynchronous, as a broker's is: a publisher's transaction is finished before any
// listener runs. The catalogues (events and calls) are declared by augmenting BusEvents and
// BusCalls in the files beside this one, so each message has one type everywhere.
//
//   declare module './bus.js' {
//     interface BusEvents { 'port.created': PortEvent }
//     interface BusCalls { get_devices_details_list: { request: {...}; response: {...} } }
//   }

// biome-ignore lint/suspicious/noEmptyInterface: filled in by the catalogues
export interface BusEvents {}
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the catalogues
export interface BusCalls {}

type EventName = keyof BusEvents & string;
type CallName = keyof BusCalls & string;
type Req<C extends CallName> = BusCalls[C] extends { request: infer R } ? R : never;
type Res<C extends CallName> = BusCalls[C] extends { response: infer R } ? R : never;

export type Unsubscribe = () => void;

/** No server answers a call (the agent is not running): the caller decides what that means. */
export class NoServer extends Error {
  constructor(readonly method: string) {
    super(`no server for ${method}`);
  }
}

export interface BusStats {
  published: number;
  delivered: number;
  calls: number;
}

export class Bus {
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();
  private readonly servers = new Map<string, (request: unknown) => unknown>();
  private readonly queue: (() => void)[] = [];
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  private inFlight = 0;
  readonly stats: BusStats = { published: 0, delivered: 0, calls: 0 };

  /** A notification to every listener of the topic (fan-out), delivered after the current task. */
  publish<E extends EventName>(topic: E, payload: BusEvents[E]): void {
    this.stats.published++;
    const set = this.listeners.get(topic);
    if (!set || set.size === 0) return;
    const message = structuredClone(payload);
    for (const fn of set)
      this.enqueue(() => {
        this.stats.delivered++;
        fn(structuredClone(message));
      });
  }

  subscribe<E extends EventName>(topic: E, fn: (payload: BusEvents[E]) => void): Unsubscribe {
    let set = this.listeners.get(topic);
    if (!set) {
      set = new Set();
      this.listeners.set(topic, set);
    }
    const f = fn as (p: unknown) => void;
    set.add(f);
    return () => set.delete(f);
  }

  /**
   * Serves a call. A method name may carry a target, as an RPC topic does
   * (`build_and_run_instance.compute1`): one server per name.
   */
  serve<C extends CallName>(
    method: C | `${C}.${string}`,
    handler: (request: Req<C>) => Res<C> | Promise<Res<C>>,
  ): Unsubscribe {
    if (this.servers.has(method)) throw new Error(`bus: ${method} already has a server`);
    this.servers.set(method, handler as (r: unknown) => unknown);
    return () => {
      if (this.servers.get(method) === handler) this.servers.delete(method);
    };
  }

  hasServer(method: string): boolean {
    return this.servers.has(method);
  }

  /** A call with an answer (oslo.messaging `call`); rejects with NoServer when nobody serves it. */
  call<C extends CallName>(method: C | `${C}.${string}`, request: Req<C>): Promise<Res<C>> {
    this.stats.calls++;
    const handler = this.servers.get(method);
    if (!handler) return Promise.reject(new NoServer(method));
    const message = structuredClone(request);
    this.inFlight++;
    return new Promise<Res<C>>((resolve, reject) => {
      this.enqueue(() => {
        Promise.resolve()
          .then(() => handler(message))
          .then(
            (r) => resolve(structuredClone(r) as Res<C>),
            (e) => reject(e),
          )
          .finally(() => {
            this.inFlight--;
            this.checkIdle();
          });
      });
    });
  }

  /** A call without an answer (oslo.messaging `cast`); false when nobody serves it. */
  cast<C extends CallName>(method: C | `${C}.${string}`, request: Req<C>): boolean {
    if (!this.servers.has(method)) return false;
    this.call(method, request).catch(() => {});
    return true;
  }

  /** Resolves when every queued delivery and call has run (tests, orderly shutdown). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private enqueue(fn: () => void): void {
    this.queue.push(fn);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  private drain(): void {
    this.scheduled = false;
    // Messages queued while draining run in this pass, in order.
    for (let i = 0; i < this.queue.length; i++) {
      try {
        this.queue[i]();
      } catch (e) {
        // A listener's failure is its own (an agent logs it); the bus carries on.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
    this.queue.length = 0;
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.queue.length > 0 || this.inFlight > 0 || this.scheduled) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
