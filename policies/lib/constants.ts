/**
 * Type tokens, role GUIDs and setting names the rules look for. Type tokens are the ones @pulumi/azure-native 3.28
 * and @pulumi/kubernetes 4.34 register; strings (not resource classes) keep the pack light to load.
 */

/** Resource type tokens. */
export const ResourceType = {
  vault: "azure-native:keyvault:Vault",
  vaultSecret: "azure-native:keyvault:Secret",
  roleAssignment: "azure-native:authorization:RoleAssignment",
  federatedCredential: "azure-native:managedidentity:FederatedIdentityCredential",
  managedCluster: "azure-native:containerservice:ManagedCluster",
  extension: "azure-native:kubernetesconfiguration:Extension",
  deployment: "kubernetes:apps/v1:Deployment",
  secretProviderClass: "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass",
  akvSync: "kubernetes:secret-sync.x-k8s.io/v1alpha1:AKVSync",
  secretSync: "kubernetes:secret-sync.x-k8s.io/v1alpha1:SecretSync",
  /**
   * The `local` stack's twins of the Azure resources (components/local-azure/, dynamic resources with azure-native's
   * property names): judged by the same rules, so the rehearsal is gated as the Azure stacks are.
   */
  localVaultSecret: "pulumi-nodejs:dynamic/local-azure:VaultSecret",
  localRoleAssignment: "pulumi-nodejs:dynamic/local-azure:RoleAssignment",
  localFederatedCredential: "pulumi-nodejs:dynamic/local-azure:FederatedIdentityCredential",
  /** keyfleet components (issue 5): the cluster boundary and the add-on on a cluster Pulumi does not own. */
  clusterSecrets: "keyfleet:index:ClusterSecrets",
  aksSecretsProvider: "keyfleet:index:AksSecretsProvider",
} as const;

/** Arc extension types. */
export const ExtensionType = {
  /** The Secret Store extension ("SSE"). */
  secretStore: "microsoft.azure.secretstore",
  /** The Arc Secrets Store CSI driver provider extension (Microsoft advises against running it beside SSE). */
  csiProvider: "microsoft.azurekeyvaultsecretsprovider",
} as const;

/** Engines as the rules see them (the Arc CSI provider extension counts as an engine for "one per cluster"). */
export const EngineKind = {
  aksAddon: "aks-addon",
  arcExtension: "arc-extension",
  arcCsiExtension: "arc-csi-extension",
  bundled: "bundled",
} as const;
/** One of {@link EngineKind}. */
export type EngineKind = (typeof EngineKind)[keyof typeof EngineKind];

/** Built-in Azure role definition GUIDs. */
export const Role = {
  keyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
  keyVaultReader: "21090545-7ca7-4776-b22c-e363652d74d2",
  keyVaultSecretsOfficer: "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
  keyVaultAdministrator: "00482a5a-887f-4fb3-b363-3b7fe8e74483",
  keyVaultContributor: "f25e0fa2-a7c8-4377-a976-54943a77a395",
  keyVaultCertificatesOfficer: "a4417e6f-fecd-4de8-b567-7b0420556985",
  keyVaultCryptoOfficer: "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
  contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
  owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
  userAccessAdministrator: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
} as const;

/** Human names of the roles above, for messages. */
export const ROLE_NAMES: Readonly<Record<string, string>> = {
  [Role.keyVaultSecretsUser]: "Key Vault Secrets User",
  [Role.keyVaultReader]: "Key Vault Reader",
  [Role.keyVaultSecretsOfficer]: "Key Vault Secrets Officer",
  [Role.keyVaultAdministrator]: "Key Vault Administrator",
  [Role.keyVaultContributor]: "Key Vault Contributor",
  [Role.keyVaultCertificatesOfficer]: "Key Vault Certificates Officer",
  [Role.keyVaultCryptoOfficer]: "Key Vault Crypto Officer",
  [Role.contributor]: "Contributor",
  [Role.owner]: "Owner",
  [Role.userAccessAdministrator]: "User Access Administrator",
};

/** Audience of every workload-identity token exchange. */
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

/** Environment variables through which the bundled runtime's Deployment receives its rotation settings. */
export const RuntimeEnv = {
  poll: "KEYFLEET_ROTATION_POLL_INTERVAL_SECONDS",
  jitter: "KEYFLEET_JITTER_SECONDS",
  vaultLimit: "KEYFLEET_VAULT_REQUESTS_PER_10S",
} as const;

/** Engine defaults when a setting is absent (as the add-on, the Arc extension and keyfleet document them). */
export const ENGINE_SETTING_DEFAULTS = {
  /** AKS add-on `rotationPollInterval` default. */
  aksAddonPoll: "2m",
  /** SSE `rotationPollIntervalInSeconds` default. */
  arcPollSeconds: 3600,
  /** SSE `jitterSeconds` default. */
  arcJitterSeconds: 0,
  /** Arc CSI provider extension `secrets-store-csi-driver.rotationPollInterval` default. */
  arcCsiPoll: "2m",
} as const;

/** Marker the capture (stacks/synth) puts in place of secret values. */
export const REDACTED_MARKER = "[secret]";
/** Marker the capture puts in place of values unknown until deployment. */
export const UNKNOWN_MARKER = "[unknown]";

/**
 * Set (to true) on a props object whose secret values are wrapped in @pulumi/policy `Secret` — the view the engine
 * gives remediations and `npm run policy:check` gives every rule. Plain analyzer calls unwrap secrets, so a rule
 * that needs to see secretness checks this first.
 */
export const SECRETS_PRESERVED = Symbol.for("keyfleet.policy.secretsPreserved");
