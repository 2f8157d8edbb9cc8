/**
 * The rollout plan of one stack's update (pure): the burst per vault and, when it does not fit, the waves with the
 * `pulumi up --target` URNs of each. Wave 1 also carries every change outside the bursting clusters (shared
 * resources such as the vault, and clusters that read nothing at once) and every delete: a targeted `pulumi up`
 * refuses to run while the program drops a resource it does not target ("will be destroyed but was not specified
 * in --target list", checked with 3.276), and deletes read nothing. Later waves only touch their clusters.
 */
import { clusterOf } from "../fleet/graph.ts";
import type { LoadOptions, LoadProblem } from "../fleet/loads.ts";
import { ResourceType } from "../lib/constants.ts";
import {
  splitIntoWaves,
  vaultBurst,
  type BurstSettings,
  type OversizedCluster,
  type VaultBurst,
  type Wave,
} from "./burst.ts";
import { ChangeOp, graphAfter, isChange, type ChangeSet } from "./changeset.ts";
import { updateFetches } from "./triggers.ts";

/** Options of {@link rolloutPlan} (the planner's settings and the load options of the stack rules). */
export type RolloutOptions = BurstSettings & LoadOptions;

/** A wave with what to apply. */
export interface TargetedWave extends Wave {
  /** URNs to pass as `pulumi up --target` (every changed resource of the wave), in change-set order. */
  targets: string[];
  /** The wave's `keyfleet:index:ClusterSecrets` components (what the wave rolls out, for people). */
  clusterComponents: string[];
}

/** The rollout plan of one stack. */
export interface RolloutPlan {
  stack: string;
  /** True when every vault absorbs its burst in one go. */
  safe: boolean;
  vaults: VaultBurst[];
  /** Clusters the model could not judge; their reads are not counted. */
  problems: LoadProblem[];
  /** Empty when safe. */
  waves: TargetedWave[];
  waveIntervalSeconds: number;
  oversized: OversizedCluster[];
}

const ROOT_STACK = "pulumi:pulumi:Stack";

/** Each created, updated or replaced resource's cluster (deletes all go to wave 1). */
function changedByCluster(changes: ChangeSet): Map<string, string[]> {
  const after = new Map(graphAfter(changes).map((r) => [r.urn, r]));
  const out = new Map<string, string[]>();
  for (const change of changes.resources) {
    if (!isChange(change.op) || change.op === ChangeOp.delete || change.type === ROOT_STACK) continue;
    const resource = after.get(change.urn);
    const cluster = resource ? clusterOf(resource) : "";
    out.set(cluster, [...(out.get(cluster) ?? []), change.urn]);
  }
  return out;
}

/** Judges the burst of an update and splits it into waves when a vault cannot absorb it. */
export function rolloutPlan(changes: ChangeSet, options: RolloutOptions): RolloutPlan {
  const { loads, problems, fetches } = updateFetches(changes, options);
  const vaults = [...new Set(fetches.map((f) => f.vault))]
    .sort()
    .map((vault) => vaultBurst(vault, loads.get(vault) ?? [], fetches, options));
  const safe = vaults.every((v) => v.safe);
  const base = { stack: changes.stack, safe, vaults, problems };
  if (safe) return { ...base, waves: [], waveIntervalSeconds: 0, oversized: [] };

  const split = splitIntoWaves(vaults);
  const changed = changedByCluster(changes);
  const inWaves = new Set(split.waves.flatMap((w) => w.clusters));
  const components = new Map(
    changes.resources.filter((r) => r.type === ResourceType.clusterSecrets).map((r) => [r.name, r.urn]),
  );
  // A split cluster's parts: each read with its triggers; the cluster's other changes go with its first part.
  const partUrns = new Map<string, string[]>();
  for (const v of vaults) {
    for (const f of v.clusters)
      for (const r of f.reads) partUrns.set(r.urn, [r.urn, ...r.triggers.map((t) => t.urn)]);
  }
  const claimed = new Set(
    split.waves.flatMap((w) => w.units.flatMap((u) => (u.read ? partUrns.get(u.read)! : []))),
  );
  const placed = new Set<string>();
  const waves = split.waves.map((w): TargetedWave => {
    const own: string[] = [];
    for (const unit of w.units) {
      if (unit.read) own.push(...partUrns.get(unit.read)!);
      if (placed.has(unit.cluster)) continue;
      placed.add(unit.cluster);
      own.push(...(changed.get(unit.cluster) ?? []).filter((urn) => !unit.read || !claimed.has(urn)));
    }
    const rest =
      w.wave === 1
        ? [
            ...[...changed].filter(([c]) => !inWaves.has(c)).flatMap(([, urns]) => urns),
            ...changes.resources.filter((r) => r.op === ChangeOp.delete).map((r) => r.urn),
          ]
        : [];
    const targets = new Set([...rest, ...own]);
    return {
      ...w,
      targets: changes.resources.map((r) => r.urn).filter((urn) => targets.has(urn)),
      clusterComponents: w.clusters.flatMap((c) => (components.has(c) ? [components.get(c)!] : [])),
    };
  });
  return { ...base, waves, waveIntervalSeconds: split.waveIntervalSeconds, oversized: split.oversized };
}
