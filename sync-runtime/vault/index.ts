/**
 * The vault layer's public surface: {@link createVaultLayer} wires the SDK provider, the per-vault guard,
 * metrics and the caching fetcher from one options object. The reconciler depends only on `types.ts`
 * (`ObjectFetcher`) and this factory.
 */
import type { Registry } from "prom-client";
import { DEFAULT_VAULT_REQUESTS_PER_10S } from "../../common/vocabulary.ts";
import { AzureVaultProvider } from "./azure-provider.ts";
import type { BackoffOptions } from "./backoff.ts";
import { DEFAULT_CIRCUIT_BREAKER } from "./circuit-breaker.ts";
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
  /** Skip instance discovery (non-Microsoft authorities); default: true when `authorityHost` is set. */
  disableInstanceDiscovery?: boolean;
  /** Vault URL rule with `{name}`; default `https://{name}.vault.azure.net`. */
  vaultUrlTemplate?: string;
  /** Explicit https URL per vault name (one vault per port, e.g. the local emulator); default none. */
  vaultUrls?: Readonly<Record<string, string>>;
  /** Extra PEM CA(s) to trust for vault and authority; default none. */
  caBundlePem?: string;
  /**
   * Vault reads per 10 s per vault for this runtime: the budget refills at a tenth of it per second and bursts up
   * to 2.5 s of it (at least 10). Default 200 (common/vocabulary.ts `DEFAULT_VAULT_REQUESTS_PER_10S`).
   */
  vaultRequestsPer10s?: number;
  /**
   * The runtime's rotation poll interval, seconds: an open circuit probes at least once per poll (cooldown =
   * min(30 s, poll)), so syncing resumes within one poll + jitter of the vault's return. Default: no bound (30 s).
   */
  rotationPollIntervalSeconds?: number;
  /** Per-vault budget, over what `vaultRequestsPer10s` sets; default wait ≤ 30 s. */
  budget?: Partial<TokenBucketOptions>;
  /** Per-vault circuit breaker; default open after 5 consecutive failures, probe after 30 s (or the poll). */
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
  const perSecond = (options.vaultRequestsPer10s ?? DEFAULT_VAULT_REQUESTS_PER_10S) / 10;
  const cooldownMs = Math.min(
    DEFAULT_CIRCUIT_BREAKER.cooldownMs,
    (options.rotationPollIntervalSeconds ?? Infinity) * 1000,
  );
  const metrics = options.registry ? new VaultMetrics(options.registry) : undefined;
  const provider =
    options.provider ??
    new AzureVaultProvider({
      clock,
      tokenSource: options.tokenSource,
      authorityHost: options.authorityHost,
      disableInstanceDiscovery: options.disableInstanceDiscovery ?? options.authorityHost !== undefined,
      vaultUrlTemplate: options.vaultUrlTemplate,
      caBundlePem: options.caBundlePem,
      vaultUrls: options.vaultUrls,
    });
  const guard = new VaultGuard({
    clock,
    metrics,
    budget: {
      refillPerSecond: perSecond,
      burst: Math.max(10, Math.round(perSecond * 2.5)),
      ...options.budget,
    },
    circuitBreaker: { cooldownMs, ...options.circuitBreaker },
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
    maxObservationAgeMs: options.maxObservationAgeMs,
    authorizationTtlMs: options.authorizationTtlMs,
    vaultClockSkewToleranceSec: options.vaultClockSkewToleranceSec,
    useVaultListing: options.useVaultListing,
    listingRetryAfterMs: options.listingRetryAfterMs,
    valueCacheMaxBytes: options.valueCacheMaxBytes,
    maxTrackedObjects: options.maxTrackedObjects,
  });
  return {
    fetcher,
    provider,
    guard,
    circuitState: (vault) => guard.circuitState(vault),
    stats: () => fetcher.stats(),
  };
}
