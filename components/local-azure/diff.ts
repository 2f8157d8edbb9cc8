/**
 * Pure diff rules of the local Azure resources (table-tested in diff.test.ts). They follow what Azure Resource
 * Manager does with the same resource, so a `pulumi preview` of the local stack predicts what the same change
 * would do on Azure: a property in the resource's ARM path (the name, the parent) replaces it; a body property
 * is updated in place, except on a role assignment, which Azure never updates (RoleAssignmentUpdateNotPermitted).
 */
import type * as pulumi from "@pulumi/pulumi";

/** The value the engine sends for an input that is not known yet (preview of a dependent resource). */
export const UNKNOWN_INPUT = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Which input paths replace the resource and which update it in place. */
export interface DiffRules {
  /** Dotted input paths whose change replaces the resource (its ARM path: name, parent). */
  replace: readonly string[];
  /** Dotted input paths whose change updates the resource in place. */
  update: readonly string[];
}

/** Reads a dotted path (pure). */
export function valueAt(value: unknown, dotted: string): unknown {
  let current = value;
  for (const key of dotted.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN_INPUT) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

/** Structural equality of plain JSON values; an unknown new value never equals anything (pure). */
export function sameValue(old: unknown, next: unknown): boolean {
  if (containsUnknown(next)) return false;
  return JSON.stringify(canonical(old)) === JSON.stringify(canonical(next));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v)]));
  }
  return value ?? null;
}

/**
 * Compares old outputs with new inputs on the rule paths only (outputs the provider adds — ids, versions — are not
 * inputs and never count). Replacement wins over update.
 */
export function diffByRules(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  rules: DiffRules,
): pulumi.dynamic.DiffResult {
  const replaces = rules.replace.filter((p) => !sameValue(valueAt(olds, p), valueAt(news, p)));
  const updates = rules.update.filter((p) => !sameValue(valueAt(olds, p), valueAt(news, p)));
  return replaces.length > 0 ? { changes: true, replaces } : { changes: updates.length > 0 };
}

/**
 * Key Vault secret (ARM `Microsoft.KeyVault/vaults/secrets`): the vault and the secret name are its path; value and
 * content type are written as a new version. `ground` (the proving-ground description the provider reads its
 * endpoints from) re-points the resource without touching the vault.
 */
export const SECRET_RULES: DiffRules = {
  replace: ["vaultName", "secretName"],
  update: ["properties.contentType", "generateValueLength", "ground"],
};

/** User-assigned managed identity: its name is its path; nothing else is declared locally. */
export const IDENTITY_RULES: DiffRules = { replace: ["resourceName"], update: ["ground"] };

/** Role assignment: Azure never updates one (RoleAssignmentUpdateNotPermitted), so every property replaces it. */
export const ROLE_ASSIGNMENT_RULES: DiffRules = {
  replace: ["principalId", "principalType", "roleDefinitionId", "scope"],
  update: ["ground"],
};

/**
 * Federated identity credential: the identity and the credential name are its path; issuer, subject and audiences
 * are body properties Azure updates in place (the portal edits them too).
 */
export const FEDERATED_CREDENTIAL_RULES: DiffRules = {
  replace: ["clientId", "resourceName", "federatedIdentityCredentialResourceName"],
  update: ["issuer", "subject", "audiences", "ground"],
};

/**
 * Diff of a vault secret. The value is write-only, as ARM's secret API is (a GET never returns it): it is compared
 * with the value Pulumi last wrote, not with the vault's current version, so a rotation done in the vault is not
 * undone by the next `pulumi up`. A generated value (no declared value) is never compared. A latest version that
 * was disabled by hand is drift: the update writes an enabled version.
 */
export function diffSecret(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): pulumi.dynamic.DiffResult {
  const base = diffByRules(olds, news, SECRET_RULES);
  if (base.replaces?.length) return base;
  const declared = valueAt(news, "properties.value");
  const valueChanged = declared !== undefined && !sameValue(valueAt(olds, "properties.value"), declared);
  const disabled = olds.enabled === false;
  return { changes: Boolean(base.changes) || valueChanged || disabled };
}
