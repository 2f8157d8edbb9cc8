/** Go-style durations as the AKS add-on takes them (`rotationPollInterval: "2m"`, `"1h30m"`, `"90s"`). */

const UNIT_SECONDS: Readonly<Record<string, number>> = { h: 3600, m: 60, s: 1, ms: 0.001 };
const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:h|ms|m|s))+$/;
const PART_PATTERN = /(\d+(?:\.\d+)?)(h|ms|m|s)/g;

/**
 * Seconds in a Go duration string ("2m" → 120, "1h30m" → 5400). Returns undefined for anything else (a bare
 * number, an empty string, an unknown unit), so the caller can say what is allowed.
 */
export function parseDurationSeconds(value: string): number | undefined {
  const text = value.trim();
  if (!DURATION_PATTERN.test(text)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(PART_PATTERN))
    seconds += Number(amount) * UNIT_SECONDS[unit!]!;
  return seconds;
}

/** Whole non-negative seconds from a string setting ("600" → 600); undefined for anything else. */
export function parseWholeSeconds(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string" || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}
