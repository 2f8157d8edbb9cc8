/**
 * Secret values Pulumi writes (vault seed secrets, Kubernetes Secrets) are Pulumi secrets, so state and previews
 * hold them encrypted. The engine unwraps secrets before plain validations, so this rule judges only views that
 * preserve secretness (remediation, `npm run policy:check`); at level "remediate" it wraps the value itself.
 */
import { Secret, type ResourceRemediation, type ResourceValidation } from "@pulumi/policy";
import { REDACTED_MARKER, ResourceType, SECRETS_PRESERVED } from "../lib/constants.ts";
import { objectAt } from "../lib/props.ts";
import type { KeyfleetPolicy } from "../lib/rule.ts";

function isSecret(value: unknown): boolean {
  return value instanceof Secret || value === REDACTED_MARKER;
}

/** Paths of plaintext secret values in one resource's props (pure, exported for tests). */
export function plaintextSecretPaths(type: string, props: Record<string, unknown>): string[] {
  if (type === ResourceType.vaultSecret || type === ResourceType.localVaultSecret) {
    const properties = objectAt(props, "properties");
    return properties && properties.value !== undefined && !isSecret(properties.value)
      ? ["properties.value"]
      : [];
  }
  if (type === "kubernetes:core/v1:Secret") {
    const paths: string[] = [];
    for (const field of ["data", "stringData"]) {
      const values = objectAt(props, field);
      if (!values) continue;
      if (isSecret(values)) continue;
      for (const [key, value] of Object.entries(values)) if (!isSecret(value)) paths.push(`${field}.${key}`);
    }
    return paths;
  }
  return [];
}

const TYPES = new Set<string>([
  ResourceType.vaultSecret,
  ResourceType.localVaultSecret,
  "kubernetes:core/v1:Secret",
]);

const validateResource: ResourceValidation = (args, report) => {
  if (!TYPES.has(args.type)) args.notApplicable("not a secret value Pulumi writes");
  if ((args.props as { [SECRETS_PRESERVED]?: boolean })[SECRETS_PRESERVED] !== true) {
    args.notApplicable(
      "analyzer inputs hide which values are secret; use level remediate or npm run policy:check",
    );
  }
  for (const path of plaintextSecretPaths(args.type, args.props)) {
    report(
      `${path} is written in plain text; pass it as a Pulumi secret (pulumi.secret(...) / config --secret)`,
    );
  }
};

const remediateResource: ResourceRemediation = (args) => {
  if (!TYPES.has(args.type)) return undefined;
  const paths = plaintextSecretPaths(args.type, args.props);
  if (paths.length === 0) return undefined;
  // Shallow copies only: the engine's props are proxies, which structuredClone cannot copy.
  const props: Record<string, unknown> = { ...args.props };
  for (const path of paths) {
    const [field, key] = path.split(".") as [string, string];
    const values = { ...(props[field] as Record<string, unknown>) };
    values[key] = new Secret(values[key]);
    props[field] = values;
  }
  return props;
};

export const secretValuesMarked: KeyfleetPolicy = {
  name: "keyfleet-secret-values-marked",
  description: "Secret values Pulumi writes (vault seed secrets, Kubernetes Secrets) are Pulumi secrets.",
  remediationSteps:
    "Read the value with config.requireSecret(...) or wrap it in pulumi.secret(...); set the key with " +
    "`pulumi config set --secret`.",
  enforcementLevel: "advisory",
  validateResource,
  remediateResource,
};
