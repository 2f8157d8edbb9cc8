/**
 * Which changes in an update make clusters fetch from Key Vault at once (pure), counted in the planner's units
 * (objects per poll, the AKS add-on's mount multiplier applied):
 * - an engine setting changes (the runtime Deployment's pod template, the Arc extension's settings or version, the
 *   add-on profile, or a new engine): the engine restarts and re-reads everything the cluster reads;
 * - a SecretProviderClass or AKVSync is created or its spec changes: its objects are read at once;
 * - a SecretSync is created or its spec changes: its SecretProviderClass's objects are read at once.
 * Deletes read nothing. Counting is conservative: the AKS add-on's driver may wait for its next rotation poll
 * before re-reading a changed SecretProviderClass; here it counts as immediate, like the other engines.
 */
import type { ClusterLoad } from "../fleet/analysis.ts";
import {
  buildFleetModel,
  clusterOf,
  observeEngine,
  type GraphResource,
  type VaultRead,
} from "../fleet/graph.ts";
import { vaultLoadsFromModel, type LoadOptions, type LoadProblem } from "../fleet/loads.ts";
import { EngineKind, ResourceType } from "../lib/constants.ts";
import { stringAt } from "../lib/props.ts";
import {
  ChangeOp,
  graphAfter,
  isChange,
  pathUnder,
  type ChangeSet,
  type ResourceChange,
} from "./changeset.ts";

/** Why a cluster reads at once. */
export const BurstCause = {
  engine: "engine",
  secretProviderClass: "SecretProviderClass",
  akvSync: "AKVSync",
  secretSync: "SecretSync",
} as const;
/** One of {@link BurstCause}. */
export type BurstCause = (typeof BurstCause)[keyof typeof BurstCause];

/** A changed resource that makes its cluster read at once. */
export interface BurstTrigger {
  urn: string;
  cause: BurstCause;
}

/** One changed SecretProviderClass or AKVSync and what made it read (a part of a cluster's burst). */
export interface ReadFetch {
  /** URN of the SecretProviderClass or AKVSync. */
  urn: string;
  objects: number;
  triggers: BurstTrigger[];
}

/** The immediate reads of one cluster from one vault in this update. */
export interface ImmediateFetch {
  cluster: string;
  vault: string;
  /** Objects read at once (≤ the cluster's whole load on the vault). */
  objects: number;
  triggers: BurstTrigger[];
  /**
   * The changed reads that make up the burst, when it can be applied in parts (spec changes); empty when the
   * engine restarts and reads everything at once.
   */
  reads: ReadFetch[];
}

/** The fleet after the update and what it reads at once. */
export interface UpdateFetches {
  /** Per vault, every cluster's steady load after the update (the planner's model). */
  loads: Map<string, ClusterLoad[]>;
  /** Clusters the model could not judge (engine settings not visible, ...). */
  problems: LoadProblem[];
  /** Immediate reads, per cluster and vault, in vault then cluster order. */
  fetches: ImmediateFetch[];
}

/** Input paths of engine resources whose change restarts the engine (and so re-reads every object). */
const ENGINE_RESTART_PATHS: Readonly<Record<string, readonly string[]>> = {
  [ResourceType.managedCluster]: ["addonProfiles.azureKeyvaultSecretsProvider"],
  [ResourceType.extension]: ["configurationSettings", "version", "extensionType"],
  [ResourceType.deployment]: ["spec.template"],
  [ResourceType.aksSecretsProvider]: ["rotationPollIntervalSeconds"],
};

/** Types whose spec change makes the engine read at once. */
const SPEC_TRIGGERS: Readonly<Record<string, BurstCause>> = {
  [ResourceType.secretProviderClass]: BurstCause.secretProviderClass,
  [ResourceType.akvSync]: BurstCause.akvSync,
  [ResourceType.secretSync]: BurstCause.secretSync,
};

function touches(change: ResourceChange, prefixes: readonly string[]): boolean {
  if (change.op === ChangeOp.create || change.op === ChangeOp.replace) return true;
  return change.changedPaths.some((p) => prefixes.some((prefix) => pathUnder(p, prefix)));
}

/** SecretProviderClasses by cluster, namespace and name (how a SecretSync names its class). */
function classIndex(graph: readonly GraphResource[]): Map<string, GraphResource> {
  const index = new Map<string, GraphResource>();
  for (const r of graph) {
    if (r.type !== ResourceType.secretProviderClass) continue;
    const key = [clusterOf(r), stringAt(r.props, "metadata.namespace"), stringAt(r.props, "metadata.name")];
    index.set(JSON.stringify(key), r);
  }
  return index;
}

/** The SecretProviderClass a SecretSync names (same cluster and namespace). */
function classOfSync(sync: GraphResource, classes: Map<string, GraphResource>): GraphResource | undefined {
  const key = [
    clusterOf(sync),
    stringAt(sync.props, "metadata.namespace"),
    stringAt(sync.props, "spec.secretProviderClassName"),
  ];
  return classes.get(JSON.stringify(key));
}

/** Computes the fleet's loads after the update and the reads the update causes at once. */
export function updateFetches(changes: ChangeSet, options: LoadOptions): UpdateFetches {
  const graph = graphAfter(changes);
  const byUrn = new Map(graph.map((r) => [r.urn, r]));
  const model = buildFleetModel(graph);
  const { loads, problems } = vaultLoadsFromModel(model, options);
  const readsByUrn = new Map<string, VaultRead>(model.reads.map((r) => [r.urn, r]));
  const classes = classIndex(graph);

  const engineChanges = new Map<string, BurstTrigger[]>(); // cluster → triggers
  const readChanges = new Map<string, { read: VaultRead; triggers: BurstTrigger[] }>(); // read urn → …
  for (const change of changes.resources) {
    if (!isChange(change.op) || change.op === ChangeOp.delete) continue;
    const resource = byUrn.get(change.urn);
    if (!resource) continue;
    const restartPaths = ENGINE_RESTART_PATHS[change.type];
    if (restartPaths && observeEngine(resource, graph) && touches(change, restartPaths)) {
      const cluster = clusterOf(resource);
      engineChanges.set(cluster, [
        ...(engineChanges.get(cluster) ?? []),
        { urn: change.urn, cause: BurstCause.engine },
      ]);
      continue;
    }
    const cause = SPEC_TRIGGERS[change.type];
    if (!cause || !touches(change, ["spec"])) continue;
    const source = cause === BurstCause.secretSync ? classOfSync(resource, classes) : resource;
    const read = source && readsByUrn.get(source.urn);
    if (!read) continue;
    const entry = readChanges.get(read.urn) ?? { read, triggers: [] };
    entry.triggers.push({ urn: change.urn, cause });
    readChanges.set(read.urn, entry);
  }

  const fetches: ImmediateFetch[] = [];
  for (const [vault, clusterLoads] of [...loads].sort(([a], [b]) => a.localeCompare(b))) {
    for (const load of [...clusterLoads].sort((a, b) => a.cluster.localeCompare(b.cluster))) {
      const engine = engineChanges.get(load.cluster);
      if (engine) {
        fetches.push({ cluster: load.cluster, vault, objects: load.objects, triggers: engine, reads: [] });
        continue;
      }
      const changed = [...readChanges.values()].filter(
        (c) => c.read.vault === vault && c.read.cluster === load.cluster,
      );
      if (changed.length === 0) continue;
      const factor = load.engine === EngineKind.aksAddon ? options.addonMountsPerSecretProviderClass : 1;
      const reads = changed.map((c) => ({
        urn: c.read.urn,
        objects: c.read.objects * factor,
        triggers: c.triggers,
      }));
      fetches.push({
        cluster: load.cluster,
        vault,
        objects: Math.min(
          reads.reduce((sum, r) => sum + r.objects, 0),
          load.objects,
        ),
        triggers: changed.flatMap((c) => c.triggers),
        reads,
      });
    }
  }
  return { loads, problems, fetches };
}
