/**
 * Reads a SecretProviderClass (azure provider) into a {@link ValidSpc}: `parameters.objects` is a YAML string
 * holding `array:` of YAML strings, each describing one Key Vault object. Every problem is reported with its
 * field path and what is allowed (reason ControllerSpcError).
 */
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type {
  ObjectEncoding,
  ObjectFormat,
  SpcObject,
  SecretProviderClassResource,
  ValidSpc,
} from "./types.ts";
import { GUID_PATTERN, KeyVaultNamePattern, OBJECT_TYPES } from "../../common/vocabulary.ts";
import type { ObjectType } from "../vault/types.ts";
import type { FieldProblem } from "../crds/rules.ts";

/** A validation problem: where and what is allowed (one type for every validator: crds/rules.ts). */
export type { FieldProblem };

/** Outcome of reading a resource: the typed value or every problem found. */
export type Validated<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

/** Aliases become Secret source paths: same rule as Secret data keys. */
export const ALIAS_PATTERN = /^[-._a-zA-Z0-9]{1,253}$/;
/** Key Vault version ids are 32 hex characters. */
export const VERSION_PATTERN = /^[0-9a-fA-F]{32}$/;
/** Upper bound on `objectVersionHistory` (each version is a separate read). */
export const MAX_VERSION_HISTORY = 200;

const ENCODINGS = ["utf-8", "hex", "base64"] as const;
const FORMATS = ["pem", "pfx"] as const;

const stringish = z.union([z.string(), z.number()]).transform((v) => String(v));

const objectSchema = z
  .object({
    objectName: z.string().regex(KeyVaultNamePattern.object, "must be 1-127 letters, digits or dashes"),
    objectType: z.enum(
      OBJECT_TYPES as [ObjectType, ...ObjectType[]],
      `must be one of ${OBJECT_TYPES.join(", ")}`,
    ),
    objectVersion: stringish
      .optional()
      .refine(
        (v) => v === undefined || v === "" || VERSION_PATTERN.test(v),
        "must be a 32-character hex version id",
      ),
    objectAlias: z
      .string()
      .optional()
      .refine(
        (v) => v === undefined || v === "" || ALIAS_PATTERN.test(v),
        "may hold letters, digits, '-', '_', '.'",
      ),
    objectVersionHistory: stringish
      .optional()
      .refine(
        (v) => v === undefined || v === "" || (/^\d+$/.test(v) && Number(v) <= MAX_VERSION_HISTORY),
        `must be an integer 0-${MAX_VERSION_HISTORY}`,
      ),
    objectFormat: z.enum(FORMATS, `must be one of ${FORMATS.join(", ")}`).optional(),
    objectEncoding: z.enum(ENCODINGS, `must be one of ${ENCODINGS.join(", ")}`).optional(),
  })
  .loose();

function zodProblems(prefix: string, error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join(".");
    const message =
      issue.code === "invalid_type" && issue.input === undefined ? "is required" : issue.message;
    return { path, message };
  });
}

function parseYamlSafe(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: parseYaml(text) as unknown };
  } catch (error) {
    // yaml errors quote positions, not content; still keep only the first line.
    const first = error instanceof Error ? (error.message.split("\n")[0] ?? "") : "";
    return { ok: false, message: `is not valid YAML (${first.slice(0, 120)})` };
  }
}

/** Parses `parameters.objects` into typed objects (pure). */
export function parseSpcObjects(objectsYaml: string): Validated<SpcObject[]> {
  const base = "spec.parameters.objects";
  const outer = parseYamlSafe(objectsYaml);
  if (!outer.ok) return { ok: false, problems: [{ path: base, message: outer.message }] };
  const array = (outer.value as { array?: unknown } | null)?.array;
  if (!Array.isArray(array) || array.length === 0) {
    return {
      ok: false,
      problems: [{ path: base, message: "must be YAML with a non-empty `array:` of objects" }],
    };
  }
  const problems: FieldProblem[] = [];
  const objects: SpcObject[] = [];
  array.forEach((entry, index) => {
    const path = `${base}.array[${index}]`;
    const parsed = typeof entry === "string" ? parseYamlSafe(entry) : { ok: true as const, value: entry };
    if (!parsed.ok) {
      problems.push({ path, message: parsed.message });
      return;
    }
    const result = objectSchema.safeParse(parsed.value ?? {});
    if (!result.success) {
      problems.push(...zodProblems(path, result.error));
      return;
    }
    const o = result.data;
    const type = o.objectType as ObjectType;
    const format: ObjectFormat = o.objectFormat ?? "pem";
    const encoding: ObjectEncoding = o.objectEncoding ?? "utf-8";
    if (format === "pfx" && type !== "secret") {
      problems.push({ path: `${path}.objectFormat`, message: "pfx is only allowed with objectType secret" });
    }
    if (encoding !== "utf-8" && type !== "secret") {
      problems.push({ path: `${path}.objectEncoding`, message: "is only allowed with objectType secret" });
    }
    const history = o.objectVersionHistory ? Number(o.objectVersionHistory) : 0;
    if (history > 1 && o.objectVersion) {
      problems.push({
        path: `${path}.objectVersionHistory`,
        message: "cannot be combined with a pinned objectVersion",
      });
    }
    objects.push({
      objectName: o.objectName,
      objectType: type,
      objectVersion: o.objectVersion ?? "",
      objectAlias: o.objectAlias ?? "",
      objectVersionHistory: history,
      objectFormat: format,
      objectEncoding: encoding,
    });
  });
  const seen = new Map<string, number>();
  objects.forEach((o, index) => {
    const id = o.objectAlias || o.objectName;
    const first = seen.get(id);
    if (first !== undefined) {
      problems.push({
        path: `${base}.array[${index}]`,
        message: `object id "${id}" is already used by array[${first}]; give one an objectAlias`,
      });
    } else seen.set(id, index);
  });
  return problems.length ? { ok: false, problems } : { ok: true, value: objects };
}

const spcSpecSchema = z.object({
  provider: z.literal("azure", "must be azure"),
  parameters: z
    .object({
      keyvaultName: z
        .string()
        .regex(
          KeyVaultNamePattern.vault,
          "must be 3-24 letters, digits and single dashes, starting with a letter",
        ),
      tenantID: z.string().optional(),
      tenantId: z.string().optional(),
      clientID: z.string().regex(GUID_PATTERN, "must be the GUID client id of a managed identity"),
      objects: z.string("must be a YAML string with `array:`"),
    })
    .loose(),
});

/** Validates a SecretProviderClass for the azure provider (pure). */
export function validateSpc(spc: SecretProviderClassResource): Validated<ValidSpc> {
  const result = spcSpecSchema.safeParse(spc.spec ?? {});
  if (!result.success) return { ok: false, problems: zodProblems("spec", result.error) };
  const p = result.data.parameters;
  const problems: FieldProblem[] = [];
  const tenantId = p.tenantID || p.tenantId || "";
  if (!GUID_PATTERN.test(tenantId)) {
    problems.push({
      path: "spec.parameters.tenantID",
      message: "is required and must be a GUID (tenantId also read)",
    });
  }
  const objects = parseSpcObjects(p.objects);
  if (!objects.ok) problems.push(...objects.problems);
  if (problems.length || !objects.ok) return { ok: false, problems };
  return {
    ok: true,
    value: {
      name: spc.metadata.name,
      namespace: spc.metadata.namespace,
      uid: spc.metadata.uid ?? "",
      generation: spc.metadata.generation ?? 0,
      keyvaultName: p.keyvaultName,
      tenantId,
      clientId: p.clientID,
      objects: objects.value,
    },
  };
}

/** Joins problems into one status message: `path: message; path: message`. */
export function formatProblems(problems: readonly FieldProblem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join("; ");
}
