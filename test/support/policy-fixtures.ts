/**
 * Hand-built resource graphs for the rule tests, shaped as `captureStack` returns them and with the inputs
 * @pulumi/azure-native 3.28 / @pulumi/kubernetes 4.34 register. `compliantFleet()` passes every rule; tests
 * change one thing at a time.
 */
import type { HarnessResource } from "../../policies/harness/evaluate.ts";

/** Resource inputs as tests edit them (deeply, without casts). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Inputs = Record<string, any>;

export const SUB = "66666666-7777-8888-9999-000000000000";
export const STACK_URN = "urn:pulumi:test::keyfleet::pulumi:pulumi:Stack::keyfleet-test";
const SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6";

function urn(parentType: string | undefined, type: string, name: string): string {
  return `urn:pulumi:test::keyfleet::${parentType ? `${parentType}$` : ""}${type}::${name}`;
}

function res(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  parent?: HarnessResource,
  extra: Partial<HarnessResource> = {},
): HarnessResource {
  return {
    type,
    name,
    urn: urn(parent?.type, type, name),
    parent: parent?.urn ?? STACK_URN,
    inputs,
    secretPaths: [],
    ...extra,
  };
}

/** The `objects` string of a SecretProviderClass with `count` secrets. */
export function spcObjects(count: number, prefix = "obj"): string {
  const items = Array.from(
    { length: count },
    (_, i) => `  - |\n    objectName: ${prefix}-${i}\n    objectType: secret\n`,
  );
  return `array:\n${items.join("")}`;
}

export function vaultScope(vault: string): string {
  return `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/${vault}`;
}

function clusterBase(name: string) {
  const cluster = res("keyfleet:index:ClusterSecrets", name, {});
  const provider = res("pulumi:providers:kubernetes", `${name}-k8s`, { kubeconfig: "[secret]" }, cluster, {
    secretPaths: ["kubeconfig"],
  });
  return { cluster, provider };
}

function spc(
  name: string,
  cluster: HarnessResource,
  provider: HarnessResource,
  vault: string,
  objects: number,
): HarnessResource {
  return res(
    "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass",
    `${name}-spc`,
    {
      apiVersion: "secrets-store.csi.x-k8s.io/v1",
      kind: "SecretProviderClass",
      metadata: { name: "app", namespace: "app" },
      spec: {
        provider: "azure",
        parameters: {
          keyvaultName: vault,
          clientID: "00000000-0000-0000-0000-0000000000c1",
          tenantID: "11111111-2222-3333-4444-555555555555",
          usePodIdentity: "false",
          objects: spcObjects(objects),
        },
      },
    },
    cluster,
    { provider: provider.urn },
  );
}

function identity(name: string, cluster: HarnessResource, vault: string): HarnessResource[] {
  return [
    res(
      "azure-native:authorization:RoleAssignment",
      `${name}-secrets-user`,
      {
        principalId: "p",
        principalType: "ServicePrincipal",
        roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${SECRETS_USER}`,
        scope: vaultScope(vault),
      },
      cluster,
    ),
    res(
      "azure-native:managedidentity:FederatedIdentityCredential",
      `${name}-fic`,
      {
        audiences: ["api://AzureADTokenExchange"],
        issuer: `https://oidc.example.net/${name}/`,
        subject: "system:serviceaccount:app:app-sync",
        resourceName: `${name}-wi`,
        resourceGroupName: "rg",
      },
      cluster,
    ),
  ];
}

/** An AKS cluster Pulumi owns, with the CSI add-on (rotation on, poll `poll`). */
export function aksCluster(
  name: string,
  opts: { vault?: string; objects?: number; poll?: string } = {},
): HarnessResource[] {
  const vault = opts.vault ?? "kv1";
  const { cluster, provider } = clusterBase(name);
  const addon = res("keyfleet:index:AksSecretsProvider", `${name}-addon`, {}, cluster);
  const managed = res(
    "azure-native:containerservice:ManagedCluster",
    `${name}-cluster`,
    {
      resourceName: name,
      resourceGroupName: "rg",
      addonProfiles: {
        azureKeyvaultSecretsProvider: {
          enabled: true,
          config: { enableSecretRotation: "true", rotationPollInterval: opts.poll ?? "2m" },
        },
      },
      oidcIssuerProfile: { enabled: true },
      securityProfile: { workloadIdentity: { enabled: true } },
    },
    addon,
  );
  return [
    cluster,
    provider,
    addon,
    managed,
    spc(name, cluster, provider, vault, opts.objects ?? 3),
    ...identity(name, cluster, vault),
  ];
}

/** An Arc cluster with the Secret Store extension. */
export function arcCluster(
  name: string,
  opts: { vault?: string; objects?: number; poll?: string; jitter?: string } = {},
): HarnessResource[] {
  const vault = opts.vault ?? "kv1";
  const { cluster, provider } = clusterBase(name);
  const store = res("keyfleet:index:ArcSecretStore", `${name}-sse`, {}, cluster);
  const extension = res(
    "azure-native:kubernetesconfiguration:Extension",
    `${name}-sse-ext`,
    {
      clusterName: name,
      clusterResourceName: "connectedClusters",
      clusterRp: "Microsoft.Kubernetes",
      extensionType: "microsoft.azure.secretstore",
      resourceGroupName: "rg",
      configurationSettings: {
        rotationPollIntervalInSeconds: opts.poll ?? "3600",
        jitterSeconds: opts.jitter ?? "60",
        enablePartialSecretSync: "true",
      },
    },
    store,
  );
  return [
    cluster,
    provider,
    store,
    extension,
    spc(name, cluster, provider, vault, opts.objects ?? 2),
    ...identity(name, cluster, vault),
  ];
}

/** A cluster running the bundled runtime, reading through an AKVSync. */
export function bundledCluster(
  name: string,
  opts: { vault?: string; poll?: string; jitter?: string } = {},
): HarnessResource[] {
  const vault = opts.vault ?? "kv1";
  const { cluster, provider } = clusterBase(name);
  const runtime = res("keyfleet:index:SyncRuntime", `${name}-runtime`, {}, cluster);
  const deployment = res(
    "kubernetes:apps/v1:Deployment",
    `${name}-runtime-deployment`,
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "keyfleet-sync-runtime", namespace: "keyfleet-system" },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: "sync-runtime",
                image: "example.azurecr.io/keyfleet/sync-runtime:0.1.0",
                env: [
                  { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                  { name: "KEYFLEET_ROTATION_POLL_INTERVAL_SECONDS", value: opts.poll ?? "300" },
                  { name: "KEYFLEET_JITTER_SECONDS", value: opts.jitter ?? "30" },
                ],
              },
            ],
          },
        },
      },
    },
    runtime,
    { provider: provider.urn },
  );
  const akvSync = res(
    "kubernetes:secret-sync.x-k8s.io/v1alpha1:AKVSync",
    `${name}-akvsync`,
    {
      apiVersion: "secret-sync.x-k8s.io/v1alpha1",
      kind: "AKVSync",
      metadata: { name: "app", namespace: "app" },
      spec: {
        keyvaultName: vault,
        clientID: "00000000-0000-0000-0000-0000000000c2",
        tenantID: "11111111-2222-3333-4444-555555555555",
        serviceAccountName: "app-sync",
        objects: [{ secretInAKV: "a" }, { secretInAKV: "b" }],
      },
    },
    cluster,
    { provider: provider.urn },
  );
  return [cluster, provider, runtime, deployment, akvSync, ...identity(name, cluster, vault)];
}

/** A SecretSync on a cluster made by the helpers above, naming its SecretProviderClass ("app" in namespace "app"). */
export function secretSync(cluster: readonly HarnessResource[]): HarnessResource {
  const component = cluster.find((r) => r.type === "keyfleet:index:ClusterSecrets")!;
  const provider = cluster.find((r) => r.type === "pulumi:providers:kubernetes")!;
  return {
    type: "kubernetes:secret-sync.x-k8s.io/v1alpha1:SecretSync",
    name: `${component.name}-sync`,
    urn: `urn:pulumi:test::keyfleet::keyfleet:index:ClusterSecrets$kubernetes:secret-sync.x-k8s.io/v1alpha1:SecretSync::${component.name}-sync`,
    parent: component.urn,
    provider: provider.urn,
    inputs: {
      metadata: { name: "app", namespace: "app" },
      spec: {
        serviceAccountName: "app-sync",
        secretProviderClassName: "app",
        secretObject: { type: "Opaque", data: [{ sourcePath: "obj-0", targetKey: "a" }] },
      },
    },
  };
}

/** A created vault (hardened) with one seed secret passed as a Pulumi secret. */
export function vault(name = "kv1"): HarnessResource[] {
  const component = res("keyfleet:index:KeyVault", name, {});
  return [
    component,
    res(
      "azure-native:keyvault:Vault",
      `${name}-vault`,
      {
        vaultName: name,
        resourceGroupName: "rg",
        properties: {
          enableRbacAuthorization: true,
          enablePurgeProtection: true,
          enableSoftDelete: true,
          publicNetworkAccess: "enabled",
          networkAcls: { bypass: "AzureServices", defaultAction: "Deny", ipRules: [] },
          sku: { family: "A", name: "standard" },
          tenantId: "11111111-2222-3333-4444-555555555555",
        },
      },
      component,
    ),
    res(
      "azure-native:keyvault:Secret",
      `${name}-seed`,
      { vaultName: name, secretName: "seed", properties: { value: "[secret]" } },
      component,
      {
        secretPaths: ["properties.value"],
      },
    ),
  ];
}

/** One vault, one cluster of each engine: passes every rule with default config. */
export function compliantFleet(): HarnessResource[] {
  return [
    { type: "pulumi:pulumi:Stack", name: "keyfleet-test", urn: STACK_URN, inputs: {}, secretPaths: [] },
    ...vault(),
    ...aksCluster("aks-1"),
    ...arcCluster("arc-1"),
    ...bundledCluster("edge-1"),
  ];
}

/** A deep copy of `resources` with `mutate` applied to the inputs of the resource named `name`. */
export function change(
  resources: readonly HarnessResource[],
  name: string,
  mutate: (inputs: Inputs, resource: HarnessResource) => void,
): HarnessResource[] {
  const copy = structuredClone(resources) as HarnessResource[];
  const target = copy.find((r) => r.name === name);
  if (!target) throw new Error(`fixture has no resource named ${name}`);
  mutate(target.inputs, target);
  return copy;
}
