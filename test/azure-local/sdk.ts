/**
 * Builds unmodified Azure SDK clients and credentials for the local stand-in: Key Vault clients pinned to
 * serviceVersion 7.6 with challenge-resource verification off (the vault is not on *.vault.azure.net) and the
 * local CA trusted explicitly through the pipeline's `tlsOptions` — TLS verification is never disabled.
 */
import { readFileSync } from "node:fs";
import { ClientAssertionCredential, ClientSecretCredential, type TokenCredential } from "@azure/identity";
import { CertificateClient } from "@azure/keyvault-certificates";
import { KeyClient } from "@azure/keyvault-keys";
import { SecretClient } from "@azure/keyvault-secrets";
import type { LocalIdentity, LocalVault } from "../../scripts/local/env.ts";

/** Key Vault REST API version the local vault is tested with. */
export const LOCAL_SERVICE_VERSION = "7.6" as const;

/** Pure: TLS settings trusting exactly the given CA (PEM). */
export function localTlsOptions(caPem: string): { ca: string[] } {
  return { ca: [caPem] };
}

/** Extra client options to merge (e.g. retryOptions, additionalPolicies). */
export interface LocalClientExtras {
  retryOptions?: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number };
  additionalPolicies?: SecretClientOptionsLike["additionalPolicies"];
}

type SecretClientOptionsLike = NonNullable<ConstructorParameters<typeof SecretClient>[2]>;

/**
 * Options for SecretClient/KeyClient/CertificateClient against the local vault.
 * Defaults: serviceVersion "7.6", disableChallengeResourceVerification true, tlsOptions with the CA only.
 */
export function localVaultClientOptions(caPem: string, extras: LocalClientExtras = {}) {
  return {
    serviceVersion: LOCAL_SERVICE_VERSION,
    disableChallengeResourceVerification: true,
    tlsOptions: localTlsOptions(caPem),
    ...extras,
  } as const;
}

/** Options for @azure/identity credentials against the local authority (instance discovery off, CA trusted). */
export function localCredentialOptions(identity: Pick<LocalIdentity, "authorityHost" | "caFile">) {
  return {
    authorityHost: identity.authorityHost,
    disableInstanceDiscovery: true,
    tlsOptions: localTlsOptions(readFileSync(identity.caFile, "utf8")),
  };
}

/** A workload identity credential: the assertion is a ServiceAccount token (audience api://AzureADTokenExchange). */
export function workloadIdentityCredential(
  identity: Pick<LocalIdentity, "authorityHost" | "caFile" | "tenantId">,
  clientId: string,
  getAssertion: () => Promise<string>,
): TokenCredential {
  return new ClientAssertionCredential(
    identity.tenantId,
    clientId,
    getAssertion,
    localCredentialOptions(identity),
  );
}

/**
 * The admin app's credential (Key Vault Administrator on every local vault), via the real client-secret flow.
 * Its secret is the management key (file named by `extra.managementKeyFile`). For tests and the demo's seeding only.
 */
export function adminCredential(identity: LocalIdentity, managementKey?: string): TokenCredential {
  const key = managementKey ?? readFileSync(requireExtra(identity.extra, "managementKeyFile"), "utf8").trim();
  return new ClientSecretCredential(
    identity.tenantId,
    requireExtra(identity.extra, "adminClientId"),
    key,
    localCredentialOptions(identity),
  );
}

function requireExtra(extra: Record<string, string>, name: string): string {
  const value = extra[name];
  if (!value)
    throw new Error(`the local environment's extra.${name} is missing (is this keyfleet's local stand-in?)`);
  return value;
}

/** URL of a vault by name: from `extra.vaultUrls` when listed, else the path-prefix rule `extra.urlTemplate`. */
export function localVaultUrl(vault: LocalVault, vaultName: string = vault.vaultName): string {
  const urls = vault.extra.vaultUrls ? (JSON.parse(vault.extra.vaultUrls) as Record<string, string>) : {};
  const direct = Object.entries(urls).find(([n]) => n.toLowerCase() === vaultName.toLowerCase());
  if (direct) return direct[1];
  return requireExtra(vault.extra, "urlTemplate").replaceAll("{name}", vaultName);
}

/** The three Key Vault clients for one vault URL and credential. */
export interface LocalVaultClients {
  secrets: SecretClient;
  keys: KeyClient;
  certificates: CertificateClient;
}

/** Creates SecretClient, KeyClient and CertificateClient for a local vault URL. */
export function localVaultClients(
  vaultUrl: string,
  credential: TokenCredential,
  caPem: string,
  extras: LocalClientExtras = {},
): LocalVaultClients {
  const options = localVaultClientOptions(caPem, extras);
  return {
    secrets: new SecretClient(vaultUrl, credential, options),
    keys: new KeyClient(vaultUrl, credential, options),
    certificates: new CertificateClient(vaultUrl, credential, options),
  };
}
