/**
 * Snapshot form of a captured graph (pure): per resource its type, name, parent name, provider name and inputs,
 * with long strings shortened to length + hash. Compared in tests with committed stacks/__snapshots__/*.json.
 */
import type { CapturedResource, Json } from "./capture.ts";
import { shorten } from "./render.ts";

/** Last URN segment (the resource name). */
function nameOf(urn: string | undefined): string | undefined {
  return urn?.split("::").pop();
}

/** The snapshot of a graph. */
export function snapshotOf(resources: readonly CapturedResource[]): Json {
  return resources.map((r) => ({
    type: r.type,
    name: r.name,
    parent: nameOf(r.parent) ?? null,
    provider: nameOf(r.provider) ?? null,
    secretPaths: r.secretPaths,
    dependsOn: r.dependsOn.map((d) => nameOf(d)!),
    inputs: shorten(r.inputs),
  }));
}
