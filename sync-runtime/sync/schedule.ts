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
 * {@link RETRY_MAX_MS} and at the regular poll; the vault's Retry-After wins when it is longer (pure).
 */
export function retryDelayMs(attempt: number, settings: ScheduleSettings, retryAfterMs?: number): number {
  const backoff = Math.min(RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1), RETRY_MAX_MS);
  const capped = Math.min(backoff, settings.rotationPollIntervalSeconds * 1000);
  return Math.max(capped, retryAfterMs ?? 0);
}

/**
 * When every failed item was refused by the runtime itself (open circuit, paused identity, request budget), the
 * time it will send again (the latest of them): retrying exactly then — not after more backoff, and for a partial
 * sync not at the next poll — resumes right after the vault is back. Undefined when any failure came from the
 * vault (or no time is known), or nothing failed (pure).
 */
export function localRefusalRetryMs(
  failures: ReadonlyArray<{ refusedLocally?: boolean; retryAfterMs?: number } | undefined>,
): number | undefined {
  if (failures.length === 0) return undefined;
  let latest = 0;
  for (const failure of failures) {
    if (!failure?.refusedLocally || failure.retryAfterMs === undefined) return undefined;
    latest = Math.max(latest, failure.retryAfterMs);
  }
  return latest;
}

/** Worst-case staleness of a value: poll + jitter, seconds. */
export function worstCaseStalenessSeconds(settings: ScheduleSettings): number {
  return settings.rotationPollIntervalSeconds + settings.jitterSeconds;
}
