/**
 * The contract between the reconciler (sync-runtime/sync) and the vault layer (sync-runtime/vault).
 * The reconciler asks for Key Vault objects; the vault layer decides how few requests it can spend to answer
 * (coalescing, version-list change detection, per-vault budgets, backoff, circuit breaking) and answers every
 * SDK failure with a typed {@link ProviderErrorInfo} (an `{ ok: false }` result; the fetcher never throws for
 * them). Values are raw bytes; format/encoding conversion (objectFormat, objectEncoding, tls splitting) is the
 * reconciler's job.
 */
import type { ObjectType } from "../../common/vocabulary.ts";

/** Key Vault object types a SecretProviderClass may name (`objectType`), from the shared vocabulary. */
export { ObjectType } from "../../common/vocabulary.ts";

/** The workload identity a request is made as: always a ServiceAccount of the SecretSync's own namespace. */
export interface RequestIdentity {
  /** Namespace of the SecretSync (and of the ServiceAccount). */
  namespace: string;
  /** ServiceAccount whose token is exchanged (`spec.serviceAccountName`). */
  serviceAccountName: string;
  /** Entra ID tenant (SecretProviderClass `tenantID`/`tenantId`). */
  tenantId: string;
  /** Client id of the user-assigned managed identity (SecretProviderClass `clientID`). */
  clientId: string;
}

/** One object the reconciler needs, as described by a SecretProviderClass `objects` entry. */
export interface ObjectRequest {
  /** Vault name (`keyvaultName`); the vault layer maps it to a URL. */
  vaultName: string;
  /** `objectName` in the vault. */
  objectName: string;
  /** `objectType`; default secret. */
  objectType: ObjectType;
  /** Pinned `objectVersion`; absent or "" = latest. */
  objectVersion?: string;
  /** `objectVersionHistory`: how many newest versions to return (>= 1); absent = 1. */
  versionHistory?: number;
  /** Who asks. */
  identity: RequestIdentity;
}

/** One version of a fetched object. */
export interface FetchedVersion {
  /** Position in the history, 0 = newest (or the pinned version). */
  index: number;
  /** Key Vault version id. */
  version: string;
  /** Full Key Vault object id (https://<vault>/secrets/<name>/<version>). */
  id: string;
  /**
   * Raw content. secret: the secret value bytes (UTF-8 of the stored string; for a certificate-backed secret
   * the PEM bundle or base64 PFX as stored); key: the public key as PEM (SPKI); cert: the certificate as PEM.
   */
  value: Buffer;
  /** Content type the vault reports (e.g. application/x-pem-file, application/x-pkcs12), when any. */
  contentType?: string;
}

/** Why the vault layer could not answer. Each kind maps to a status reason in the reconciler. */
export const ProviderErrorKind = {
  notFound: "NotFound",
  accessDenied: "AccessDenied",
  throttled: "Throttled",
  unavailable: "Unavailable",
  circuitOpen: "CircuitOpen",
  budgetExhausted: "BudgetExhausted",
  invalidRequest: "InvalidRequest",
  internal: "Internal",
} as const;
/** One of {@link ProviderErrorKind}. */
export type ProviderErrorKind = (typeof ProviderErrorKind)[keyof typeof ProviderErrorKind];

/** A typed provider failure; its message never contains a secret value. */
export interface ProviderErrorInfo {
  kind: ProviderErrorKind;
  /** Human-readable, value-free message naming the vault and object. */
  message: string;
  /** When to try again, if the vault said (Retry-After) or the backoff decided. */
  retryAfterMs?: number;
  /** HTTP status seen, when any. */
  httpStatus?: number;
  /** The service's own error code (Key Vault `ForbiddenByRbac`, Entra `AADSTS70021`), when it gave one. */
  code?: string;
  /**
   * For failures the runtime decided locally without asking the vault (`CircuitOpen`, or an identity paused after
   * its fresh token was refused): the vault's own last failure that led to it, so status and Events can name the
   * cause (e.g. Throttled) rather than only the mechanism.
   */
  underlying?: { kind: ProviderErrorKind; message: string; httpStatus?: number };
  /**
   * Nothing was sent: the runtime refused locally (open circuit, request budget, throttle gate, paused identity)
   * and `retryAfterMs` is exactly when it will send again — retrying later than that only delays recovery.
   */
  refusedLocally?: boolean;
}

/** Result for one {@link ObjectRequest}. */
export type FetchResult = { ok: true; versions: FetchedVersion[] } | { ok: false; error: ProviderErrorInfo };

/**
 * Fetches objects for the reconciler. One call may serve many SecretSyncs: identical requests (same vault,
 * object, version selector and identity client) are fetched once.
 */
export interface ObjectFetcher {
  /**
   * Resolves each request. `force` bypasses caches and change detection (used for
   * `forceSynchronization` and spec changes). Never throws for provider failures: they come back as
   * `{ ok: false }` entries. The returned array is index-aligned with `requests`.
   */
  fetch(requests: readonly ObjectRequest[], options?: { force?: boolean }): Promise<FetchResult[]>;
}

/**
 * Supplies a short-lived ServiceAccount token (TokenRequest, audience api://AzureADTokenExchange) for an
 * identity; the reconciler implements it with the Kubernetes API, the vault layer uses it as the client
 * assertion when exchanging for a vault token.
 */
export type ServiceAccountTokenSource = (
  identity: RequestIdentity,
  options?: ServiceAccountTokenOptions,
) => Promise<string>;

/** Options of one {@link ServiceAccountTokenSource} call. */
export interface ServiceAccountTokenOptions {
  /**
   * Ask the Kubernetes API for a new token instead of a cached one (the previous assertion was refused, or its
   * vault token was). Default false.
   */
  fresh?: boolean;
}
