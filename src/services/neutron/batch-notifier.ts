// neutron/notifiers/batch_notifier.py: events for Nova are queued; the first one goes out at once,
// then the sender holds for `send_events_interval` seconds so that what comes meanwhile leaves as
// one batch (one os-server-external-events request), and stops once a pause found nothing queued.
export class BatchNotifier<T> {
  private pending: T[] = [];
  /** A send loop is running (Neutron's mutex): new events only join the queue. */
  private sending = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly send: (events: T[]) => void,
  ) {}

  queue(event: T | null): void {
    if (event === null) return;
    this.pending.push(event);
    if (this.sending) return;
    this.sending = true;
    // utils.spawn_n: the sender runs next, so events queued by the same request share its batch.
    this.timer = setTimeout(this.loop, 0);
    this.timer.unref();
  }

  /** Nothing more is sent (neutron-server stopping); what is queued is dropped, as it would be. */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pending = [];
    this.sending = false;
  }

  private readonly loop = (): void => {
    this.timer = null;
    if (this.pending.length === 0) {
      this.sending = false;
      return;
    }
    const batch = this.pending;
    this.pending = [];
    this.send(batch);
    this.timer = setTimeout(this.loop, this.intervalMs);
    this.timer.unref();
  };
}
