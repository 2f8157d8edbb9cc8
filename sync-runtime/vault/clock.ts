/**
 * Time for the vault layer, injected so backoff, token buckets and circuit breakers are unit-tested without
 * real waiting.
 */
import { setTimeout as delay } from "node:timers/promises";

/** A source of time and a way to wait. */
export interface Clock {
  /** Milliseconds since the epoch (monotonic enough for budgets and cooldowns). */
  nowMs(): number;
  /** Resolves after `ms` milliseconds (0 or less resolves on the next tick). */
  sleep(ms: number): Promise<void>;
}

/** The real clock: `Date.now()` and a timer. */
export function createSystemClock(): Clock {
  return {
    nowMs: () => Date.now(),
    sleep: async (ms: number) => {
      await delay(Math.max(0, ms));
    },
  };
}

/**
 * A deterministic clock for tests: `sleep` advances the time by the requested amount at once and records it,
 * so a test can assert the exact waits (1, 2, 4, 8, 16 s) without waiting.
 */
export class ManualClock implements Clock {
  /** Current time in ms. Default start: 2026-01-01T00:00:00Z. */
  currentMs: number;
  /** Every sleep requested, in order (ms). */
  readonly sleeps: number[] = [];

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.currentMs = startMs;
  }

  nowMs(): number {
    return this.currentMs;
  }

  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.currentMs += Math.max(0, ms);
    await Promise.resolve();
  }

  /** Moves time forward without a sleep being recorded. */
  advance(ms: number): void {
    this.currentMs += ms;
  }
}
