/**
 * Builds the real vault layer (sync-runtime/vault `createVaultLayer`) for the runtime: Azure SDK provider with
 * per-identity ClientAssertionCredentials fed by TokenRequest, per-vault guard (budget, breaker, backoff) and
 * the caching fetcher, all reporting on the runtime's registry.
 */
import { createVaultLayer } from "./vault/index.ts";
import type { VaultLayer, VaultLayerOptions } from "./vault/index.ts";

/** Options of {@link createVaultFetcher}: the vault layer's, with a request rate instead of a bucket. */
export interface VaultWiringOptions extends VaultLayerOptions {
  /** Vault reads per 10 s per vault for this runtime. Default 200 (the vault layer's default budget). */
  vaultRequestsPer10s?: number;
}

/** The wired vault layer (`fetcher` for the reconciler, `stats()` for the bench). */
export function createVaultFetcher(options: VaultWiringOptions): VaultLayer {
  const { vaultRequestsPer10s, ...layer } = options;
  const perSecond = (vaultRequestsPer10s ?? 200) / 10;
  return createVaultLayer({
    ...(layer.authorityHost ? { disableInstanceDiscovery: true } : {}),
    ...layer,
    budget: { refillPerSecond: perSecond, burst: Math.max(10, Math.round(perSecond * 2.5)), ...layer.budget },
  });
}
