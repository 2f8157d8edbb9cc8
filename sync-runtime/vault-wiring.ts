/**
 * Builds the real vault layer (sync-runtime/vault `createVaultLayer`) for the runtime: Azure SDK provider with
 * per-identity ClientAssertionCredentials fed by TokenRequest, per-vault guard (budget, breaker, backoff) and
 * the caching fetcher, all reporting on the runtime's registry.
 */
import { DEFAULT_CIRCUIT_BREAKER, createVaultLayer } from "./vault/index.ts";
import type { VaultLayer, VaultLayerOptions } from "./vault/index.ts";

/** Options of {@link createVaultFetcher}: the vault layer's, with a request rate instead of a bucket. */
export interface VaultWiringOptions extends VaultLayerOptions {
  /** Vault reads per 10 s per vault for this runtime. Default 200 (the vault layer's default budget). */
  vaultRequestsPer10s?: number;
  /**
   * The runtime's rotation poll interval: an open circuit probes at least once per poll (cooldown = min(30 s,
   * poll)), so syncing resumes within one poll + jitter of the vault's return. Default: no bound (30 s).
   */
  rotationPollIntervalSeconds?: number;
}

/** The wired vault layer (`fetcher` for the reconciler, `stats()` for the bench). */
export function createVaultFetcher(options: VaultWiringOptions): VaultLayer {
  const { vaultRequestsPer10s, rotationPollIntervalSeconds, ...layer } = options;
  const perSecond = (vaultRequestsPer10s ?? 200) / 10;
  const cooldownMs = Math.min(
    DEFAULT_CIRCUIT_BREAKER.cooldownMs,
    (rotationPollIntervalSeconds ?? Infinity) * 1000,
  );
  return createVaultLayer({
    ...(layer.authorityHost ? { disableInstanceDiscovery: true } : {}),
    ...layer,
    budget: { refillPerSecond: perSecond, burst: Math.max(10, Math.round(perSecond * 2.5)), ...layer.budget },
    circuitBreaker: { cooldownMs, ...layer.circuitBreaker },
  });
}
