/** Vault hardening (advisory): RBAC authorization, purge protection, no open public network access. */
import type { PolicyConfigSchema } from "@pulumi/policy";
import { ResourceType } from "../lib/constants.ts";
import { configWithDefaults } from "../lib/config.ts";
import { at, stringAt } from "../lib/props.ts";
import { forType, type KeyfleetPolicy } from "../lib/rule.ts";

/** Config of {@link vaultHardening}. */
export interface VaultHardeningConfig {
  /** Require publicNetworkAccess "disabled" (private endpoints only). Default false: a firewall (defaultAction Deny) suffices. */
  requirePrivateNetwork: boolean;
}

const configSchema: PolicyConfigSchema = {
  properties: {
    requirePrivateNetwork: {
      type: "boolean",
      default: false,
      description:
        'Require publicNetworkAccess "disabled"; by default public access is fine behind networkAcls.defaultAction Deny.',
    },
  },
};

/** Messages for one vault's properties (pure, exported for tests). */
export function vaultProblems(props: Record<string, unknown>, config: VaultHardeningConfig): string[] {
  const problems: string[] = [];
  if (at(props, "properties.enableRbacAuthorization") !== true) {
    problems.push(
      "properties.enableRbacAuthorization is not true (omitting it sends false: access policies instead of Azure RBAC)",
    );
  }
  if (at(props, "properties.enablePurgeProtection") !== true) {
    problems.push(
      "properties.enablePurgeProtection is not true (a deleted vault could be purged with its secrets)",
    );
  }
  const publicAccess = (stringAt(props, "properties.publicNetworkAccess") ?? "enabled").toLowerCase();
  const defaultAction = stringAt(props, "properties.networkAcls.defaultAction") ?? "Allow";
  if (config.requirePrivateNetwork && publicAccess !== "disabled") {
    problems.push(
      `properties.publicNetworkAccess is "${publicAccess}"; requirePrivateNetwork allows only "disabled"`,
    );
  } else if (publicAccess !== "disabled" && defaultAction !== "Deny") {
    problems.push(
      `the vault is reachable from any network (publicNetworkAccess "${publicAccess}", networkAcls.defaultAction ` +
        `"${defaultAction}"); set defaultAction "Deny" with ipRules/virtualNetworkRules, or disable public access`,
    );
  }
  return problems;
}

export const vaultHardening: KeyfleetPolicy = {
  name: "keyfleet-vault-hardening",
  description: "Key Vaults use Azure RBAC, purge protection and a network firewall.",
  remediationSteps:
    "Set properties.enableRbacAuthorization: true, enablePurgeProtection: true and networkAcls.defaultAction: Deny " +
    '(or publicNetworkAccess: "disabled").',
  enforcementLevel: "advisory",
  configSchema,
  validateResource: forType(ResourceType.vault, (props, args, report) => {
    const config = configWithDefaults<VaultHardeningConfig>(configSchema, args.getConfig());
    for (const problem of vaultProblems(props, config)) report(problem);
  }),
};
