/** Policy configuration: each policy's `configSchema` holds its defaults; rules read config merged over them. */
import type { PolicyConfigSchema } from "@pulumi/policy";

/**
 * The policy's configuration with schema defaults filled in for keys the user did not set. The Pulumi CLI fills
 * defaults itself; doing it here too keeps the rules correct when a harness passes only the user's values.
 */
export function configWithDefaults<T extends object>(schema: PolicyConfigSchema, given: object): T {
  const out: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(schema.properties)) {
    const value = (given as Record<string, unknown>)[key];
    out[key] = value !== undefined ? value : (property as { default?: unknown }).default;
  }
  return out as T;
}

/** Shared schema fragments (each policy still declares its own copy, as CrossGuard requires). */
export const SchemaProperty = {
  vaultLimitPer10s: {
    type: "number",
    default: 4000,
    exclusiveMinimum: 0,
    description: "Key Vault secret reads allowed per 10 s per vault per region (older docs: 2,000).",
  },
  risk: {
    type: "number",
    default: 0.0001,
    exclusiveMinimum: 0,
    exclusiveMaximum: 0.5,
    description:
      "Acceptable per-second probability of exceeding the vault limit, a fraction (0.0001 = 0.01 %).",
  },
  addonMountsPerSecretProviderClass: {
    type: "number",
    default: 1,
    minimum: 1,
    description:
      "AKS add-on only: pods mounting each SecretProviderClass (the CSI driver re-reads per mounted volume). " +
      "1 is a lower bound; raise it to your replica count.",
  },
} as const;
