/**
 * ArcSecretStore: cert-manager and trust-manager (Helm releases, which the extension needs first), then the
 * `microsoft.azure.secretstore` extension on an Arc-enabled cluster with rotation, jitter, partial sync and
 * an optional pinned version. The Arc cluster's OIDC issuer is configured (the connectedClusters API in this
 * provider version does not expose it) and must be the issuer of the cluster's ServiceAccount tokens.
 * Docs: https://learn.microsoft.com/azure/azure-arc/kubernetes/secret-store-extension
 */
import * as azure from "@pulumi/azure-native";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { check, COMPONENT_PREFIX } from "../base/validate.ts";
import {
  CERT_MANAGER_CHART,
  SSE_EXTENSION_TYPE,
  sseConfigurationSettings,
  sseVersioning,
  TRUST_MANAGER_CHART,
} from "./properties.ts";

export * from "./properties.ts";

/**
 * Arguments of {@link ArcSecretStore}. Settings: https://learn.microsoft.com/azure/azure-arc/kubernetes/secret-store-extension-reference
 */
export interface ArcSecretStoreArgs {
  /** Name of the `Microsoft.Kubernetes/connectedClusters` resource. Required. */
  clusterName: string;
  /** Resource group of the Arc cluster. Required. */
  resourceGroupName: string;
  /** Provider for the cluster's Kubernetes API (cert-manager, trust-manager). Required. */
  kubernetesProvider: k8s.Provider;
  /** `rotationPollIntervalInSeconds`, whole seconds 5-86400. Default 3600 (the extension's). */
  rotationPollIntervalSeconds?: number;
  /** `jitterSeconds`: random delay added to each poll, whole seconds 0-86400. Default 0 (the extension's). */
  jitterSeconds?: number;
  /** `enablePartialSecretSync`: write the objects fetched even when others fail. Default true. */
  enablePartialSecretSync?: boolean;
  /** Pin an extension version (x.y.z); turns minor auto-upgrade off. Default: latest on the stable train. */
  version?: string;
  /** cert-manager chart version. Default {@link CERT_MANAGER_CHART}.version. */
  certManagerVersion?: string;
  /** trust-manager chart version. Default {@link TRUST_MANAGER_CHART}.version. */
  trustManagerVersion?: string;
}

/**
 * The Arc engine: cert-manager and trust-manager (Helm releases the extension needs first), then the Secret Store
 * extension (`microsoft.azure.secretstore`) with rotation, jitter, partial sync and an optional pinned version.
 * https://learn.microsoft.com/azure/azure-arc/kubernetes/secret-store-extension
 */
export class ArcSecretStore extends pulumi.ComponentResource {
  /** The extension resource. */
  readonly extension: azure.kubernetesconfiguration.Extension;

  constructor(name: string, args: ArcSecretStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:ArcSecretStore`, name, {}, opts);
    const poll = args.rotationPollIntervalSeconds ?? 3600;
    const jitter = args.jitterSeconds ?? 0;
    check(
      Number.isInteger(poll) && poll >= 5 && poll <= 86_400,
      this,
      "rotationPollIntervalSeconds",
      `got ${poll}; allowed 5-86400 whole seconds`,
    );
    check(
      Number.isInteger(jitter) && jitter >= 0 && jitter <= 86_400,
      this,
      "jitterSeconds",
      `got ${jitter}; allowed 0-86400 whole seconds`,
    );
    check(
      args.version === undefined || /^\d+\.\d+\.\d+$/.test(args.version),
      this,
      "version",
      `got "${args.version}"; allowed x.y.z`,
    );
    check(args.clusterName.length > 0, this, "clusterName", "required");

    const certManager = new k8s.helm.v3.Release(
      `${name}-cert-manager`,
      {
        chart: CERT_MANAGER_CHART.chart,
        version: args.certManagerVersion ?? CERT_MANAGER_CHART.version,
        repositoryOpts: { repo: CERT_MANAGER_CHART.repo },
        namespace: CERT_MANAGER_CHART.namespace,
        createNamespace: true,
        values: { crds: { enabled: true } },
      },
      { parent: this, provider: args.kubernetesProvider },
    );
    const trustManager = new k8s.helm.v3.Release(
      `${name}-trust-manager`,
      {
        chart: TRUST_MANAGER_CHART.chart,
        version: args.trustManagerVersion ?? TRUST_MANAGER_CHART.version,
        repositoryOpts: { repo: TRUST_MANAGER_CHART.repo },
        namespace: TRUST_MANAGER_CHART.namespace,
      },
      { parent: this, provider: args.kubernetesProvider, dependsOn: [certManager] },
    );
    this.extension = new azure.kubernetesconfiguration.Extension(
      `${name}-sse`,
      {
        clusterRp: "Microsoft.Kubernetes",
        clusterResourceName: "connectedClusters",
        clusterName: args.clusterName,
        resourceGroupName: args.resourceGroupName,
        extensionName: "ssarcextension",
        extensionType: SSE_EXTENSION_TYPE,
        ...sseVersioning(args.version),
        configurationSettings: sseConfigurationSettings({
          rotationPollIntervalSeconds: poll,
          jitterSeconds: jitter,
          enablePartialSecretSync: args.enablePartialSecretSync ?? true,
        }),
      },
      { parent: this, dependsOn: [trustManager] },
    );
    this.registerOutputs({ extensionId: this.extension.id });
  }
}
