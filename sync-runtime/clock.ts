/**
 * The runtime's one source of time: the current time, waits and cancellable timers. Injected into the work queue,
 * the controllers, the reconciler, leader election and the vault layer, so tests move time by hand (see
 * test/support/clock.ts) instead of waiting.
 */
import { setTimeout as delay } from "node:timers/promises";

/** A source of time, waits and timers. */
export interface Clock {
  /** Milliseconds since the epoch (monotonic enough for budgets, cooldowns and schedules). */
  nowMs(): number;
  /** Resolves after `ms` milliseconds (0 or less: on the next tick). */
  sleep(ms: number): Promise<void>;
  /** Runs `fn` after `delayMs`; returns a function that cancels it. */
  schedule(delayMs: number, fn: () => void): () => void;
}

/** The real clock: `Date.now()`, and unref'd timers (a pending poll never keeps the process alive). */
export const systemClock: Clock = {
  nowMs: () => Date.now(),
  sleep: async (ms) => {
    await delay(Math.max(0, ms));
  },
  schedule: (delayMs, fn) => {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    handle.unref();
    return () => clearTimeout(handle);
  },
};

/** The clock's current time as a Date (condition and Event timestamps). */
export function dateOf(clock: Clock): Date {
  return new Date(clock.nowMs());
}
