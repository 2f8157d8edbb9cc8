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

/**
 * A dynamic resource's `__provider` input is its provider serialized with the implementation module's absolute
 * file URL, which differs per checkout: the snapshot keeps only that it is there.
 */
export const SERIALIZED_PROVIDER = "[serialized dynamic provider]";

function withoutMachinePaths(inputs: { [key: string]: Json }): { [key: string]: Json } {
  return "__provider" in inputs ? { ...inputs, __provider: SERIALIZED_PROVIDER } : inputs;
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
    inputs: shorten(withoutMachinePaths(r.inputs)),
  }));
}
