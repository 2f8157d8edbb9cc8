/**
 * Prometheus metrics of the vault layer, registered on the runtime-wide registry the reconciler passes in.
 * Labels carry vault names, object names/types, operations and outcomes — never a value or a token.
 */
import { Counter, Gauge, Histogram } from "prom-client";
import type { Registry } from "prom-client";

/** Operations counted in `keyvault_requests_total{operation}`. */
export const VaultOperation = {
  get: "get",
  listVersions: "list_versions",
  listObjects: "list_objects",
} as const;
/** One of {@link VaultOperation}. */
export type VaultOperation = (typeof VaultOperation)[keyof typeof VaultOperation];

/** Outcomes counted in `keyvault_requests_total{outcome}`: "success" or a ProviderErrorKind. */
export const OUTCOME_SUCCESS = "success";

/** Metric names (documented in docs/vault-layer.md). */
export const VaultMetricName = {
  request: "keyvault_request",
  requestsTotal: "keyvault_requests_total",
  throttledTotal: "keyvault_throttled_total",
  circuitState: "keyvault_circuit_state",
  budgetTokens: "keyvault_budget_tokens",
  cacheHitsTotal: "keyvault_cache_hits_total",
  cacheMissesTotal: "keyvault_cache_misses_total",
  coalescedTotal: "keyvault_coalesced_requests_total",
  tokenRefreshesTotal: "keyvault_token_refreshes_total",
} as const;

/** Outcomes of `keyvault_token_refreshes_total`. */
export const TokenRefreshOutcome = {
  /** A refused token was discarded and the request sent once more with a fresh exchange. */
  refreshed: "refreshed",
  /** A fresh token was refused too: the identity is paused for this vault (1, 2, 4, 8, 16 s). */
  paused: "paused",
} as const;

/** Owns the vault layer's metric instruments on a given registry. */
export class VaultMetrics {
  /** Duration of each Key Vault request (seconds); labels as the upstream provider's `keyvault_request`. */
  readonly request: Histogram<"object_name" | "object_type" | "error">;
  /** Every request sent to Key Vault, by vault, operation and outcome (budget/breaker refusals included). */
  readonly requestsTotal: Counter<"vault" | "operation" | "outcome">;
  /** 429 answers from Key Vault. */
  readonly throttledTotal: Counter<"vault">;
  /** Circuit state per vault: 0 closed, 1 half-open, 2 open. */
  readonly circuitState: Gauge<"vault">;
  /** Tokens left in the vault's request budget (negative = requests queued). */
  readonly budgetTokens: Gauge<"vault">;
  /** Object requests answered without a vault request. */
  readonly cacheHitsTotal: Counter<"vault">;
  /** Object requests that needed a vault request. */
  readonly cacheMissesTotal: Counter<"vault">;
  /** Object requests that joined an identical request already in flight or in the same call. */
  readonly coalescedTotal: Counter<"vault">;
  /** Refused tokens: discarded and retried (`refreshed`), or refused again (`paused`). */
  readonly tokenRefreshesTotal: Counter<"vault" | "outcome">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.request = new Histogram({
      name: VaultMetricName.request,
      help: "Duration of Key Vault requests in seconds.",
      labelNames: ["object_name", "object_type", "error"],
      buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 3, 5, 10, 20, 30],
      registers,
    });
    this.requestsTotal = new Counter({
      name: VaultMetricName.requestsTotal,
      help: "Key Vault requests by vault, operation and outcome (success or error kind).",
      labelNames: ["vault", "operation", "outcome"],
      registers,
    });
    this.throttledTotal = new Counter({
      name: VaultMetricName.throttledTotal,
      help: "Key Vault answers with HTTP 429 (throttled).",
      labelNames: ["vault"],
      registers,
    });
    this.circuitState = new Gauge({
      name: VaultMetricName.circuitState,
      help: "Circuit breaker state per vault: 0 closed, 1 half-open, 2 open.",
      labelNames: ["vault"],
      registers,
    });
    this.budgetTokens = new Gauge({
      name: VaultMetricName.budgetTokens,
      help: "Tokens left in the per-vault request budget (negative: requests waiting).",
      labelNames: ["vault"],
      registers,
    });
    this.cacheHitsTotal = new Counter({
      name: VaultMetricName.cacheHitsTotal,
      help: "Object requests answered from the version-aware cache without a Key Vault request.",
      labelNames: ["vault"],
      registers,
    });
    this.cacheMissesTotal = new Counter({
      name: VaultMetricName.cacheMissesTotal,
      help: "Object requests that needed a Key Vault request.",
      labelNames: ["vault"],
      registers,
    });
    this.coalescedTotal = new Counter({
      name: VaultMetricName.coalescedTotal,
      help: "Object requests merged into an identical request (same call or already in flight).",
      labelNames: ["vault"],
      registers,
    });
    this.tokenRefreshesTotal = new Counter({
      name: VaultMetricName.tokenRefreshesTotal,
      help: "Refused tokens by outcome: refreshed (new exchange, sent again) or paused (refused again).",
      labelNames: ["vault", "outcome"],
      registers,
    });
  }
}
