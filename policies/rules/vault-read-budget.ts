/**
 * Aggregate read budget: the fleet's expected steady-state reads per 10 s stay below a share of each vault's limit,
 * and the vaults of one subscription together below 5× the vault limit (Key Vault's subscription-wide cap).
 */
import type { PolicyConfigSchema, StackValidation } from "@pulumi/policy";
import { configWithDefaults, SchemaProperty } from "../lib/config.ts";
import type { KeyfleetPolicy } from "../lib/rule.ts";
import { expectedReadsPer10s } from "../fleet/analysis.ts";
import { buildFleetModel, type GraphResource } from "../fleet/graph.ts";
import { groupProblems, vaultLoadsFromModel } from "../fleet/loads.ts";
import { counted } from "../../common/text.ts";

/** Config of {@link vaultReadBudget}. */
export interface BudgetConfig {
  /** Vault reads per 10 s. Default 4000. */
  vaultLimitPer10s: number;
  /** Share of the vault limit the fleet's steady-state reads may use. Default 0.5 (headroom for retries and other clients). */
  maxVaultShare: number;
  /** Subscription limit as a multiple of the vault limit. Default 5. */
  subscriptionLimitMultiplier: number;
  /** AKS add-on pods per SecretProviderClass. Default 1. */
  addonMountsPerSecretProviderClass: number;
}

const configSchema: PolicyConfigSchema = {
  properties: {
    vaultLimitPer10s: SchemaProperty.vaultLimitPer10s,
    maxVaultShare: {
      type: "number",
      default: 0.5,
      exclusiveMinimum: 0,
      maximum: 1,
      description:
        "Share of a vault's limit the fleet's expected reads may use (rest: retries, deploys, other clients).",
    },
    subscriptionLimitMultiplier: {
      type: "number",
      default: 5,
      exclusiveMinimum: 0,
      description: "Subscription-wide limit as a multiple of the per-vault limit (Key Vault: 5×).",
    },
    addonMountsPerSecretProviderClass: SchemaProperty.addonMountsPerSecretProviderClass,
  },
};

/** Bucket for vaults whose subscription the graph does not show (counted together: the conservative choice). */
export const UNKNOWN_SUBSCRIPTION = "(subscription not shown in the graph)";

/** The stack validation over any `PolicyResource`-shaped list (exported for tests and the harness). */
export function validateBudget(
  resources: readonly GraphResource[],
  config: BudgetConfig,
  report: (message: string, urn?: string) => void,
): void {
  const model = buildFleetModel(resources);
  const { loads, problems } = vaultLoadsFromModel(model, config);
  for (const p of groupProblems(problems)) report(`cannot judge the read budget: ${p.message}`, p.urn);
  const vaultBudget = config.maxVaultShare * config.vaultLimitPer10s;
  const bySubscription = new Map<string, { reads: number; vaults: string[]; urn?: string }>();
  for (const [vault, clusters] of loads) {
    const reads = clusters.reduce((sum, c) => sum + expectedReadsPer10s(c), 0);
    if (reads > vaultBudget) {
      report(
        `vault ${vault}: ${counted(clusters.length, "cluster")} ${clusters.length === 1 ? "is" : "are"} expected to read ${reads.toFixed(0)} objects per 10 s; ` +
          `allowed ${vaultBudget.toFixed(0)} (${config.maxVaultShare} × ${config.vaultLimitPer10s})`,
        clusters[0]!.engineUrn,
      );
    }
    const subscription = model.subscriptionByVault.get(vault) ?? UNKNOWN_SUBSCRIPTION;
    const entry = bySubscription.get(subscription) ?? { reads: 0, vaults: [], urn: clusters[0]!.engineUrn };
    entry.reads += reads;
    entry.vaults.push(vault);
    bySubscription.set(subscription, entry);
  }
  const subscriptionBudget = config.subscriptionLimitMultiplier * config.vaultLimitPer10s;
  for (const [subscription, entry] of bySubscription) {
    if (entry.reads >= subscriptionBudget) {
      report(
        `subscription ${subscription}: vaults ${entry.vaults.join(", ")} are expected to take ${entry.reads.toFixed(0)} ` +
          `reads per 10 s; must stay below ${subscriptionBudget} (${config.subscriptionLimitMultiplier} × ${config.vaultLimitPer10s})`,
        entry.urn,
      );
    }
  }
}

const validateStack: StackValidation = (args, report) => {
  validateBudget(args.resources, configWithDefaults<BudgetConfig>(configSchema, args.getConfig()), report);
};

export const vaultReadBudget: KeyfleetPolicy = {
  name: "keyfleet-vault-read-budget",
  description:
    "Expected reads per 10 s stay within a share of each vault's limit and below the subscription's cap.",
  remediationSteps:
    "Lengthen rotationPollInterval, read fewer objects per cluster, or spread clusters over more vaults (and " +
    "subscriptions). `npx keyfleet plan --stack <name>` shows each vault's expected reads.",
  enforcementLevel: "mandatory",
  configSchema,
  validateStack,
};
