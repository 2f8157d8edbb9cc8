/**
 * The typed change set of one update (pure): every resource of the stack with the step Pulumi will take for it and
 * the input paths that change. Built from `pulumi preview --json --show-sames` (real previews) or from two graphs
 * captured under `pulumi.runtime.setMocks` (before/after a configuration change), so the rollout arithmetic judges
 * both the same way. Values are kept only to compare them; nothing here prints a value.
 */
import type { GraphResource } from "../fleet/graph.ts";
import type { Props } from "../lib/props.ts";

/** What happens to a resource in the update (Pulumi's step ops, folded to one per resource). */
export const ChangeOp = {
  same: "same",
  create: "create",
  update: "update",
  replace: "replace",
  delete: "delete",
  /** Read, refresh, import and other steps that leave the program's inputs alone. */
  other: "other",
} as const;
/** One of {@link ChangeOp}. */
export type ChangeOp = (typeof ChangeOp)[keyof typeof ChangeOp];

/** One resource in the change set. */
export interface ResourceChange {
  urn: string;
  type: string;
  name: string;
  op: ChangeOp;
  /** Parent URN (absent for the root stack). */
  parent?: string;
  /** Explicit provider URN (without the `::id` suffix). */
  provider?: string;
  /** Inputs before the update (absent for creates). Secrets are placeholders. */
  oldInputs?: Props;
  /** Inputs after the update (absent for deletes). Secrets are placeholders. */
  newInputs?: Props;
  /** Input paths that change (`spec.secretObject.data[0].targetKey`), sorted; empty for same/create/delete. */
  changedPaths: string[];
}

/** The change set of one stack's update. */
export interface ChangeSet {
  stack: string;
  /** Where it came from: a real preview or two mocks captures. */
  source: "preview" | "capture";
  /** In URN order (both sources). */
  resources: ResourceChange[];
}

/** Ops that change something. */
export function isChange(op: ChangeOp): boolean {
  return (
    op === ChangeOp.create || op === ChangeOp.update || op === ChangeOp.replace || op === ChangeOp.delete
  );
}

/** The resource name in a URN (`urn:pulumi:stack::project::type::name`). */
export function nameOfUrn(urn: string): string {
  return urn.split("::").slice(3).join("::");
}

/** The type token in a URN (the last element of the qualified type chain). */
export function typeOfUrn(urn: string): string {
  return (urn.split("::")[2] ?? "").split("$").pop() ?? "";
}

function isPlainObject(value: unknown): value is Props {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Paths whose values differ between two JSON-like values, at the deepest level both sides are containers
 * (`a.b[2].c`); a path present on one side only is reported once. Sorted.
 */
export function diffPaths(before: unknown, after: unknown, at = ""): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], `${path}[${i}]`);
      return;
    }
    if (isPlainObject(a) && isPlainObject(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)]))
        walk(a[key], b[key], path ? `${path}.${key}` : key);
      return;
    }
    if (a !== b) out.push(path);
  };
  walk(before, after, at);
  return out.sort();
}

/** True when `path` is `prefix` or lies under it (`spec` covers `spec.x` and `spec[0]`). */
export function pathUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

/**
 * The new-state graph of a change set (every resource that exists after the update) in the shape the fleet model
 * reads, with parent and provider links resolved.
 */
export function graphAfter(changes: ChangeSet): GraphResource[] {
  return linkGraph(
    changes.resources.filter((r) => r.op !== ChangeOp.delete && r.newInputs !== undefined),
    (r) => r.newInputs!,
  );
}

function linkGraph(
  resources: readonly ResourceChange[],
  props: (r: ResourceChange) => Props,
): GraphResource[] {
  const byUrn = new Map<string, GraphResource>();
  for (const r of resources) byUrn.set(r.urn, { type: r.type, name: r.name, urn: r.urn, props: props(r) });
  for (const r of resources) {
    const g = byUrn.get(r.urn)!;
    if (r.parent && byUrn.has(r.parent)) g.parent = byUrn.get(r.parent);
    if (r.provider) {
      g.provider = { urn: r.provider, name: nameOfUrn(r.provider), type: typeOfUrn(r.provider) };
    }
  }
  return [...byUrn.values()];
}
