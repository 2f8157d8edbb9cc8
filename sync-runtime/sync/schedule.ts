/**
 * The rotation schedule, pure: each poll (and each spec change) is followed by the next one after
 * `rotationPollInterval + U[0, jitterSeconds]`; failures retry sooner with capped exponential backoff
 * (or the vault's Retry-After), never later than the next regular poll.
 */

/** A source of uniform randoms in [0, 1). Default `Math.random`. */
export type Random = () => number;

/** Schedule settings. */
export interface ScheduleSettings {
  /** Seconds between polls of one SecretSync. Default 120 (the AKS add-on's 2m). */
  rotationPollIntervalSeconds: number;
  /** Upper bound of the uniform random delay added to each poll, seconds. Default 0. */
  jitterSeconds: number;
}

/** Milliseconds until the next regular poll: `poll + U[0, jitter]` (pure given `random`). */
export function nextPollDelayMs(settings: ScheduleSettings, random: Random): number {
  const jitterMs = settings.jitterSeconds * 1000 * Math.min(Math.max(random(), 0), 1);
  return Math.round(settings.rotationPollIntervalSeconds * 1000 + jitterMs);
}

/** First retry delay after a failure, ms. */
export const RETRY_BASE_MS = 1000;
/** Longest retry delay after repeated failures, ms. */
export const RETRY_MAX_MS = 60_000;

/**
 * Milliseconds until a retry after the `attempt`-th consecutive failure (1-based): 1, 2, 4, ... s capped at
 * {@link RETRY_MAX_MS} and at the regular poll; the vault's Retry-After wins when it is longer (pure). With
 * `exact`, `retryAfterMs` is when the runtime itself will send again (every failure was a local refusal, e.g. an
 * open circuit's next probe): retry exactly then, since waiting longer only delays recovery.
 */
export function retryDelayMs(
  attempt: number,
  settings: ScheduleSettings,
  retryAfterMs?: number,
  exact = false,
): number {
  if (exact && retryAfterMs !== undefined) return retryAfterMs;
  const backoff = Math.min(RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1), RETRY_MAX_MS);
  const capped = Math.min(backoff, settings.rotationPollIntervalSeconds * 1000);
  return Math.max(capped, retryAfterMs ?? 0);
}

/** Worst-case staleness of a value: poll + jitter, seconds. */
export function worstCaseStalenessSeconds(settings: ScheduleSettings): number {
  return settings.rotationPollIntervalSeconds + settings.jitterSeconds;
}
