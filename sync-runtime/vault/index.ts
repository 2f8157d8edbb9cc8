/**
 * The vault layer's public surface: {@link createVaultLayer} wires the SDK provider, the per-vault guard,
 * metrics and the caching fetcher from one options object. The reconciler depends only on `types.ts`
 * (`ObjectFetcher`) and this factory.
 */
import type { Registry } from "prom-client";
import { AzureVaultProvider } from "./azure-provider.ts";
import type { BackoffOptions } from "./backoff.ts";
import type { CircuitBreakerOptions, CircuitState } from "./circuit-breaker.ts";
import { systemClock } from "../clock.ts";
import type { Clock } from "../clock.ts";
import { CachingObjectFetcher } from "./fetcher.ts";
import type { CachingObjectFetcherOptions, FetcherStats } from "./fetcher.ts";
import { VaultMetrics } from "./metrics.ts";
import type { VaultProvider } from "./provider.ts";
import type { TokenBucketOptions } from "./token-bucket.ts";
import type { ServiceAccountTokenSource } from "./types.ts";
import { VaultGuard } from "./vault-guard.ts";

export * from "./types.ts";
export { CachingObjectFetcher } from "./fetcher.ts";
export type { CachingObjectFetcherOptions, FetcherStats } from "./fetcher.ts";
export { AzureVaultProvider } from "./azure-provider.ts";
export {
  VaultClientFactory,
  DEFAULT_VAULT_URL_TEMPLATE,
  KEY_VAULT_SERVICE_VERSION,
  isHostWithoutDomain,
  vaultUrlFor,
} from "./client-factory.ts";
export { VaultGuard } from "./vault-guard.ts";
export type { VaultRequestStats } from "./vault-guard.ts";
export { VaultMetrics, VaultMetricName, VaultOperation } from "./metrics.ts";
export { CircuitState } from "./circuit-breaker.ts";
export { DEFAULT_BUDGET } from "./token-bucket.ts";
export { DEFAULT_CIRCUIT_BREAKER } from "./circuit-breaker.ts";
export { DEFAULT_BACKOFF } from "./backoff.ts";
export { ProviderError } from "./errors.ts";
export type { VaultProvider } from "./provider.ts";

/** Everything the runtime configures about Key Vault access. Only `tokenSource` is required. */
export interface VaultLayerOptions extends Pick<
  CachingObjectFetcherOptions,
  | "maxObservationAgeMs"
  | "authorizationTtlMs"
  | "vaultClockSkewToleranceSec"
  | "useVaultListing"
  | "listingRetryAfterMs"
  | "valueCacheMaxBytes"
  | "maxTrackedObjects"
> {
  /** Supplies each identity's ServiceAccount token (TokenRequest, audience api://AzureADTokenExchange). */
  tokenSource: ServiceAccountTokenSource;
  /** Runtime-wide Prometheus registry; default: no metrics. */
  registry?: Registry;
  /** Time source; default the system clock. */
  clock?: Clock;
  /** Entra ID authority host; default @azure/identity's (https://login.microsoftonline.com). */
  authorityHost?: string;
  /** Skip instance discovery (non-Microsoft authorities); default false. */
  disableInstanceDiscovery?: boolean;
  /** Vault URL rule with `{name}`; default `https://{name}.vault.azure.net`. */
  vaultUrlTemplate?: string;
  /** Explicit https URL per vault name (one vault per port, e.g. the local emulator); default none. */
  vaultUrls?: Readonly<Record<string, string>>;
  /** Extra PEM CA(s) to trust for vault and authority; default none. */
  caBundlePem?: string;
  /** Per-vault budget; default 20 requests/s (200 / 10 s), burst 50, wait ≤ 30 s. */
  budget?: Partial<TokenBucketOptions>;
  /** Per-vault circuit breaker; default open after 5 consecutive failures, probe after 30 s. */
  circuitBreaker?: Partial<CircuitBreakerOptions>;
  /** Backoff without Retry-After; default base 1,000 ms (1, 2, 4, 8, 16 s), Retry-After capped at 60 s. */
  backoff?: Partial<BackoffOptions>;
  /** Retries after throttled/unavailable answers; default 5. */
  maxRetries?: number;
  /** Replace the SDK provider (tests); default {@link AzureVaultProvider}. */
  provider?: VaultProvider;
}

/** The wired vault layer. */
export interface VaultLayer {
  /** Give this to the reconciler. */
  fetcher: CachingObjectFetcher;
  provider: VaultProvider;
  guard: VaultGuard;
  /** Breaker state of a vault (for readiness and diagnostics). */
  circuitState(vaultName: string): CircuitState;
  /** Client-side request counts (for the benchmark). */
  stats(): FetcherStats;
}

/** Builds the vault layer from options (see {@link VaultLayerOptions} for every default). */
export function createVaultLayer(options: VaultLayerOptions): VaultLayer {
  const clock = options.clock ?? systemClock;
  const metrics = options.registry ? new VaultMetrics(options.registry) : undefined;
  const provider =
    options.provider ??
    new AzureVaultProvider({
      clock,
      tokenSource: options.tokenSource,
      authorityHost: options.authorityHost,
      disableInstanceDiscovery: options.disableInstanceDiscovery,
      vaultUrlTemplate: options.vaultUrlTemplate,
      caBundlePem: options.caBundlePem,
      vaultUrls: options.vaultUrls,
    });
  const guard = new VaultGuard({
    clock,
    metrics,
    budget: options.budget,
    circuitBreaker: options.circuitBreaker,
    backoff: options.backoff,
    maxRetries: options.maxRetries,
    vaultUrl: provider.vaultUrl ? (name: string) => provider.vaultUrl?.(name) : undefined,
    discardCredentials: (identity) => provider.discardCredentials?.(identity),
  });
  const fetcher = new CachingObjectFetcher({
    provider,
    guard,
    clock,
    metrics,
    ...pickDefined(options, [
      "maxObservationAgeMs",
      "authorizationTtlMs",
      "vaultClockSkewToleranceSec",
      "useVaultListing",
      "listingRetryAfterMs",
      "valueCacheMaxBytes",
      "maxTrackedObjects",
    ]),
  });
  return {
    fetcher,
    provider,
    guard,
    circuitState: (vault) => guard.circuitState(vault),
    stats: () => fetcher.stats(),
  };
}

function pickDefined<T extends object, K extends keyof T>(
  source: T,
  keys: readonly K[],
): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

/** Difference of two stats snapshots (e.g. around one refresh), for the benchmark. */
export function statsDelta(before: FetcherStats, after: FetcherStats): FetcherStats {
  const sub = (a: Record<string, number>, b: Record<string, number>): Record<string, number> =>
    Object.fromEntries(Object.keys(b).map((k) => [k, (b[k] ?? 0) - (a[k] ?? 0)]));
  return {
    requestsSent: after.requestsSent - before.requestsSent,
    byOperation: sub(before.byOperation, after.byOperation),
    byOutcome: sub(before.byOutcome, after.byOutcome),
    throttled: after.throttled - before.throttled,
    refusedByBudget: after.refusedByBudget - before.refusedByBudget,
    refusedByCircuit: after.refusedByCircuit - before.refusedByCircuit,
    refusedByThrottleGate: after.refusedByThrottleGate - before.refusedByThrottleGate,
    refusedByIdentityPause: after.refusedByIdentityPause - before.refusedByIdentityPause,
    tokenRefreshes: after.tokenRefreshes - before.tokenRefreshes,
    objectRequests: after.objectRequests - before.objectRequests,
    cacheHits: after.cacheHits - before.cacheHits,
    cacheMisses: after.cacheMisses - before.cacheMisses,
    coalesced: after.coalesced - before.coalesced,
    listings: after.listings - before.listings,
  };
}
