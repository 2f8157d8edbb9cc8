/**
 * Retry timing for throttled / unavailable vault requests: Retry-After when Key Vault sends it, otherwise
 * Microsoft's recommended 1, 2, 4, 8, 16 s sequence (scaled by a configurable base so tests run fast).
 */

/** Backoff settings. */
export interface BackoffOptions {
  /** First delay when the vault gave no Retry-After. Default 1000 ms (→ 1, 2, 4, 8, 16 s). */
  baseDelayMs: number;
  /** Largest delay used without Retry-After. Default 16 × base. */
  maxDelayMs: number;
  /** Upper bound applied to a server-sent Retry-After, so a bogus header cannot park a vault forever. Default 60 s. */
  maxRetryAfterMs: number;
}

/** Defaults: 1, 2, 4, 8, 16 s; Retry-After honoured up to 60 s. */
export const DEFAULT_BACKOFF: BackoffOptions = {
  baseDelayMs: 1000,
  maxDelayMs: 16_000,
  maxRetryAfterMs: 60_000,
};

/**
 * Delay before retry number `attempt` (0 = first retry).
 * @param retryAfterMs what the vault asked for, when it did.
 */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  options: BackoffOptions,
): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), options.maxRetryAfterMs);
  const exponential = options.baseDelayMs * 2 ** Math.max(0, attempt);
  return Math.min(exponential, options.maxDelayMs);
}
