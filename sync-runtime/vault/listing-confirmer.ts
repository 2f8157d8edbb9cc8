/**
 * Change detection by vault-wide property listing: when several objects of one vault and type have a known
 * current version that is due for re-checking, one listing (25 objects per page, stopping as soon as every
 * wanted object was seen) confirms them all at once using {@link listingProvesUnchanged}. Objects it cannot
 * prove are marked for a GET. A failed listing is never an error for anyone: the fetcher falls back to GETs.
 */
import type { Clock } from "./clock.ts";
import { VaultOperation } from "./metrics.ts";
import { objectKey } from "./provider.ts";
import type { ListedObject, VaultObjectRef, VaultProvider, VersionAttributes } from "./provider.ts";
import { listingIsCheaper, listingProvesUnchanged } from "./resolution.ts";
import type { KnownCurrent } from "./resolution.ts";
import type { ObjectType, RequestIdentity } from "./types.ts";
import type { VaultGuard } from "./vault-guard.ts";

/** What the fetcher tracks per object (shared with the confirmer). */
export interface TrackedObject {
  ref: VaultObjectRef;
  current?: KnownCurrent;
  history?: { versions: VersionAttributes[]; observedAtMs: number };
}

/** Options of {@link ListingConfirmer}. */
export interface ListingConfirmerOptions {
  provider: VaultProvider;
  guard: VaultGuard;
  clock: Clock;
  /** Reads a tracked object by {@link objectKey} without changing its recency. */
  lookup: (key: string) => TrackedObject | undefined;
  /** Whether listings are used at all. */
  enabled: boolean;
  /** Reuse window of a completed listing (ms). */
  maxObservationAgeMs: number;
  /** Skew tolerance of the proof (s). */
  skewToleranceSec: number;
  /** Pause after a failed listing (ms). */
  retryAfterFailureMs: number;
}

interface ListingState {
  lastPages?: number;
  completedAtMs?: number;
  failedAtMs?: number;
  inFlight?: Promise<void>;
  inFlightStartedMs?: number;
  /** Object keys of this vault and type that have a known current version. */
  known: Set<string>;
}

/** See module doc. */
export class ListingConfirmer {
  private readonly options: ListingConfirmerOptions;
  private readonly listings = new Map<string, ListingState>();
  /** Listings started. */
  listingsRun = 0;

  constructor(options: ListingConfirmerOptions) {
    this.options = options;
  }

  private state(vaultName: string, objectType: ObjectType): ListingState {
    const key = `${vaultName.toLowerCase()}\u0000${objectType}`;
    let state = this.listings.get(key);
    if (!state) {
      state = { known: new Set() };
      this.listings.set(key, state);
    }
    return state;
  }

  /** Records that `ref` now has a known current version (a listing candidate). */
  noteKnown(ref: VaultObjectRef): void {
    this.state(ref.vaultName, ref.objectType).known.add(objectKey(ref));
  }

  /** Drops `ref` from the candidates (e.g. it was deleted). */
  forget(ref: VaultObjectRef): void {
    this.state(ref.vaultName, ref.objectType).known.delete(objectKey(ref));
  }

  private fresh(atMs: number | undefined): boolean {
    return atMs !== undefined && this.options.clock.nowMs() - atMs <= this.options.maxObservationAgeMs;
  }

  /**
   * Confirms stale known objects of `ref`'s vault with one listing when that is cheaper (or joins the one in
   * flight). Never throws.
   * @returns the start time (ms) of the listing this call waited for — objects it proved carry exactly that
   *   `observedAtMs` — or undefined when no listing was awaited.
   */
  async confirm(ref: VaultObjectRef, identity: RequestIdentity): Promise<number | undefined> {
    if (!this.options.enabled) return undefined;
    const listing = this.state(ref.vaultName, ref.objectType);
    if (!listing.inFlight) {
      const now = this.options.clock.nowMs();
      if (listing.failedAtMs !== undefined && now - listing.failedAtMs < this.options.retryAfterFailureMs) {
        return undefined;
      }
      if (this.fresh(listing.completedAtMs)) return undefined; // a listing just ran and could not prove this one
      if (!listingIsCheaper(listing.known.size, listing.lastPages)) return undefined;
      listing.inFlightStartedMs = now;
      listing.inFlight = this.run(ref, identity, listing, now).finally(() => {
        listing.inFlight = undefined;
      });
    }
    const startedMs = listing.inFlightStartedMs;
    await listing.inFlight;
    return startedMs;
  }

  private wanted(listing: ListingState): Map<string, TrackedObject> {
    const wanted = new Map<string, TrackedObject>();
    for (const key of listing.known) {
      const tracked = this.options.lookup(key);
      if (tracked?.current) wanted.set(tracked.ref.objectName.toLowerCase(), tracked);
      else listing.known.delete(key);
    }
    return wanted;
  }

  private async run(
    ref: VaultObjectRef,
    identity: RequestIdentity,
    listing: ListingState,
    startedMs: number,
  ): Promise<void> {
    const { provider, guard, clock } = this.options;
    const wanted = this.wanted(listing);
    const seen = new Map<string, ListedObject>();
    let pages = 0;
    let complete = false;
    this.listingsRun++;
    try {
      const label = {
        vaultName: ref.vaultName,
        objectType: ref.objectType,
        operation: VaultOperation.listObjects,
      };
      // A refused token restarts the listing once with a fresh exchange (see VaultGuard.authenticated).
      await guard.authenticated(ref.vaultName, identity, async () => {
        seen.clear();
        pages = 0;
        const cursor = provider.listObjects(ref.vaultName, ref.objectType, identity);
        while (seen.size < wanted.size) {
          const page = await guard.request(label, () => cursor.nextPage());
          if (page.items.length > 0 || !page.done) pages++;
          for (const item of page.items) {
            const name = item.objectName.toLowerCase();
            if (wanted.has(name)) seen.set(name, item);
          }
          if (page.done) {
            complete = true;
            break;
          }
        }
      });
    } catch {
      // Only an optimisation: the callers fall back to GETs, which carry the precise error.
      listing.failedAtMs = clock.nowMs();
      return;
    }
    listing.lastPages = Math.max(1, pages);
    listing.completedAtMs = startedMs;
    listing.failedAtMs = undefined;
    for (const [name, tracked] of wanted) {
      const current = tracked.current;
      if (!current) continue;
      if (listingProvesUnchanged(current, seen.get(name), this.options.skewToleranceSec)) {
        current.observedAtMs = startedMs;
      } else if (complete || seen.has(name)) {
        // Changed, disabled or gone: the next request GETs it.
        tracked.current = { version: current.version, observedAtMs: Number.NEGATIVE_INFINITY };
      }
    }
  }
}
