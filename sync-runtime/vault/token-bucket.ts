/**
 * A per-vault request budget: a token bucket with reservations. Tokens refill continuously at
 * `refillPerSecond` up to `burst`; a caller reserves one token per HTTP request and is told how long to wait
 * for it. A reservation that would wait longer than `maxWaitMs` is refused (BudgetExhausted) and takes nothing.
 * Pure state machine: the caller passes the time in, so tests need no timers.
 */
import { DEFAULT_VAULT_REQUESTS_PER_10S } from "../../common/vocabulary.ts";

/** Budget settings (per vault, per runtime). */
export interface TokenBucketOptions {
  /** Sustained requests per second. Default 20 (= 200 per 10 s, 5 % of Key Vault's 4,000 / 10 s). */
  refillPerSecond: number;
  /** Bucket size: requests allowed back to back after an idle period. Default 50. */
  burst: number;
  /** Longest a request may wait for a token before failing with BudgetExhausted. Default 30,000 ms. */
  maxWaitMs: number;
}

/** Defaults: 200 reads per 10 s per vault per runtime (common/vocabulary.ts), bursts of 50, wait at most 30 s. */
export const DEFAULT_BUDGET: TokenBucketOptions = {
  refillPerSecond: DEFAULT_VAULT_REQUESTS_PER_10S / 10,
  burst: 50,
  maxWaitMs: 30_000,
};

/** Result of {@link TokenBucket.reserve}. */
export type Reservation = { granted: true; waitMs: number } | { granted: false; retryAfterMs: number };

/** One vault's bucket. */
export class TokenBucket {
  readonly options: TokenBucketOptions;
  /** May go negative: outstanding reservations not yet covered by refill. */
  private tokens: number;
  private updatedAtMs: number;

  constructor(options: TokenBucketOptions, nowMs: number) {
    if (!(options.refillPerSecond > 0)) throw new Error("budget.refillPerSecond must be > 0");
    if (!(options.burst >= 1)) throw new Error("budget.burst must be >= 1");
    if (!(options.maxWaitMs >= 0)) throw new Error("budget.maxWaitMs must be >= 0");
    this.options = options;
    this.tokens = options.burst;
    this.updatedAtMs = nowMs;
  }

  private refill(nowMs: number): void {
    const elapsed = Math.max(0, nowMs - this.updatedAtMs);
    this.tokens = Math.min(this.options.burst, this.tokens + (elapsed * this.options.refillPerSecond) / 1000);
    this.updatedAtMs = Math.max(this.updatedAtMs, nowMs);
  }

  /** Tokens available now (negative = reserved ahead). */
  available(nowMs: number): number {
    this.refill(nowMs);
    return this.tokens;
  }

  /** Reserves one token; the caller must wait `waitMs` before sending. */
  reserve(nowMs: number): Reservation {
    this.refill(nowMs);
    const after = this.tokens - 1;
    const waitMs = after >= 0 ? 0 : Math.ceil((-after * 1000) / this.options.refillPerSecond);
    if (waitMs > this.options.maxWaitMs) return { granted: false, retryAfterMs: waitMs };
    this.tokens = after;
    return { granted: true, waitMs };
  }
}
