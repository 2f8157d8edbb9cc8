/**
 * KeyVault: creates an Azure Key Vault with RBAC authorization, soft delete, purge protection and network
 * rules (optionally seeding secrets, always as Pulumi secrets), references an existing one (checking that RBAC
 * authorization is on), or stands for the proving ground's local vault, whose seed secrets it writes through the
 * local Azure providers (components/local-azure/) as it writes an Azure vault's.
 */
import * as azure from "@pulumi/azure-native";
import * as pulumi from "@pulumi/pulumi";
import { KeyVaultNamePattern } from "../../common/vocabulary.ts";
import { LocalVaultSecret, localVaultResourceId } from "../local-azure/index.ts";
import { check, COMPONENT_PREFIX, GUID_PATTERN, requireOneOf, slug } from "../base/validate.ts";
import { vaultProperties, vaultResourceId, vaultUri, type VaultNetworkRulesArgs } from "./properties.ts";

export { vaultProperties, vaultResourceId, vaultUri } from "./properties.ts";
export type { VaultNetworkRulesArgs } from "./properties.ts";

/** A secret Pulumi writes into the vault. */
export interface SeedSecretArgs {
  /** Secret name in the vault. */
  name: string;
  /** Value; wrapped with `pulumi.secret` whatever the caller passes. */
  value: pulumi.Input<string>;
  /** Content type. Default unset. */
  contentType?: string;
}

/** A secret whose value the local provider generates at create (local vaults only; kept in state as a secret). */
export interface GeneratedSeedSecretArgs {
  /** Secret name in the vault. */
  name: string;
  /** Length of the random value. */
  generate: { length: number };
  /** Content type. Default unset. */
  contentType?: string;
}

/** Create a vault (https://learn.microsoft.com/azure/key-vault/general/rbac-guide). */
export interface CreateVaultArgs {
  mode: "create";
  /** Vault name, 3-24 chars (letters, digits, single '-'), globally unique. Required. */
  vaultName: string;
  /** Resource group of the vault. Required. */
  resourceGroupName: pulumi.Input<string>;
  /** Azure region. Required. */
  location: pulumi.Input<string>;
  /** Tenant GUID. Required. */
  tenantId: string;
  /** Subscription GUID (for the outputs). Required. */
  subscriptionId: string;
  /** Default "standard". */
  sku?: "standard" | "premium";
  /** Soft-delete retention in days, 7-90. Default 90. Purge protection is always on. */
  softDeleteRetentionDays?: number;
  /**
   * Firewall rules. Default: deny all but trusted Azure services.
   * https://learn.microsoft.com/azure/key-vault/general/network-security
   */
  networkRules?: VaultNetworkRulesArgs;
  /** Default {}. */
  tags?: Record<string, string>;
  /** Default []. Generated values are for local vaults only. */
  seedSecrets?: Array<SeedSecretArgs | GeneratedSeedSecretArgs>;
}

/** Reference a vault this stack does not own; it is read (never written) and must have RBAC authorization on. */
export interface ExistingVaultArgs {
  mode: "existing";
  /** Name of the existing vault. Required. */
  vaultName: string;
  /** Its resource group. Required. */
  resourceGroupName: string;
  /** Its subscription GUID. Required. */
  subscriptionId: string;
}

/**
 * The proving ground's local vault (it exists with the ground; Pulumi does not create it). Its seed secrets are
 * written into it as an Azure vault's are (components/local-azure/); its `vaultId` has Azure's shape under the
 * local subscription, so role assignments are scoped to it as on Azure.
 */
export interface LocalVaultArgs {
  mode: "local";
  /** The local vault's name (the proving ground's `vault.vaultName`). Required. */
  vaultName: string;
  /** Base URL of the local vault endpoint. Required. */
  vaultUri: string;
  /** The proving ground's description file (env.json) the local providers read; required with seedSecrets. */
  ground?: pulumi.Input<string>;
  /** Default []. */
  seedSecrets?: Array<SeedSecretArgs | GeneratedSeedSecretArgs>;
}

/** Arguments of {@link KeyVault}: one of the three vault modes, told apart by `mode`. */
export type KeyVaultArgs = CreateVaultArgs | ExistingVaultArgs | LocalVaultArgs;

/** Message when an existing vault uses access policies instead of Azure RBAC. */
export const RBAC_OFF_MESSAGE =
  "uses access policies (enableRbacAuthorization is false); role assignments would not grant access. " +
  "Turn Azure RBAC on: az keyvault update --name <vault> --enable-rbac-authorization true";

/**
 * The vault a fleet reads: created with Azure RBAC authorization, soft delete, purge protection and network rules
 * (seed secrets written as Pulumi secrets), referenced when it exists (RBAC authorization checked, never written),
 * or the proving ground's local vault. Pass it to WorkloadIdentity and SecretSyncSet, which scope roles to
 * `vaultId` and name `vaultName`. https://learn.microsoft.com/azure/key-vault/general/rbac-guide
 */
export class KeyVault extends pulumi.ComponentResource {
  /** Vault name (the SecretProviderClass `keyvaultName`). */
  readonly vaultName: pulumi.Output<string>;
  /** Data-plane URI. */
  readonly vaultUri: pulumi.Output<string>;
  /** ARM id (role-assignment scope); for a local vault, Azure's shape under the local subscription. */
  readonly vaultId: pulumi.Output<string> | undefined;
  /** The mode this vault was declared with. */
  readonly mode: KeyVaultArgs["mode"];

  constructor(name: string, args: KeyVaultArgs, opts?: pulumi.ComponentResourceOptions) {
    super(`${COMPONENT_PREFIX}:KeyVault`, name, {}, opts);
    requireOneOf(args.mode, ["create", "existing", "local"], this, "mode");
    check(
      KeyVaultNamePattern.vault.test(args.vaultName),
      this,
      "vaultName",
      `"${args.vaultName}" must be 3-24 chars: letters, digits, single '-'`,
    );
    this.mode = args.mode;
    if (args.mode === "local") {
      const seeds = args.seedSecrets ?? [];
      check(
        seeds.length === 0 || args.ground !== undefined,
        this,
        "ground",
        "required to seed secrets into the local vault (the proving ground's env.json)",
      );
      for (const seed of seeds) {
        new LocalVaultSecret(
          `${name}-seed-${slug(seed.name)}`,
          {
            ground: args.ground!,
            vaultName: args.vaultName,
            secretName: seed.name,
            ...("generate" in seed ? { generateValueLength: seed.generate.length } : { value: seed.value }),
            contentType: seed.contentType,
          },
          { parent: this },
        );
      }
      this.vaultName = pulumi.output(args.vaultName);
      this.vaultUri = pulumi.output(args.vaultUri);
      this.vaultId = pulumi.output(localVaultResourceId(args.vaultName));
    } else if (args.mode === "existing") {
      check(GUID_PATTERN.test(args.subscriptionId), this, "subscriptionId", "must be a GUID");
      const existing = azure.keyvault.getVaultOutput(
        { vaultName: args.vaultName, resourceGroupName: args.resourceGroupName },
        { parent: this },
      );
      const checked = existing.apply((v) => {
        if (v.properties.enableRbacAuthorization !== true) {
          throw new pulumi.ResourceError(`vault ${args.vaultName} ${RBAC_OFF_MESSAGE}`, this);
        }
        return v;
      });
      this.vaultName = checked.apply((v) => v.name);
      this.vaultUri = checked.apply((v) => v.properties.vaultUri ?? vaultUri(args.vaultName));
      this.vaultId = checked.apply(() =>
        vaultResourceId(args.subscriptionId, args.resourceGroupName, args.vaultName),
      );
    } else {
      check(GUID_PATTERN.test(args.tenantId), this, "tenantId", "must be a GUID");
      const retention = args.softDeleteRetentionDays ?? 90;
      check(
        Number.isInteger(retention) && retention >= 7 && retention <= 90,
        this,
        "softDeleteRetentionDays",
        `got ${retention}; allowed 7-90`,
      );
      requireOneOf(args.sku ?? "standard", ["standard", "premium"], this, "sku");
      requireOneOf(
        args.networkRules?.defaultAction ?? "Deny",
        ["Allow", "Deny"],
        this,
        "networkRules.defaultAction",
      );
      const vault = new azure.keyvault.Vault(
        `${name}-vault`,
        {
          vaultName: args.vaultName,
          resourceGroupName: args.resourceGroupName,
          location: args.location,
          tags: args.tags ?? {},
          properties: vaultProperties({
            tenantId: args.tenantId,
            sku: args.sku ?? "standard",
            softDeleteRetentionDays: retention,
            networkRules: args.networkRules,
          }),
        },
        // Purge protection is on: a deleted vault stays soft-deleted and its name is blocked for the retention.
        { parent: this },
      );
      for (const seed of args.seedSecrets ?? []) {
        check(
          "value" in seed,
          this,
          `seedSecrets[${seed.name}]`,
          "a generated value is for local vaults only; give the value (a secret config key)",
        );
        new azure.keyvault.Secret(
          `${name}-seed-${slug(seed.name)}`,
          {
            resourceGroupName: args.resourceGroupName,
            vaultName: vault.name,
            secretName: seed.name,
            properties: { value: pulumi.secret(seed.value), contentType: seed.contentType },
          },
          { parent: this, additionalSecretOutputs: ["properties"] },
        );
      }
      this.vaultName = vault.name;
      this.vaultUri = vault.properties.apply((p) => p.vaultUri ?? vaultUri(args.vaultName));
      this.vaultId = vault.id;
    }
    // An existing vault's outputs carry the RBAC precondition; consumers (role assignments) surface its failure.
    this.registerOutputs(
      args.mode === "existing"
        ? { vaultName: args.vaultName }
        : { vaultName: this.vaultName, vaultUri: this.vaultUri, vaultId: this.vaultId },
    );
  }
}
