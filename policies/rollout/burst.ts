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

/** What one wave applies: a whole cluster, or one changed read of a cluster whose burst alone is too big. */
export interface WaveUnit {
  cluster: string;
  /** URN of the SecretProviderClass/AKVSync when the unit is one read of a split cluster. */
  read?: string;
  /** Objects this unit reads at once, per vault. */
  readsByVault: Record<string, number>;
}

/** One wave of a split rollout. */
export interface Wave {
  /** 1-based. */
  wave: number;
  /** Clusters with a unit in this wave, in name order. */
  clusters: string[];
  units: WaveUnit[];
  /** Objects this wave reads at once, per vault. */
  readsByVault: Record<string, number>;
}

/** A unit whose own burst exceeds a vault's headroom: no wave size helps. */
export interface OversizedCluster {
  cluster: string;
  /** The read, when the cluster was split and one read alone is too big. */
  read?: string;
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
 * The units of an update: each cluster whole, unless its burst alone overfills a vault and comes from spec
 * changes — then each changed read on its own (an engine restart reads everything at once and cannot be split).
 */
export function waveUnits(bursts: readonly VaultBurst[]): WaveUnit[] {
  const headroom = new Map(bursts.map((b) => [b.vault, b.headroomPerSecond]));
  const byCluster = new Map<string, Array<{ vault: string; fetch: ImmediateFetch }>>();
  for (const b of bursts)
    for (const f of b.clusters)
      byCluster.set(f.cluster, [...(byCluster.get(f.cluster) ?? []), { vault: b.vault, fetch: f }]);
  const units: WaveUnit[] = [];
  for (const [cluster, fetches] of [...byCluster].sort(([a], [b]) => a.localeCompare(b))) {
    const whole: Record<string, number> = {};
    for (const { vault, fetch } of fetches) whole[vault] = (whole[vault] ?? 0) + fetch.objects;
    const fits = Object.entries(whole).every(([vault, n]) => n <= headroom.get(vault)!);
    const splittable = fetches.every(({ fetch }) => fetch.reads.length > 0);
    if (fits || !splittable) {
      units.push({ cluster, readsByVault: whole });
      continue;
    }
    const parts = fetches.flatMap(({ vault, fetch }) =>
      fetch.reads.map((r) => ({ cluster, read: r.urn, readsByVault: { [vault]: r.objects } })),
    );
    units.push(...parts.sort((a, b) => a.read.localeCompare(b.read)));
  }
  return units;
}

/**
 * Splits the update into waves that fit every vault's headroom: each unit (waveUnits), in order, joins the first
 * wave with room on every vault it reads, so clusters of different vaults share waves and the same change always
 * gives the same waves. A unit too big on its own gets a wave of its own and is listed as oversized.
 */
export function splitIntoWaves(bursts: readonly VaultBurst[]): WavePlan {
  const headroom = new Map(bursts.map((b) => [b.vault, b.headroomPerSecond]));
  const waves: Wave[] = [];
  const full = new Set<Wave>(); // a wave holding an oversized unit takes nothing else
  const oversized: OversizedCluster[] = [];
  for (const unit of waveUnits(bursts)) {
    const reads = Object.entries(unit.readsByVault);
    const tooBig = reads.filter(([vault, objects]) => objects > headroom.get(vault)!);
    for (const [vault, objects] of tooBig) {
      oversized.push({
        cluster: unit.cluster,
        read: unit.read || undefined,
        vault,
        objects,
        headroomPerSecond: headroom.get(vault)!,
      });
    }
    const fits = (w: Wave) =>
      !full.has(w) &&
      reads.every(([vault, objects]) => (w.readsByVault[vault] ?? 0) + objects <= headroom.get(vault)!);
    let wave = tooBig.length === 0 ? waves.find(fits) : undefined;
    if (!wave) {
      wave = { wave: waves.length + 1, clusters: [], units: [], readsByVault: {} };
      waves.push(wave);
      if (tooBig.length > 0) full.add(wave);
    }
    wave.units.push(unit);
    if (!wave.clusters.includes(unit.cluster)) wave.clusters.push(unit.cluster);
    for (const [vault, objects] of reads)
      wave.readsByVault[vault] = (wave.readsByVault[vault] ?? 0) + objects;
  }
  for (const w of waves) w.clusters.sort((a, b) => a.localeCompare(b));
  return { waves, waveIntervalSeconds: VAULT_WINDOW_SECONDS, oversized };
}
