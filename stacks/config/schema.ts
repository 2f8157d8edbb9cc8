/**
 * The raw shape of `keyfleet:fleet` in `stacks/Pulumi.<stack>.yaml`, as zod schemas. Unknown keys are errors
 * (typos must not silently fall back to defaults). Cross-field rules live in ./expand.ts.
 */
import { z } from "zod";
import {
  CLUSTER_KINDS,
  DEFAULT_VAULT_REQUESTS_PER_10S,
  DNS_LABEL_PATTERN,
  ENGINES,
  GUID_PATTERN,
  KeyVaultNamePattern,
  OBJECT_TYPES,
  ObjectType,
} from "../../common/vocabulary.ts";
import { DEFAULT_READY_TIMEOUT_SECONDS } from "../../components/sync-runtime/workload.ts";

/** Durations are written with a unit: "90s", "2m", "1h" (the AKS add-on's own format). */
export const DURATION_PATTERN = /^([1-9][0-9]*)(s|m|h)$/;
/** Allowed poll interval range in seconds (keyfleet's choice: faster hammers the vault, slower is stale). */
export const POLL_RANGE_SECONDS = { min: 5, max: 86_400 } as const;
/** Allowed jitter range in seconds. */
export const JITTER_RANGE_SECONDS = { min: 0, max: 86_400 } as const;

/** A Secret type: `Opaque`, or `<domain>/<name>`. */
const SECRET_TYPE = /^[A-Za-z0-9][-A-Za-z0-9_.]*(\/[-A-Za-z0-9_.]+)?$/;
const GUID = GUID_PATTERN;
const DNS_LABEL = DNS_LABEL_PATTERN;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

const dnsLabel = z.string().max(63).regex(DNS_LABEL, "must be a DNS label (lower-case a-z, 0-9, '-')");
const dnsSubdomain = z
  .string()
  .max(253)
  .regex(DNS_SUBDOMAIN, "must be a DNS subdomain (lower-case a-z, 0-9, '-', '.')");
const guid = z.string().regex(GUID, "must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");

/** A duration string; the number form is rejected with a hint about units. */
export const durationSchema = z.unknown().transform((value, ctx) => {
  if (typeof value === "number") {
    ctx.addIssue({
      code: "custom",
      message: `wrong unit: got the bare number ${value}; write a duration with a unit, e.g. "${value}s", "2m", "1h"`,
    });
    return z.NEVER;
  }
  const match = typeof value === "string" ? DURATION_PATTERN.exec(value) : null;
  if (!match) {
    ctx.addIssue({
      code: "custom",
      message: `must be a duration like "90s", "2m" or "1h" (got ${JSON.stringify(value)})`,
    });
    return z.NEVER;
  }
  const seconds = Number(match[1]) * ({ s: 1, m: 60, h: 3600 } as const)[match[2] as "s" | "m" | "h"];
  if (seconds < POLL_RANGE_SECONDS.min || seconds > POLL_RANGE_SECONDS.max) {
    ctx.addIssue({
      code: "custom",
      message: `out of range: ${String(value)} = ${seconds}s; allowed ${POLL_RANGE_SECONDS.min}s to ${POLL_RANGE_SECONDS.max}s (24h)`,
    });
    return z.NEVER;
  }
  return seconds;
});

const jitterSchema = z.int().min(JITTER_RANGE_SECONDS.min).max(JITTER_RANGE_SECONDS.max);

/** Poll/jitter settings written per engine or per cluster. */
export const syncSettingsSchema = z.strictObject({
  rotationPollInterval: durationSchema.optional(),
  jitterSeconds: jitterSchema.optional(),
  enablePartialSecretSync: z.boolean().optional(),
  extensionVersion: z
    .string()
    .regex(/^\d+\.\d+\.\d+$/, "must be a version like 1.1.2")
    .optional(),
});

const secretObjectSchema = z.strictObject({
  objectName: z
    .string()
    .regex(KeyVaultNamePattern.object, "must be a Key Vault object name (a-z, A-Z, 0-9, '-')"),
  objectType: z.enum(OBJECT_TYPES as [ObjectType, ...ObjectType[]]).default(ObjectType.secret),
  key: z
    .string()
    .regex(/^[-._a-zA-Z0-9]+$/, "must be a valid Secret data key")
    .optional(),
  objectVersion: z.string().optional(),
  versionHistory: z.int().min(1).max(200).default(1),
});

const secretSchema = z.strictObject({
  name: dnsSubdomain,
  type: z.string().default("Opaque"),
  restartWorkloads: z.boolean().default(false),
  objects: z.array(secretObjectSchema).min(1),
});

/** A namespace entry; serviceAccount is required (no implicit `default`). */
export const namespaceSchema = z.strictObject({
  name: dnsLabel,
  serviceAccount: dnsSubdomain,
  syncKind: z.enum(["SecretSync", "AKVSync"]).default("SecretSync"),
  secrets: z.array(secretSchema).default([]),
});

/** Either a list of namespaces or the name of an entry in `namespaceSets`. */
const namespacesSchema = z.union([z.array(namespaceSchema), z.string()]);

const kubeconfigSchema = z.discriminatedUnion("from", [
  z.strictObject({ from: z.literal("aks-credentials") }),
  z.strictObject({ from: z.literal("config-secret"), key: z.string().min(1) }),
  z.strictObject({ from: z.literal("local-env") }),
]);

const identitySchema = z.union([
  z.strictObject({ scope: z.enum(["cluster", "namespace"]) }),
  z.strictObject({ clientId: z.string().min(1) }),
]);

/** Cluster fields shared by explicit clusters and cluster-set templates. */
const clusterBody = {
  kind: z.enum(CLUSTER_KINDS as [string, ...string[]]),
  engine: z.enum(ENGINES as [string, ...string[]]).optional(),
  vault: z.string().min(1),
  resourceGroup: z.string().min(1).optional(),
  location: z.string().min(1).optional(),
  managed: z.boolean().default(false),
  aks: z
    .strictObject({
      kubernetesVersion: z.string().optional(),
      nodeCount: z.int().min(1).max(100).default(2),
      vmSize: z.string().default("Standard_D2s_v5"),
    })
    .optional(),
  oidcIssuerUrl: z.url({ protocol: /^https$/ }).optional(),
  kubeconfig: kubeconfigSchema.optional(),
  identity: identitySchema.default({ scope: "cluster" }),
  installedEngines: z.array(z.enum(ENGINES as [string, ...string[]])).default([]),
  csiAddonPresent: z.boolean().default(false),
  overrides: syncSettingsSchema.optional(),
  namespaces: namespacesSchema.optional(),
};

export const clusterSchema = z.strictObject({ name: dnsLabel, ...clusterBody });

/** A compact description of many similar clusters: one per (region, index). */
export const clusterSetSchema = z.strictObject({
  /** Name pattern with `{region}` and `{index}` (zero-padded to 3 digits). */
  namePattern: z.string().refine((p) => p.includes("{index}"), "must contain {index}"),
  regions: z.array(z.string().min(1)).min(1),
  countPerRegion: z.int().min(1).max(1000),
  /** Template; `vault`, `resourceGroup`, `oidcIssuerUrl` and a config-secret kubeconfig `key` may contain `{region}` and `{name}`. */
  cluster: z.strictObject({ ...clusterBody, vault: z.string().min(1) }),
});

/** Length of a generated seed value when `generate: true`. */
export const DEFAULT_GENERATED_SEED_LENGTH = 32;

/**
 * A secret Pulumi writes into a vault: its value from a secret config key, or (local vaults only) generated by the
 * provider — `generate: true` or `generate: { length }`.
 */
const seedSecretSchema = z.union([
  z.strictObject({ name: z.string().min(1), configKey: z.string().min(1) }),
  z.strictObject({
    name: z.string().min(1),
    generate: z
      .union([z.literal(true), z.strictObject({ length: z.int().min(16).max(1024) })])
      .transform((g) => (g === true ? { length: DEFAULT_GENERATED_SEED_LENGTH } : g)),
  }),
]);

const vaultSchema = z.strictObject({
  name: z.string().regex(KeyVaultNamePattern.vault, "must be 3-24 chars: letters, digits, '-'"),
  mode: z.enum(["create", "existing", "local"]).default("create"),
  resourceGroup: z.string().min(1).optional(),
  location: z.string().min(1).optional(),
  sku: z.enum(["standard", "premium"]).default("standard"),
  softDeleteRetentionDays: z.int().min(7).max(90).default(90),
  networkRules: z
    .strictObject({
      defaultAction: z.enum(["Allow", "Deny"]).default("Deny"),
      bypass: z.enum(["AzureServices", "None"]).default("AzureServices"),
      ipRules: z.array(z.string()).default([]),
      virtualNetworkSubnetIds: z.array(z.string()).default([]),
    })
    .default({ defaultAction: "Deny", bypass: "AzureServices", ipRules: [], virtualNetworkSubnetIds: [] }),
  tags: z.record(z.string(), z.string()).default({}),
  seedSecrets: z.array(seedSecretSchema).default([]),
});

/** The whole `keyfleet:fleet` object. */
export const fleetSchema = z.strictObject({
  azure: z.strictObject({ tenantId: guid, subscriptionId: guid }).optional(),
  engines: z
    .strictObject({
      "aks-addon": syncSettingsSchema.optional(),
      "arc-extension": syncSettingsSchema.optional(),
      bundled: syncSettingsSchema.optional(),
    })
    .default({}),
  defaults: z
    .strictObject({
      engine: z.enum(ENGINES as [string, ...string[]]).optional(),
      namespaces: namespacesSchema.optional(),
    })
    .default({}),
  syncRuntime: z
    .strictObject({
      delivery: z.enum(["image", "bundle"]).default("bundle"),
      image: z.string().min(1).optional(),
      nodeImage: z.string().min(1).default("node:26-alpine"),
      namespace: dnsLabel.default("keyfleet-system"),
      replicas: z.int().min(1).max(5).default(2),
      vaultRequestsPer10s: z.int().min(1).default(DEFAULT_VAULT_REQUESTS_PER_10S),
      admissionPolicies: z
        .strictObject({
          enabled: z.boolean().default(true),
          deniedSecretTypes: z
            .array(z.string().regex(SECRET_TYPE, "must be a Secret type such as example.com/api-key"))
            .default([]),
        })
        .default({ enabled: true, deniedSecretTypes: [] }),
      readyTimeoutSeconds: z.int().min(10).max(3600).default(DEFAULT_READY_TIMEOUT_SECONDS),
    })
    .default({
      delivery: "bundle",
      nodeImage: "node:26-alpine",
      namespace: "keyfleet-system",
      replicas: 2,
      vaultRequestsPer10s: DEFAULT_VAULT_REQUESTS_PER_10S,
      admissionPolicies: { enabled: true, deniedSecretTypes: [] },
      readyTimeoutSeconds: DEFAULT_READY_TIMEOUT_SECONDS,
    }),
  namespaceSets: z.record(z.string(), z.array(namespaceSchema)).default({}),
  vaults: z.array(vaultSchema).min(1),
  clusters: z.array(clusterSchema).default([]),
  clusterSets: z.array(clusterSetSchema).default([]),
  clusterOverrides: z.record(z.string(), syncSettingsSchema).default({}),
});

/** Parsed raw fleet (before expansion). */
export type RawFleet = z.output<typeof fleetSchema>;
/** Parsed raw cluster. */
export type RawCluster = z.output<typeof clusterSchema>;
/** Parsed raw sync settings. */
export type RawSyncSettings = z.output<typeof syncSettingsSchema>;
/** Parsed raw namespace. */
export type RawNamespace = z.output<typeof namespaceSchema>;
