/** Text and JSON renderings of jitter results and fleet plans (pure). */
import type { JitterModelFeasible } from "../jitter/model.ts";
import { percent } from "../lib/format.ts";
import type { VaultPlan } from "./plan.ts";
import { counted, nounFor } from "../../common/text.ts";

export { percent } from "../lib/format.ts";

/** The JSON object `keyfleet jitter --json` prints. */
export function jitterJson(r: JitterModelFeasible): Record<string, number> {
  return {
    clusters: r.clusters,
    secretsPerCluster: r.secretsPerCluster,
    targetRisk: r.targetRisk,
    vaultLimitPer10s: r.vaultLimitPer10s,
    z: r.z,
    threshold: r.threshold,
    lambda: r.lambda,
    jitterSeconds: r.jitterSeconds,
    recommendedJitterSeconds: r.recommendedJitterSeconds,
    risk: r.risk,
    riskAtRecommended: r.riskAtRecommended,
  };
}

/** Human-readable jitter result. */
export function jitterText(r: JitterModelFeasible): string {
  return [
    `fleet: ${counted(r.clusters, "cluster")} × ${r.secretsPerCluster} secrets per cluster, vault limit ${r.vaultLimitPer10s} reads / 10 s, acceptable risk ${percent(r.targetRisk)} per second`,
    `threshold T = ${r.threshold.toFixed(3)} cluster bursts per second (z = ${r.z.toFixed(4)})`,
    `lambda (Wilson–Hilferty) = ${r.lambda.toFixed(4)} clusters per second`,
    `required jitter J = ${r.jitterSeconds.toFixed(2)} s → set jitterSeconds ≥ ${r.recommendedJitterSeconds}`,
    `risk at J: ${percent(r.risk)} per second (at ${r.recommendedJitterSeconds} s: ${percent(r.riskAtRecommended)})`,
    "",
  ].join("\n");
}

function list(values: number[]): string {
  return values.join("/");
}

/** The JSON form of one vault plan (`keyfleet plan --json`, and the pr-check report). */
export interface PlanJson {
  vault: string;
  status: VaultPlan["status"];
  clusters: number;
  secretsPerCluster: number;
  engines: VaultPlan["engines"];
  requiredJitterSeconds: number | null;
  recommendedJitterSeconds: number | null;
  infeasibleReason: string | null;
  shortfalls: Array<{ engine: string; spreadSeconds: number; clusters: string[]; risk: number }>;
  peakRequestsPerSecond: number;
  peakRequestsPerSecondWithoutJitter: number;
  expectedReadsPer10s: number;
  worstStalenessSeconds: number;
  idleClusters: string[];
}

/** The JSON form of one vault plan. */
export function planJson(p: VaultPlan): PlanJson {
  const a = p.analysis;
  return {
    vault: p.vault,
    status: p.status,
    clusters: a.clusterCount,
    secretsPerCluster: a.maxObjectsPerCluster,
    engines: p.engines,
    requiredJitterSeconds: a.required.feasible ? a.required.jitterSeconds : null,
    recommendedJitterSeconds: a.required.feasible ? a.required.recommendedJitterSeconds : null,
    infeasibleReason: a.required.feasible ? null : a.required.reason,
    shortfalls: a.shortfalls.map((s) => ({
      engine: s.engine,
      spreadSeconds: s.spreadSeconds,
      clusters: s.clusters.map((c) => c.cluster),
      risk: s.risk,
    })),
    peakRequestsPerSecond: a.peakRequestsPerSecond,
    peakRequestsPerSecondWithoutJitter: a.peakRequestsPerSecondWithoutJitter,
    expectedReadsPer10s: a.expectedReadsPer10s,
    worstStalenessSeconds: a.worstStalenessSeconds,
    idleClusters: p.idleClusters,
  };
}

/** Human-readable plan. */
export function planText(
  stack: string,
  plans: readonly VaultPlan[],
  vaultLimitPer10s: number,
  svgPath: string,
): string {
  const lines = [
    `plan for stack "${stack}" (vault limit ${vaultLimitPer10s} reads / 10 s = ${vaultLimitPer10s / 10} per second)`,
  ];
  for (const p of plans) {
    const a = p.analysis;
    lines.push("", `vault ${p.vault}: ${p.status.toUpperCase()}`);
    lines.push(`  clusters ${a.clusterCount}, secrets per cluster up to ${a.maxObjectsPerCluster}`);
    for (const e of p.engines) {
      lines.push(
        `  ${e.engine.padEnd(14)} ${String(e.clusterCount).padStart(4)} ${nounFor(e.clusterCount, "cluster")}, up to ${e.maxObjectsPerCluster} objects, ` +
          `poll ${list(e.pollSeconds)} s, jitter ${list(e.jitterSeconds)} s`,
      );
    }
    lines.push(
      a.required.feasible
        ? `  required jitter ${a.required.jitterSeconds.toFixed(2)} s (configure ≥ ${a.required.recommendedJitterSeconds} s; the AKS add-on's poll interval counts as its spread)`
        : `  required jitter: none possible — ${a.required.reason}`,
    );
    for (const s of a.shortfalls) {
      lines.push(
        `  ! ${counted(s.clusters.length, `${s.engine} cluster`)} spread over only ${s.spreadSeconds} s: risk ${percent(s.risk)} per second`,
      );
    }
    lines.push(
      `  peak requests/s (worst second, risk ${percent(a.required.targetRisk)}): ${a.peakRequestsPerSecond} with the configured jitter, ` +
        `${a.peakRequestsPerSecondWithoutJitter} without`,
      `  expected reads per 10 s (steady state): ${Number(a.expectedReadsPer10s.toPrecision(3))} of ${vaultLimitPer10s}`,
      `  worst-case staleness (poll + jitter): ${a.worstStalenessSeconds} s`,
    );
    if (p.idleClusters.length > 0) lines.push(`  clusters reading nothing: ${p.idleClusters.join(", ")}`);
  }
  lines.push("", `request-rate picture: ${svgPath}`, "");
  return lines.join("\n");
}
