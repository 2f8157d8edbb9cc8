/**
 * Local Azure resources: the proving ground's twins of the Azure resources keyfleet declares — a Key Vault secret, a
 * user-assigned managed identity, a Key Vault role assignment and a federated identity credential — as Pulumi
 * dynamic resources against the local vault and identity stand-in (test/azure-local/, docs/local-azure.md). The
 * `local` stack declares them where dev/prod declare azure-native resources, with the same names and the same
 * property names, so `pulumi up` of `local` rehearses the Azure graph (creation order, replacement, destroy).
 *
 * Each resource names the proving ground by its description file (`ground`, scripts/local/env.ts); the provider
 * reads endpoints and credentials from it at each operation (components/local-azure/ground.ts). Secret values are
 * Pulumi secrets in inputs, outputs and state.
 */
import * as pulumi from "@pulumi/pulumi";
import { vaultResourceId } from "../key-vault/properties.ts";
import type { LocalAzureKind } from "./impl.ts";
import { localAzureProvider } from "./provider.ts";

/** Subscription GUID of local resource ids (the proving ground has no subscription; this one is never Azure's). */
export const LOCAL_SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000";
/** Resource group of local resource ids. */
export const LOCAL_RESOURCE_GROUP = "keyfleet-local";
/** Module of the dynamic resources' type tokens: `pulumi-nodejs:dynamic/local-azure:<Type>`. */
export const LOCAL_AZURE_MODULE = "local-azure";

/** Type tokens of the local Azure resources (what the engine, the snapshot and the policy pack see). */
export const LocalAzureType = {
  vaultSecret: `pulumi-nodejs:dynamic/${LOCAL_AZURE_MODULE}:VaultSecret`,
  userAssignedIdentity: `pulumi-nodejs:dynamic/${LOCAL_AZURE_MODULE}:UserAssignedIdentity`,
  roleAssignment: `pulumi-nodejs:dynamic/${LOCAL_AZURE_MODULE}:RoleAssignment`,
  federatedIdentityCredential: `pulumi-nodejs:dynamic/${LOCAL_AZURE_MODULE}:FederatedIdentityCredential`,
} as const;

/** The id a local vault has in role-assignment scopes: Azure's vault id shape under {@link LOCAL_SUBSCRIPTION_ID}. */
export function localVaultResourceId(vaultName: string): string {
  return vaultResourceId(LOCAL_SUBSCRIPTION_ID, LOCAL_RESOURCE_GROUP, vaultName);
}

/** Absolute URL of the implementation each provider method imports (see ./provider.ts). */
const IMPL_URL = new URL("./impl.ts", import.meta.url).href;

/**
 * One provider object per kind, built once (`dynamic.Resource` caches its serialization per provider object).
 * Exported for the test that serializes them as the engine does.
 */
export const LOCAL_AZURE_PROVIDERS: Readonly<Record<LocalAzureKind, pulumi.dynamic.ResourceProvider>> = {
  vaultSecret: localAzureProvider(IMPL_URL, "vaultSecret"),
  userAssignedIdentity: localAzureProvider(IMPL_URL, "userAssignedIdentity"),
  roleAssignment: localAzureProvider(IMPL_URL, "roleAssignment"),
  federatedIdentityCredential: localAzureProvider(IMPL_URL, "federatedIdentityCredential"),
};

function typeName(kind: LocalAzureKind): string {
  return LocalAzureType[kind].split(":").pop()!;
}

/** Arguments of {@link LocalVaultSecret}. */
export interface LocalVaultSecretArgs {
  /** The proving ground's description file (env.json). */
  ground: pulumi.Input<string>;
  /** Name of a vault the ground serves. */
  vaultName: pulumi.Input<string>;
  /** Secret name in the vault. */
  secretName: pulumi.Input<string>;
  /** Value; wrapped with `pulumi.secret`. Default: a random value of {@link generateValueLength} characters. */
  value?: pulumi.Input<string>;
  /** Length of the generated value when no value is given. Default 32 (when `value` is absent). */
  generateValueLength?: number;
  /** Content type. Default unset. */
  contentType?: pulumi.Input<string>;
}

/**
 * A secret in the local vault (twin of azure-native `keyvault.Secret`). A value change writes a new version; the
 * value is write-only, so a rotation done in the vault is not undone by `pulumi up`. Destroy soft-deletes, then
 * purges (components/local-azure/secret.ts says why).
 */
export class LocalVaultSecret extends pulumi.dynamic.Resource {
  /** The value written (secret) and the content type. */
  declare readonly properties: pulumi.Output<{ value: string; contentType?: string }>;
  /** Latest version id as last read. */
  declare readonly version: pulumi.Output<string>;
  /** Versionless secret URI. */
  declare readonly secretUri: pulumi.Output<string>;

  constructor(name: string, args: LocalVaultSecretArgs, opts?: pulumi.CustomResourceOptions) {
    const generate = args.value === undefined;
    super(
      LOCAL_AZURE_PROVIDERS.vaultSecret,
      name,
      {
        ground: args.ground,
        vaultName: args.vaultName,
        secretName: args.secretName,
        properties: {
          value: generate ? undefined : pulumi.secret(args.value!),
          contentType: args.contentType,
        },
        generateValueLength: generate ? (args.generateValueLength ?? 32) : undefined,
        version: undefined,
        secretUri: undefined,
      },
      { ...opts, additionalSecretOutputs: ["properties"] },
      LOCAL_AZURE_MODULE,
      typeName("vaultSecret"),
    );
  }
}

/** Arguments of {@link LocalUserAssignedIdentity}. */
export interface LocalUserAssignedIdentityArgs {
  ground: pulumi.Input<string>;
  /** The identity's name (ARM `resourceName`). */
  resourceName: pulumi.Input<string>;
}

/** A managed identity on the local identity stand-in (twin of azure-native `managedidentity.UserAssignedIdentity`). */
export class LocalUserAssignedIdentity extends pulumi.dynamic.Resource {
  declare readonly resourceName: pulumi.Output<string>;
  /** Client id (the SecretProviderClass `clientID`). */
  declare readonly clientId: pulumi.Output<string>;
  /** Principal (object) id, the role assignments' `principalId`. */
  declare readonly principalId: pulumi.Output<string>;

  constructor(name: string, args: LocalUserAssignedIdentityArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      LOCAL_AZURE_PROVIDERS.userAssignedIdentity,
      name,
      { ...args, clientId: undefined, principalId: undefined },
      opts,
      LOCAL_AZURE_MODULE,
      typeName("userAssignedIdentity"),
    );
  }
}

/** Arguments of {@link LocalRoleAssignment} (azure-native's names). */
export interface LocalRoleAssignmentArgs {
  ground: pulumi.Input<string>;
  principalId: pulumi.Input<string>;
  /** Default "ServicePrincipal". */
  principalType?: pulumi.Input<string>;
  /** `/subscriptions/<sub>/providers/Microsoft.Authorization/roleDefinitions/<GUID>`. */
  roleDefinitionId: pulumi.Input<string>;
  /** A local vault id ({@link localVaultResourceId}), optionally `/secrets/<name>`. */
  scope: pulumi.Input<string>;
}

/** A Key Vault role assignment on the local vault (twin of azure-native `authorization.RoleAssignment`). */
export class LocalRoleAssignment extends pulumi.dynamic.Resource {
  constructor(name: string, args: LocalRoleAssignmentArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      LOCAL_AZURE_PROVIDERS.roleAssignment,
      name,
      { ...args, principalType: args.principalType ?? "ServicePrincipal" },
      opts,
      LOCAL_AZURE_MODULE,
      typeName("roleAssignment"),
    );
  }
}

/** Arguments of {@link LocalFederatedIdentityCredential} (azure-native's names plus the identity's client id). */
export interface LocalFederatedIdentityCredentialArgs {
  ground: pulumi.Input<string>;
  /** Client id of the identity. */
  clientId: pulumi.Input<string>;
  /** Name of the identity. */
  resourceName: pulumi.Input<string>;
  federatedIdentityCredentialResourceName: pulumi.Input<string>;
  /** The cluster's ServiceAccount issuer (the ground's apiserver URL). */
  issuer: pulumi.Input<string>;
  /** `system:serviceaccount:<ns>:<sa>`. */
  subject: pulumi.Input<string>;
  /** [`api://AzureADTokenExchange`]. */
  audiences: pulumi.Input<pulumi.Input<string>[]>;
}

/** A federated identity credential on a local identity (twin of azure-native `managedidentity.FederatedIdentityCredential`). */
export class LocalFederatedIdentityCredential extends pulumi.dynamic.Resource {
  constructor(name: string, args: LocalFederatedIdentityCredentialArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      LOCAL_AZURE_PROVIDERS.federatedIdentityCredential,
      name,
      { ...args },
      opts,
      LOCAL_AZURE_MODULE,
      typeName("federatedIdentityCredential"),
    );
  }
}
