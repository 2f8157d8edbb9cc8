/**
 * The rollout burst (pure): when one `pulumi up` reaches many clusters, each reads its changed objects at once
 * (triggers.ts), with no jitter. In the jitter model's terms (jitter/model.ts) that is the spread-0 case: C changed
 * clusters of up to S objects land in the same second, and the vault absorbs ⌊T⌋ = ⌊(vaultLimitPer10s / 10) / S⌋
 * cluster bursts per second. Here the fleet's steady load (the planner's expected reads, fleet/analysis.ts) is
 * taken off the limit first, so the vault absorbs ⌊(limit/s − steady/s) / S⌋ changed clusters per second.
 * When the burst does not fit, the update is split into waves that each fit, applied at least one Key Vault
 * accounting window (10 s) apart so no window holds two waves; the pipeline also waits for each wave's SecretSyncs
 * to be Ready before the next.
 */
import { analyseVault, type ClusterLoad } from "../fleet/analysis.ts";
import type { ImmediateFetch } from "./triggers.ts";

/** Key Vault counts reads per vault in 10-second windows (the limit is "reads per 10 s"). */
export const VAULT_WINDOW_SECONDS = 10;

/** Settings of the burst judgement (the planner's). */
export interface BurstSettings {
  /** Vault reads allowed per 10 s; default 4000. */
  vaultLimitPer10s: number;
  /** Acceptable per-second risk p (used by the steady-load analysis); default 0.0001. */
  risk: number;
}

/** The burst on one vault. */
export interface VaultBurst {
  vault: string;
  /** Reads per second the vault allows: vaultLimitPer10s / 10. */
  limitPerSecond: number;
  /** The fleet's expected reads per second in steady state (all clusters, after the update). */
  steadyReadsPerSecond: number;
  /** limitPerSecond − steadyReadsPerSecond (may be ≤ 0 when the steady load alone fills the vault). */
  headroomPerSecond: number;
  /** Clusters that read at once, with their counts. */
  clusters: ImmediateFetch[];
  /** Objects read at once when the update reaches every changed cluster in the same second. */
  burstObjects: number;
  /** S: the most objects one changed cluster reads at once (0 when none). */
  maxObjectsPerCluster: number;
  /** ⌊headroom / S⌋: changed clusters the vault absorbs in one second (the model's ⌊T⌋ less the steady load). */
  clusterBurstsPerSecond: number;
  /** burstObjects + steadyReadsPerSecond ≤ limitPerSecond. */
  safe: boolean;
}

/** Judges the burst on one vault from its clusters' steady loads and the update's immediate reads. */
export function vaultBurst(
  vault: string,
  loads: readonly ClusterLoad[],
  fetches: readonly ImmediateFetch[],
  settings: BurstSettings,
): VaultBurst {
  const limitPerSecond = settings.vaultLimitPer10s / VAULT_WINDOW_SECONDS;
  const steadyReadsPerSecond =
    loads.length > 0
      ? analyseVault(vault, [...loads], settings).expectedReadsPer10s / VAULT_WINDOW_SECONDS
      : 0;
  const headroomPerSecond = limitPerSecond - steadyReadsPerSecond;
  const clusters = fetches.filter((f) => f.vault === vault && f.objects > 0);
  const burstObjects = clusters.reduce((sum, f) => sum + f.objects, 0);
  const maxObjectsPerCluster = Math.max(0, ...clusters.map((f) => f.objects));
  const clusterBurstsPerSecond =
    maxObjectsPerCluster > 0 ? Math.max(0, Math.floor(headroomPerSecond / maxObjectsPerCluster)) : 0;
  return {
    vault,
    limitPerSecond,
    steadyReadsPerSecond,
    headroomPerSecond,
    clusters,
    burstObjects,
    maxObjectsPerCluster,
    clusterBurstsPerSecond,
    safe: burstObjects <= headroomPerSecond,
  };
}

/** One wave of a split rollout. */
export interface Wave {
  /** 1-based. */
  wave: number;
  clusters: string[];
  /** Objects this wave reads at once, per vault. */
  readsByVault: Record<string, number>;
}

/** A cluster whose own burst exceeds a vault's headroom: no wave size helps. */
export interface OversizedCluster {
  cluster: string;
  vault: string;
  objects: number;
  headroomPerSecond: number;
}

/** The split of an unsafe update. */
export interface WavePlan {
  waves: Wave[];
  /** Minimum seconds between the start of two waves. */
  waveIntervalSeconds: number;
  oversized: OversizedCluster[];
}

/**
 * Splits the clusters that read at once into waves that fit every vault's headroom (greedy, clusters in name
 * order, so the same change always gives the same waves). A cluster too big for a vault on its own gets a wave
 * of its own and is listed as oversized.
 */
export function splitIntoWaves(bursts: readonly VaultBurst[]): WavePlan {
  const byCluster = new Map<string, Map<string, number>>();
  for (const b of bursts) {
    for (const f of b.clusters) {
      const reads = byCluster.get(f.cluster) ?? new Map<string, number>();
      reads.set(b.vault, (reads.get(b.vault) ?? 0) + f.objects);
      byCluster.set(f.cluster, reads);
    }
  }
  const headroom = new Map(bursts.map((b) => [b.vault, b.headroomPerSecond]));
  const waves: Wave[] = [];
  const oversized: OversizedCluster[] = [];
  let current: Wave | undefined;
  for (const [cluster, reads] of [...byCluster].sort(([a], [b]) => a.localeCompare(b))) {
    const tooBig = [...reads].filter(([vault, objects]) => objects > headroom.get(vault)!);
    for (const [vault, objects] of tooBig)
      oversized.push({ cluster, vault, objects, headroomPerSecond: headroom.get(vault)! });
    const fits =
      current !== undefined &&
      tooBig.length === 0 &&
      [...reads].every(
        ([vault, objects]) => (current!.readsByVault[vault] ?? 0) + objects <= headroom.get(vault)!,
      );
    if (!fits) {
      current = { wave: waves.length + 1, clusters: [], readsByVault: {} };
      waves.push(current);
    }
    current!.clusters.push(cluster);
    for (const [vault, objects] of reads)
      current!.readsByVault[vault] = (current!.readsByVault[vault] ?? 0) + objects;
    if (tooBig.length > 0) current = undefined; // nothing joins an oversized cluster's wave
  }
  return { waves, waveIntervalSeconds: VAULT_WINDOW_SECONDS, oversized };
}
