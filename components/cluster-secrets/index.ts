/**
 * ClusterSecrets: everything keyfleet declares for one cluster, given its one engine (a discriminated union:
 * `aks-addon` | `arc-extension` | `bundled`). Order: engine prerequisites (add-on / Arc extension / runtime CRDs)
 * → Kubernetes provider → namespaces → workload identity (+ ServiceAccounts) → SecretSyncSets. Refuses a
 * second engine on a cluster that already runs another (`installedEngines`).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  AksSecretsProvider,
  type ExistingAksCluster,
  type ManagedAksCluster,
} from "../aks-secrets-provider/index.ts";
import { ArcSecretStore } from "../arc-secret-store/index.ts";
import type { KeyVault } from "../key-vault/index.ts";
import { SecretSyncSet, type SyncedSecret } from "../secret-sync-set/index.ts";
import { CRDS_INSTALLED_BY, ENGINES, type Engine } from "../../common/vocabulary.ts";
import { check, COMPONENT_PREFIX, requireOneOf, slug } from "../base/validate.ts";
import { SyncRuntime, type SyncRuntimeArgs } from "../sync-runtime/index.ts";
import { identityGroups, identityKeyOf } from "./properties.ts";
import {
  WorkloadIdentity,
  type CreateIdentity,
  type ExistingIdentity,
  type LocalGroundIdentity,
} from "../workload-identity/index.ts";

/** AKS with the CSI add-on ({@link AksSecretsProvider}). */
export interface AksAddonEngine {
  engine: "aks-addon";
  /** The AKS cluster: created here or checked. Required. */
  cluster: ManagedAksCluster | ExistingAksCluster;
  /** The add-on's `rotationPollInterval`, seconds. Default 120. */
  rotationPollIntervalSeconds?: number;
}
/** Arc with the Secret Store extension ({@link ArcSecretStore}). */
export interface ArcExtensionEngine {
  engine: "arc-extension";
  /** Name of the `Microsoft.Kubernetes/connectedClusters` resource. Required. */
  clusterName: string;
  /** Resource group of the Arc cluster. Required. */
  resourceGroupName: string;
  /** The Arc cluster's ServiceAccount issuer. Required. */
  oidcIssuerUrl: pulumi.Input<string>;
  /** `rotationPollIntervalInSeconds`. Default 3600. */
  rotationPollIntervalSeconds?: number;
  /** `jitterSeconds`. Default 0. */
  jitterSeconds?: number;
  /** `enablePartialSecretSync`. Default true. */
  enablePartialSecretSync?: boolean;
  /** Pinned extension version (x.y.z). Default: unpinned (latest on the stable train). */
  version?: string;
}
/** keyfleet's bundled runtime ({@link SyncRuntime}). */
export interface BundledEngine {
  engine: "bundled";
  /** The cluster's OIDC issuer. Required when the identity is created in Azure. */
  oidcIssuerUrl?: pulumi.Input<string>;
  /** Runtime settings (served ServiceAccounts are filled in from `namespaces`). Required. */
  runtime: Omit<SyncRuntimeArgs, "servedServiceAccounts" | "servedNamespaceDependsOn">;
  /** aks: the CSI add-on is present for mounts; its CRDs are not redeclared. Default false. */
  csiAddonPresent?: boolean;
}
/** The one engine of a cluster (a discriminated union on `engine`). */
export type EngineSpec = AksAddonEngine | ArcExtensionEngine | BundledEngine;

/** A namespace served on the cluster. */
export interface ServedNamespace {
  /** Namespace name (a DNS label; created by the component). Required. */
  name: string;
  /** The ServiceAccount whose token is exchanged for the vault token. Required. */
  serviceAccount: string;
  /** Which custom resource describes its Secrets. Default "SecretSync"; "AKVSync" needs the bundled engine. */
  syncKind?: "SecretSync" | "AKVSync";
  /** The Secrets to keep in step with the vault. Required. */
  secrets: SyncedSecret[];
}

/** Arguments of {@link ClusterSecrets}. */
export interface ClusterSecretsArgs {
  /** The cluster's one engine. Required. */
  engine: EngineSpec;
  /** Secret-reconciling engines already on the cluster. Default []. Any other than `engine.engine` is refused. */
  installedEngines?: Engine[];
  /** Kubeconfig (a Pulumi secret). Required except for aks-addon (read from the cluster). */
  kubeconfig?: pulumi.Input<string>;
  /** The vault the cluster reads. Required. */
  vault: KeyVault;
  /** Tenant GUID of the vault and the identities. Required. */
  tenantId: string;
  /** Subscription GUID (role definition ids). Required when an identity is created. */
  subscriptionId?: string;
  /** Create per cluster / per namespace (in Azure, or on the proving ground), or use an existing client id. */
  identity:
    | (CreateIdentity & { scope?: "cluster" | "namespace" })
    | (LocalGroundIdentity & { scope?: "cluster" | "namespace" })
    | ExistingIdentity;
  /** The namespaces served on the cluster. Required. */
  namespaces: ServedNamespace[];
  /**
   * The pulumi-kubernetes plugin version this cluster's provider asks the engine for. Default: the version the
   * installed `@pulumi/kubernetes` SDK names. The local stack sets the version its ground's engine built.
   */
  kubernetesProviderVersion?: string;
}

/**
 * Everything keyfleet declares for one cluster, given its one engine: engine prerequisites (add-on, Arc extension or
 * the bundled runtime and its CRDs) → Kubernetes provider → namespaces → workload identities and ServiceAccounts →
 * a SecretSyncSet per namespace. Refuses a second engine on a cluster that already runs another.
 * https://learn.microsoft.com/azure/aks/csi-secrets-store-identity-access
 */
export class ClusterSecrets extends pulumi.ComponentResource {
  /** The engine declared. */
  readonly engine: Engine;
  /** Client id per identity key ("cluster" or the namespace name). */
  readonly identityClientIds: pulumi.Output<Record<string, string>>;
  /** OIDC issuer URL in use (empty for an existing identity without federation). */
  readonly oidcIssuerUrl: pulumi.Output<string>;

  constructor(name: string, args: ClusterSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:ClusterSecrets`, name, {}, opts);
    const spec = args.engine;
    requireOneOf(spec.engine, ENGINES, this, "engine.engine");
    const others = (args.installedEngines ?? []).filter((e) => e !== spec.engine);
    check(
      others.length === 0,
      this,
      "installedEngines",
      `cluster already runs ${others.join(", ")}; refusing a second engine (${spec.engine}): never two engines reconciling one cluster`,
    );
    check(
      spec.engine === "aks-addon" || args.kubeconfig !== undefined,
      this,
      "kubeconfig",
      `required for engine ${spec.engine}`,
    );
    const seenNs = new Set<string>();
    args.namespaces.forEach((ns, i) => {
      check(!seenNs.has(ns.name), this, `namespaces[${i}].name`, `duplicate namespace "${ns.name}"`);
      check(
        Boolean(ns.serviceAccount),
        this,
        `namespaces[${i}].serviceAccount`,
        "required: a namespace needs a ServiceAccount",
      );
      seenNs.add(ns.name);
    });
    this.engine = spec.engine;
    const child = { parent: this };

    let kubeconfig: pulumi.Input<string>;
    let issuer: pulumi.Output<string> | undefined;
    if (spec.engine === "aks-addon") {
      const addon = new AksSecretsProvider(
        `${name}-addon`,
        { cluster: spec.cluster, rotationPollIntervalSeconds: spec.rotationPollIntervalSeconds },
        child,
      );
      kubeconfig = addon.kubeconfig;
      issuer = addon.oidcIssuerUrl;
    } else {
      kubeconfig = args.kubeconfig!;
      issuer = spec.oidcIssuerUrl === undefined ? undefined : pulumi.output(spec.oidcIssuerUrl);
    }
    const provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: pulumi.secret(kubeconfig), enableServerSideApply: true },
      args.kubernetesProviderVersion === undefined
        ? child
        : { ...child, version: args.kubernetesProviderVersion },
    );
    const onCluster = { parent: this, provider };

    const namespaces = args.namespaces.map(
      (ns) =>
        new k8s.core.v1.Namespace(
          `${name}-ns-${slug(ns.name)}`,
          { metadata: { name: ns.name, labels: { "app.kubernetes.io/managed-by": "keyfleet" } } },
          onCluster,
        ),
    );

    let engineDeps: pulumi.Resource[] = [];
    if (spec.engine === "arc-extension") {
      engineDeps = [
        new ArcSecretStore(
          `${name}-sse`,
          {
            clusterName: spec.clusterName,
            resourceGroupName: spec.resourceGroupName,
            kubernetesProvider: provider,
            rotationPollIntervalSeconds: spec.rotationPollIntervalSeconds,
            jitterSeconds: spec.jitterSeconds,
            enablePartialSecretSync: spec.enablePartialSecretSync,
            version: spec.version,
          },
          child,
        ),
      ];
    } else if (spec.engine === "bundled") {
      const runtime = new SyncRuntime(
        `${name}-runtime`,
        {
          ...spec.runtime,
          preinstalledCrds: [
            ...(spec.runtime.preinstalledCrds ?? []),
            ...(spec.csiAddonPresent ? CRDS_INSTALLED_BY["aks-addon"] : []),
          ],
          servedServiceAccounts: args.namespaces.map((ns) => ({
            namespace: ns.name,
            name: ns.serviceAccount,
          })),
          servedNamespaceDependsOn: namespaces,
        },
        onCluster,
      );
      engineDeps = runtime.crds.length > 0 ? runtime.crds : [runtime];
    }

    // Identities: one per cluster, one per namespace, or the existing one.
    const scope =
      !("existing" in args.identity) && args.identity.scope === "namespace" ? "namespace" : "cluster";
    const groups = identityGroups(name, scope, args.namespaces);
    const identities = new Map<string, WorkloadIdentity>();
    for (const group of groups) {
      identities.set(
        group.key,
        new WorkloadIdentity(
          group.resourceName,
          {
            identity:
              "create" in args.identity
                ? { create: args.identity.create }
                : "local" in args.identity
                  ? { local: args.identity.local }
                  : args.identity,
            vault: args.vault,
            subscriptionId: args.subscriptionId,
            tenantId: args.tenantId,
            roles: group.roles,
            oidcIssuerUrl: issuer,
            serviceAccounts: group.namespaces.map((ns) => ({ namespace: ns.name, name: ns.serviceAccount })),
            kubernetesProvider: provider,
            serviceAccountDependsOn: namespaces,
          },
          child,
        ),
      );
    }

    args.namespaces.forEach((ns, i) => {
      const identity = identities.get(identityKeyOf(groups, ns.name))!;
      new SecretSyncSet(
        `${name}-${slug(ns.name)}`,
        {
          engine: spec.engine,
          namespace: ns.name,
          serviceAccountName: ns.serviceAccount,
          syncKind: ns.syncKind,
          vault: args.vault,
          identity,
          tenantId: args.tenantId,
          secrets: ns.secrets,
          // After the vault's seed secrets too, so the first sync finds them.
          dependsOn: [namespaces[i]!, identity, args.vault, ...engineDeps],
        },
        onCluster,
      );
    });

    this.identityClientIds = pulumi
      .all([...identities].map(([key, wi]) => wi.clientId.apply((id) => [key, id] as const)))
      .apply((pairs) => Object.fromEntries(pairs));
    this.oidcIssuerUrl = issuer ?? pulumi.output("");
    this.registerOutputs({
      engine: this.engine,
      identityClientIds: this.identityClientIds,
      oidcIssuerUrl: this.oidcIssuerUrl,
    });
  }
}
