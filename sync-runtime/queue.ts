/**
 * A per-key serialized work queue (the controller-runtime/pepr pattern): a key is processed by at most one
 * worker at a time; adding a key that is already waiting merges into the waiting entry; adding a key that is
 * being processed re-queues it once the current run ends. Delayed adds keep the earliest due time.
 */

/** Timer functions (injected so tests control time). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Real timers; the handles are unref'd so a pending poll never keeps the process alive. */
export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, Math.max(0, ms));
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions<P> {
  /** Processes one key; errors are reported to `onError` and do not stop the queue. */
  process: (key: string, payload: P) => Promise<void>;
  /** Merges two payloads for the same key (e.g. OR of a force flag). */
  merge: (a: P, b: P) => P;
  /** Parallel workers (distinct keys). Default 8. */
  concurrency?: number;
  /** Called when `process` throws. Default: ignore. */
  onError?: (key: string, error: unknown) => void;
  /** Timers. Default {@link realTimers}. */
  timers?: Timers;
}

/** Per-key serialized queue with delayed adds. */
export class WorkQueue<P> {
  private readonly options: WorkQueueOptions<P>;
  private readonly timers: Timers;
  private readonly concurrency: number;
  /** Keys ready to run, in order. */
  private readonly ready = new Map<string, P>();
  /** Keys running now, with a payload to re-run with afterwards (if re-added meanwhile). */
  private readonly running = new Map<string, P | undefined>();
  private readonly delayed = new Map<string, { handle: unknown; dueAt: number; payload: P }>();
  private readonly idleWaiters: Array<() => void> = [];
  private stopped = false;
  private readonly now: () => number;

  constructor(options: WorkQueueOptions<P>, now: () => number = Date.now) {
    this.options = options;
    this.timers = options.timers ?? realTimers;
    this.concurrency = options.concurrency ?? 8;
    this.now = now;
  }

  /** Keys waiting or running (for the queue-depth metric). */
  get depth(): number {
    return this.ready.size + this.running.size;
  }

  /** Keys scheduled for later. */
  get scheduled(): number {
    return this.delayed.size;
  }

  /** Queues `key` to run as soon as a worker is free. */
  add(key: string, payload: P): void {
    if (this.stopped) return;
    const pending = this.delayed.get(key);
    if (pending) {
      this.timers.clearTimeout(pending.handle);
      this.delayed.delete(key);
      payload = this.options.merge(pending.payload, payload);
    }
    if (this.running.has(key)) {
      const again = this.running.get(key);
      this.running.set(key, again === undefined ? payload : this.options.merge(again, payload));
      return;
    }
    const waiting = this.ready.get(key);
    this.ready.set(key, waiting === undefined ? payload : this.options.merge(waiting, payload));
    this.pump();
  }

  /** Queues `key` after `delayMs`; an earlier pending schedule for the key wins (payloads merge). */
  addAfter(key: string, payload: P, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) return this.add(key, payload);
    const dueAt = this.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending) {
      if (pending.dueAt <= dueAt) {
        pending.payload = this.options.merge(pending.payload, payload);
        return;
      }
      this.timers.clearTimeout(pending.handle);
      payload = this.options.merge(pending.payload, payload);
    }
    const handle = this.timers.setTimeout(() => {
      const entry = this.delayed.get(key);
      if (!entry || entry.handle !== handle) return;
      this.delayed.delete(key);
      this.add(key, entry.payload);
    }, delayMs);
    this.delayed.set(key, { handle, dueAt, payload });
  }

  /** Drops any pending (ready or delayed) work for `key`. */
  forget(key: string): void {
    this.ready.delete(key);
    const pending = this.delayed.get(key);
    if (pending) this.timers.clearTimeout(pending.handle);
    this.delayed.delete(key);
  }

  /** Resolves when nothing is ready or running (delayed work may remain). */
  async idle(): Promise<void> {
    if (this.depth === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking work, cancels delayed work and waits for running work to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const entry of this.delayed.values()) this.timers.clearTimeout(entry.handle);
    this.delayed.clear();
    this.ready.clear();
    await this.idle();
  }

  private pump(): void {
    while (this.running.size < this.concurrency && this.ready.size > 0 && !this.stopped) {
      const [key, payload] = this.ready.entries().next().value as [string, P];
      this.ready.delete(key);
      this.running.set(key, undefined);
      void this.run(key, payload);
    }
    if (this.depth === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
  }

  private async run(key: string, payload: P): Promise<void> {
    try {
      await this.options.process(key, payload);
    } catch (error) {
      this.options.onError?.(key, error);
    }
    const again = this.running.get(key);
    this.running.delete(key);
    if (again !== undefined && !this.stopped) {
      const waiting = this.ready.get(key);
      this.ready.set(key, waiting === undefined ? again : this.options.merge(waiting, again));
    }
    this.pump();
  }
}
