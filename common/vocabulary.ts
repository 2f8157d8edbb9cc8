/**
 * The words every part of keyfleet shares — the Pulumi components, the fleet configuration, the sync runtime and
 * the policy pack: custom resource kinds, Key Vault object types and naming rules, Azure role GUIDs, the token
 * audience, the runtime's environment variables, engines and their defaults. Plain constants with no imports, so the
 * policy pack and the runtime bundle load it at no cost. A word defined here is defined nowhere else.
 */

/** SecretSync (upstream secrets-store-sync-controller shape; namespaced, status subresource). */
export const SECRET_SYNC = {
  group: "secret-sync.x-k8s.io",
  version: "v1alpha1",
  apiVersion: "secret-sync.x-k8s.io/v1alpha1",
  kind: "SecretSync",
  plural: "secretsyncs",
} as const;

/** SecretProviderClass (Secrets Store CSI driver shape). */
export const SECRET_PROVIDER_CLASS = {
  group: "secrets-store.csi.x-k8s.io",
  version: "v1",
  apiVersion: "secrets-store.csi.x-k8s.io/v1",
  kind: "SecretProviderClass",
  plural: "secretproviderclasses",
} as const;

/** AKVSync (keyfleet's simplified resource, the same group as SecretSync). */
export const AKVSYNC = {
  group: "secret-sync.x-k8s.io",
  version: "v1alpha1",
  apiVersion: "secret-sync.x-k8s.io/v1alpha1",
  kind: "AKVSync",
  plural: "akvsyncs",
} as const;

/** SecretProviderClassPodStatus (the CSI driver's record of the versions mounted in each pod). */
export const SPC_POD_STATUS = {
  group: "secrets-store.csi.x-k8s.io",
  version: "v1",
  apiVersion: "secrets-store.csi.x-k8s.io/v1",
  kind: "SecretProviderClassPodStatus",
  plural: "secretproviderclasspodstatuses",
} as const;

/** Label every Secret keyfleet manages carries; a Secret without it is never adopted. */
export const MANAGED_SECRET_LABEL = "secrets-store.sync.x-k8s.io" as const;

/** Key Vault object types a SecretProviderClass may name (`objectType`). */
export const ObjectType = { secret: "secret", key: "key", cert: "cert" } as const;
/** One of {@link ObjectType}. */
export type ObjectType = (typeof ObjectType)[keyof typeof ObjectType];
/** Every {@link ObjectType}, in the order messages list them. */
export const OBJECT_TYPES: readonly ObjectType[] = Object.values(ObjectType);
/** Object types whose metadata is read with the Key Vault Reader role (keys and certificates). */
export const OBJECT_TYPES_NEEDING_READER: readonly ObjectType[] = [ObjectType.key, ObjectType.cert];

/** Key Vault naming rules (https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates). */
export const KeyVaultNamePattern = {
  /** Vault: 3-24 characters, letters, digits and single dashes, starting with a letter, not ending with a dash. */
  vault: /^(?!.*--)[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/,
  /** Secret, key or certificate: 1-127 letters, digits and dashes. */
  object: /^[0-9a-zA-Z-]{1,127}$/,
  /** Object version id: 1-64 letters and digits (Key Vault issues 32 hex characters). */
  version: /^[0-9a-zA-Z]{1,64}$/,
} as const;

/** A GUID (Entra tenant, subscription, client id), any case. */
export const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A Kubernetes DNS label (RFC 1123: namespace names). */
export const DNS_LABEL_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Built-in Azure role definitions keyfleet assigns or judges, with their GUIDs. */
export const AzureRole = {
  /** Read secret contents: the sync identity's role. */
  keyVaultSecretsUser: { id: "4633458b-17de-408a-b874-0445c86b69e6", name: "Key Vault Secrets User" },
  /** Read metadata of vaults, keys and certificates (needed for objectType key/cert). */
  keyVaultReader: { id: "21090545-7ca7-4776-b22c-e363652d74d2", name: "Key Vault Reader" },
  keyVaultSecretsOfficer: { id: "b86a8fe4-44ce-4948-aee5-eccb2c155cd7", name: "Key Vault Secrets Officer" },
  keyVaultAdministrator: { id: "00482a5a-887f-4fb3-b363-3b7fe8e74483", name: "Key Vault Administrator" },
  keyVaultContributor: { id: "f25e0fa2-a7c8-4377-a976-54943a77a395", name: "Key Vault Contributor" },
  keyVaultCertificatesOfficer: {
    id: "a4417e6f-fecd-4de8-b567-7b0420556985",
    name: "Key Vault Certificates Officer",
  },
  keyVaultCryptoOfficer: { id: "14b46e9e-c2b7-41b4-b07b-48a6ebf60603", name: "Key Vault Crypto Officer" },
  contributor: { id: "b24988ac-6180-42a0-ab88-20f7382dd24c", name: "Contributor" },
  owner: { id: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", name: "Owner" },
  userAccessAdministrator: { id: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", name: "User Access Administrator" },
} as const;
/** Role GUIDs the sync identity must never hold (Secrets Officer, Administrator). */
export const FORBIDDEN_SYNC_ROLE_IDS: readonly string[] = [
  AzureRole.keyVaultSecretsOfficer.id,
  AzureRole.keyVaultAdministrator.id,
];

/** Audience of every workload-identity token exchange (ServiceAccount tokens and federated credentials). */
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange" as const;

/** A managed identity holds at most this many federated identity credentials (Entra ID limit). */
export const MAX_FEDERATED_CREDENTIALS_PER_IDENTITY = 20;

/**
 * Environment variables of the runtime's Deployment: the SyncRuntime component sets them, `keyfleet run` reads
 * them (flags win), the policy pack reads the rotation settings from them.
 */
export const RuntimeEnv = {
  kubeconfig: "KUBECONFIG",
  namespaces: "KEYFLEET_NAMESPACES",
  controllerName: "KEYFLEET_CONTROLLER_NAME",
  rotationPollIntervalSeconds: "KEYFLEET_ROTATION_POLL_INTERVAL_SECONDS",
  jitterSeconds: "KEYFLEET_JITTER_SECONDS",
  partialSync: "KEYFLEET_ENABLE_PARTIAL_SECRET_SYNC",
  healthPort: "KEYFLEET_HEALTH_PORT",
  metricsPort: "KEYFLEET_METRICS_PORT",
  leaderElection: "KEYFLEET_LEADER_ELECTION",
  runtimeNamespace: "POD_NAMESPACE",
  identity: "POD_NAME",
  vaultUrlTemplate: "KEYFLEET_VAULT_URL_TEMPLATE",
  vaultUrls: "KEYFLEET_VAULT_URLS",
  caFile: "KEYFLEET_CA_FILE",
  authorityHost: "AZURE_AUTHORITY_HOST",
  vaultRequestsPer10s: "KEYFLEET_VAULT_REQUESTS_PER_10S",
  syncHashKey: "KEYFLEET_SYNC_HASH_KEY",
  concurrency: "KEYFLEET_CONCURRENCY",
  installCrds: "KEYFLEET_INSTALL_CRDS",
  logLevel: "KEYFLEET_LOG_LEVEL",
  logFormat: "KEYFLEET_LOG_FORMAT",
} as const;

/**
 * Key Vault reads per 10 s per vault one runtime allows itself by default: a fraction of the vault's ~4,000, so a
 * fleet of runtimes sharing a vault stays under its limit.
 */
export const DEFAULT_VAULT_REQUESTS_PER_10S = 200;

/** Engines keyfleet can provision (a discriminated-union tag): exactly one reconciles secrets in a cluster. */
export const Engine = {
  /** AKS add-on `azure-keyvault-secrets-provider` (Secrets Store CSI driver + Azure provider). */
  aksAddon: "aks-addon",
  /** Azure Arc extension `microsoft.azure.secretstore` (Secret Store extension, "SSE"). */
  arcExtension: "arc-extension",
  /** keyfleet's own sync runtime, deployed by Pulumi (any cluster). */
  bundled: "bundled",
} as const;
/** One of {@link Engine}. */
export type Engine = (typeof Engine)[keyof typeof Engine];
/** All engine names, for validation messages. */
export const ENGINES: readonly Engine[] = Object.values(Engine);

/** Cluster kinds. */
export const ClusterKind = {
  /** Azure Kubernetes Service. */
  aks: "aks",
  /** Azure Arc-enabled Kubernetes (`Microsoft.Kubernetes/connectedClusters`). */
  arc: "arc",
  /** Any other conformant cluster (reached through a kubeconfig only). */
  generic: "generic",
} as const;
/** One of {@link ClusterKind}. */
export type ClusterKind = (typeof ClusterKind)[keyof typeof ClusterKind];
/** All cluster kinds, for validation messages. */
export const CLUSTER_KINDS: readonly ClusterKind[] = Object.values(ClusterKind);

/** Which engines can run on which cluster kind. */
export const ENGINES_BY_KIND: Readonly<Record<ClusterKind, readonly Engine[]>> = {
  aks: [Engine.aksAddon, Engine.bundled],
  arc: [Engine.arcExtension, Engine.bundled],
  generic: [Engine.bundled],
};

/** Engines that have a jitter setting at all (the CSI add-on has none, so its jitter is always 0). */
export const ENGINES_WITH_JITTER: readonly Engine[] = [Engine.arcExtension, Engine.bundled];

/**
 * Rotation defaults per engine: the AKS add-on polls every 2m and has no jitter setting; the Secret Store extension
 * polls every 3600 s with jitter 0; keyfleet's runtime every 300 s with up to 30 s of jitter.
 */
export const ENGINE_DEFAULTS: Readonly<
  Record<
    Engine,
    { rotationPollIntervalSeconds: number; jitterSeconds: number; enablePartialSecretSync: boolean }
  >
> = {
  "aks-addon": { rotationPollIntervalSeconds: 120, jitterSeconds: 0, enablePartialSecretSync: false },
  "arc-extension": { rotationPollIntervalSeconds: 3600, jitterSeconds: 0, enablePartialSecretSync: true },
  bundled: { rotationPollIntervalSeconds: 300, jitterSeconds: 30, enablePartialSecretSync: true },
};

/** Arc extension types. */
export const ExtensionType = {
  /** The Secret Store extension ("SSE"). */
  secretStore: "microsoft.azure.secretstore",
  /** The Arc Secrets Store CSI driver provider extension (Microsoft advises against running it beside SSE). */
  csiProvider: "microsoft.azurekeyvaultsecretsprovider",
} as const;

/** CRDs each Azure engine installs itself (keyfleet must not redeclare them: creates no longer upsert). */
export const CRDS_INSTALLED_BY: Readonly<Record<Exclude<Engine, "bundled">, readonly string[]>> = {
  "aks-addon": [
    `${SECRET_PROVIDER_CLASS.plural}.${SECRET_PROVIDER_CLASS.group}`,
    `${SPC_POD_STATUS.plural}.${SPC_POD_STATUS.group}`,
  ],
  "arc-extension": [
    `${SECRET_PROVIDER_CLASS.plural}.${SECRET_PROVIDER_CLASS.group}`,
    `${SECRET_SYNC.plural}.${SECRET_SYNC.group}`,
  ],
};

/** What the synth capture (stacks/synth) writes in place of values, and the policy harness reads. */
export const CaptureMarker = {
  /** A secret value. */
  redacted: "[secret]",
  /** A value unknown until deployment. */
  unknown: "[unknown]",
} as const;

/** A Kubernetes ownerReference as keyfleet reads and writes it. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Namespaced object metadata as keyfleet reads it (timestamps are strings in JSON, Dates from typed clients). */
export interface ObjectMeta {
  name: string;
  namespace: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  deletionTimestamp?: string | Date;
}
