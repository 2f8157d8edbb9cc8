/**
 * AksSecretsProvider: the `azure-keyvault-secrets-provider` add-on (Secrets Store CSI driver) with rotation,
 * plus OIDC issuer and workload identity. On a cluster this stack manages, the add-on is part of the
 * ManagedCluster it creates. On an existing cluster there is no add-on sub-resource — enabling it would be a
 * whole-cluster write — so the component reads the cluster and fails with the `az` commands to run instead.
 * Docs: https://learn.microsoft.com/azure/aks/csi-secrets-store-driver
 */
import * as azure from "@pulumi/azure-native";
import * as pulumi from "@pulumi/pulumi";
import { check, COMPONENT_PREFIX } from "../base/validate.ts";
import {
  addonDuration,
  addonProfiles,
  existingClusterProblems,
  workloadIdentityClusterProperties,
} from "./properties.ts";

export * from "./properties.ts";

/** A cluster this stack creates and owns (https://learn.microsoft.com/azure/aks/). */
export interface ManagedAksCluster {
  managed: {
    /** AKS cluster name, 1-63 letters, digits, '-', '_' (also the DNS prefix). Required. */
    clusterName: string;
    /** Resource group of the cluster. Required. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region. Required. */
    location: pulumi.Input<string>;
    /** Default: AKS default version. */
    kubernetesVersion?: string;
    /** System pool size. Default 2. */
    nodeCount?: number;
    /** Default "Standard_D2s_v5". */
    vmSize?: string;
    /** Default {}. */
    tags?: Record<string, string>;
  };
}
/**
 * A cluster owned elsewhere: checked, never written. It must already run the add-on with rotation at this poll
 * interval, the OIDC issuer and workload identity; otherwise the update fails with the `az` commands that fix it.
 */
export interface ExistingAksCluster {
  existing: {
    /** AKS cluster name. Required. */
    clusterName: string;
    /** Resource group of the cluster. Required. */
    resourceGroupName: string;
  };
}

/** Arguments of {@link AksSecretsProvider}. */
export interface AksSecretsProviderArgs {
  /** The cluster: created here (`managed`) or checked (`existing`). Required. */
  cluster: ManagedAksCluster | ExistingAksCluster;
  /**
   * The add-on's `rotationPollInterval` in whole seconds, 5-86400 (written as "2m"-style). Default 120 (the add-on's
   * 2m). https://learn.microsoft.com/azure/aks/csi-secrets-store-configuration-options
   */
  rotationPollIntervalSeconds?: number;
}

/** Message prefix of a failed existing-cluster precondition. */
export const PRECONDITION_FAILED =
  "existing AKS cluster does not meet the add-on engine's precondition (keyfleet will not rewrite a cluster it does not own; fix it, or set managed: true to adopt it deliberately)";

/**
 * The AKS engine: the `azure-keyvault-secrets-provider` add-on with rotation, the OIDC issuer and workload identity —
 * declared on a cluster this stack creates, or checked (never written) on an existing one. Exposes the issuer (for
 * federated credentials) and a kubeconfig (a Pulumi secret) for the cluster's Kubernetes provider.
 * https://learn.microsoft.com/azure/aks/csi-secrets-store-driver
 */
export class AksSecretsProvider extends pulumi.ComponentResource {
  /** OIDC issuer URL (federated credentials). */
  readonly oidcIssuerUrl: pulumi.Output<string>;
  /** Kubeconfig (a Pulumi secret) from the cluster's user credentials. */
  readonly kubeconfig: pulumi.Output<string>;
  /** Cluster name. */
  readonly clusterName: string;

  constructor(name: string, args: AksSecretsProviderArgs, opts?: pulumi.ComponentResourceOptions) {
    const poll = args.rotationPollIntervalSeconds ?? 120;
    // Registered as the component's own input so policies can judge the poll interval even on an existing
    // cluster, where no ManagedCluster appears in the graph.
    super(`${COMPONENT_PREFIX}:AksSecretsProvider`, name, { rotationPollIntervalSeconds: poll }, opts);
    check(
      Number.isInteger(poll) && poll >= 5 && poll <= 86_400,
      this,
      "rotationPollIntervalSeconds",
      `got ${poll}; allowed 5-86400 whole seconds`,
    );
    addonDuration(poll);
    let resourceGroupName: pulumi.Input<string>;
    let clusterName: pulumi.Input<string>;
    let issuer: pulumi.Output<string>;
    if ("managed" in args.cluster) {
      const m = args.cluster.managed;
      check(
        /^[a-zA-Z0-9][-_a-zA-Z0-9]{0,62}$/.test(m.clusterName),
        this,
        "cluster.managed.clusterName",
        "1-63 letters, digits, '-', '_'",
      );
      const nodeCount = m.nodeCount ?? 2;
      check(
        Number.isInteger(nodeCount) && nodeCount >= 1,
        this,
        "cluster.managed.nodeCount",
        `got ${nodeCount}; allowed >= 1`,
      );
      const cluster = new azure.containerservice.ManagedCluster(
        `${name}-cluster`,
        {
          resourceName: m.clusterName,
          resourceGroupName: m.resourceGroupName,
          location: m.location,
          dnsPrefix: m.clusterName,
          kubernetesVersion: m.kubernetesVersion,
          enableRBAC: true,
          identity: { type: "SystemAssigned" },
          agentPoolProfiles: [
            {
              name: "system",
              mode: "System",
              count: nodeCount,
              vmSize: m.vmSize ?? "Standard_D2s_v5",
              osType: "Linux",
            },
          ],
          addonProfiles: addonProfiles(poll),
          ...workloadIdentityClusterProperties(),
          tags: m.tags ?? {},
        },
        { parent: this },
      );
      resourceGroupName = m.resourceGroupName;
      clusterName = cluster.name;
      issuer = cluster.oidcIssuerProfile.apply((p) => p?.issuerURL ?? "");
    } else {
      const e = args.cluster.existing;
      const state = azure.containerservice.getManagedClusterOutput(
        { resourceName: e.clusterName, resourceGroupName: e.resourceGroupName },
        { parent: this },
      );
      issuer = state.apply((s) => {
        const problems = existingClusterProblems(s, e.clusterName, e.resourceGroupName, poll);
        if (problems.length > 0) {
          throw new pulumi.ResourceError(`${PRECONDITION_FAILED}:\n  - ${problems.join("\n  - ")}`, this);
        }
        return s.oidcIssuerProfile!.issuerURL!;
      });
      resourceGroupName = e.resourceGroupName;
      clusterName = e.clusterName;
    }
    this.clusterName =
      "managed" in args.cluster ? args.cluster.managed.clusterName : args.cluster.existing.clusterName;
    this.oidcIssuerUrl = issuer;
    const credentials = azure.containerservice.listManagedClusterUserCredentialsOutput(
      // Wait for the precondition (existing) or the cluster (managed) before reading credentials.
      { resourceName: pulumi.all([clusterName, issuer]).apply(([n]) => n), resourceGroupName },
      { parent: this },
    );
    this.kubeconfig = pulumi.secret(
      credentials.kubeconfigs.apply((k) => Buffer.from(k[0]?.value ?? "", "base64").toString("utf8")),
    );
    // The issuer output carries the existing-cluster precondition; consumers surface its failure.
    this.registerOutputs({ clusterName: this.clusterName, rotationPollIntervalSeconds: poll });
  }
}
