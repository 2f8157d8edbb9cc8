/**
 * The per-key serialized work queue every controller runs on (the controller-runtime/pepr pattern): a key is
 * processed by at most one worker at a time; adding a key that is already waiting merges into the waiting entry;
 * adding a key that is being processed re-queues it once the current run ends. Delayed adds keep the earliest due
 * time. A run that throws is reported and re-added after a per-key exponential backoff; a run that succeeds resets
 * the key's backoff.
 */
import { systemClock } from "./clock.ts";
import type { Clock } from "./clock.ts";

/** Backoff of failed runs: `baseMs × 2^(failures − 1)`, capped at `maxMs`. */
export interface QueueBackoff {
  /** Delay after the first failure, ms. Default 1000. */
  baseMs: number;
  /** Longest delay, ms. Default 60 000. */
  maxMs: number;
}

/** Default {@link QueueBackoff}: 1, 2, 4, … s, at most 60 s. */
export const DEFAULT_QUEUE_BACKOFF: QueueBackoff = { baseMs: 1000, maxMs: 60_000 };

/** Delay before retrying after the `failures`-th consecutive failure (1-based), ms (pure). */
export function queueBackoffMs(failures: number, backoff: QueueBackoff): number {
  return Math.min(backoff.baseMs * 2 ** Math.max(0, failures - 1), backoff.maxMs);
}

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions<P> {
  /** Processes one key. When it throws, `onError` is told and the key is re-added after its backoff. */
  process: (key: string, payload: P) => Promise<void>;
  /** Merges two payloads for the same key (e.g. OR of a force flag). */
  merge: (a: P, b: P) => P;
  /** Parallel workers (distinct keys). Default 8. */
  concurrency?: number;
  /** Called when `process` throws, with the delay of the retry. Default: ignore. */
  onError?: (key: string, error: unknown, retryInMs: number) => void;
  /** Backoff of the retries after a throw. Default {@link DEFAULT_QUEUE_BACKOFF}. */
  backoff?: QueueBackoff;
  /** Time and timers. Default the system clock. */
  clock?: Clock;
}

/** Per-key serialized queue with delayed adds and backoff. */
export class WorkQueue<P> {
  private readonly options: WorkQueueOptions<P>;
  private readonly clock: Clock;
  private readonly concurrency: number;
  private readonly backoff: QueueBackoff;
  /** Keys ready to run, in order. */
  private readonly ready = new Map<string, P>();
  /** Keys running now, with a payload to re-run with afterwards (if re-added meanwhile). */
  private readonly running = new Map<string, P | undefined>();
  private readonly delayed = new Map<string, { cancel: () => void; dueAt: number; payload: P }>();
  /** Consecutive failed runs per key. */
  private readonly failures = new Map<string, number>();
  private readonly idleWaiters: Array<() => void> = [];
  private stopped = false;

  constructor(options: WorkQueueOptions<P>) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.concurrency = options.concurrency ?? 8;
    this.backoff = options.backoff ?? DEFAULT_QUEUE_BACKOFF;
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
      pending.cancel();
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
    const dueAt = this.clock.nowMs() + delayMs;
    const pending = this.delayed.get(key);
    if (pending) {
      if (pending.dueAt <= dueAt) {
        pending.payload = this.options.merge(pending.payload, payload);
        return;
      }
      pending.cancel();
      payload = this.options.merge(pending.payload, payload);
    }
    const entry = { cancel: () => {}, dueAt, payload };
    entry.cancel = this.clock.schedule(delayMs, () => {
      if (this.delayed.get(key) !== entry) return;
      this.delayed.delete(key);
      this.add(key, entry.payload);
    });
    this.delayed.set(key, entry);
  }

  /** Drops any pending (ready or delayed) work and the backoff of `key`. */
  forget(key: string): void {
    this.ready.delete(key);
    this.delayed.get(key)?.cancel();
    this.delayed.delete(key);
    this.failures.delete(key);
  }

  /** Resolves when nothing is ready or running (delayed work may remain). */
  async idle(): Promise<void> {
    if (this.depth === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking work, cancels delayed work and waits for running work to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const entry of this.delayed.values()) entry.cancel();
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
    let retryInMs: number | undefined;
    try {
      await this.options.process(key, payload);
      this.failures.delete(key);
    } catch (error) {
      const failures = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, failures);
      retryInMs = queueBackoffMs(failures, this.backoff);
      this.options.onError?.(key, error, retryInMs);
    }
    const again = this.running.get(key);
    this.running.delete(key);
    if (again !== undefined && !this.stopped) {
      // Re-added while running: run again now (a failed run's payload goes along instead of waiting its backoff).
      const next = retryInMs === undefined ? again : this.options.merge(payload, again);
      const waiting = this.ready.get(key);
      this.ready.set(key, waiting === undefined ? next : this.options.merge(waiting, next));
    } else if (retryInMs !== undefined) {
      this.addAfter(key, payload, retryInMs);
    }
    this.pump();
  }
}
