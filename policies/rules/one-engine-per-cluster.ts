/** One sync engine per cluster: never two reconcilers (add-on, Arc extensions, bundled runtime) on one cluster. */
import type { StackValidation } from "@pulumi/policy";
import type { KeyfleetPolicy } from "../lib/rule.ts";
import { buildFleetModel, type EngineObservation, type GraphResource } from "../fleet/graph.ts";

/** Violation messages, one per cluster with more than one engine (pure, exported for tests). */
export function engineConflicts(
  resources: readonly GraphResource[],
): Array<{ urn: string; message: string }> {
  const byCluster = new Map<string, EngineObservation[]>();
  for (const e of buildFleetModel(resources).engines)
    byCluster.set(e.cluster, [...(byCluster.get(e.cluster) ?? []), e]);
  const out: Array<{ urn: string; message: string }> = [];
  for (const [cluster, engines] of byCluster) {
    if (engines.length < 2) continue;
    out.push({
      urn: engines[1]!.urn,
      message:
        `cluster ${cluster} runs ${engines.length} sync engines (${engines.map((e) => `${e.engine} ${e.name}`).join(", ")}); ` +
        "allowed: exactly one",
    });
  }
  return out;
}

const validateStack: StackValidation = (args, report) => {
  for (const conflict of engineConflicts(args.resources)) report(conflict.message, conflict.urn);
};

export const oneEnginePerCluster: KeyfleetPolicy = {
  name: "keyfleet-one-engine-per-cluster",
  description:
    "Each cluster runs exactly one secret-sync engine (Microsoft advises against CSI provider + SSE side by side).",
  remediationSteps: "Choose one engine per cluster in stack config (clusters[].engine) and remove the other.",
  enforcementLevel: "mandatory",
  validateStack,
};
