/**
 * Every message the vault layer puts into a {@link ProviderErrorInfo}. They name the vault, the object and the
 * version, and the HTTP status / Key Vault error code when known — never a value, a token or an SDK message
 * (which could echo request content).
 */
import type { ObjectType, RequestIdentity } from "./types.ts";

/** What a message is about. */
export interface MessageSubject {
  vaultName: string;
  /** Who asked (identity failures name its client id and ServiceAccount). */
  identity?: RequestIdentity;
  objectType?: ObjectType;
  /** Object name; absent for vault-wide listings. */
  objectName?: string;
  /** Version id; absent = latest. */
  version?: string;
}

/** Renders `secret "db-password" (version abc…) in vault "kv1"` style subjects. */
export function describeSubject(subject: MessageSubject): string {
  const what = subject.objectName
    ? `${subject.objectType ?? "object"} "${subject.objectName}" (${subject.version ? `version ${subject.version}` : "latest version"})`
    : `${subject.objectType ?? "object"} listing`;
  return `${what} in vault "${subject.vaultName}"`;
}

/** What a network error code means, in words (the code itself is kept beside them). */
const NETWORK_WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host name not found (DNS)",
  EAI_AGAIN: "host name lookup failed (DNS)",
  ETIMEDOUT: "timed out",
  ERR_SOCKET_CONNECTION_TIMEOUT: "timed out",
  ECONNRESET: "connection reset",
  EPIPE: "connection reset",
  UND_ERR_SOCKET: "connection reset",
  EHOSTUNREACH: "no route to host",
  ENETUNREACH: "network unreachable",
};

function detail(httpStatus?: number, code?: string): string {
  const parts: string[] = [];
  if (httpStatus !== undefined) parts.push(`HTTP ${httpStatus}`);
  if (code) parts.push(NETWORK_WORDS[code] ? `${NETWORK_WORDS[code]}, ${code}` : `code ${code}`);
  return parts.length > 0 ? ` (${parts.join(", ")})` : "";
}

/** Message templates, one per failure. */
export const ProviderMessage = {
  notFound: (s: MessageSubject, httpStatus?: number, code?: string) =>
    `${describeSubject(s)} was not found${detail(httpStatus, code)}`,
  accessDenied: (s: MessageSubject, httpStatus?: number, code?: string) =>
    `access to ${describeSubject(s)} was denied for ${s.identity ? `client id ${s.identity.clientId}` : "this workload identity"}${detail(httpStatus, code)}` +
    (code === "ForbiddenByRbac"
      ? "; give it the role Key Vault Secrets User on the vault (Key Vault Reader too for keys and certificates)"
      : ""),
  throttled: (s: MessageSubject, retryAfterMs: number) =>
    `Key Vault throttled the request for ${describeSubject(s)}; retry in ${Math.ceil(retryAfterMs / 1000)} s`,
  unavailable: (s: MessageSubject, httpStatus?: number, code?: string) =>
    `Key Vault did not answer for ${describeSubject(s)}${detail(httpStatus, code)}`,
  /** The breaker is open: say why (the last failure that counted) and where (the vault URL). */
  circuitOpen: (s: MessageSubject, retryAfterMs: number, lastFailure?: string, vaultUrl?: string) =>
    `requests to vault "${s.vaultName}"${vaultUrl ? ` (${vaultUrl})` : ""} are paused after repeated failures ` +
    `(circuit open); next probe in ${Math.ceil(retryAfterMs / 1000)} s` +
    (lastFailure ? `; last failure: ${lastFailure}` : ""),
  budgetExhausted: (s: MessageSubject, retryAfterMs: number) =>
    `the request budget of vault "${s.vaultName}" is exhausted; ${describeSubject(s)} can be fetched in ${Math.ceil(retryAfterMs / 1000)} s`,
  tlsUntrusted: (s: MessageSubject, code: string) =>
    `the TLS certificate of vault "${s.vaultName}" is not trusted (${code}) for ${describeSubject(s)}; ` +
    "trust its CA with --ca-file (or check the vault URL)",
  invalidName: (s: MessageSubject, field: string, allowed: string) =>
    `${describeSubject(s)}: ${field} is not valid; allowed: ${allowed}`,
  noPublicKey: (s: MessageSubject, keyType: string) =>
    `${describeSubject(s)} is a ${keyType} key that has no public part to export as PEM`,
  emptyObject: (s: MessageSubject) => `${describeSubject(s)} has no content`,
  noVersions: (s: MessageSubject) => `${describeSubject(s)} has no enabled versions`,
  internal: (s: MessageSubject, errorName: string) =>
    `unexpected ${errorName} while reading ${describeSubject(s)}`,
} as const;

/** Allowed-value descriptions used in validation messages. */
export const AllowedValue = {
  vaultName: "3-24 characters: letters, digits and hyphens, starting with a letter",
  objectName: "1-127 characters: letters, digits and hyphens",
  objectVersion: "empty (latest) or 1-64 letters and digits",
  versionHistory: "an integer from 1 to 200",
} as const;
