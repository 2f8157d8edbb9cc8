/**
 * The ServiceAccount token source: TokenRequest for the SecretSync's own ServiceAccount, audience
 * api://AzureADTokenExchange, short-lived, cached until half its lifetime has passed. The vault layer uses
 * the token as the client assertion of the identity exchange, so no cluster-wide vault credential exists. After a
 * refused token the vault layer asks for a fresh one (`{ fresh: true }`), which drops the cached one first.
 */
import { TOKEN_EXCHANGE_AUDIENCE } from "./constants.ts";
import type {
  RequestIdentity,
  ServiceAccountTokenOptions,
  ServiceAccountTokenSource,
} from "./vault/types.ts";

/** The one Kubernetes call the token source makes (KubeClient implements it). */
export interface TokenRequester {
  requestServiceAccountToken(
    namespace: string,
    serviceAccountName: string,
    expirationSeconds: number,
    audience?: string,
  ): Promise<string>;
}

/** Options of {@link createTokenSource}. */
export interface TokenSourceOptions {
  /** Token lifetime asked for, seconds (Kubernetes minimum 600). Default 600. */
  expirationSeconds?: number;
  /** Clock in ms. Default Date.now. */
  nowMs?: () => number;
}

/** Creates the token source (one cache per process, keyed by namespace/ServiceAccount). */
export function createTokenSource(
  kube: TokenRequester,
  options: TokenSourceOptions = {},
): ServiceAccountTokenSource {
  const expirationSeconds = options.expirationSeconds ?? 600;
  const nowMs = options.nowMs ?? Date.now;
  const cache = new Map<string, { token: string; refreshAtMs: number }>();
  const pending = new Map<string, Promise<string>>();
  return async (identity: RequestIdentity, tokenOptions?: ServiceAccountTokenOptions) => {
    const key = `${identity.namespace}/${identity.serviceAccountName}`;
    // A fresh token is wanted because the cached one (or its exchange) was refused: never hand it out again.
    if (tokenOptions?.fresh) cache.delete(key);
    const cached = cache.get(key);
    if (cached && cached.refreshAtMs > nowMs()) return cached.token;
    // Every TokenRequest mints a new token, so one in flight is fresh enough for a `fresh` caller too.
    const inFlight = pending.get(key);
    if (inFlight) return inFlight;
    const request = kube
      .requestServiceAccountToken(
        identity.namespace,
        identity.serviceAccountName,
        expirationSeconds,
        TOKEN_EXCHANGE_AUDIENCE,
      )
      .then((token) => {
        cache.set(key, { token, refreshAtMs: nowMs() + (expirationSeconds * 1000) / 2 });
        if (cache.size > 4096) cache.delete(cache.keys().next().value!);
        return token;
      })
      .finally(() => pending.delete(key));
    pending.set(key, request);
    return request;
  };
}
