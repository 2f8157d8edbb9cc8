/**
 * Jitter sufficient for the fleet (the Secret Store extension's published method, ../jitter/model.ts): per
 * vault, every cluster's engine spreads its reads over at least the jitter the whole fleet reading that vault
 * needs — Arc `jitterSeconds`, the bundled runtime's jitter, and for the AKS add-on (no jitter) its poll interval.
 */
import type { PolicyConfigSchema, StackValidation } from "@pulumi/policy";
import { configWithDefaults, SchemaProperty } from "../lib/config.ts";
import { percent } from "../lib/format.ts";
import type { KeyfleetPolicy } from "../lib/rule.ts";
import { analyseVault, type VaultAnalysis } from "../fleet/analysis.ts";
import { buildFleetModel, type GraphResource } from "../fleet/graph.ts";
import { groupProblems, nameList, vaultLoadsFromModel } from "../fleet/loads.ts";
import { counted } from "../../common/text.ts";

/** Config of {@link jitterSufficient}. */
export interface JitterConfig {
  /** Acceptable per-second risk of exceeding the vault limit. Default 0.0001 (0.01 %). */
  risk: number;
  /** Vault reads per 10 s. Default 4000. */
  vaultLimitPer10s: number;
  /** AKS add-on pods per SecretProviderClass. Default 1. */
  addonMountsPerSecretProviderClass: number;
}

const configSchema: PolicyConfigSchema = {
  properties: {
    risk: SchemaProperty.risk,
    vaultLimitPer10s: SchemaProperty.vaultLimitPer10s,
    addonMountsPerSecretProviderClass: SchemaProperty.addonMountsPerSecretProviderClass,
  },
};

/** Violation messages for one vault's analysis (pure, exported for tests). */
export function jitterMessages(analysis: VaultAnalysis): Array<{ urn?: string; message: string }> {
  const { required, vault } = analysis;
  const fleet = `${counted(analysis.clusterCount, "cluster")} × up to ${analysis.maxObjectsPerCluster} objects`;
  if (!required.feasible)
    return [
      { urn: analysis.clusters[0]?.engineUrn, message: `vault ${vault}: ${fleet}: ${required.reason}` },
    ];
  return analysis.shortfalls.map((s) => {
    const how =
      s.engine === "aks-addon" || s.engine === "arc-csi-extension"
        ? "poll interval (no jitter setting)"
        : "jitterSeconds";
    return {
      urn: s.clusters[0]!.engineUrn,
      message:
        `vault ${vault}: ${fleet} need reads spread over ≥ ${required.jitterSeconds.toFixed(1)} s ` +
        `(recommended ${required.recommendedJitterSeconds} s for risk ${percent(required.targetRisk)}); ` +
        `${counted(s.clusters.length, `${s.engine} cluster`)} (${nameList(s.clusters.map((c) => c.cluster))}) spread them over ` +
        `${s.spreadSeconds} s (${how}), a per-second risk of ${percent(s.risk)} of exceeding the limit`,
    };
  });
}

/** The stack validation, usable on any resource list shaped like `PolicyResource`. */
export function validateJitter(
  resources: readonly GraphResource[],
  config: JitterConfig,
  report: (message: string, urn?: string) => void,
): void {
  const model = buildFleetModel(resources);
  const { loads, problems } = vaultLoadsFromModel(model, config);
  for (const p of model.problems) report(`cannot count reads: ${p.message}`, p.urn);
  for (const p of groupProblems(problems)) report(`cannot judge jitter: ${p.message}`, p.urn);
  for (const [vault, clusters] of loads) {
    for (const m of jitterMessages(analyseVault(vault, clusters, config))) report(m.message, m.urn);
  }
}

const validateStack: StackValidation = (args, report) => {
  const config = configWithDefaults<JitterConfig>(configSchema, args.getConfig());
  validateJitter(args.resources, config, report);
};

export const jitterSufficient: KeyfleetPolicy = {
  name: "keyfleet-jitter-sufficient",
  description:
    "Each vault's fleet spreads its reads enough that Key Vault is unlikely to throttle (DESIGN §5 model).",
  remediationSteps:
    "Raise engines.<engine>.jitterSeconds (Arc extension, bundled runtime) to at least the required jitter " +
    "(`npx keyfleet plan --stack <name>` prints it); for the AKS add-on raise rotationPollInterval, or split the " +
    "fleet over more vaults.",
  enforcementLevel: "mandatory",
  configSchema,
  validateStack,
};
