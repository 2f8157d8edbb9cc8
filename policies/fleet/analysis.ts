/**
 * Load analysis per vault (pure), shared by the stack rules and the planner: the jitter the fleet needs
 * (jitter/model.ts), which clusters spread their reads too little, the expected steady-state reads, the peak
 * second and the worst-case staleness, and the expected request rate over one poll period for the picture.
 */
import { EngineKind } from "../lib/constants.ts";
import { poissonUpperTail } from "../jitter/poisson.ts";
import { burstRisk, requiredJitter, type JitterModelResult } from "../jitter/model.ts";

/** One cluster's load on one vault. */
export interface ClusterLoad {
  cluster: string;
  engine: EngineKind;
  /** Vault objects read per poll (after any per-engine multiplier). */
  objects: number;
  pollSeconds: number;
  jitterSeconds: number;
  /** URN of the engine resource, when known (rules report against it). */
  engineUrn?: string;
}

/** Settings of the analysis. */
export interface AnalysisSettings {
  /** Acceptable per-second risk p; default 0.0001. */
  risk: number;
  /** Vault read limit per 10 s; default 4000. */
  vaultLimitPer10s: number;
}

/** Clusters of one engine whose spread is below the required jitter (unless the whole fleet's burst fits at once). */
export interface Shortfall {
  engine: EngineKind;
  spreadSeconds: number;
  clusters: ClusterLoad[];
  /** Per-second risk of exceeding the limit if all clusters spread only this much. */
  risk: number;
}

/** The analysis of one vault. */
export interface VaultAnalysis {
  vault: string;
  clusters: ClusterLoad[];
  clusterCount: number;
  /** S: the largest number of objects one cluster reads per poll (the model's conservative choice). */
  maxObjectsPerCluster: number;
  required: JitterModelResult;
  shortfalls: Shortfall[];
  /** Expected reads per 10 s in steady state: Σ objects × 10 / (poll + jitter / 2). */
  expectedReadsPer10s: number;
  /** Reads in the worst second, exceeded with probability ≤ p, with the configured spread (all clusters in step). */
  peakRequestsPerSecond: number;
  /** The same without any jitter: every cluster's burst in the same second. */
  peakRequestsPerSecondWithoutJitter: number;
  /** max(poll + jitter) over the clusters. */
  worstStalenessSeconds: number;
}

/**
 * Seconds over which a cluster's reads are spread: its jitter, or for engines without jitter (AKS add-on, Arc CSI
 * extension) its poll interval — the model then assumes the clusters' poll phases are independent and uniform.
 */
export function spreadSeconds(load: Pick<ClusterLoad, "engine" | "pollSeconds" | "jitterSeconds">): number {
  return load.engine === EngineKind.aksAddon || load.engine === EngineKind.arcCsiExtension
    ? load.pollSeconds
    : load.jitterSeconds;
}

/** Expected reads per 10 s of one cluster in steady state (mean period poll + jitter / 2). */
export function expectedReadsPer10s(
  load: Pick<ClusterLoad, "objects" | "pollSeconds" | "jitterSeconds">,
): number {
  const period = load.pollSeconds + load.jitterSeconds / 2;
  return period > 0 ? (load.objects * 10) / period : Number.POSITIVE_INFINITY;
}

/** Smallest k with P(X > k) ≤ p for X ~ Poisson(mean). */
export function poissonQuantile(mean: number, risk: number): number {
  let k = Math.max(0, Math.floor(mean));
  while (poissonUpperTail(k, mean) > risk) k++;
  return k;
}

function peakPerSecond(
  clusters: readonly ClusterLoad[],
  risk: number,
  spread: (c: ClusterLoad) => number,
): number {
  const maxObjects = Math.max(...clusters.map((c) => c.objects));
  // Clusters with no spread all land in the same second; the others arrive as Poisson with rate Σ 1/spread.
  const instant = clusters.filter((c) => spread(c) <= 0).length;
  const rate = clusters.reduce((sum, c) => (spread(c) > 0 ? sum + 1 / spread(c) : sum), 0);
  const spreadArrivals = rate > 0 ? poissonQuantile(rate, risk) : 0;
  // A cluster polls once per period, so no second holds more than every cluster's burst.
  return Math.min(clusters.length, instant + spreadArrivals) * maxObjects;
}

/** Analyses one vault's load (pure). `clusters` must be non-empty, each with objects ≥ 1. */
export function analyseVault(
  vault: string,
  clusters: ClusterLoad[],
  settings: AnalysisSettings,
): VaultAnalysis {
  const maxObjectsPerCluster = Math.max(...clusters.map((c) => c.objects));
  const required = requiredJitter({
    clusters: clusters.length,
    secretsPerCluster: maxObjectsPerCluster,
    risk: settings.risk,
    vaultLimitPer10s: settings.vaultLimitPer10s,
  });
  // When every cluster's burst fits the per-second limit at once, no spread is needed (nothing can exceed it).
  const wholeFleetFits = clusters.length <= Math.floor(required.threshold);
  const groups = new Map<string, Shortfall>();
  for (const c of clusters) {
    const spread = spreadSeconds(c);
    if (required.feasible && (spread >= required.jitterSeconds || wholeFleetFits)) continue;
    const risk = burstRisk(clusters.length, maxObjectsPerCluster, spread, settings.vaultLimitPer10s);
    const key = `${c.engine}/${spread}`;
    const group = groups.get(key) ?? { engine: c.engine, spreadSeconds: spread, clusters: [], risk };
    group.clusters.push(c);
    groups.set(key, group);
  }
  return {
    vault,
    clusters,
    clusterCount: clusters.length,
    maxObjectsPerCluster,
    required,
    shortfalls: [...groups.values()],
    expectedReadsPer10s: clusters.reduce((sum, c) => sum + expectedReadsPer10s(c), 0),
    peakRequestsPerSecond: peakPerSecond(clusters, settings.risk, spreadSeconds),
    peakRequestsPerSecondWithoutJitter: clusters.length * maxObjectsPerCluster,
    worstStalenessSeconds: Math.max(...clusters.map((c) => c.pollSeconds + c.jitterSeconds)),
  };
}

/** Expected reads per second over time after all clusters poll in step at t = 0 (one value per bin). */
export interface RateSeries {
  /** Bin width in seconds. */
  binSeconds: number;
  /** Expected reads per second in each bin, with each cluster's configured spread. */
  withJitter: number[];
  /** The same with no spread at all: everything in the first second. */
  withoutJitter: number[];
}

/**
 * Expected request rate over one poll period (the longest poll + jitter among the clusters) when every cluster
 * starts its poll at t = 0: a cluster with spread d adds objects/d reads per second on [0, d); with no spread its
 * whole burst lands in the first second. At most `maxBins` bins.
 */
export function rateOverPollPeriod(clusters: readonly ClusterLoad[], maxBins = 600): RateSeries {
  const period = Math.max(1, ...clusters.map((c) => c.pollSeconds + c.jitterSeconds));
  const binSeconds = Math.max(1, Math.ceil(period / maxBins));
  const bins = Math.ceil(period / binSeconds);
  const withJitter = new Array<number>(bins).fill(0);
  const withoutJitter = new Array<number>(bins).fill(0);
  const total = clusters.reduce((sum, c) => sum + c.objects, 0);
  withoutJitter[0] = total; // every read inside the first second
  for (const c of clusters) {
    const spread = spreadSeconds(c);
    if (spread <= 0) {
      withJitter[0]! += c.objects;
      continue;
    }
    for (let b = 0; b < bins; b++) {
      const start = b * binSeconds;
      const overlap = Math.max(0, Math.min(start + binSeconds, spread) - start);
      if (overlap <= 0) break;
      withJitter[b]! += (c.objects * overlap) / spread / binSeconds;
    }
  }
  return { binSeconds, withJitter, withoutJitter };
}
