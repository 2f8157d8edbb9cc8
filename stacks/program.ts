/**
 * The fleet program: turns a validated {@link FleetConfig} into components. It reads nothing itself —
 * config, secrets, the local proving ground, the runtime bundle and CRDs come in through {@link ProgramInputs},
 * so the same function runs under the Pulumi CLI (stacks/index.ts) and under mocks (stacks/synth/capture.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterSecrets, type EngineSpec } from "../components/cluster-secrets/index.ts";
import { KeyVault } from "../components/key-vault/index.ts";
import type { CrdManifest } from "../components/sync-runtime/index.ts";
import type { ClusterConfig, FleetConfig, VaultConfig } from "./config/types.ts";

/** Facts about the local proving ground, read once at program start (never inside components). */
export interface LocalInputs {
  /** Admin kubeconfig contents. */
  kubeconfig: string;
  /** `keyvaultName` of the local vault. */
  vaultName: string;
  /** Base URL of the local vault (loopback: what Pulumi itself uses). */
  vaultUrl: string;
  /** Tenant the local identity endpoint serves. */
  tenantId: string;
  /**
   * Path of the ground's description file (env.json). The local Azure resources carry it and their provider reads
   * the stand-in's endpoints and credentials from it at each operation (components/local-azure/ground.ts).
   */
  ground: string;
  /** The ground's ServiceAccount issuer (its apiserver URL): the federated credentials' issuer. */
  serviceAccountIssuer: string;
  /** Plain env for the runtime (the endpoints as the runtime's pods reach them). */
  runtimeEnv: Record<string, string>;
  /** The Node image the ground's node has imported (absent without a worker node: the configured image is used). */
  nodeImage?: string;
  /**
   * The pulumi-kubernetes plugin the ground's engine provides (e.g. "4.25.0"; absent without the engine). The
   * ground's clusters ask for exactly it, so the engine never looks for the newer one the SDK names.
   */
  kubernetesProviderVersion?: string;
}

/** Everything the program needs from outside. */
export interface ProgramInputs {
  config: FleetConfig;
  /** A Pulumi secret config value of namespace `keyfleet`. */
  secretConfig(key: string): pulumi.Output<string>;
  /** Required when a vault is local or a kubeconfig comes from local-env. */
  local?: LocalInputs;
  /** The bundled runtime's code (esbuild bundle of sync-runtime/main.ts); called at most once, lazily. */
  runtimeBundle(): string;
  /** CRDs the bundled runtime serves (`keyfleetCrds()`). */
  crds: CrdManifest[];
}

/** Per-cluster stack output. */
export interface ClusterOutput {
  engine: string;
  rotationPollIntervalSeconds: number;
  jitterSeconds: number;
  enablePartialSecretSync: boolean;
  identityClientIds: pulumi.Output<Record<string, string>>;
  oidcIssuerUrl: pulumi.Output<string>;
}

/** Stack outputs a user needs. */
export interface FleetOutputs {
  vaults: Record<string, { vaultUri: pulumi.Output<string> }>;
  clusters: Record<string, ClusterOutput>;
}

/** True when the program needs {@link LocalInputs}. */
export function needsLocalInputs(config: FleetConfig): boolean {
  return (
    config.vaults.some((v) => v.mode === "local") ||
    config.clusters.some((c) => c.kubeconfig.from === "local-env")
  );
}

/** The seed secrets of a vault: values from secret config keys, or generated (local vaults only). */
function seedsOf(v: VaultConfig, inputs: ProgramInputs) {
  return v.seedSecrets.map((s) =>
    "configKey" in s
      ? { name: s.name, value: inputs.secretConfig(s.configKey) }
      : { name: s.name, generate: s.generate },
  );
}

function declareVault(v: VaultConfig, inputs: ProgramInputs): KeyVault {
  const azure = inputs.config.azure;
  if (v.mode === "local") {
    return new KeyVault(v.name, {
      mode: "local",
      vaultName: inputs.local!.vaultName,
      vaultUri: inputs.local!.vaultUrl,
      ground: inputs.local!.ground,
      seedSecrets: seedsOf(v, inputs),
    });
  }
  if (v.mode === "existing") {
    return new KeyVault(v.name, {
      mode: "existing",
      vaultName: v.name,
      resourceGroupName: v.resourceGroup!,
      subscriptionId: azure!.subscriptionId,
    });
  }
  return new KeyVault(v.name, {
    mode: "create",
    vaultName: v.name,
    resourceGroupName: v.resourceGroup!,
    location: v.location!,
    tenantId: azure!.tenantId,
    subscriptionId: azure!.subscriptionId,
    sku: v.sku,
    softDeleteRetentionDays: v.softDeleteRetentionDays,
    networkRules: v.networkRules,
    tags: v.tags,
    seedSecrets: seedsOf(v, inputs),
  });
}

function engineSpec(c: ClusterConfig, inputs: ProgramInputs, bundle: () => string): EngineSpec {
  const { config } = inputs;
  if (c.engine === "aks-addon") {
    return {
      engine: "aks-addon",
      rotationPollIntervalSeconds: c.sync.rotationPollIntervalSeconds,
      cluster: c.managed
        ? {
            managed: {
              clusterName: c.name,
              resourceGroupName: c.resourceGroup!,
              location: c.location!,
              ...c.aks,
            },
          }
        : { existing: { clusterName: c.name, resourceGroupName: c.resourceGroup! } },
    };
  }
  if (c.engine === "arc-extension") {
    return {
      engine: "arc-extension",
      clusterName: c.name,
      resourceGroupName: c.resourceGroup!,
      oidcIssuerUrl: c.oidcIssuerUrl!,
      ...c.sync,
      version: c.extensionVersion,
    };
  }
  const rt = config.syncRuntime;
  const onGround = c.kubeconfig.from === "local-env";
  // The ground's node runs only the image it imported: never pulled, so a missing one fails at once.
  const groundImage = onGround ? inputs.local!.nodeImage : undefined;
  const localVault = config.vaults.find((v) => v.name === c.vault)?.mode === "local";
  return {
    engine: "bundled",
    oidcIssuerUrl: c.oidcIssuerUrl ?? (localVault ? inputs.local!.serviceAccountIssuer : undefined),
    csiAddonPresent: c.csiAddonPresent,
    runtime: {
      namespace: rt.namespace,
      replicas: rt.replicas,
      crds: inputs.crds,
      delivery:
        rt.delivery === "image"
          ? { image: rt.image! }
          : groundImage
            ? { bundle: bundle(), nodeImage: groundImage, imagePullPolicy: "Never" }
            : { bundle: bundle(), nodeImage: rt.nodeImage },
      settings: { ...c.sync, vaultRequestsPer10s: rt.vaultRequestsPer10s },
      admissionPolicies: rt.admissionPolicies,
      env: onGround ? inputs.local!.runtimeEnv : {},
      readyTimeoutSeconds: rt.readyTimeoutSeconds,
    },
  };
}

function kubeconfigFor(c: ClusterConfig, inputs: ProgramInputs): pulumi.Input<string> | undefined {
  switch (c.kubeconfig.from) {
    case "aks-credentials":
      return undefined;
    case "config-secret":
      return inputs.secretConfig(c.kubeconfig.key);
    case "local-env":
      return pulumi.secret(inputs.local!.kubeconfig);
  }
}

/** Declares the whole fleet; returns the stack outputs. */
export function defineFleet(inputs: ProgramInputs): FleetOutputs {
  const { config } = inputs;
  if (needsLocalInputs(config) && !inputs.local) {
    throw new Error(
      "this stack uses the local proving ground (vault mode local / kubeconfig from local-env) but no local inputs were given; run `npm run local:up` first",
    );
  }
  let cached: string | undefined;
  const bundle = () => (cached ??= inputs.runtimeBundle());
  const vaults = new Map(config.vaults.map((v) => [v.name, declareVault(v, inputs)]));
  const clusters: Record<string, ClusterOutput> = {};
  for (const c of config.clusters) {
    const vault = vaults.get(c.vault)!;
    const vaultConfig = config.vaults.find((v) => v.name === c.vault)!;
    const localVault = vaultConfig.mode === "local";
    const tenantId = localVault ? inputs.local!.tenantId : config.azure!.tenantId;
    const cs = new ClusterSecrets(c.name, {
      engine: engineSpec(c, inputs, bundle),
      installedEngines: c.installedEngines,
      kubeconfig: kubeconfigFor(c, inputs),
      kubernetesProviderVersion:
        c.kubeconfig.from === "local-env" && inputs.local!.kubernetesProviderVersion !== undefined
          ? inputs.local!.kubernetesProviderVersion
          : undefined,
      vault,
      tenantId,
      subscriptionId: config.azure?.subscriptionId,
      identity:
        "clientId" in c.identity
          ? { existing: { clientId: c.identity.clientId } }
          : localVault
            ? { local: { ground: inputs.local!.ground }, scope: c.identity.scope }
            : {
                create: { resourceGroupName: c.resourceGroup!, location: c.location! },
                scope: c.identity.scope,
              },
      namespaces: c.namespaces.map((ns) => ({
        name: ns.name,
        serviceAccount: ns.serviceAccount,
        syncKind: ns.syncKind,
        secrets: ns.secrets,
      })),
    });
    clusters[c.name] = {
      engine: c.engine,
      ...c.sync,
      identityClientIds: cs.identityClientIds,
      oidcIssuerUrl: cs.oidcIssuerUrl,
    };
  }
  return {
    vaults: Object.fromEntries([...vaults].map(([name, v]) => [name, { vaultUri: v.vaultUri }])),
    clusters,
  };
}
