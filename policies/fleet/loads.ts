/** Per-vault cluster loads from the graph's fleet model (pure), as the stack rules judge them. */
import { EngineKind } from "../lib/constants.ts";
import type { ClusterLoad } from "./analysis.ts";
import { spreadSeconds } from "./analysis.ts";
import type { EngineObservation, FleetModel } from "./graph.ts";
import { counted } from "../../common/text.ts";

/** A problem that keeps a cluster out of the analysis, reported against `urn`. */
export interface LoadProblem {
  urn: string;
  cluster: string;
  message: string;
}

/** Options of {@link vaultLoadsFromModel}. */
export interface LoadOptions {
  /** AKS add-on: pods mounting each SecretProviderClass (reads multiply). Default 1. */
  addonMountsPerSecretProviderClass: number;
}

/** Loads per vault name, plus the clusters that could not be judged. */
export interface VaultLoads {
  loads: Map<string, ClusterLoad[]>;
  problems: LoadProblem[];
}

/** The engine that spreads a cluster's reads least (the worst case when, wrongly, there are several). */
function worstEngine(engines: EngineObservation[]): EngineObservation {
  return engines.reduce((worst, e) =>
    spreadSeconds({ engine: e.engine, pollSeconds: e.pollSeconds!, jitterSeconds: e.jitterSeconds! }) <
    spreadSeconds({
      engine: worst.engine,
      pollSeconds: worst.pollSeconds!,
      jitterSeconds: worst.jitterSeconds!,
    })
      ? e
      : worst,
  );
}

/** Groups the model's reads per vault and cluster and attaches each cluster's engine settings. */
export function vaultLoadsFromModel(model: FleetModel, options: LoadOptions): VaultLoads {
  const objects = new Map<string, Map<string, { objects: number; urn: string }>>();
  for (const read of model.reads) {
    const byCluster = objects.get(read.vault) ?? new Map<string, { objects: number; urn: string }>();
    const entry = byCluster.get(read.cluster) ?? { objects: 0, urn: read.urn };
    entry.objects += read.objects;
    byCluster.set(read.cluster, entry);
    objects.set(read.vault, byCluster);
  }
  const enginesByCluster = new Map<string, EngineObservation[]>();
  for (const e of model.engines)
    enginesByCluster.set(e.cluster, [...(enginesByCluster.get(e.cluster) ?? []), e]);

  const loads = new Map<string, ClusterLoad[]>();
  const problems: LoadProblem[] = [];
  for (const [vault, byCluster] of objects) {
    const list: ClusterLoad[] = [];
    for (const [cluster, { objects: count, urn }] of byCluster) {
      const engines = enginesByCluster.get(cluster) ?? [];
      if (engines.length === 0) {
        problems.push({
          urn,
          cluster,
          message: `reads ${count} objects from vault ${vault} but no sync engine was found`,
        });
        continue;
      }
      const unreadable = engines.find((e) => e.missing);
      if (unreadable) {
        problems.push({
          urn: unreadable.urn,
          cluster,
          message: `${unreadable.engine}: ${unreadable.missing}`,
        });
        continue;
      }
      const engine = worstEngine(engines);
      const factor = engine.engine === EngineKind.aksAddon ? options.addonMountsPerSecretProviderClass : 1;
      list.push({
        cluster,
        engine: engine.engine,
        objects: count * factor,
        pollSeconds: engine.pollSeconds!,
        jitterSeconds: engine.jitterSeconds!,
        engineUrn: engine.urn,
      });
    }
    if (list.length > 0) loads.set(vault, list);
  }
  return { loads, problems };
}

/** "a, b, c and 7 more" (at most `shown` names). */
export function nameList(names: readonly string[], shown = 3): string {
  const head = names.slice(0, shown).join(", ");
  return names.length > shown ? `${head} and ${names.length - shown} more` : head;
}

/** Groups problems with the same message into one line each: message + the clusters it applies to. */
export function groupProblems(problems: readonly LoadProblem[]): Array<{ urn: string; message: string }> {
  const groups = new Map<string, LoadProblem[]>();
  for (const p of problems) groups.set(p.message, [...(groups.get(p.message) ?? []), p]);
  return [...groups].map(([message, list]) => ({
    urn: list[0]!.urn,
    message: `${counted(list.length, "cluster")} (${nameList(list.map((p) => p.cluster))}): ${message}`,
  }));
}
