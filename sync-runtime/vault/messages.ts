/**
 * Every message the vault layer puts into a {@link ProviderErrorInfo}. They name the vault, the object and the
 * version, and the HTTP status / Key Vault error code when known — never a value, a token or an SDK message
 * (which could echo request content).
 */
import type { ObjectType } from "./types.ts";

/** What a message is about. */
export interface MessageSubject {
  vaultName: string;
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

function detail(httpStatus?: number, code?: string): string {
  const parts: string[] = [];
  if (httpStatus !== undefined) parts.push(`HTTP ${httpStatus}`);
  if (code) parts.push(`code ${code}`);
  return parts.length > 0 ? ` (${parts.join(", ")})` : "";
}

/** Message templates, one per failure. */
export const ProviderMessage = {
  notFound: (s: MessageSubject, httpStatus?: number, code?: string) =>
    `${describeSubject(s)} was not found${detail(httpStatus, code)}`,
  accessDenied: (s: MessageSubject, httpStatus?: number, code?: string) =>
    `access to ${describeSubject(s)} was denied for this workload identity${detail(httpStatus, code)}`,
  throttled: (s: MessageSubject, retryAfterMs: number) =>
    `Key Vault throttled the request for ${describeSubject(s)}; retry in ${Math.ceil(retryAfterMs / 1000)} s`,
  unavailable: (s: MessageSubject, httpStatus?: number, code?: string) =>
    `Key Vault did not answer for ${describeSubject(s)}${detail(httpStatus, code)}`,
  circuitOpen: (s: MessageSubject, retryAfterMs: number, lastFailure?: string) =>
    `requests to vault "${s.vaultName}" are paused after repeated failures (circuit open); next probe in ${Math.ceil(retryAfterMs / 1000)} s` +
    (lastFailure ? `; last failure: ${lastFailure}` : ""),
  budgetExhausted: (s: MessageSubject, retryAfterMs: number) =>
    `the request budget of vault "${s.vaultName}" is exhausted; ${describeSubject(s)} can be fetched in ${Math.ceil(retryAfterMs / 1000)} s`,
  invalidName: (s: MessageSubject, field: string, allowed: string) =>
    `${describeSubject(s)}: ${field} is not valid; allowed: ${allowed}`,
  noPublicKey: (s: MessageSubject, keyType: string) =>
    `${describeSubject(s)} is a ${keyType} key that has no public part to export as PEM`,
  emptyObject: (s: MessageSubject) => `${describeSubject(s)} has no content`,
  noVersions: (s: MessageSubject) => `${describeSubject(s)} has no enabled versions`,
  tokenExchangeFailed: (s: MessageSubject, httpStatus?: number) =>
    `the workload identity could not obtain a Key Vault token for ${describeSubject(s)}${detail(httpStatus)}`,
  serviceAccountTokenFailed: (s: MessageSubject) =>
    `no ServiceAccount token could be requested for ${describeSubject(s)}`,
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
