/** Pure builders for {@link WorkloadIdentity} (table-tested in properties.test.ts). */
import {
  AzureRole,
  MAX_FEDERATED_CREDENTIALS_PER_IDENTITY,
  OBJECT_TYPES_NEEDING_READER,
  TOKEN_EXCHANGE_AUDIENCE,
} from "../../common/vocabulary.ts";
import { slug } from "../base/validate.ts";

/** Vault roles the sync identity may hold. */
export const VaultRole = {
  /** Key Vault Secrets User (always). */
  secretsUser: "secrets-user",
  /** Key Vault Reader (only for objectType key/cert metadata reads). */
  reader: "reader",
} as const;
/** One of {@link VaultRole}. */
export type VaultRole = (typeof VaultRole)[keyof typeof VaultRole];

/** Role GUID per {@link VaultRole}. */
export const ROLE_GUIDS: Readonly<Record<VaultRole, string>> = {
  "secrets-user": AzureRole.keyVaultSecretsUser.id,
  reader: AzureRole.keyVaultReader.id,
};

/** A (namespace, ServiceAccount) pair that exchanges tokens for this identity. */
export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

/** One federated identity credential to create. */
export interface FederatedCredentialSpec {
  /** Credential name on the identity (3-120 chars, a-z 0-9 - _). */
  credentialName: string;
  /** `system:serviceaccount:<ns>:<sa>`. */
  subject: string;
  /** Always [`api://AzureADTokenExchange`]. */
  audiences: string[];
}

/** Full ARM id of a built-in role definition. */
export function roleDefinitionId(subscriptionId: string, roleGuid: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`;
}

/** The token subject of a ServiceAccount. */
export function federatedSubject(sa: ServiceAccountRef): string {
  return `system:serviceaccount:${sa.namespace}:${sa.name}`;
}

/** Deduplicated credential specs in input order; throws past the Entra ID limit of 20 per identity. */
export function federatedCredentialSpecs(
  serviceAccounts: readonly ServiceAccountRef[],
): FederatedCredentialSpec[] {
  const seen = new Set<string>();
  const specs: FederatedCredentialSpec[] = [];
  for (const sa of serviceAccounts) {
    const subject = federatedSubject(sa);
    if (seen.has(subject)) continue;
    seen.add(subject);
    specs.push({
      credentialName: slug(sa.namespace, sa.name).slice(0, 120),
      subject,
      audiences: [TOKEN_EXCHANGE_AUDIENCE],
    });
  }
  if (specs.length > MAX_FEDERATED_CREDENTIALS_PER_IDENTITY) {
    throw new RangeError(
      `${specs.length} ServiceAccounts need ${specs.length} federated credentials; a managed identity holds at most ` +
        `${MAX_FEDERATED_CREDENTIALS_PER_IDENTITY} — split namespaces over several identities`,
    );
  }
  return specs;
}

/** Roles needed for the object types a cluster reads: Secrets User always, Reader for key/cert metadata. */
export function rolesFor(objectTypes: readonly string[]): VaultRole[] {
  const needsReader = objectTypes.some((t) => (OBJECT_TYPES_NEEDING_READER as readonly string[]).includes(t));
  return needsReader ? ["secrets-user", "reader"] : ["secrets-user"];
}

/** Annotations of a workload-identity ServiceAccount. */
export function serviceAccountAnnotations(clientId: string, tenantId?: string): Record<string, string> {
  const annotations: Record<string, string> = { "azure.workload.identity/client-id": clientId };
  if (tenantId) annotations["azure.workload.identity/tenant-id"] = tenantId;
  return annotations;
}
