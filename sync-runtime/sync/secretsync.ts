/**
 * Reads a SecretSync spec into a {@link ValidSecretSync} and checks it against its SecretProviderClass.
 * Problems name the field path and what is allowed (reason UserInputValidationFailed).
 */
import { z } from "zod";
import { annotationProblems, labelProblems, Limit, Pattern } from "../crds/rules.ts";
import type { FieldProblem, Validated } from "./spc.ts";
import type { SecretSyncResource, ValidSecretSync, ValidSpc } from "./types.ts";
import { sourcePathsOf } from "./resolve.ts";

/** Path of the class reference: problems there are the class's (ControllerSpcError), not the spec's. */
export const SPC_REFERENCE_PATH = "spec.secretProviderClassName";
/** Custom Secret types: `<domain>/<name>`. */
export const CUSTOM_SECRET_TYPE_PATTERN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[A-Za-z0-9._-]+$/;

/** Built-in Secret types the runtime writes, with the data keys each requires. */
export const SECRET_TYPE_REQUIRED_KEYS: Readonly<Record<string, readonly string[]>> = {
  Opaque: [],
  "kubernetes.io/tls": ["tls.crt", "tls.key"],
  "kubernetes.io/basic-auth": [],
  "kubernetes.io/ssh-auth": ["ssh-privatekey"],
  "kubernetes.io/dockerconfigjson": [".dockerconfigjson"],
  "kubernetes.io/dockercfg": [".dockercfg"],
};
/** Types a SecretSync may never produce. */
export const FORBIDDEN_SECRET_TYPES: ReadonlySet<string> = new Set([
  "kubernetes.io/service-account-token",
  "bootstrap.kubernetes.io/token",
]);

const stringMap = z.record(z.string(), z.string("must be a string"));

const specSchema = z.object({
  serviceAccountName: z.string("is required").min(1, "is required"),
  secretProviderClassName: z.string("is required").min(1, "is required"),
  secretObject: z.object(
    {
      type: z.string().optional(),
      data: z
        .array(
          z.object({
            sourcePath: z.string("is required").min(1, "is required"),
            targetKey: z.string("is required").min(1, "is required"),
          }),
          "is required (a list of {sourcePath, targetKey})",
        )
        .min(1, "must hold at least one item"),
      labels: stringMap.optional(),
      annotations: stringMap.optional(),
    },
    "is required",
  ),
  forceSynchronization: z.string().optional(),
  secretSyncControllerName: z.string().optional(),
});

function crossNamespace(value: string): boolean {
  return value.includes("/") || value.includes(":");
}

/** The spec's `secretSyncControllerName` without validating the rest (for the "is this mine" filter). */
export function controllerNameOf(sync: SecretSyncResource): string {
  const name = (sync.spec as { secretSyncControllerName?: unknown } | undefined)?.secretSyncControllerName;
  return typeof name === "string" ? name : "";
}

/** The spec's `secretProviderClassName` when it is a string ("" otherwise). */
export function classNameOf(sync: SecretSyncResource): string {
  const name = (sync.spec as { secretProviderClassName?: unknown } | undefined)?.secretProviderClassName;
  return typeof name === "string" ? name : "";
}

/** A reference to an object of the SecretSync's own namespace: no namespace prefix, a DNS-1123 subdomain. */
function checkLocalName(path: string, value: string, what: string): FieldProblem[] {
  if (crossNamespace(value))
    return [{ path, message: `must name a ${what} of the SecretSync's own namespace (no namespace prefix)` }];
  if (!Pattern.dnsSubdomain.test(value) || value.length > Limit.field)
    return [
      { path, message: "must be a DNS-1123 subdomain (lower-case letters, digits, '-', '.'; at most 253)" },
    ];
  return [];
}

/** sourcePath and forceSynchronization patterns (upstream's; checked again in case the CRD is looser). */
function checkPatterns(
  data: ReadonlyArray<{ sourcePath: string }>,
  force: string | undefined,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  data.forEach((item, index) => {
    if (!Pattern.sourcePath.test(item.sourcePath) || item.sourcePath.length > Limit.field)
      problems.push({
        path: `spec.secretObject.data[${index}].sourcePath`,
        message:
          "must be an object alias or name (letters, digits, '-', '_', '.'), optionally /<version index>",
      });
  });
  if (force && (!Pattern.forceSynchronization.test(force) || force.length > Limit.field))
    problems.push({
      path: "spec.forceSynchronization",
      message:
        "may hold only letters, digits, '-', '_', '.', starting and ending with a letter or digit (max 253)",
    });
  return problems;
}

/** The Secret type: forbidden types, known types and custom `<domain>/<name>` (pure). */
function checkSecretType(type: string): FieldProblem[] {
  const path = "spec.secretObject.type";
  if (FORBIDDEN_SECRET_TYPES.has(type)) return [{ path, message: `${type} cannot be synced` }];
  if (!(type in SECRET_TYPE_REQUIRED_KEYS) && !CUSTOM_SECRET_TYPE_PATTERN.test(type))
    return [
      {
        path,
        message: `must be one of ${Object.keys(SECRET_TYPE_REQUIRED_KEYS).join(", ")} or a custom <domain>/<name>`,
      },
    ];
  return [];
}

/** Target keys: allowed characters, no duplicates, and the keys the Secret type needs (pure). */
function checkTargetKeys(type: string, data: ReadonlyArray<{ targetKey: string }>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const firstIndex = new Map<string, number>();
  data.forEach((item, index) => {
    const path = `spec.secretObject.data[${index}].targetKey`;
    const valid = Pattern.targetKey.test(item.targetKey) && item.targetKey.length <= Limit.field;
    if (!valid) {
      problems.push({
        path,
        message:
          "must be a Secret key: letters, digits, '-', '_', '.', starting and ending with a letter or digit (max 253)",
      });
    }
    const first = firstIndex.get(item.targetKey);
    if (first !== undefined) {
      problems.push({ path, message: `duplicates data[${first}].targetKey "${item.targetKey}"` });
    } else firstIndex.set(item.targetKey, index);
  });
  for (const key of SECRET_TYPE_REQUIRED_KEYS[type] ?? []) {
    if (!firstIndex.has(key)) {
      problems.push({ path: "spec.secretObject.data", message: `type ${type} needs a targetKey "${key}"` });
    }
  }
  if (type === "kubernetes.io/basic-auth" && !firstIndex.has("username") && !firstIndex.has("password")) {
    problems.push({
      path: "spec.secretObject.data",
      message: `type ${type} needs targetKey "username" or "password"`,
    });
  }
  return problems;
}

/** Validates a SecretSync spec on its own (pure). */
export function validateSecretSync(sync: SecretSyncResource): Validated<ValidSecretSync> {
  const result = specSchema.safeParse(sync.spec ?? {});
  if (!result.success) {
    return {
      ok: false,
      problems: result.error.issues.map((i) => ({
        path: ["spec", ...i.path.map((p) => (typeof p === "number" ? `[${p}]` : String(p)))]
          .join(".")
          .replace(/\.\[/g, "["),
        message: i.code === "invalid_type" && i.input === undefined ? "is required" : i.message,
      })),
    };
  }
  const spec = result.data;
  const type = spec.secretObject.type || "Opaque";
  const problems: FieldProblem[] = [
    ...checkLocalName("spec.serviceAccountName", spec.serviceAccountName, "ServiceAccount"),
    ...checkLocalName(SPC_REFERENCE_PATH, spec.secretProviderClassName, "SecretProviderClass"),
    ...checkSecretType(type),
    ...checkTargetKeys(type, spec.secretObject.data),
    ...checkPatterns(spec.secretObject.data, spec.forceSynchronization),
    // Invalid Secret labels/annotations are caught here, before the write, with the field named.
    ...labelProblems(spec.secretObject.labels ?? {}, "spec.secretObject.labels"),
    ...annotationProblems(spec.secretObject.annotations ?? {}, "spec.secretObject.annotations"),
  ];
  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    value: {
      name: sync.metadata.name,
      namespace: sync.metadata.namespace,
      uid: sync.metadata.uid ?? "",
      generation: sync.metadata.generation ?? 0,
      serviceAccountName: spec.serviceAccountName,
      secretProviderClassName: spec.secretProviderClassName,
      secretType: type,
      data: spec.secretObject.data,
      labels: spec.secretObject.labels ?? {},
      annotations: spec.secretObject.annotations ?? {},
      forceSynchronization: spec.forceSynchronization ?? "",
      secretSyncControllerName: spec.secretSyncControllerName ?? "",
    },
  };
}

/** Checks every `sourcePath` names an object of the class (pure). */
export function checkSourcePaths(sync: ValidSecretSync, spc: ValidSpc): FieldProblem[] {
  const known = sourcePathsOf(spc);
  const problems: FieldProblem[] = [];
  sync.data.forEach((item, index) => {
    if (!known.has(item.sourcePath)) {
      const names = [...known.keys()].slice(0, 10).join(", ");
      problems.push({
        path: `spec.secretObject.data[${index}].sourcePath`,
        message: `"${item.sourcePath}" is not an object of SecretProviderClass ${spc.name} (known: ${names})`,
      });
    }
  });
  return problems;
}
