/**
 * The local directory and authorization state (test infrastructure): app identities with their federated
 * identity credentials (Entra ID's side) and Key Vault role assignments (Azure RBAC's side), plus the pure
 * RBAC decision. Shared in-process by the identity endpoint and the vault emulator.
 */
import { randomUUID } from "node:crypto";
import {
  AzureRole,
  KeyVaultNamePattern,
  MAX_FEDERATED_CREDENTIALS_PER_IDENTITY,
} from "../../common/vocabulary.ts";

/** Key Vault built-in roles (Azure RBAC data-plane), by role definition GUID. */
export const KEY_VAULT_ROLES = {
  [AzureRole.keyVaultAdministrator.id]: {
    name: AzureRole.keyVaultAdministrator.name,
    dataActions: ["Microsoft.KeyVault/vaults/*"],
  },
  [AzureRole.keyVaultSecretsOfficer.id]: {
    name: AzureRole.keyVaultSecretsOfficer.name,
    dataActions: ["Microsoft.KeyVault/vaults/secrets/*"],
  },
  [AzureRole.keyVaultSecretsUser.id]: {
    name: AzureRole.keyVaultSecretsUser.name,
    dataActions: [
      "Microsoft.KeyVault/vaults/secrets/getSecret/action",
      "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
    ],
  },
  [AzureRole.keyVaultReader.id]: {
    name: AzureRole.keyVaultReader.name,
    dataActions: [
      "Microsoft.KeyVault/vaults/*/read",
      "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
    ],
  },
  [AzureRole.keyVaultCertificatesOfficer.id]: {
    name: AzureRole.keyVaultCertificatesOfficer.name,
    dataActions: [
      "Microsoft.KeyVault/vaults/certificates/*",
      "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
    ],
  },
  "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba": {
    name: "Key Vault Certificate User",
    dataActions: [
      "Microsoft.KeyVault/vaults/certificates/read",
      "Microsoft.KeyVault/vaults/secrets/getSecret/action",
      "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
      "Microsoft.KeyVault/vaults/keys/read",
    ],
  },
  [AzureRole.keyVaultCryptoOfficer.id]: {
    name: AzureRole.keyVaultCryptoOfficer.name,
    dataActions: ["Microsoft.KeyVault/vaults/keys/*"],
  },
  "12338af0-0e69-4776-bea7-57ae8d297424": {
    name: "Key Vault Crypto User",
    dataActions: ["Microsoft.KeyVault/vaults/keys/read"],
  },
} as const satisfies Record<string, { name: string; dataActions: readonly string[] }>;

/** A role-assignment scope inside a vault: `secrets/<name>`, `keys/<name>` or `certificates/<name>`. */
function scopeMatches(scope: string): boolean {
  const [collection = "", name = "", ...rest] = scope.split("/");
  return (
    rest.length === 0 &&
    ["secrets", "keys", "certificates"].includes(collection) &&
    KeyVaultNamePattern.object.test(name)
  );
}

/** Role definition GUID of a built-in Key Vault role. */
export type KeyVaultRoleId = keyof typeof KEY_VAULT_ROLES;

/** Client id of the documented admin app: Key Vault Administrator on every vault (tests and the demo seed data). */
export const ADMIN_CLIENT_ID = "a0000000-0000-4000-8000-00000000ad01";

/** A federated identity credential (Entra ID's trust of an external OIDC issuer's subject). */
export interface FederatedCredential {
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

/** An app identity (managed identity or app registration); `objectId` equals `clientId` locally. */
export interface AppIdentity {
  clientId: string;
  objectId: string;
  name: string;
  federatedCredentials: FederatedCredential[];
}

/** A role assignment scoped to a vault, or to one object in it (`scope` like `secrets/db-password`). */
export interface RoleAssignment {
  id: string;
  principalId: string;
  roleDefinitionId: KeyVaultRoleId;
  vaultName: string;
  /** Object scope inside the vault (`secrets/<name>`, `keys/<name>`, `certificates/<name>`); absent = whole vault. */
  scope?: string;
}

/** Error with an HTTP status for the management API. */
export class RegistryError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "RegistryError";
    this.status = status;
  }
}

/** Pure: resolves a role given by GUID, by full roleDefinitionId path or by display name. */
export function resolveRole(role: string): KeyVaultRoleId {
  const guid = role.split("/").pop()!.toLowerCase();
  if (guid in KEY_VAULT_ROLES) return guid as KeyVaultRoleId;
  const byName = Object.entries(KEY_VAULT_ROLES).find(([, r]) => r.name.toLowerCase() === role.toLowerCase());
  if (byName) return byName[0] as KeyVaultRoleId;
  const allowed = Object.values(KEY_VAULT_ROLES)
    .map((r) => r.name)
    .join(", ");
  throw new RegistryError(
    400,
    `role: unknown role ${JSON.stringify(role)}; allowed: ${allowed} (or their GUIDs)`,
  );
}

/** Pure: Azure-style wildcard match of a data action against a permission pattern. */
export function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(
    "^" +
      pattern
        .split("*")
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join("[^]*") +
      "$",
    "i",
  );
  return re.test(action);
}

/** Pure: true when any assignment grants `action` on `objectPath` (e.g. `secrets/db`) of `vaultName`. */
export function isAuthorized(
  assignments: readonly RoleAssignment[],
  principalId: string,
  vaultName: string,
  action: string,
  objectPath: string | undefined,
): boolean {
  return assignments.some(
    (a) =>
      a.principalId.toLowerCase() === principalId.toLowerCase() &&
      a.vaultName.toLowerCase() === vaultName.toLowerCase() &&
      (a.scope === undefined ||
        (objectPath !== undefined && a.scope.toLowerCase() === objectPath.toLowerCase())) &&
      KEY_VAULT_ROLES[a.roleDefinitionId].dataActions.some((p) => actionMatches(p, action)),
  );
}

/** Pure: the federated credential of an identity that matches an assertion's issuer, subject and audiences. */
export function matchFederatedCredential(
  identity: AppIdentity,
  issuer: string,
  subject: string,
  audiences: readonly string[],
): { match?: FederatedCredential; failed?: "issuer" | "subject" | "audience" } {
  const byIssuer = identity.federatedCredentials.filter((f) => f.issuer === issuer);
  if (byIssuer.length === 0) return { failed: "issuer" };
  const bySubject = byIssuer.filter((f) => f.subject === subject);
  if (bySubject.length === 0) return { failed: "subject" };
  const match = bySubject.find((f) => f.audiences.some((a) => audiences.includes(a)));
  return match ? { match } : { failed: "audience" };
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,119}$/;

/** The registry as plain JSON (persistence.ts). */
export interface RegistrySnapshot {
  identities: AppIdentity[];
  assignments: RoleAssignment[];
}

/** The directory + RBAC state, in memory; every change is reported to `onChange` (persistence.ts keeps it). */
export class Registry {
  private readonly identities = new Map<string, AppIdentity>();
  private readonly assignments: RoleAssignment[] = [];
  /** Called after every change. */
  onChange: (() => void) | undefined;

  /** Everything, as plain JSON. */
  snapshot(): RegistrySnapshot {
    return { identities: this.listIdentities(), assignments: this.listRoleAssignments() };
  }

  /** Replaces everything with a snapshot (loading persisted state; no change is reported). */
  load(snapshot: RegistrySnapshot): void {
    this.identities.clear();
    for (const identity of snapshot.identities)
      this.identities.set(identity.clientId.toLowerCase(), identity);
    this.assignments.splice(0, this.assignments.length, ...snapshot.assignments);
  }

  private changed(): void {
    this.onChange?.();
  }

  /** Registers (or returns the existing) identity; `clientId` is generated when absent. */
  upsertIdentity(input: { clientId?: string; name?: string }): AppIdentity {
    const clientId = (input.clientId ?? randomUUID()).toLowerCase();
    if (!/^[0-9a-f-]{8,64}$/.test(clientId)) {
      throw new RegistryError(400, "clientId: must be a GUID (hex digits and dashes)");
    }
    const existing = this.identities.get(clientId);
    if (existing) return existing;
    const identity: AppIdentity = {
      clientId,
      objectId: clientId,
      name: input.name ?? clientId,
      federatedCredentials: [],
    };
    this.identities.set(clientId, identity);
    this.changed();
    return identity;
  }

  /**
   * Forgets an identity with its federated credentials (its child resources; Entra deleting the app or managed
   * identity): its token requests are refused from now on (AADSTS700016). Its role assignments stay, as Azure leaves
   * them behind ("Identity not found"). False when it was not registered.
   */
  deleteIdentity(clientId: string): boolean {
    const deleted = this.identities.delete(clientId.toLowerCase());
    if (deleted) this.changed();
    return deleted;
  }

  /** The identity with this client id, if registered. */
  identity(clientId: string): AppIdentity | undefined {
    return this.identities.get(clientId.toLowerCase());
  }

  /** Every registered identity. */
  listIdentities(): AppIdentity[] {
    return [...this.identities.values()];
  }

  /** Adds or replaces a federated credential by name (like Entra, at most 20 per identity). */
  putFederatedCredential(clientId: string, credential: FederatedCredential): FederatedCredential {
    const identity = this.identity(clientId);
    if (!identity) throw new RegistryError(404, `identity ${clientId} is not registered`);
    if (!NAME.test(credential.name))
      throw new RegistryError(400, "name: letters, digits, '-' and '_' (1-120)");
    if (!credential.issuer.startsWith("https://"))
      throw new RegistryError(400, "issuer: must be an https URL");
    if (!credential.subject) throw new RegistryError(400, "subject: required");
    if (credential.audiences.length !== 1) throw new RegistryError(400, "audiences: exactly one audience");
    const others = identity.federatedCredentials.filter((f) => f.name !== credential.name);
    if (others.length >= MAX_FEDERATED_CREDENTIALS_PER_IDENTITY) {
      throw new RegistryError(
        400,
        `federatedCredentials: at most ${MAX_FEDERATED_CREDENTIALS_PER_IDENTITY} per identity`,
      );
    }
    if (others.some((f) => f.issuer === credential.issuer && f.subject === credential.subject)) {
      throw new RegistryError(409, "a federated credential with this issuer and subject already exists");
    }
    identity.federatedCredentials = [...others, { ...credential, audiences: [...credential.audiences] }];
    this.changed();
    return credential;
  }

  /** Removes a federated credential; returns false when absent. */
  deleteFederatedCredential(clientId: string, name: string): boolean {
    const identity = this.identity(clientId);
    if (!identity) return false;
    const before = identity.federatedCredentials.length;
    identity.federatedCredentials = identity.federatedCredentials.filter((f) => f.name !== name);
    const deleted = identity.federatedCredentials.length !== before;
    if (deleted) this.changed();
    return deleted;
  }

  /** Creates a role assignment (idempotent for the same principal, role, vault and scope). */
  assignRole(input: {
    principalId: string;
    role: string;
    vaultName: string;
    scope?: string;
  }): RoleAssignment {
    const roleDefinitionId = resolveRole(input.role);
    if (input.scope !== undefined && !scopeMatches(input.scope)) {
      throw new RegistryError(400, "scope: secrets/<name>, keys/<name> or certificates/<name>");
    }
    const same = this.assignments.find(
      (a) =>
        a.principalId === input.principalId.toLowerCase() &&
        a.roleDefinitionId === roleDefinitionId &&
        a.vaultName === input.vaultName.toLowerCase() &&
        a.scope === input.scope,
    );
    if (same) return same;
    const assignment: RoleAssignment = {
      id: randomUUID(),
      principalId: input.principalId.toLowerCase(),
      roleDefinitionId,
      vaultName: input.vaultName.toLowerCase(),
      ...(input.scope !== undefined ? { scope: input.scope } : {}),
    };
    this.assignments.push(assignment);
    this.changed();
    return assignment;
  }

  /** Deletes a role assignment; returns false when absent. */
  deleteRoleAssignment(id: string): boolean {
    const index = this.assignments.findIndex((a) => a.id === id);
    if (index < 0) return false;
    this.assignments.splice(index, 1);
    this.changed();
    return true;
  }

  /** Every role assignment. */
  listRoleAssignments(): RoleAssignment[] {
    return [...this.assignments];
  }

  /** RBAC decision for a principal (the admin app is Key Vault Administrator everywhere). */
  authorize(principalId: string, vaultName: string, action: string, objectPath?: string): boolean {
    if (principalId.toLowerCase() === ADMIN_CLIENT_ID) return true;
    return isAuthorized(this.assignments, principalId, vaultName, action, objectPath);
  }
}
