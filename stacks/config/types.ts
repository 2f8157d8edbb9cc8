/**
 * CONTRACT used by policies/ (the fleet planner and CrossGuard rules): the validated, fully expanded fleet
 * configuration. Produced only by `validateFleetConfig` / `loadFleetConfig` (./load.ts). Keep it stable.
 */
import type { ClusterKind, Engine } from "../../components/shared/engine.ts";

export type { ClusterKind, Engine } from "../../components/shared/engine.ts";

/** Azure tenant and subscription. Absent only when the stack creates no Azure resources (local). */
export interface AzureConfig {
  /** Entra ID tenant GUID (SecretProviderClass `tenantID`). */
  tenantId: string;
  /** Subscription GUID that holds vaults, identities and clusters. */
  subscriptionId: string;
}

/** Rotation settings in effect for one engine or one cluster (always plain numbers, never Outputs). */
export interface SyncSettings {
  /** Poll interval in seconds (config writes a duration such as "2m"). Default per engine: 120 / 3600 / 300. */
  rotationPollIntervalSeconds: number;
  /** Upper bound of the uniform random delay added to each poll. Always 0 for aks-addon. */
  jitterSeconds: number;
  /** Write fetched items even when others fail. Default true (arc-extension, bundled); aks-addon: false. */
  enablePartialSecretSync: boolean;
}

/** Firewall of a created vault. Default: `defaultAction: Deny`, `bypass: AzureServices`, no rules. */
export interface VaultNetworkRules {
  /** "Allow" | "Deny"; default "Deny". */
  defaultAction: "Allow" | "Deny";
  /** "AzureServices" | "None"; default "AzureServices". */
  bypass: "AzureServices" | "None";
  /** IPv4 addresses or CIDR ranges allowed through; default []. */
  ipRules: string[];
  /** Subnet resource ids allowed through; default []. */
  virtualNetworkSubnetIds: string[];
}

/** A secret Pulumi writes into a created vault; its value comes from a Pulumi secret config key. */
export interface SeedSecret {
  /** Secret name in the vault. */
  name: string;
  /** Stack config key (namespace `keyfleet`) holding the value, set with `pulumi config set --secret`. */
  configKey: string;
}

/** A Key Vault the fleet reads from. */
export interface VaultConfig {
  /** Vault name (3-24 chars, globally unique in Azure). Referenced by clusters. */
  name: string;
  /** "create" (Pulumi owns it), "existing" (referenced, never modified) or "local" (the proving ground). */
  mode: "create" | "existing" | "local";
  /** Resource group (create/existing). */
  resourceGroup?: string;
  /** Azure region (create). */
  location?: string;
  /** "standard" | "premium"; default "standard". */
  sku: "standard" | "premium";
  /** Soft-delete retention, 7-90 days; default 90. */
  softDeleteRetentionDays: number;
  /** Network rules (create). */
  networkRules: VaultNetworkRules;
  /** Tags (create); default {}. */
  tags: Record<string, string>;
  /** Secrets to seed (create); default []. */
  seedSecrets: SeedSecret[];
}

/** One Key Vault object copied into a Kubernetes Secret key. */
export interface SecretObjectConfig {
  /** `objectName` in the vault. */
  objectName: string;
  /** "secret" | "key" | "cert"; default "secret". */
  objectType: "secret" | "key" | "cert";
  /** Data key in the Kubernetes Secret; default the objectName. */
  key: string;
  /** Pinned version; default latest. */
  objectVersion?: string;
  /** Number of newest versions to keep (keys `<key>/<n>`); default 1 (none extra). */
  versionHistory: number;
}

/** One Kubernetes Secret kept in step with the vault. */
export interface SecretConfig {
  /** Name of the Kubernetes Secret (and of its SecretSync). */
  name: string;
  /** Secret type; default "Opaque". */
  type: string;
  /** Roll workloads that reference this Secret when it changes (Reloader annotations); default false. */
  restartWorkloads: boolean;
  /** Vault objects; at least one. */
  objects: SecretObjectConfig[];
}

/** A namespace served on a cluster. */
export interface NamespaceConfig {
  /** Namespace name (DNS label). */
  name: string;
  /** ServiceAccount whose token is exchanged for vault access (required). */
  serviceAccount: string;
  /** "SecretSync" (SPC + SecretSync) or "AKVSync" (bundled engine only); default "SecretSync". */
  syncKind: "SecretSync" | "AKVSync";
  /** Secrets to sync into this namespace. */
  secrets: SecretConfig[];
}

/** How Pulumi reaches a cluster's Kubernetes API. */
export type KubeconfigSource =
  | { /** AKS credentials read by Pulumi (`listManagedClusterUserCredentials`). */ from: "aks-credentials" }
  | {
      /** A Pulumi secret config key (namespace `keyfleet`) holding the kubeconfig. */ from: "config-secret";
      key: string;
    }
  | { /** The admin kubeconfig named in the proving ground's env file (local stack). */ from: "local-env" };

/** Which workload identity a cluster uses. */
export type IdentityConfig =
  | {
      /** One user-assigned identity per cluster (default) or per namespace. */ scope:
        "cluster" | "namespace";
    }
  | {
      /** An identity that already exists outside this stack (e.g. the local identity endpoint). */ clientId: string;
    };

/** One cluster, fully resolved (cluster sets expanded, defaults and overrides applied). */
export interface ClusterConfig {
  /** Unique cluster name; also the Pulumi name prefix of everything for it. */
  name: string;
  /** "aks" | "arc" | "generic". */
  kind: ClusterKind;
  /** The one engine that reconciles secrets here. */
  engine: Engine;
  /** Name of the vault (in {@link FleetConfig.vaults}) this cluster reads. */
  vault: string;
  /** Resource group of the cluster (aks/arc) and of its identities. */
  resourceGroup?: string;
  /** Azure region of the cluster and its identities. */
  location?: string;
  /** Region label for grouping (defaults to location). */
  region?: string;
  /** aks: Pulumi creates and owns the cluster (true) or checks an existing one (false, default). */
  managed: boolean;
  /** Settings for a managed AKS cluster. */
  aks?: { kubernetesVersion?: string; nodeCount: number; vmSize: string };
  /** OIDC issuer URL; required for arc and generic clusters that use an Azure identity. */
  oidcIssuerUrl?: string;
  /** How Pulumi reaches the cluster's API. Default: aks → aks-credentials, otherwise required. */
  kubeconfig: KubeconfigSource;
  /** Identity choice; default `{ scope: "cluster" }`. */
  identity: IdentityConfig;
  /** Secret-reconciling software already on the cluster (e.g. an SSE installed by hand); default []. */
  installedEngines: Engine[];
  /** aks + bundled: the CSI add-on is present for volume mounts (its CRDs are not redeclared); default false. */
  csiAddonPresent: boolean;
  /** Version of the Arc Secret Store extension to pin (autoUpgradeMinorVersion off); default unpinned. */
  extensionVersion?: string;
  /** Effective rotation settings (engine defaults ← fleet engine settings ← cluster overrides). */
  sync: SyncSettings;
  /** Namespaces served. */
  namespaces: NamespaceConfig[];
  /** Number of Kubernetes Secrets this cluster syncs (sum over namespaces). */
  secretCount: number;
  /** Number of vault objects this cluster fetches per poll (sum over secrets, incl. version history). */
  objectCount: number;
}

/** How the bundled runtime is delivered. */
export interface SyncRuntimeConfig {
  /** "image": a prebuilt image; "bundle": the esbuild bundle in a ConfigMap on a stock Node image. Default "bundle". */
  delivery: "image" | "bundle";
  /** Image reference (delivery image). */
  image?: string;
  /** Stock Node LTS image for delivery bundle; default "node:26-alpine". */
  nodeImage: string;
  /** Namespace of the runtime; default "keyfleet-system". */
  namespace: string;
  /** Replicas (leader election picks one); default 2. */
  replicas: number;
  /** Per-vault request budget per 10 s each runtime enforces; default 200 (the fleet shares ~4000 per vault). */
  vaultRequestsPer10s: number;
  /**
   * The runtime's ValidatingAdmissionPolicies (components/sync-runtime/admission.ts): `enabled` (default true) and
   * `deniedSecretTypes` the runtime may never write besides the token types (default []).
   */
  admissionPolicies?: { enabled: boolean; deniedSecretTypes: string[] };
}

/** The validated fleet. */
export interface FleetConfig {
  /** Azure identifiers; absent when no Azure resources are declared. */
  azure?: AzureConfig;
  /** Effective settings per engine before per-cluster overrides. */
  engines: Record<Engine, SyncSettings & { extensionVersion?: string }>;
  /** Bundled runtime settings. */
  syncRuntime: SyncRuntimeConfig;
  /** Vaults. */
  vaults: VaultConfig[];
  /** Clusters, expanded and sorted as written (cluster sets in order after explicit clusters). */
  clusters: ClusterConfig[];
}

/** Per-vault load summary a planner needs (computed by `vaultLoads`). */
export interface VaultLoad {
  /** Vault name. */
  vault: string;
  /** Clusters reading it. */
  clusterCount: number;
  /** Per engine: clusters, objects per cluster, and the worst case (shortest poll, smallest jitter) among them. */
  byEngine: Array<{
    engine: Engine;
    clusterCount: number;
    maxObjectsPerCluster: number;
    totalObjects: number;
    rotationPollIntervalSeconds: number;
    jitterSeconds: number;
  }>;
}
