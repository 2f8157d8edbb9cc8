/**
 * The secret-sync engines a cluster can run, and the facts about each that components, the fleet
 * configuration and the policy pack share. Exactly one engine reconciles secrets in a cluster.
 */

/** Engines keyfleet can provision (a discriminated-union tag). */
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

/** Defaults per engine (DESIGN §2): AKS add-on polls every 2m with no jitter setting; SSE every 3600 s. */
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

/** Engines that have a jitter setting at all (the CSI add-on has none, so its jitter is always 0). */
export const ENGINES_WITH_JITTER: readonly Engine[] = [Engine.arcExtension, Engine.bundled];

/** A managed identity holds at most this many federated identity credentials (Entra ID limit). */
export const MAX_FEDERATED_CREDENTIALS_PER_IDENTITY = 20;

/** Audience of every workload-identity token exchange. */
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

/** Built-in Azure role definition GUIDs keyfleet may assign (never Secrets Officer/Administrator). */
export const RoleDefinition = {
  /** Key Vault Secrets User: read secret contents. */
  keyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
  /** Key Vault Reader: read metadata of vaults, keys and certificates (needed for objectType key/cert). */
  keyVaultReader: "21090545-7ca7-4776-b22c-e363652d74d2",
} as const;
/** Role GUIDs the sync identity must never hold (Secrets Officer, Administrator). */
export const FORBIDDEN_SYNC_ROLES: readonly string[] = [
  "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
  "00482a5a-887f-4fb3-b363-3b7fe8e74483",
];

/** CRDs each engine installs itself (keyfleet must not redeclare them: creates no longer upsert). */
export const CRDS_INSTALLED_BY: Readonly<Record<Exclude<Engine, "bundled">, readonly string[]>> = {
  "aks-addon": [
    "secretproviderclasses.secrets-store.csi.x-k8s.io",
    "secretproviderclasspodstatuses.secrets-store.csi.x-k8s.io",
  ],
  "arc-extension": ["secretproviderclasses.secrets-store.csi.x-k8s.io", "secretsyncs.secret-sync.x-k8s.io"],
};
