/**
 * Deterministic Pulumi mocks for synth: plausible Azure ids, client/principal ids derived from names, vault
 * URIs, AKS issuer URLs and credentials. Nothing random, so the same stack always yields the same graph.
 */
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { LocalAzureType } from "../../components/local-azure/index.ts";

/** A deterministic GUID from a seed. */
export function seededGuid(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Overrides for invoke results, keyed by token (e.g. `azure-native:containerservice:getManagedCluster`). */
export type CallOverrides = Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>>;

/** Default state of an existing AKS cluster: add-on on with rotation 2m, OIDC issuer and workload identity on. */
export function healthyExistingCluster(
  inputs: Record<string, unknown>,
  rotationPollInterval = "2m",
): Record<string, unknown> {
  return {
    name: inputs.resourceName,
    addonProfiles: {
      azureKeyvaultSecretsProvider: {
        enabled: true,
        config: { enableSecretRotation: "true", rotationPollInterval },
      },
    },
    oidcIssuerProfile: {
      enabled: true,
      issuerURL: `https://oidc.mock.azure.example/${String(inputs.resourceName)}/`,
    },
    securityProfile: { workloadIdentity: { enabled: true } },
  };
}

/** Builds mocks for a subscription. `existingAksPoll` makes healthy existing clusters report that poll interval. */
export function synthMocks(subscriptionId: string, calls: CallOverrides = {}): pulumi.runtime.Mocks {
  const sub = `/subscriptions/${subscriptionId}`;
  return {
    newResource(args) {
      const i = args.inputs as Record<string, unknown>;
      const rg = String(i.resourceGroupName ?? "rg");
      switch (args.type) {
        case "azure-native:keyvault:Vault":
          return {
            id: `${sub}/resourceGroups/${rg}/providers/Microsoft.KeyVault/vaults/${String(i.vaultName)}`,
            state: {
              ...i,
              name: i.vaultName,
              properties: {
                ...(i.properties as object),
                vaultUri: `https://${String(i.vaultName)}.vault.azure.net/`,
              },
            },
          };
        case "azure-native:managedidentity:UserAssignedIdentity":
          return {
            id: `${sub}/resourceGroups/${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${String(i.resourceName)}`,
            state: {
              ...i,
              name: i.resourceName,
              clientId: seededGuid(`client:${args.name}`),
              principalId: seededGuid(`principal:${args.name}`),
              tenantId: "mock-tenant",
            },
          };
        case "azure-native:containerservice:ManagedCluster":
          return {
            id: `${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${String(i.resourceName)}`,
            state: {
              ...i,
              name: i.resourceName,
              oidcIssuerProfile: {
                enabled: true,
                issuerURL: `https://oidc.mock.azure.example/${String(i.resourceName)}/`,
              },
            },
          };
        case LocalAzureType.userAssignedIdentity: {
          // The local stand-in's object id equals the client id.
          const clientId = seededGuid(`client:${args.name}`);
          return { id: clientId, state: { ...i, clientId, principalId: clientId } };
        }
        case LocalAzureType.vaultSecret:
          return {
            id: `${String(i.vaultName)}/secrets/${String(i.secretName)}`,
            state: { ...i, version: seededGuid(`version:${args.name}`).replaceAll("-", "") },
          };
        default:
          return { id: `${args.name}-id`, state: { ...i, name: i.name ?? i.resourceName ?? args.name } };
      }
    },
    call(args) {
      const override = calls[args.token];
      if (override) return override(args.inputs as Record<string, unknown>);
      const i = args.inputs as Record<string, unknown>;
      switch (args.token) {
        case "azure-native:containerservice:getManagedCluster":
          return healthyExistingCluster(i);
        case "azure-native:containerservice:listManagedClusterUserCredentials":
          return {
            kubeconfigs: [
              {
                name: "clusterUser",
                value: Buffer.from(`# mock kubeconfig for ${String(i.resourceName)}\n`).toString("base64"),
              },
            ],
          };
        case "azure-native:keyvault:getVault":
          return {
            name: i.vaultName,
            properties: {
              enableRbacAuthorization: true,
              vaultUri: `https://${String(i.vaultName)}.vault.azure.net/`,
            },
          };
        default:
          return {};
      }
    },
  };
}
