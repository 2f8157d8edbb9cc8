/**
 * Change sets from two resource graphs captured under `pulumi.runtime.setMocks` (pure): the stack before and after
 * a configuration or program change, as `captureStack` (stacks/synth/capture.ts) returns them. Inputs are compared
 * as the engine would diff them; a resource only in `before` is deleted, only in `after` created.
 */
import type { HarnessResource } from "../harness/evaluate.ts";
import { ChangeOp, diffPaths, type ChangeSet, type ResourceChange } from "./changeset.ts";

/** Inputs whose change makes Pulumi replace rather than update (Kubernetes identity: name and namespace). */
const REPLACE_PATHS = ["metadata.name", "metadata.namespace", "apiVersion", "kind"];

function links(r: HarnessResource): Pick<ResourceChange, "parent" | "provider"> {
  return { parent: r.parent || undefined, provider: r.provider || undefined };
}

/** The change set between two captures of one stack (URN order). */
export function changeSetFromCaptures(
  stack: string,
  before: readonly HarnessResource[],
  after: readonly HarnessResource[],
): ChangeSet {
  const old = new Map(before.map((r) => [r.urn, r]));
  const now = new Map(after.map((r) => [r.urn, r]));
  const urns = [...new Set([...old.keys(), ...now.keys()])].sort();
  const resources = urns.map((urn): ResourceChange => {
    const a = old.get(urn);
    const b = now.get(urn);
    if (!a) {
      return {
        urn,
        type: b!.type,
        name: b!.name,
        op: ChangeOp.create,
        ...links(b!),
        newInputs: b!.inputs,
        changedPaths: [],
      };
    }
    if (!b) {
      return {
        urn,
        type: a.type,
        name: a.name,
        op: ChangeOp.delete,
        ...links(a),
        oldInputs: a.inputs,
        changedPaths: [],
      };
    }
    const changedPaths = diffPaths(a.inputs, b.inputs);
    const op =
      changedPaths.length === 0
        ? ChangeOp.same
        : changedPaths.some((p) => REPLACE_PATHS.includes(p))
          ? ChangeOp.replace
          : ChangeOp.update;
    return {
      urn,
      type: b.type,
      name: b.name,
      op,
      ...links(b),
      oldInputs: a.inputs,
      newInputs: b.inputs,
      changedPaths,
    };
  });
  return { stack, source: "capture", resources };
}
