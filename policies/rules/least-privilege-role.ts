/** Least privilege: the sync identity reads secrets (Key Vault Secrets User), scoped to the vault or narrower. */
import type { PolicyConfigSchema } from "@pulumi/policy";
import { Role, ROLE_NAMES, ResourceType } from "../lib/constants.ts";
import { configWithDefaults } from "../lib/config.ts";
import { stringAt } from "../lib/props.ts";
import { forTypes, type KeyfleetPolicy } from "../lib/rule.ts";

/** Config of {@link leastPrivilegeRole}. */
export interface LeastPrivilegeConfig {
  /** Role definition GUIDs the sync identity may hold. Default: Key Vault Secrets User, Key Vault Reader. */
  allowedRoleDefinitionIds: string[];
}

const configSchema: PolicyConfigSchema = {
  properties: {
    allowedRoleDefinitionIds: {
      type: "array",
      items: { type: "string" },
      default: [Role.keyVaultSecretsUser, Role.keyVaultReader],
      description:
        "Role definition GUIDs allowed (default: Key Vault Secrets User; Key Vault Reader, which the engines need " +
        "for key and certificate objects). Officer, Administrator, Contributor and Owner are never allowed.",
    },
  },
};

/** Roles refused even if a user adds them to the allow list. */
const NEVER = new Set<string>([
  Role.keyVaultSecretsOfficer,
  Role.keyVaultAdministrator,
  Role.keyVaultContributor,
  Role.keyVaultCertificatesOfficer,
  Role.keyVaultCryptoOfficer,
  Role.contributor,
  Role.owner,
  Role.userAccessAdministrator,
]);

/** Scope of one vault, optionally narrowed to one secret, key or certificate. */
const VAULT_SCOPE =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+(\/(secrets|keys|certificates)\/[^/]+)?\/?$/i;

/** The GUID at the end of a role definition id (or the id itself when it is a bare GUID). */
export function roleGuid(roleDefinitionId: string): string {
  return (roleDefinitionId.split("/").pop() ?? "").toLowerCase();
}

function roleName(guid: string): string {
  return ROLE_NAMES[guid] ? `${ROLE_NAMES[guid]} (${guid})` : guid;
}

/** Messages for one role assignment (pure, exported for tests). */
export function roleAssignmentProblems(
  props: Record<string, unknown>,
  config: LeastPrivilegeConfig,
): string[] {
  const problems: string[] = [];
  const roleId = stringAt(props, "roleDefinitionId") ?? "";
  const guid = roleGuid(roleId);
  const allowed = new Set(config.allowedRoleDefinitionIds.map((g) => g.toLowerCase()));
  if (NEVER.has(guid) || !allowed.has(guid)) {
    problems.push(
      `role ${roleName(guid)} is not allowed for the sync identity; allowed: ` +
        `${[...allowed]
          .filter((g) => !NEVER.has(g))
          .map(roleName)
          .join(", ")}`,
    );
  }
  const scope = stringAt(props, "scope") ?? "";
  if (!VAULT_SCOPE.test(scope)) {
    problems.push(
      `scope "${scope}" is broader than one vault; allowed: a vault id ` +
        "(/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>) or one of its secrets",
    );
  }
  return problems;
}

export const leastPrivilegeRole: KeyfleetPolicy = {
  name: "keyfleet-least-privilege-role",
  description:
    "The sync identity holds Key Vault Secrets User (no Officer/Administrator/Contributor), scoped to a vault.",
  remediationSteps:
    `Assign ${ROLE_NAMES[Role.keyVaultSecretsUser]} (${Role.keyVaultSecretsUser}) with scope = the vault's id (or one ` +
    "secret). Never Secrets Officer, Administrator, Contributor or Owner, and never a resource group or subscription.",
  enforcementLevel: "mandatory",
  configSchema,
  validateResource: forTypes(
    [ResourceType.roleAssignment, ResourceType.localRoleAssignment],
    (props, args, report) => {
      const config = configWithDefaults<LeastPrivilegeConfig>(configSchema, args.getConfig());
      for (const problem of roleAssignmentProblems(props, config)) report(problem);
    },
  ),
};
