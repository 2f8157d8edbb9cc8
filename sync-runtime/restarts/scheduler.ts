/**
 * Time for the restart controller: the current time and cancellable timers, injected so the batching window
 * and the rate limit are unit-tested without waiting.
 */

/** A source of time and timers. */
export interface Scheduler {
  /** Milliseconds since the epoch. */
  nowMs(): number;
  /** Runs `fn` after `delayMs`; returns a function that cancels it. */
  schedule(delayMs: number, fn: () => void): () => void;
}

/** The real scheduler: `Date.now()` and unref'd timers (they never keep the process alive). */
export function createSystemScheduler(): Scheduler {
  return {
    nowMs: () => Date.now(),
    schedule: (delayMs, fn) => {
      const handle = setTimeout(fn, Math.max(0, delayMs));
      handle.unref();
      return () => clearTimeout(handle);
    },
  };
}

/** A deterministic scheduler for tests: time moves only through {@link ManualScheduler.advance}. */
export class ManualScheduler implements Scheduler {
  /** Current time in ms. */
  currentMs: number;
  private readonly timers: Array<{ atMs: number; fn: () => void; id: number }> = [];
  private nextId = 0;

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.currentMs = startMs;
  }

  nowMs(): number {
    return this.currentMs;
  }

  schedule(delayMs: number, fn: () => void): () => void {
    const id = this.nextId++;
    this.timers.push({ atMs: this.currentMs + Math.max(0, delayMs), fn, id });
    return () => {
      const at = this.timers.findIndex((t) => t.id === id);
      if (at >= 0) this.timers.splice(at, 1);
    };
  }

  /** Number of timers not yet fired. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward, firing due timers in time order. */
  advance(ms: number): void {
    const target = this.currentMs + ms;
    for (;;) {
      this.timers.sort((a, b) => a.atMs - b.atMs || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.atMs > target) break;
      this.timers.shift();
      this.currentMs = next.atMs;
      next.fn();
    }
    this.currentMs = target;
  }
}
