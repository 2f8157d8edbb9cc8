/**
 * Pure rules for deciding which Key Vault version a request means and whether a cheap observation proves
 * that nothing changed. Kept apart from I/O so each rule has a table-driven test.
 */
import type { ListedObject, VersionAttributes } from "./provider.ts";
import { LIST_PAGE_SIZE } from "./provider.ts";

/** What the fetcher knows about an object's current (latest) version, learned from an authoritative GET. */
export interface KnownCurrent {
  version: string;
  createdOnSec?: number;
  updatedOnSec?: number;
  /**
   * The vault's own clock (HTTP Date, unix seconds) as seen on a response received *before* the GET that
   * returned this version was sent; undefined when no response had been seen yet.
   */
  anchorSec?: number;
  /** Local time (ms) at which this knowledge was last confirmed. */
  observedAtMs: number;
}

/**
 * Does a vault-wide listing entry prove that the current version is still `known.version`?
 *
 * A listing entry carries no version id, only the current version's `created`/`updated` seconds. Key Vault
 * versions are immutable and "current" is the most recently created one, so the current version is unchanged
 * iff no version was created after the GET that returned `known`. Any such version was created after the
 * vault's clock read `anchorSec` (a response that arrived before the GET was sent), so its `created` second is
 * >= anchorSec. Hence, if `anchorSec >= created + 1 + skew`, a newer version would show a different `created`
 * in the listing; equal `created` and `updated` therefore prove "unchanged" (`updated` also moves when the
 * version's attributes — enabled, contentType, expiry — change). `skewToleranceSec` covers clock differences
 * between the vault's front ends. Anything missing or unequal → not proven (the caller GETs).
 */
export function listingProvesUnchanged(
  known: KnownCurrent,
  listed: ListedObject | undefined,
  skewToleranceSec: number,
): boolean {
  if (!listed || listed.enabled === false) return false;
  if (known.createdOnSec === undefined || known.updatedOnSec === undefined || known.anchorSec === undefined)
    return false;
  if (listed.createdOnSec !== known.createdOnSec || listed.updatedOnSec !== known.updatedOnSec) return false;
  return known.anchorSec >= known.createdOnSec + 1 + skewToleranceSec;
}

/** Enabled versions, newest first (by `created`, ties broken by `updated` then id for determinism). */
export function sortVersionsNewestFirst(versions: readonly VersionAttributes[]): VersionAttributes[] {
  return versions
    .filter((v) => v.enabled !== false)
    .toSorted(
      (a, b) =>
        (b.createdOnSec ?? 0) - (a.createdOnSec ?? 0) ||
        (b.updatedOnSec ?? 0) - (a.updatedOnSec ?? 0) ||
        (a.version < b.version ? -1 : a.version > b.version ? 1 : 0),
    );
}

/** True when the newest two versions share a `created` second, so the list alone cannot say which is current. */
export function newestIsAmbiguous(sorted: readonly VersionAttributes[]): boolean {
  const [first, second] = sorted;
  return (
    first !== undefined && second !== undefined && (first.createdOnSec ?? 0) === (second.createdOnSec ?? 0)
  );
}

/** Moves `currentVersion` to the front (when present), keeping the rest in order. */
export function withCurrentFirst(
  sorted: readonly VersionAttributes[],
  currentVersion: string,
): VersionAttributes[] {
  const current = sorted.find((v) => v.version === currentVersion);
  return current ? [current, ...sorted.filter((v) => v !== current)] : [...sorted];
}

/**
 * The versions an `objectVersionHistory` request returns: `count` newest, or — with a pinned `objectVersion` —
 * that version and the `count - 1` older ones. Empty when the pinned version is not among the enabled ones.
 */
export function selectHistory(
  sorted: readonly VersionAttributes[],
  count: number,
  pinnedVersion?: string,
): VersionAttributes[] {
  const start = pinnedVersion ? sorted.findIndex((v) => v.version === pinnedVersion) : 0;
  if (start < 0) return [];
  return sorted.slice(start, start + Math.max(1, count));
}

/**
 * Is one vault-wide listing cheaper than confirming objects one by one? `knownObjects` objects of this vault
 * and type have a known current version and would each cost one GET; the listing costs the pages it took last
 * time (1 when never listed). Strictly fewer requests, or no listing.
 */
export function listingIsCheaper(knownObjects: number, lastListingPages: number | undefined): boolean {
  return knownObjects > Math.max(1, lastListingPages ?? 1);
}

/** Pages a listing of `objects` items needs. */
export function pagesFor(objects: number): number {
  return Math.max(1, Math.ceil(objects / LIST_PAGE_SIZE));
}
