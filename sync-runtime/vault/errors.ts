/**
 * The provider boundary's error model: SDK / REST / identity failures become a {@link ProviderError} carrying a
 * {@link ProviderErrorInfo}. Mapping is a pure function of the thrown value so it is table-tested.
 */
import { ProviderErrorKind } from "./types.ts";
import type { ProviderErrorInfo } from "./types.ts";
import { mapIdentityError } from "./identity-errors.ts";
import { ProviderMessage } from "./messages.ts";
import type { MessageSubject } from "./messages.ts";

/** A typed provider failure (message is value-free). */
export class ProviderError extends Error {
  /** The typed description handed to the reconciler. */
  readonly info: ProviderErrorInfo;

  constructor(info: ProviderErrorInfo, options?: { cause?: unknown }) {
    super(info.message, options);
    this.name = "ProviderError";
    this.info = info;
  }
}

/** Thrown by the client factory when the injected ServiceAccount token source fails. */
export class ServiceAccountTokenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ServiceAccountTokenError";
  }
}

/**
 * Thrown by the client factory's response observer when a vault answers 401 to a request that carried a bearer
 * token (and the answer is not a claims challenge the SDK handles itself): the vault refused the identity's token.
 * Throwing there also stops the SDK from re-sending the same refused token once more.
 */
export class VaultTokenRejectedError extends Error {
  /** Always 401 (read by {@link mapProviderError}). */
  readonly statusCode = 401;
  /** The Key Vault error code of the answer, in the SDK's RestError shape (`details.error.code`). */
  readonly details: { error: { code?: string } };

  constructor(vaultName: string, code: string | undefined) {
    super(`vault "${vaultName}" refused the access token (HTTP 401)`);
    this.name = "VaultTokenRejectedError";
    this.details = { error: code !== undefined ? { code } : {} };
  }
}

/** Network error codes that mean "the vault did not answer" (retryable, counts against the breaker). */
const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "UND_ERR_SOCKET",
  "REQUEST_SEND_ERROR",
  "ERR_SOCKET_CONNECTION_TIMEOUT",
]);

/** Node's TLS verification failures: the vault's certificate is not trusted (or not for this host). */
const TLS_ERROR_CODES: ReadonlySet<string> = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** The shape of the SDK errors we read (RestError, AuthenticationError); everything optional. */
interface SdkErrorLike {
  name?: unknown;
  code?: unknown;
  statusCode?: unknown;
  /** MSAL's ServerError carries the authority's HTTP status here. */
  status?: unknown;
  message?: unknown;
  cause?: unknown;
  response?: { headers?: { get?: (name: string) => string | undefined } };
  details?: { error?: { code?: unknown; innererror?: { code?: unknown } } };
}

function asErrorLike(value: unknown): SdkErrorLike {
  return typeof value === "object" && value !== null ? (value as SdkErrorLike) : {};
}

/** Walks `cause` links (bounded) and returns the first error for which `test` holds. */
export function findInCauseChain(
  error: unknown,
  test: (e: SdkErrorLike) => boolean,
): SdkErrorLike | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    const like = asErrorLike(current);
    if (test(like)) return like;
    current = like.cause;
  }
  return undefined;
}

/**
 * Parses `retry-after-ms`, `x-ms-retry-after-ms` or `Retry-After` (delta seconds or an HTTP date).
 * @returns milliseconds to wait (>= 0), or undefined when no usable header is present.
 */
export function parseRetryAfterMs(
  getHeader: (name: string) => string | undefined,
  nowMs: number,
): number | undefined {
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const raw = getHeader(name);
    if (raw !== undefined && /^\d+(\.\d+)?$/.test(raw.trim())) return Math.max(0, Math.round(Number(raw)));
  }
  const raw = getHeader("retry-after")?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.max(0, Math.round(Number(raw) * 1000));
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** The Key Vault error code (inner code preferred, e.g. SecretDisabled, ForbiddenByRbac), if any. */
function keyVaultErrorCode(e: SdkErrorLike): string | undefined {
  const inner = e.details?.error?.innererror?.code;
  if (typeof inner === "string") return inner;
  const outer = e.details?.error?.code;
  if (typeof outer === "string") return outer;
  return undefined;
}

function safeCode(code: string | undefined): string | undefined {
  // Only echo identifier-like codes; anything else could carry request content.
  return code !== undefined && /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(code) ? code : undefined;
}

function fromHttpStatus(
  e: SdkErrorLike,
  subject: MessageSubject,
  status: number,
  nowMs: number,
): ProviderErrorInfo | undefined {
  const code = safeCode(keyVaultErrorCode(e));
  if (status === 404)
    return {
      kind: ProviderErrorKind.notFound,
      message: ProviderMessage.notFound(subject, status, code),
      httpStatus: status,
      code: code || undefined,
    };
  if (status === 401 || status === 403) {
    return {
      kind: ProviderErrorKind.accessDenied,
      message: ProviderMessage.accessDenied(subject, status, code),
      httpStatus: status,
      code: code || undefined,
    };
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfterMs((name) => e.response?.headers?.get?.(name) ?? undefined, nowMs);
    return {
      kind: ProviderErrorKind.throttled,
      message: ProviderMessage.throttled(subject, retryAfterMs ?? 0),
      httpStatus: status,
      retryAfterMs,
    };
  }
  if (status >= 500 || status === 408) {
    return {
      kind: ProviderErrorKind.unavailable,
      message: ProviderMessage.unavailable(subject, status, code),
      httpStatus: status,
    };
  }
  if (status === 400) {
    return {
      kind: ProviderErrorKind.invalidRequest,
      message: ProviderMessage.invalidName(subject, "request", code ?? "a valid Key Vault request"),
      httpStatus: status,
    };
  }
  return undefined;
}

const IDENTITY_ERROR_NAMES: ReadonlySet<unknown> = new Set([
  "AuthenticationError",
  "CredentialUnavailableError",
  "AuthenticationRequiredError",
]);

/**
 * The token endpoint's HTTP status behind an identity error: @azure/identity's own `statusCode`, or — when it
 * wraps MSAL's failure (AuthenticationRequiredError) — the `status` of MSAL's ServerError in the cause chain.
 */
function authorityStatus(error: unknown): number | undefined {
  const found = findInCauseChain(
    error,
    (e) =>
      (IDENTITY_ERROR_NAMES.has(e.name) && typeof e.statusCode === "number") ||
      (e.name === "ServerError" && typeof e.status === "number"),
  );
  if (!found) return undefined;
  return typeof found.statusCode === "number" ? found.statusCode : (found.status as number);
}

/**
 * Maps anything thrown by the SDK, the identity library or the token source to a {@link ProviderErrorInfo}:
 * 404 → NotFound, 401/403 → AccessDenied, 429 → Throttled (with Retry-After), 5xx/network → Unavailable,
 * a failed ServiceAccount token or token exchange → AccessDenied (Unavailable when the authority answered 5xx).
 */
export function mapProviderError(error: unknown, subject: MessageSubject, nowMs: number): ProviderErrorInfo {
  if (error instanceof ProviderError) return error.info;
  const e = asErrorLike(error);
  // A missing ServiceAccount or a refused exchange names its cause (identity-errors.ts).
  const identity = mapIdentityError(error, subject, IDENTITY_ERROR_NAMES.has(e.name));
  if (identity) return identity;
  const status = typeof e.statusCode === "number" ? e.statusCode : undefined;
  const byStatus = status !== undefined ? fromHttpStatus(e, subject, status, nowMs) : undefined;
  if (byStatus) return byStatus;
  const network = findInCauseChain(
    error,
    (x) => typeof x.code === "string" && NETWORK_ERROR_CODES.has(x.code),
  );
  if (network || e.name === "AbortError" || e.name === "TimeoutError") {
    const netCode = typeof network?.code === "string" ? network.code : undefined;
    return {
      kind: ProviderErrorKind.unavailable,
      message: ProviderMessage.unavailable(subject, undefined, netCode),
      code: netCode || undefined,
    };
  }
  // TLS trust failures are configuration, but they look like an outage from here: retried, counted by the
  // breaker, and named so the breaker's message says it (pass the CA with --ca-file).
  const tls = findInCauseChain(error, (x) => typeof x.code === "string" && TLS_ERROR_CODES.has(x.code));
  if (tls && typeof tls.code === "string") {
    return {
      kind: ProviderErrorKind.unavailable,
      message: ProviderMessage.tlsUntrusted(subject, tls.code),
      code: tls.code,
    };
  }
  const name = typeof e.name === "string" && /^[A-Za-z]{1,64}$/.test(e.name) ? e.name : "error";
  return {
    kind: ProviderErrorKind.internal,
    message: ProviderMessage.internal(subject, name),
    httpStatus: status,
  };
}

/**
 * True when a failure means a token was refused: the vault answered 401 to a bearer token
 * ({@link VaultTokenRejectedError}), or the token endpoint refused the exchange (a 4xx from the authority, e.g.
 * a client it no longer knows or an assertion it no longer accepts). Such failures are recovered by discarding
 * the identity's tokens and exchanging a fresh ServiceAccount assertion (vault-guard.ts).
 */
export function isTokenRejection(error: unknown): boolean {
  if (findInCauseChain(error, (e) => e.name === "VaultTokenRejectedError")) return true;
  if (!findInCauseChain(error, (e) => IDENTITY_ERROR_NAMES.has(e.name))) return false;
  const status = authorityStatus(error);
  return status !== undefined && status >= 400 && status < 500;
}

/** Kinds that mean the vault is struggling: retried with backoff and counted by the circuit breaker. */
export function isRetryableKind(kind: ProviderErrorInfo["kind"]): boolean {
  return kind === ProviderErrorKind.throttled || kind === ProviderErrorKind.unavailable;
}
