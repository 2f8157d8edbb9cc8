/**
 * A deterministic {@link Clock} for unit tests: time moves only when a test says so. `advance` fires due timers in
 * time order; `sleep` moves time forward at once by the requested amount and records it, so a test can assert the
 * exact waits (e.g. 1, 2, 4, 8, 16 s of backoff) without waiting.
 */
import type { Clock } from "../../sync-runtime/clock.ts";

/** See module doc. */
export class ManualClock implements Clock {
  /** Current time in ms. Default start: 2026-01-01T00:00:00Z. */
  currentMs: number;
  /** Every sleep requested, in order (ms). */
  readonly sleeps: number[] = [];
  private readonly timers: Array<{ atMs: number; fn: () => void; id: number }> = [];
  private nextId = 0;

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.currentMs = startMs;
  }

  nowMs(): number {
    return this.currentMs;
  }

  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.advance(Math.max(0, ms));
    await Promise.resolve();
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

  /** Moves time forward by `ms`, firing due timers in time order (no sleep is recorded). */
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
