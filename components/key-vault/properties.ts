/** Pure property builders for {@link KeyVault} (table-tested in properties.test.ts). */
import type * as azure from "@pulumi/azure-native";

/** Vault firewall (docs: https://learn.microsoft.com/azure/key-vault/general/network-security). */
export interface VaultNetworkRulesArgs {
  /** "Allow" | "Deny". Default "Deny". */
  defaultAction?: "Allow" | "Deny";
  /** "AzureServices" | "None". Default "AzureServices". */
  bypass?: "AzureServices" | "None";
  /** IPv4 addresses/CIDRs allowed. Default []. */
  ipRules?: string[];
  /** Subnet resource ids allowed. Default []. */
  virtualNetworkSubnetIds?: string[];
}

/** Inputs of {@link vaultProperties}. */
export interface VaultPropertiesInput {
  tenantId: string;
  sku: "standard" | "premium";
  softDeleteRetentionDays: number;
  networkRules?: VaultNetworkRulesArgs;
}

/**
 * Vault properties: RBAC authorization set explicitly (omitting it sends false), soft delete with retention,
 * purge protection (cannot be turned off again), network ACLs. Public network access stays enabled so the ACLs
 * apply; `defaultAction: Deny` closes it to everything not listed.
 */
export function vaultProperties(input: VaultPropertiesInput): azure.types.input.keyvault.VaultPropertiesArgs {
  const rules = input.networkRules ?? {};
  return {
    tenantId: input.tenantId,
    sku: { family: "A", name: input.sku },
    enableRbacAuthorization: true,
    enableSoftDelete: true,
    softDeleteRetentionInDays: input.softDeleteRetentionDays,
    enablePurgeProtection: true,
    enabledForDeployment: false,
    enabledForDiskEncryption: false,
    enabledForTemplateDeployment: false,
    networkAcls: {
      defaultAction: rules.defaultAction ?? "Deny",
      bypass: rules.bypass ?? "AzureServices",
      ipRules: (rules.ipRules ?? []).map((value) => ({ value })),
      virtualNetworkRules: (rules.virtualNetworkSubnetIds ?? []).map((id) => ({ id })),
    },
  };
}

/** The vault's data-plane URI in Azure public cloud. */
export function vaultUri(vaultName: string): string {
  return `https://${vaultName}.vault.azure.net/`;
}

/** ARM id of a vault (for existing vaults and role-assignment scopes). */
export function vaultResourceId(
  subscriptionId: string,
  resourceGroupName: string,
  vaultName: string,
): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroupName}/providers/Microsoft.KeyVault/vaults/${vaultName}`;
}
