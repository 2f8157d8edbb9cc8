/**
 * Shared pieces of the Key Vault emulator's REST surface: the request context handlers receive, attribute and
 * tag (de)serialization, Key Vault's error constructors with their real codes, and paging.
 */
import { KeyVaultError } from "./http.ts";
import { paginate, RECOVERABLE_DAYS, type ObjectAttributes } from "./vault-store.ts";

/** Most items per LIST page (Key Vault's limit). */
export const MAX_PAGE_SIZE = 25;

/** Key Vault data actions checked by the RBAC layer (prefix `Microsoft.KeyVault/vaults/`). */
export const ACTIONS = {
  secretGet: "secrets/getSecret/action",
  secretMetadata: "secrets/readMetadata/action",
  secretSet: "secrets/setSecret/action",
  secretUpdate: "secrets/update/action",
  secretDelete: "secrets/delete",
  secretRecover: "secrets/recover/action",
  secretPurge: "secrets/purge/action",
  keyRead: "keys/read",
  keyCreate: "keys/create/action",
  keyImport: "keys/import/action",
  keyUpdate: "keys/update/action",
  keyDelete: "keys/delete",
  keyRecover: "keys/recover/action",
  keyPurge: "keys/purge/action",
  certRead: "certificates/read",
  certCreate: "certificates/create/action",
  certImport: "certificates/import/action",
  certUpdate: "certificates/update/action",
  certDelete: "certificates/delete",
  certRecover: "certificates/recover/action",
  certPurge: "certificates/purge/action",
} as const;

/** One of {@link ACTIONS}. */
export type VaultAction = (typeof ACTIONS)[keyof typeof ACTIONS];

/** What a handler gets for one request. */
export interface VaultRequest {
  method: string;
  /** Path segments after the collection root, e.g. ["secrets", "db", "abc123"] (a trailing "" is kept). */
  segments: string[];
  query: URLSearchParams;
  body: Record<string, unknown>;
  /** Origin ids are built on: the Host the caller used, or the vault's own origin when addressed by path prefix. */
  baseUrl: string;
  /** Base of nextLinks: the Host the caller used plus the `/<vaultName>` prefix when one was used. */
  listBaseUrl: string;
  /** Throws 403 ForbiddenByRbac unless the caller holds `action` on the vault or the object. */
  authorize(action: VaultAction, objectPath?: string): void;
}

/** What a handler returns. */
export interface VaultResponse {
  status: number;
  body?: unknown;
}

/** Pure: recovery level Key Vault reports for the vault's settings. */
export function recoveryLevel(purgeProtection: boolean): string {
  return purgeProtection ? "Recoverable" : "Recoverable+Purgeable";
}

/** Pure: attributes as sent on the wire. */
export function wireAttributes(
  attributes: ObjectAttributes,
  purgeProtection: boolean,
): Record<string, unknown> {
  return {
    enabled: attributes.enabled,
    ...(attributes.nbf !== undefined ? { nbf: attributes.nbf } : {}),
    ...(attributes.exp !== undefined ? { exp: attributes.exp } : {}),
    created: attributes.created,
    updated: attributes.updated,
    recoveryLevel: recoveryLevel(purgeProtection),
    recoverableDays: RECOVERABLE_DAYS,
  };
}

/** Attribute fields a request may set. */
export interface AttributeInput {
  enabled?: boolean;
  nbf?: number;
  exp?: number;
}

/** Parses `attributes` of a request body; BadParameter names the bad field. */
export function parseAttributes(value: unknown): AttributeInput {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw badParameter("attributes must be an object");
  const a = value as Record<string, unknown>;
  const out: AttributeInput = {};
  if (a.enabled !== undefined && a.enabled !== null) {
    if (typeof a.enabled !== "boolean") throw badParameter("attributes.enabled must be a boolean");
    out.enabled = a.enabled;
  }
  for (const field of ["nbf", "exp"] as const) {
    const v = a[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== "number" || !Number.isInteger(v)) {
      throw badParameter(`attributes.${field} must be an integer (seconds since the epoch)`);
    }
    out[field] = v;
  }
  return out;
}

/** Parses `tags` of a request body (at most 15 string values, as in Key Vault). */
export function parseTags(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw badParameter("tags must be an object");
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 15) throw badParameter("tags: at most 15 tags");
  for (const [k, v] of entries) {
    if (typeof v !== "string") throw badParameter(`tags.${k} must be a string`);
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

/** Pure: `maxresults` of a list request (1..25, default 25). */
export function parseMaxResults(query: URLSearchParams): number {
  const raw = query.get("maxresults");
  if (raw === null || raw === "") return MAX_PAGE_SIZE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    throw badParameter(`maxresults must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  return n;
}

/** Pure: a page of items with the Key Vault `nextLink` (an absolute URL carrying an opaque `$skiptoken`). */
export function listPage<T>(
  items: readonly T[],
  req: Pick<VaultRequest, "query" | "listBaseUrl">,
  path: string,
  toWire: (item: T) => unknown,
): { value: unknown[]; nextLink: string | null } {
  const max = parseMaxResults(req.query);
  const token = req.query.get("$skiptoken");
  let skip = 0;
  if (token) {
    const decoded = /^skip:(\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"));
    if (!decoded) throw badParameter("$skiptoken is not valid");
    skip = Number(decoded[1]);
  }
  const { page, nextSkip } = paginate(items, skip, max);
  const apiVersion = req.query.get("api-version") ?? "7.6";
  const nextLink =
    nextSkip === undefined
      ? null
      : `${req.listBaseUrl}${path}?api-version=${encodeURIComponent(apiVersion)}` +
        `&$skiptoken=${Buffer.from(`skip:${nextSkip}`).toString("base64url")}&maxresults=${max}`;
  return { value: page.map(toWire), nextLink };
}

/** Key Vault's BadParameter error. */
export function badParameter(message: string): KeyVaultError {
  return new KeyVaultError(400, "BadParameter", message);
}

/** The object kinds and their wording in Key Vault's messages and codes. */
export const KINDS = {
  secret: { noun: "secret", notFound: "SecretNotFound", deletedCollection: "deletedsecrets" },
  key: { noun: "key", notFound: "KeyNotFound", deletedCollection: "deletedkeys" },
  certificate: {
    noun: "certificate",
    notFound: "CertificateNotFound",
    deletedCollection: "deletedcertificates",
  },
} as const;

/** One of {@link KINDS}. */
export type ObjectKind = keyof typeof KINDS;

/** 404 with the kind's code (SecretNotFound, KeyNotFound, CertificateNotFound). */
export function notFound(kind: ObjectKind, name: string, version?: string): KeyVaultError {
  const id = version ? `${name}/${version}` : name;
  const title = kind === "secret" ? "A secret" : kind === "key" ? "A key" : "A certificate";
  return new KeyVaultError(
    404,
    KINDS[kind].notFound,
    `${title} with (name/id) ${id} was not found in this key vault. If you recently deleted this ${KINDS[kind].noun} ` +
      "you may be able to recover it using the correct recovery command.",
  );
}

/** 404 for the deleted collection. */
export function deletedNotFound(kind: ObjectKind, name: string): KeyVaultError {
  const noun = KINDS[kind].noun;
  return new KeyVaultError(404, KINDS[kind].notFound, `Deleted ${noun} not found: ${name}`);
}

/** 409 for writes to a name that is soft-deleted (innererror ObjectIsDeletedButRecoverable). */
export function deletedButRecoverable(kind: ObjectKind, name: string): KeyVaultError {
  const noun = KINDS[kind].noun;
  return new KeyVaultError(
    409,
    "Conflict",
    `${noun[0]!.toUpperCase()}${noun.slice(1)} ${name} is currently in a deleted but recoverable state, and its name ` +
      `cannot be reused; in this state, the ${noun} can only be recovered or purged.`,
    "ObjectIsDeletedButRecoverable",
  );
}

/** 403 for operations Key Vault forbids on the object itself (disabled, managed, purge-protected). */
export function forbiddenOperation(message: string, innerCode?: string): KeyVaultError {
  return new KeyVaultError(403, "Forbidden", message, innerCode);
}

/** Pure: the deleted-object fields Key Vault adds to a bundle. */
export function deletedFields(
  kind: ObjectKind,
  baseUrl: string,
  name: string,
  deletedDate: number,
  scheduledPurgeDate: number,
): Record<string, unknown> {
  return {
    recoveryId: `${baseUrl}/${KINDS[kind].deletedCollection}/${name}`,
    deletedDate,
    scheduledPurgeDate,
  };
}
