/**
 * Field-level schemas of the AKVSync spec (zod). Every error message is written to be read after its field path,
 * e.g. `spec.objects[2].mapping[0].dataKey` + ` is required`. Cross-field rules live in validate.ts.
 */
import { z } from "zod";
import { KeyVaultNamePattern } from "../../common/vocabulary.ts";
import { Pattern } from "../crds/rules.ts";
import { SecretType } from "./constants.ts";
import type { ValidationIssue } from "./types.ts";

/** Most newest versions an item may keep (`versionHistory`); also bounds `mapping[].version` indexes. */
export const MAX_VERSION_HISTORY = 20;
/** Most items in `spec.objects`. */
export const MAX_OBJECTS = 100;

const KV_VAULT_NAME = KeyVaultNamePattern.vault;
const KV_OBJECT_NAME = KeyVaultNamePattern.object;
const KV_VERSION_ID = KeyVaultNamePattern.version;
/** RFC 1123 subdomain, as Kubernetes object names. */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A generated SecretSync's targetKey: the SecretSync CRD's rule (crds/rules.ts). */
const SECRET_DATA_KEY = Pattern.targetKey;

type IssueInput = { input?: unknown };

function requiredOr(message: string): (iss: IssueInput) => string {
  return (iss) => (iss.input === undefined ? "is required" : message);
}

function requiredString(pattern: RegExp, what: string, maxLength = 253) {
  return z
    .string({ error: requiredOr("must be a string") })
    .min(1, { error: "is required (empty)" })
    .max(maxLength, { error: `must be at most ${maxLength} characters` })
    .regex(pattern, { error: `must be ${what}` });
}

const kvObjectName = requiredString(
  KV_OBJECT_NAME,
  "a Key Vault object name (1–127 of 0-9, a-z, A-Z, -)",
  127,
);
const kubeName = requiredString(DNS_SUBDOMAIN, "a Kubernetes name (lower-case RFC 1123 subdomain)");
const stringMap = z.record(z.string(), z.string({ error: "values must be strings" }), {
  error: "must be a map of string to string",
});
const secretTypeValues = Object.values(SecretType);

/** One `mapping[]` entry of a compound secret. */
export const mappingEntrySchema = z.object(
  {
    dataKey: requiredString(
      SECRET_DATA_KEY,
      "a Secret data key (letters, digits, '-', '_', '.', starting and ending with a letter or digit)",
    ),
    secretInAKV: kvObjectName.optional(),
    certInAKV: kvObjectName.optional(),
    version: z
      .union(
        [
          z
            .number()
            .int()
            .min(0)
            .max(MAX_VERSION_HISTORY - 1),
          z.string().regex(KV_VERSION_ID),
        ],
        {
          error: `must be a history index 0..${MAX_VERSION_HISTORY - 1} (0 = latest) or a Key Vault version id`,
        },
      )
      .optional(),
  },
  { error: "must be an object" },
);

/** One `spec.objects[]` item (fields only; which fields may be combined is checked in validate.ts). */
export const itemSchema = z.object(
  {
    secretInAKV: kvObjectName.optional(),
    certInAKV: kvObjectName.optional(),
    mapping: z
      .array(mappingEntrySchema, { error: "must be a list" })
      .min(1, { error: "must name at least one entry" })
      .optional(),
    kubernetesSecretName: kubeName.optional(),
    kubernetesSecretType: z
      .enum(secretTypeValues as [string, ...string[]], {
        error: (iss: IssueInput) =>
          `must be one of ${secretTypeValues.join(", ")} (got ${JSON.stringify(iss.input)})`,
      })
      .optional(),
    labels: stringMap.optional(),
    annotations: stringMap.optional(),
    versionHistory: z
      .number({ error: "must be a number" })
      .int({ error: "must be a whole number" })
      .min(1, { error: `must be between 1 and ${MAX_VERSION_HISTORY}` })
      .max(MAX_VERSION_HISTORY, { error: `must be between 1 and ${MAX_VERSION_HISTORY}` })
      .optional(),
  },
  { error: "must be an object" },
);
/** Parsed (field-valid) item. */
export type ParsedItem = z.infer<typeof itemSchema>;
/** Parsed mapping entry. */
export type ParsedMappingEntry = z.infer<typeof mappingEntrySchema>;

/** The AKVSync spec apart from its items (validated as a whole: without these nothing can be generated). */
export const specSchema = z.object(
  {
    keyvaultName: requiredString(KV_VAULT_NAME, "a Key Vault name (3–24 characters: letters, digits, -)", 24),
    clientID: requiredString(/^[-0-9a-zA-Z]+$/, "a client id (GUID)", 64),
    tenantID: requiredString(/^[-.0-9a-zA-Z]+$/, "a tenant id (GUID or domain)", 253),
    serviceAccountName: kubeName,
    forceSynchronization: z.string({ error: "must be a string" }).max(253).optional(),
    objects: z
      .array(z.unknown(), { error: requiredOr("must be a list") })
      .min(1, { error: "must name at least one object" })
      .max(MAX_OBJECTS, { error: `must name at most ${MAX_OBJECTS} objects` }),
  },
  { error: requiredOr("must be an object") },
);
/** Parsed spec (items still unknown). */
export type ParsedSpec = z.infer<typeof specSchema>;

/** Formats a path as users write it: `spec.objects[2].mapping[0].dataKey`. */
export function formatPath(base: string, path: readonly PropertyKey[]): string {
  let out = base;
  for (const part of path) out += typeof part === "number" ? `[${part}]` : `.${String(part)}`;
  return out;
}

/** Runs a schema; returns the value or the issues with full paths under `base`. */
export function parseWith<T>(
  schema: z.ZodType<T>,
  value: unknown,
  base: string,
): { ok: true; value: T } | { ok: false; issues: ValidationIssue[] } {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const issues = result.error.issues.map((issue) => ({
    path: formatPath(base, issue.path),
    message: issue.message,
  }));
  return { ok: false, issues };
}
