/**
 * Type tokens, role GUIDs and setting names the rules look for. Type tokens are the ones @pulumi/azure-native 3.28
 * and @pulumi/kubernetes 4.34 register; strings (not resource classes) keep the pack light to load. Names keyfleet
 * shares with its components and runtime (custom resources, roles, the token audience, the runtime's environment,
 * engine defaults) come from common/vocabulary.ts, which has no dependencies.
 */
import {
  AKVSYNC,
  AzureRole,
  CaptureMarker,
  Engine,
  ENGINE_DEFAULTS,
  SECRET_PROVIDER_CLASS,
  SECRET_SYNC,
} from "../../common/vocabulary.ts";

export { ExtensionType, RuntimeEnv, TOKEN_EXCHANGE_AUDIENCE } from "../../common/vocabulary.ts";

/** The type token @pulumi/kubernetes registers for a custom resource. */
const kubernetesType = (resource: { apiVersion: string; kind: string }) =>
  `kubernetes:${resource.apiVersion}:${resource.kind}` as const;

/** Resource type tokens. */
export const ResourceType = {
  vault: "azure-native:keyvault:Vault",
  vaultSecret: "azure-native:keyvault:Secret",
  roleAssignment: "azure-native:authorization:RoleAssignment",
  federatedCredential: "azure-native:managedidentity:FederatedIdentityCredential",
  managedCluster: "azure-native:containerservice:ManagedCluster",
  extension: "azure-native:kubernetesconfiguration:Extension",
  deployment: "kubernetes:apps/v1:Deployment",
  secretProviderClass: kubernetesType(SECRET_PROVIDER_CLASS),
  akvSync: kubernetesType(AKVSYNC),
  secretSync: kubernetesType(SECRET_SYNC),
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

/** Engines as the rules see them (the Arc CSI provider extension counts as an engine for "one per cluster"). */
export const EngineKind = { ...Engine, arcCsiExtension: "arc-csi-extension" } as const;
/** One of {@link EngineKind}. */
export type EngineKind = (typeof EngineKind)[keyof typeof EngineKind];

/** Built-in Azure role definition GUIDs, by name (common/vocabulary.ts `AzureRole`). */
export const Role = Object.fromEntries(Object.entries(AzureRole).map(([key, role]) => [key, role.id])) as {
  readonly [K in keyof typeof AzureRole]: (typeof AzureRole)[K]["id"];
};

/** Human names of the roles above, by GUID, for messages. */
export const ROLE_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.values(AzureRole).map((role) => [role.id, role.name]),
);

/** Engine defaults when a setting is absent (as the add-on, the Arc extension and keyfleet document them). */
export const ENGINE_SETTING_DEFAULTS = {
  /** AKS add-on `rotationPollInterval` default ("2m"). */
  aksAddonPoll: `${ENGINE_DEFAULTS["aks-addon"].rotationPollIntervalSeconds / 60}m`,
  /** SSE `rotationPollIntervalInSeconds` default. */
  arcPollSeconds: ENGINE_DEFAULTS["arc-extension"].rotationPollIntervalSeconds,
  /** SSE `jitterSeconds` default. */
  arcJitterSeconds: ENGINE_DEFAULTS["arc-extension"].jitterSeconds,
  /** Arc CSI provider extension `secrets-store-csi-driver.rotationPollInterval` default. */
  arcCsiPoll: "2m",
} as const;

/** Marker the capture (stacks/synth) puts in place of secret values. */
export const REDACTED_MARKER = CaptureMarker.redacted;
/** Marker the capture puts in place of values unknown until deployment. */
export const UNKNOWN_MARKER = CaptureMarker.unknown;

/**
 * Set (to true) on a props object whose secret values are wrapped in @pulumi/policy `Secret` — the view the engine
 * gives remediations and `npm run policy:check` gives every rule. Plain analyzer calls unwrap secrets, so a rule
 * that needs to see secretness checks this first.
 */
export const SECRETS_PRESERVED = Symbol.for("keyfleet.policy.secretsPreserved");
