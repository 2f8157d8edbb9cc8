/** A token bucket per namespace: at most `burst` restarts at once, refilled at `perMinute`. Pure given the time. */

/** Options of {@link NamespaceRateLimiter}. */
export interface RateLimitOptions {
  /** Bucket size (restarts allowed in a burst). Default RESTART_DEFAULTS.rateLimitBurst. */
  burst: number;
  /** Refill rate in restarts per minute. Default RESTART_DEFAULTS.rateLimitPerMinute. */
  perMinute: number;
}

/** Result of {@link NamespaceRateLimiter.take}. */
export type TakeResult = { ok: true } | { ok: false; retryAfterMs: number };

/** Per-namespace token buckets. */
export class NamespaceRateLimiter {
  private readonly options: RateLimitOptions;
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(options: RateLimitOptions) {
    if (!(options.burst >= 1) || !(options.perMinute > 0)) {
      throw new Error(
        `restart rate limit: burst must be >= 1 and perMinute > 0 (got burst=${options.burst}, perMinute=${options.perMinute})`,
      );
    }
    this.options = options;
  }

  /** Takes one restart token for `namespace` at `nowMs`, or says how long until one is available. */
  take(namespace: string, nowMs: number): TakeResult {
    const perMs = this.options.perMinute / 60_000;
    const bucket = this.buckets.get(namespace) ?? { tokens: this.options.burst, atMs: nowMs };
    const tokens = Math.min(this.options.burst, bucket.tokens + Math.max(0, nowMs - bucket.atMs) * perMs);
    if (tokens >= 1) {
      this.buckets.set(namespace, { tokens: tokens - 1, atMs: nowMs });
      return { ok: true };
    }
    this.buckets.set(namespace, { tokens, atMs: nowMs });
    return { ok: false, retryAfterMs: Math.ceil((1 - tokens) / perMs) };
  }
}
