/**
 * The {@link ObjectFetcher} the reconciler uses. It spends as few Key Vault requests as is provably correct:
 *
 * - Identical requests (same object, version selector and identity) are answered by one vault request, both
 *   within one `fetch` call and across concurrent calls.
 * - Versions are immutable, so content is cached by (vault, type, object, version id).
 * - "Which version is current" is re-learned at most every `maxObservationAgeMs`; when several known objects
 *   of one vault are due, one vault-wide property listing (25 per page) confirms them all, using the proof in
 *   `listingProvesUnchanged` (resolution.ts); anything not proven is read with a GET.
 * - Identity rule: content is served from the cache only to an identity that itself read that object
 *   successfully within `authorizationTtlMs`; otherwise that identity GETs it (which re-checks its access).
 * - Every vault request goes through the {@link VaultGuard} (budget, breaker, throttle gate, retries, and a
 *   fresh token exchange when the vault or the token endpoint refuses an identity's token).
 * - `force` skips the observation/listing/content caches, never the guard.
 */
import type { Clock } from "./clock.ts";
import { ProviderError, mapProviderError } from "./errors.ts";
import { ProviderMessage } from "./messages.ts";
import { LruCache } from "./lru.ts";
import { VaultOperation } from "./metrics.ts";
import type { VaultMetrics } from "./metrics.ts";
import { identityKey, objectKey } from "./provider.ts";
import type { ObjectVersionRecord, VaultObjectRef, VaultProvider, VersionAttributes } from "./provider.ts";
import { refOf, requestKey, selectorOf, toFetched, validateRequest, valueKey } from "./request-keys.ts";
import { newestIsAmbiguous, selectHistory, sortVersionsNewestFirst, withCurrentFirst } from "./resolution.ts";
import { ListingConfirmer } from "./listing-confirmer.ts";
import type { TrackedObject } from "./listing-confirmer.ts";
import { ProviderErrorKind } from "./types.ts";
import type { FetchResult, FetchedVersion, ObjectFetcher, ObjectRequest, RequestIdentity } from "./types.ts";
import type { VaultGuard, VaultRequestStats } from "./vault-guard.ts";

/** Options of {@link CachingObjectFetcher}. */
export interface CachingObjectFetcherOptions {
  /** The narrow Key Vault interface. */
  provider: VaultProvider;
  /** Budget / breaker / retries per vault. */
  guard: VaultGuard;
  /** Time source. */
  clock: Clock;
  /** Metric instruments; default none. */
  metrics?: VaultMetrics;
  /**
   * How long an observation of "version X is current" is reused without asking the vault. Adds at most this
   * much to the worst-case rotation delay (poll + jitter + this). Default 1,000 ms.
   */
  maxObservationAgeMs?: number;
  /** How long one identity's successful read of an object lets it be served cached content. Default 600,000 ms. */
  authorizationTtlMs?: number;
  /** Clock difference tolerated between the vault's front ends in the listing proof. Default 1 s. */
  vaultClockSkewToleranceSec?: number;
  /** Use vault-wide property listings for change detection when cheaper. Default true. */
  useVaultListing?: boolean;
  /** After a listing fails (e.g. 403 for an identity scoped to single secrets), wait this long before listing that vault again. Default 300,000 ms. */
  listingRetryAfterMs?: number;
  /** Bytes of cached content kept (LRU). Default 32 MiB. */
  valueCacheMaxBytes?: number;
  /** Objects whose version state is tracked (LRU). Default 50,000. */
  maxTrackedObjects?: number;
}

/** Counts for the benchmark and diagnostics. */
export interface FetcherStats extends VaultRequestStats {
  /** Object requests received (after validation). */
  objectRequests: number;
  /** Object requests answered without a vault request. */
  cacheHits: number;
  /** Object requests that needed at least one vault request. */
  cacheMisses: number;
  /** Object requests merged into an identical one (same call or in flight). */
  coalesced: number;
  /** Vault-wide listings performed. */
  listings: number;
}

/** Per-request context. */
interface Ctx {
  identity: RequestIdentity;
  force: boolean;
  /** Set when this request started or joined vault work (a miss for the cache metrics). */
  vaultWork: boolean;
}

type ObjectState = TrackedObject;

/** See module doc. */
export class CachingObjectFetcher implements ObjectFetcher {
  private readonly provider: VaultProvider;
  private readonly guard: VaultGuard;
  private readonly clock: Clock;
  private readonly metrics: VaultMetrics | undefined;
  private readonly maxObservationAgeMs: number;
  private readonly authorizationTtlMs: number;
  private readonly skewSec: number;
  private readonly listing: ListingConfirmer;
  private readonly objects: LruCache<string, ObjectState>;
  private readonly values: LruCache<string, ObjectVersionRecord>;
  private readonly authorizations: LruCache<string, number>;
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly inFlightRequests = new Map<string, Promise<FetchResult>>();
  private readonly counts = { objectRequests: 0, cacheHits: 0, cacheMisses: 0, coalesced: 0 };

  constructor(options: CachingObjectFetcherOptions) {
    this.provider = options.provider;
    this.guard = options.guard;
    this.clock = options.clock;
    this.metrics = options.metrics;
    this.maxObservationAgeMs = options.maxObservationAgeMs ?? 1000;
    this.authorizationTtlMs = options.authorizationTtlMs ?? 600_000;
    this.skewSec = options.vaultClockSkewToleranceSec ?? 1;
    const listingRetryAfterMs = options.listingRetryAfterMs ?? 300_000;
    for (const [name, value] of Object.entries({
      maxObservationAgeMs: this.maxObservationAgeMs,
      authorizationTtlMs: this.authorizationTtlMs,
      vaultClockSkewToleranceSec: this.skewSec,
      listingRetryAfterMs,
    })) {
      if (!(Number.isFinite(value) && value >= 0)) throw new Error(`${name} must be a number >= 0`);
    }
    const maxObjects = options.maxTrackedObjects ?? 50_000;
    this.objects = new LruCache(maxObjects);
    this.values = new LruCache(
      maxObjects * 4,
      options.valueCacheMaxBytes ?? 32 * 1024 * 1024,
      (r) => r.value.length + 256,
    );
    this.authorizations = new LruCache(maxObjects * 4);
    this.listing = new ListingConfirmer({
      provider: this.provider,
      guard: this.guard,
      clock: this.clock,
      lookup: (key) => this.objects.peek(key),
      enabled: options.useVaultListing ?? true,
      maxObservationAgeMs: this.maxObservationAgeMs,
      skewToleranceSec: this.skewSec,
      retryAfterFailureMs: listingRetryAfterMs,
    });
  }

  /** Request counts so far (client side). */
  stats(): FetcherStats {
    return { ...this.guard.stats(), ...this.counts, listings: this.listing.listingsRun };
  }

  async fetch(requests: readonly ObjectRequest[], options?: { force?: boolean }): Promise<FetchResult[]> {
    const force = options?.force ?? false;
    const pending: Array<Promise<FetchResult>> = [];
    const inCall = new Map<string, Promise<FetchResult>>();
    for (const request of requests) {
      const invalid = validateRequest(request);
      if (invalid) {
        pending.push(Promise.resolve({ ok: false, error: invalid }));
        continue;
      }
      this.counts.objectRequests++;
      const key = `${requestKey(request)}\u0000${force ? "force" : ""}`;
      let result = inCall.get(key) ?? this.inFlightRequests.get(key);
      if (result) {
        this.counts.coalesced++;
        this.metrics?.coalescedTotal.inc({ vault: request.vaultName });
      } else {
        result = this.resolve(request, force);
        this.inFlightRequests.set(key, result);
        void result.finally(() => this.inFlightRequests.delete(key));
      }
      inCall.set(key, result);
      pending.push(result);
    }
    return Promise.all(pending);
  }

  private async resolve(request: ObjectRequest, force: boolean): Promise<FetchResult> {
    const ref = refOf(request);
    const ctx: Ctx = { identity: request.identity, force, vaultWork: false };
    try {
      const selector = selectorOf(request);
      let versions: FetchedVersion[];
      if (selector.kind === "latest") versions = [toFetched(await this.latest(ref, ctx), 0)];
      else if (selector.kind === "pinned")
        versions = [toFetched(await this.version(ref, ctx, selector.version), 0)];
      else versions = await this.history(ref, ctx, selector.count, selector.pinnedVersion);
      return { ok: true, versions };
    } catch (error) {
      return {
        ok: false,
        error: mapProviderError(
          error,
          { ...ref, ...(request.objectVersion ? { version: request.objectVersion } : {}) },
          this.clock.nowMs(),
        ),
      };
    } finally {
      if (ctx.vaultWork) {
        this.counts.cacheMisses++;
        this.metrics?.cacheMissesTotal.inc({ vault: ref.vaultName });
      } else {
        this.counts.cacheHits++;
        this.metrics?.cacheHitsTotal.inc({ vault: ref.vaultName });
      }
    }
  }

  private state(ref: VaultObjectRef): ObjectState {
    const key = objectKey(ref);
    let state = this.objects.get(key);
    if (!state) {
      state = { ref };
      this.objects.set(key, state);
    }
    return state;
  }

  private fresh(observedAtMs: number | undefined): boolean {
    return observedAtMs !== undefined && this.clock.nowMs() - observedAtMs <= this.maxObservationAgeMs;
  }

  private authorized(identity: RequestIdentity, ref: VaultObjectRef): boolean {
    const at = this.authorizations.get(`${identityKey(identity)}\u0000${objectKey(ref)}`);
    return at !== undefined && this.clock.nowMs() - at <= this.authorizationTtlMs;
  }

  private setAuthorized(identity: RequestIdentity, ref: VaultObjectRef, ok: boolean): void {
    const key = `${identityKey(identity)}\u0000${objectKey(ref)}`;
    if (ok) this.authorizations.set(key, this.clock.nowMs());
    else this.authorizations.delete(key);
  }

  /** Runs `work` once per key while it is in flight. */
  private once<T>(key: string, work: () => Promise<T>): Promise<T> {
    const existing = this.inFlight.get(key);
    if (existing) return existing as Promise<T>;
    const promise = work().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return promise;
  }

  private forget(ref: VaultObjectRef, state: ObjectState): void {
    state.current = undefined;
    state.history = undefined;
    this.listing.forget(ref);
  }

  /** One GET as `identity` (latest when `version` is undefined), recorded in all caches. */
  private get(ref: VaultObjectRef, ctx: Ctx, version: string | undefined): Promise<ObjectVersionRecord> {
    ctx.vaultWork = true;
    const identity = ctx.identity;
    const key = `get\u0000${objectKey(ref)}\u0000${version ?? ""}\u0000${identityKey(identity)}`;
    return this.once(key, async () => {
      const state = this.state(ref);
      const startedMs = this.clock.nowMs();
      const label = { ...ref, ...(version ? { version } : {}), operation: VaultOperation.get };
      let record: ObjectVersionRecord;
      try {
        record = await this.guard.withRetries(() =>
          this.guard.authenticated(ref.vaultName, identity, () =>
            this.guard.request(label, () => this.provider.getObject(ref, identity, version)),
          ),
        );
      } catch (error) {
        const kind = error instanceof ProviderError ? error.info.kind : undefined;
        if (kind === ProviderErrorKind.accessDenied) this.setAuthorized(identity, ref, false);
        if (kind === ProviderErrorKind.notFound && version === undefined) this.forget(ref, state);
        throw error;
      }
      this.values.set(valueKey(ref, record.version), record);
      this.setAuthorized(identity, ref, true);
      if (version === undefined) {
        state.current = {
          version: record.version,
          ...(record.createdOnSec !== undefined ? { createdOnSec: record.createdOnSec } : {}),
          ...(record.updatedOnSec !== undefined ? { updatedOnSec: record.updatedOnSec } : {}),
          ...(record.sentAfterServerSec !== undefined ? { anchorSec: record.sentAfterServerSec } : {}),
          observedAtMs: startedMs,
        };
        this.listing.noteKnown(ref);
      }
      return record;
    });
  }

  private cachedFor(
    ref: VaultObjectRef,
    identity: RequestIdentity,
    version: string,
  ): ObjectVersionRecord | undefined {
    if (!this.authorized(identity, ref)) return undefined;
    return this.values.get(valueKey(ref, version));
  }

  private async latest(ref: VaultObjectRef, ctx: Ctx): Promise<ObjectVersionRecord> {
    if (ctx.force) return this.get(ref, ctx, undefined);
    const state = this.state(ref);
    let listedAtMs: number | undefined;
    if (state.current && !this.fresh(state.current.observedAtMs)) {
      listedAtMs = await this.listing.confirm(ref, ctx.identity);
      if (listedAtMs !== undefined) ctx.vaultWork = true;
    }
    const current = state.current;
    // A listing this request waited for answers it, however short maxObservationAgeMs is.
    if (
      current &&
      (this.fresh(current.observedAtMs) || (listedAtMs !== undefined && current.observedAtMs >= listedAtMs))
    ) {
      const cached = this.cachedFor(ref, ctx.identity, current.version);
      if (cached) return cached;
    }
    return this.get(ref, ctx, undefined);
  }

  private async version(ref: VaultObjectRef, ctx: Ctx, version: string): Promise<ObjectVersionRecord> {
    if (!ctx.force) {
      const cached = this.cachedFor(ref, ctx.identity, version);
      if (cached) return cached;
    }
    return this.get(ref, ctx, version);
  }

  private async history(
    ref: VaultObjectRef,
    ctx: Ctx,
    count: number,
    pinnedVersion: string | undefined,
  ): Promise<FetchedVersion[]> {
    const state = this.state(ref);
    let sorted: VersionAttributes[];
    if (!ctx.force && state.history && this.fresh(state.history.observedAtMs)) {
      sorted = state.history.versions;
    } else {
      ctx.vaultWork = true;
      sorted = sortVersionsNewestFirst(await this.listVersions(ref, ctx.identity));
      if (!pinnedVersion && newestIsAmbiguous(sorted)) {
        // Two versions created in the same second: only the vault can say which one is current.
        sorted = withCurrentFirst(sorted, (await this.get(ref, ctx, undefined)).version);
      }
      state.history = { versions: sorted, observedAtMs: this.clock.nowMs() };
    }
    const selected = selectHistory(sorted, count, pinnedVersion);
    if (selected.length === 0) {
      throw new ProviderError({
        kind: ProviderErrorKind.notFound,
        message: ProviderMessage.noVersions({ ...ref, ...(pinnedVersion ? { version: pinnedVersion } : {}) }),
      });
    }
    const result: FetchedVersion[] = [];
    // Sequential: the first GET (re)establishes this identity's access, later ones may then hit the cache.
    for (const [index, v] of selected.entries()) {
      result.push(toFetched(await this.version(ref, ctx, v.version), index));
    }
    return result;
  }

  private listVersions(ref: VaultObjectRef, identity: RequestIdentity): Promise<VersionAttributes[]> {
    return this.once(`versions\u0000${objectKey(ref)}\u0000${identityKey(identity)}`, async () => {
      const label = { ...ref, operation: VaultOperation.listVersions };
      return this.guard.withRetries(() =>
        this.guard.authenticated(ref.vaultName, identity, async () => {
          const cursor = this.provider.listVersions(ref, identity);
          const all: VersionAttributes[] = [];
          for (;;) {
            const page = await this.guard.request(label, () => cursor.nextPage());
            all.push(...page.items);
            if (page.done) return all;
          }
        }),
      );
    });
  }
}
