/**
 * The fleet plan (pure): per vault, from the validated fleet configuration (stacks/config), the clusters and
 * objects that read it, the configured poll and jitter per engine, the jitter the fleet needs, the peak second,
 * the expected reads and the worst-case staleness.
 */
import type { FleetConfig } from "../../stacks/config/types.ts";
import type { EngineKind } from "../lib/constants.ts";
import { analyseVault, type ClusterLoad, type VaultAnalysis } from "../fleet/analysis.ts";

/** Options of {@link planFleet}. */
export interface PlanOptions {
  /** Acceptable per-second risk; default 0.0001. */
  risk: number;
  /** Vault reads per 10 s; default 4000. */
  vaultLimitPer10s: number;
  /** Only this vault; default all. */
  vault?: string;
}

/** Per-engine summary of one vault's clusters. */
export interface EnginePlan {
  engine: EngineKind;
  clusterCount: number;
  /** Most objects one cluster of this engine reads per poll. */
  maxObjectsPerCluster: number;
  /** Distinct configured poll intervals (seconds), ascending. */
  pollSeconds: number[];
  /** Distinct configured jitters (seconds), ascending. */
  jitterSeconds: number[];
}

/** The plan of one vault. */
export interface VaultPlan {
  vault: string;
  /** "ok", "insufficient-jitter" (some clusters spread too little) or "infeasible" (no jitter can help). */
  status: "ok" | "insufficient-jitter" | "infeasible";
  engines: EnginePlan[];
  /** Clusters configured for the vault that read nothing (no secrets), left out of the model. */
  idleClusters: string[];
  analysis: VaultAnalysis;
}

/** A fleet the planner cannot evaluate; the message says which key and what is needed. */
export class PlanInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlanInputError";
  }
}

function distinct(values: number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/** Builds the per-vault loads of a fleet (pure); throws PlanInputError for clusters it cannot evaluate. */
export function fleetLoads(config: FleetConfig): Map<string, { loads: ClusterLoad[]; idle: string[] }> {
  const vaults = new Map(
    config.vaults.map((v) => [v.name, { loads: [] as ClusterLoad[], idle: [] as string[] }]),
  );
  config.clusters.forEach((c, i) => {
    const entry = vaults.get(c.vault);
    if (!entry) {
      throw new PlanInputError(
        `clusters[${i}] (${c.name}).vault: unknown vault "${c.vault}"; allowed: ${[...vaults.keys()].join(", ") || "(no vaults)"}`,
      );
    }
    if (typeof c.objectCount !== "number" || !Number.isInteger(c.objectCount) || c.objectCount < 0) {
      throw new PlanInputError(
        `clusters[${i}] (${c.name}).objectCount: no secrets count (got ${String(c.objectCount)}); the planner needs the ` +
          "number of vault objects each cluster reads per poll (namespaces[].secrets[].objects)",
      );
    }
    const poll = c.sync?.rotationPollIntervalSeconds;
    const jitter = c.sync?.jitterSeconds;
    if (typeof poll !== "number" || typeof jitter !== "number") {
      throw new PlanInputError(
        `clusters[${i}] (${c.name}).sync: rotationPollIntervalSeconds and jitterSeconds are required`,
      );
    }
    if (c.objectCount === 0) {
      entry.idle.push(c.name);
      return;
    }
    entry.loads.push({
      cluster: c.name,
      engine: c.engine,
      objects: c.objectCount,
      pollSeconds: poll,
      jitterSeconds: jitter,
    });
  });
  return vaults;
}

/**
 * The plan of one vault from its clusters' loads (non-empty) — from the fleet configuration here, or from a
 * resource graph (`vaultLoadsFromModel`) when a real preview is judged.
 */
export function planVault(
  vault: string,
  loads: ClusterLoad[],
  idle: string[],
  options: Pick<PlanOptions, "risk" | "vaultLimitPer10s">,
): VaultPlan {
  const analysis = analyseVault(vault, loads, options);
  const engines = [...new Set(loads.map((l) => l.engine))].sort().map((engine) => {
    const of = loads.filter((l) => l.engine === engine);
    return {
      engine,
      clusterCount: of.length,
      maxObjectsPerCluster: Math.max(...of.map((l) => l.objects)),
      pollSeconds: distinct(of.map((l) => l.pollSeconds)),
      jitterSeconds: distinct(of.map((l) => l.jitterSeconds)),
    };
  });
  const status = !analysis.required.feasible
    ? "infeasible"
    : analysis.shortfalls.length > 0
      ? "insufficient-jitter"
      : "ok";
  return { vault, status, engines, idleClusters: idle, analysis };
}

/** Plans every vault (or the one named in options.vault). */
export function planFleet(config: FleetConfig, options: PlanOptions): VaultPlan[] {
  const byVault = fleetLoads(config);
  if (options.vault !== undefined && !byVault.has(options.vault)) {
    throw new PlanInputError(
      `unknown vault "${options.vault}"; allowed: ${[...byVault.keys()].join(", ") || "(no vaults)"}`,
    );
  }
  const plans: VaultPlan[] = [];
  for (const [vault, { loads, idle }] of byVault) {
    if (options.vault !== undefined && vault !== options.vault) continue;
    if (loads.length === 0) {
      throw new PlanInputError(
        `vault ${vault}: no cluster reads any object from it${idle.length ? ` (clusters without secrets: ${idle.join(", ")})` : ""}; ` +
          "nothing to plan — add secrets or remove the vault, or pass --vault for another one",
      );
    }
    plans.push(planVault(vault, loads, idle, options));
  }
  return plans;
}
