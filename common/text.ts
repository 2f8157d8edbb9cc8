/**
 * Wording helpers every part of keyfleet may use (pure, no dependencies): counts read "1 cluster" and "2 clusters",
 * never "1 clusters" or "cluster(s)".
 */

/** The noun for `n` items: `singular` for exactly one, else `plural` (default: `singular` + "s"). */
export function nounFor(n: number, singular: string, plural = `${singular}s`): string {
  return n === 1 ? singular : plural;
}

/** `n` and its noun: `counted(1, "cluster")` is "1 cluster", `counted(3, "cluster")` is "3 clusters". */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${nounFor(n, singular, plural)}`;
}
