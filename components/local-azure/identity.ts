/**
 * CRUD of the workload-identity resources on the proving ground's identity stand-in, through its management API
 * (the ARM side): a user-assigned managed identity, its Key Vault role assignments and its federated identity
 * credentials — the local twins of azure-native `managedidentity.UserAssignedIdentity`, `authorization.RoleAssignment`
 * and `managedidentity.FederatedIdentityCredential`. Runs in the dynamic-provider process.
 */
import type { AppIdentity } from "../../test/azure-local/registry.ts";
import { diffByRules, FEDERATED_CREDENTIAL_RULES, IDENTITY_RULES, ROLE_ASSIGNMENT_RULES } from "./diff.ts";
import { failure, isNotFound, LocalAzureError, withGround } from "./ground.ts";
import type { Handler } from "./handler.ts";

/** Inputs of a local user-assigned identity. */
export interface IdentityInputs {
  ground: string;
  /** The identity's name (ARM `resourceName`). */
  resourceName: string;
}
/** Outputs: the inputs plus the ids Entra ID assigns. */
export interface IdentityOutputs extends IdentityInputs {
  clientId: string;
  /** Object (principal) id; locally equal to the client id. */
  principalId: string;
  tenantId: string;
}

/** Inputs of a local role assignment (azure-native's names). */
export interface RoleAssignmentInputs {
  ground: string;
  principalId: string;
  principalType: string;
  /** Full role definition id (…/roleDefinitions/<GUID>) or the GUID. */
  roleDefinitionId: string;
  /** A vault's id, optionally narrowed to one object: `<vault id>/secrets/<name>`. */
  scope: string;
}
/** Outputs: the inputs plus the vault and object scope the stand-in stores. */
export interface RoleAssignmentOutputs extends RoleAssignmentInputs {
  vaultName: string;
}

/** Inputs of a local federated identity credential (azure-native's names, plus the identity's client id). */
export interface FederatedCredentialInputs {
  ground: string;
  /** Client id of the identity (the stand-in keys credentials by it). */
  clientId: string;
  /** The identity's name (ARM `resourceName`; informational). */
  resourceName: string;
  federatedIdentityCredentialResourceName: string;
  issuer: string;
  subject: string;
  audiences: string[];
}
/** Outputs: as the inputs. */
export type FederatedCredentialOutputs = FederatedCredentialInputs;

const VAULT_SCOPE =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/([^/]+)(?:\/((?:secrets|keys|certificates)\/[^/]+))?\/?$/i;

/** Splits a role-assignment scope into the vault name and the optional object scope (pure). */
export function parseVaultScope(scope: string): { vaultName: string; objectScope?: string } | undefined {
  const match = VAULT_SCOPE.exec(scope);
  if (!match) return undefined;
  return { vaultName: match[1]!, ...(match[2] ? { objectScope: match[2] } : {}) };
}

/** The GUID at the end of a role definition id (pure). */
export function roleGuid(roleDefinitionId: string): string {
  return (roleDefinitionId.split("/").pop() ?? "").toLowerCase();
}

function identityOutputs(ground: string, tenantId: string, identity: AppIdentity): IdentityOutputs {
  return {
    ground,
    resourceName: identity.name,
    clientId: identity.clientId,
    principalId: identity.objectId,
    tenantId,
  };
}

const identityTarget = (i: { resourceName: string }) => `managed identity "${i.resourceName}"`;

/**
 * The managed identity handler. Create is a PUT by name, as ARM's is: an identity of that name already on the
 * ground (a stack whose state was lost) is adopted instead of duplicated.
 */
export const identityHandler: Handler<IdentityInputs, IdentityOutputs> = {
  async create(inputs) {
    try {
      return await withGround(inputs.ground, async (ground) => {
        const existing = (await ground.management.listIdentities()).find(
          (i) => i.name === inputs.resourceName,
        );
        const identity = existing ?? (await ground.management.createIdentity({ name: inputs.resourceName }));
        return { id: identity.clientId, outs: identityOutputs(inputs.ground, ground.tenantId, identity) };
      });
    } catch (error) {
      throw failure("create", identityTarget(inputs), error, inputs.ground);
    }
  },
  async read(id, props) {
    try {
      return await withGround(props.ground, async (ground) => {
        try {
          const identity = await ground.management.getIdentity(id);
          return { id, props: identityOutputs(props.ground, ground.tenantId, identity) };
        } catch (error) {
          if (isNotFound(error)) return { id: "" };
          throw error;
        }
      });
    } catch (error) {
      throw failure("read", identityTarget(props), error, props.ground);
    }
  },
  diff: (_id, olds, news) => Promise.resolve(diffByRules({ ...olds }, { ...news }, IDENTITY_RULES)),
  update: (_id, olds, news) => Promise.resolve({ outs: { ...olds, ground: news.ground } }),
  async delete(id, props) {
    try {
      await withGround(props.ground, async (ground) => {
        try {
          await ground.management.deleteIdentity(id);
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      });
    } catch (error) {
      throw failure("delete", identityTarget(props), error, props.ground);
    }
  },
};

const roleTarget = (r: { roleDefinitionId: string; principalId: string; scope: string }) =>
  `role assignment of ${roleGuid(r.roleDefinitionId)} to ${r.principalId} on ${r.scope}`;

/** The role assignment handler (create is idempotent: the stand-in returns an identical existing assignment). */
export const roleAssignmentHandler: Handler<RoleAssignmentInputs, RoleAssignmentOutputs> = {
  async create(inputs) {
    try {
      const scope = parseVaultScope(inputs.scope);
      if (!scope) {
        throw new LocalAzureError("create", roleTarget(inputs), {
          detail:
            "scope must be a vault id (/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>) or one of its objects",
        });
      }
      return await withGround(inputs.ground, async (ground) => {
        const assignment = await ground.management.assignRole({
          principalId: inputs.principalId,
          role: roleGuid(inputs.roleDefinitionId),
          vaultName: scope.vaultName,
          ...(scope.objectScope ? { scope: scope.objectScope } : {}),
        });
        return { id: assignment.id, outs: { ...inputs, vaultName: scope.vaultName } };
      });
    } catch (error) {
      throw failure("create", roleTarget(inputs), error, inputs.ground);
    }
  },
  async read(id, props) {
    try {
      return await withGround(props.ground, async (ground) => {
        const found = (await ground.management.listRoleAssignments()).find((a) => a.id === id);
        if (!found) return { id: "" };
        return {
          id,
          props: {
            ...props,
            principalId:
              found.principalId === props.principalId.toLowerCase() ? props.principalId : found.principalId,
            roleDefinitionId:
              found.roleDefinitionId === roleGuid(props.roleDefinitionId)
                ? props.roleDefinitionId
                : found.roleDefinitionId,
            vaultName: found.vaultName,
          },
        };
      });
    } catch (error) {
      throw failure("read", roleTarget(props), error, props.ground);
    }
  },
  diff: (_id, olds, news) => Promise.resolve(diffByRules({ ...olds }, { ...news }, ROLE_ASSIGNMENT_RULES)),
  update: (_id, olds, news) => Promise.resolve({ outs: { ...olds, ground: news.ground } }),
  async delete(id, props) {
    try {
      await withGround(props.ground, async (ground) => {
        try {
          await ground.management.deleteRoleAssignment(id);
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      });
    } catch (error) {
      throw failure("delete", roleTarget(props), error, props.ground);
    }
  },
};

const credentialTarget = (c: FederatedCredentialInputs) =>
  `federated identity credential "${c.federatedIdentityCredentialResourceName}" of managed identity "${c.resourceName}"`;

/** Credential id: `<clientId>/federatedIdentityCredentials/<name>` (pure). */
export function credentialId(
  c: Pick<FederatedCredentialInputs, "clientId" | "federatedIdentityCredentialResourceName">,
): string {
  return `${c.clientId}/federatedIdentityCredentials/${c.federatedIdentityCredentialResourceName}`;
}

async function putCredential(inputs: FederatedCredentialInputs): Promise<FederatedCredentialOutputs> {
  return withGround(inputs.ground, async (ground) => {
    const put = await ground.management.putFederatedCredential(inputs.clientId, {
      name: inputs.federatedIdentityCredentialResourceName,
      issuer: inputs.issuer,
      subject: inputs.subject,
      audiences: inputs.audiences,
    });
    return { ...inputs, issuer: put.issuer, subject: put.subject, audiences: put.audiences };
  });
}

/** The federated credential handler: create and update are the same PUT by name, as in ARM. */
export const federatedCredentialHandler: Handler<FederatedCredentialInputs, FederatedCredentialOutputs> = {
  async create(inputs) {
    try {
      return { id: credentialId(inputs), outs: await putCredential(inputs) };
    } catch (error) {
      throw failure("create", credentialTarget(inputs), error, inputs.ground);
    }
  },
  async read(id, props) {
    try {
      return await withGround(props.ground, async (ground) => {
        let identity: AppIdentity;
        try {
          identity = await ground.management.getIdentity(props.clientId);
        } catch (error) {
          if (isNotFound(error)) return { id: "" };
          throw error;
        }
        const found = identity.federatedCredentials.find(
          (f) => f.name === props.federatedIdentityCredentialResourceName,
        );
        if (!found) return { id: "" };
        return {
          id,
          props: { ...props, issuer: found.issuer, subject: found.subject, audiences: found.audiences },
        };
      });
    } catch (error) {
      throw failure("read", credentialTarget(props), error, props.ground);
    }
  },
  diff: (_id, olds, news) =>
    Promise.resolve(diffByRules({ ...olds }, { ...news }, FEDERATED_CREDENTIAL_RULES)),
  async update(_id, _olds, news) {
    try {
      return { outs: await putCredential(news) };
    } catch (error) {
      throw failure("update", credentialTarget(news), error, news.ground);
    }
  },
  async delete(_id, props) {
    try {
      await withGround(props.ground, async (ground) => {
        try {
          await ground.management.deleteFederatedCredential(
            props.clientId,
            props.federatedIdentityCredentialResourceName,
          );
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      });
    } catch (error) {
      throw failure("delete", credentialTarget(props), error, props.ground);
    }
  },
};
