/**
 * The drift report (pure): what a refresh-preview (`pulumi preview --refresh --expect-no-changes --json`, streamed)
 * says about resources changed outside Pulumi. Three ways a hand edit shows up, each checked against the 3.276
 * engine and the Kubernetes provider 4.25 on the proving ground:
 * - the engine plans a change after the refresh ("program"): `pulumi up --refresh` sets it back;
 * - the preview fails on a server-side apply field conflict ("conflict"): whoever edited the object (e.g.
 *   `kubectl patch`/`edit`) now owns fields the program sets; the provider's dry run refuses to take them, but
 *   `pulumi up --refresh` takes them back;
 * - keyfleet's own comparison of the live object with what the program declares ("unseen"): the provider compares
 *   only the shape the program declares, element by element, so an item added to a list (a subject added to a
 *   RoleBinding) is invisible to it and `pulumi up` leaves it in place — it has to be removed by hand;
 * - labels and annotations the program does not declare, added by a field manager other than Pulumi's, the
 *   cluster's and keyfleet's (`kubectl label`/`annotate`/`edit`; "unseen" too, with `addedBy`): the refresh
 *   step's live object carries `metadata.managedFields`, which says who wrote each key (metadata-drift.ts), and
 *   `pulumi up --refresh` keeps them. Other controllers' field managers can be named as not drift
 *   (`--ignore-manager`: Argo CD, Flux, Reloader…); the report lists the rule and which of them added keys.
 * Not drift: a resource the provider found not ready when it read it back ("unready": a Deployment mid-rollout
 * after `pulumi up`, a restart or a node drain). The provider records why as the refreshed state's `initErrors`,
 * and the engine then plans an `update` with no diff (no `diffs`, an empty `detailedDiff`) only to await it again
 * (3.276 + provider 4.25 on the proving ground, a refresh during `kubectl rollout restart`). Such an update is
 * reported apart, with the provider's reasons; an unready resource whose update does change something is drift
 * as well.
 * The report names resources, input paths (label and annotation keys) and field managers, never values.
 */
import { ChangeOp, isChange, pathUnder, type ChangeSet } from "../rollout/changeset.ts";
import { changeSetFromPreview, type PreviewDigest } from "../rollout/from-preview.ts";
import type { Props } from "../lib/props.ts";
import { handAddedMetadata } from "./metadata-drift.ts";
import { BARE_PREVIEW_FAILED, parsePreviewOutput, plainMessage } from "./preview.ts";

/** How a drifted resource was found (and so how it is set back). */
export const DriftKind = {
  /** The engine plans a change after the refresh: `pulumi up --refresh` sets it back. */
  program: "program",
  /** Someone else's field manager owns fields the program sets: `pulumi up --refresh` takes them back. */
  conflict: "conflict",
  /**
   * The live object differs where the provider's diff does not look (an added list item, a label or annotation
   * someone added): `pulumi up` keeps it, fix by hand.
   */
  unseen: "unseen",
} as const;
/** One of {@link DriftKind}. */
export type DriftKind = (typeof DriftKind)[keyof typeof DriftKind];

/** One resource that differs from the program. */
export interface DriftedResource {
  urn: string;
  type: string;
  name: string;
  kind: DriftKind;
  /** What `pulumi up --refresh` would do to it ("same" for {@link DriftKind.unseen}: nothing). */
  op: ChangeOp;
  /** Input paths that differ (no values). */
  changedPaths: string[];
  /** Field managers that took over fields the program sets, and those fields (server-side apply paths). */
  conflict?: { managers: string[]; fields: string[] };
  /** Field managers that added the labels and annotations among `changedPaths` (metadata-drift.ts). */
  addedBy?: string[];
}

/** A resource the provider found not ready when the refresh read it back: not drift (nothing changed). */
export interface UnreadyResource {
  urn: string;
  type: string;
  name: string;
  /** The provider's reasons (the refreshed state's `initErrors`), e.g. "Minimum number of Pods … was not attained". */
  reasons: string[];
}

/** The drift report (JSON twin of the Markdown). */
export interface DriftReport {
  kind: "keyfleet/drift";
  version: 1;
  stack: string;
  drifted: DriftedResource[];
  /** Resources not ready at refresh (a rollout in progress), drifted or not; alone they are not drift. */
  unready: UnreadyResource[];
  /** The rule in force: field managers whose added labels and annotations are not drift (names, `prefix*`). */
  ignoredManagers: string[];
  /** The managers that rule matched on this stack's objects (so the reader sees it is still needed). */
  ignoredManagersSeen: string[];
}

/** How the report is judged. */
export interface DriftOptions {
  /**
   * Field managers whose labels and annotations are not drift: exact names or prefixes ending in `*` (validated by
   * the caller). Default none.
   */
  ignoreManagers?: readonly string[];
}

/** The engine's own error for --expect-no-changes; the report says the same thing in its own words. */
const EXPECTED_NO_CHANGES = /no changes were expected/i;
const FIELD_CONFLICT = /Server-Side Apply field conflict|Apply failed with \d+ conflicts?/;

/**
 * The field managers and fields of a server-side apply conflict message (apimachinery's wording: `conflict with
 * "<manager>" using <apiVersion>: <field>`, or `conflicts with "<manager>":` followed by `- <field>` lines), or
 * undefined for any other message.
 */
export function fieldConflict(message: string): { managers: string[]; fields: string[] } | undefined {
  if (!FIELD_CONFLICT.test(message)) return undefined;
  const managers = [...message.matchAll(/conflicts? with "([^"]+)"/g)].map((m) => m[1]!);
  const fields = [...message.matchAll(/(?:using [^\s:]+: |^- )(\.\S+)/gm)].map((m) => m[1]!);
  return { managers: [...new Set(managers)].sort(), fields: [...new Set(fields)].sort() };
}

const SECRET = "[secret]";

function isPlainObject(value: unknown): value is Props {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The live object's key for a declared key (the provider's outputs spell `x-kubernetes-*` as `x_kubernetes_*`). */
function liveKey(live: Props, key: string): string {
  if (key in live) return key;
  const spelled = key.replace(/[-$]/g, "_");
  return spelled in live ? spelled : key;
}

/**
 * Paths where a live Kubernetes object differs from what the program declares (pure): every declared value must be
 * there unchanged, and a declared list must not have grown. Keys the program does not declare (labels a controller
 * adds, server defaults) and the provider's own `__` keys are not compared; nor is a secret, which both sides only
 * show as a placeholder.
 */
export function liveDifferences(declared: unknown, live: unknown, at = ""): string[] {
  if (declared === undefined || declared === null || declared === SECRET || live === SECRET) return [];
  if (Array.isArray(declared)) {
    if (!Array.isArray(live)) return [at];
    const out = declared.flatMap((d, i) => liveDifferences(d, live[i], `${at}[${i}]`));
    for (let i = declared.length; i < live.length; i++) out.push(`${at}[${i}]`);
    return out;
  }
  if (isPlainObject(declared)) {
    if (!isPlainObject(live)) return [at];
    return Object.entries(declared)
      .filter(([key]) => !key.startsWith("__"))
      .flatMap(([key, value]) => liveDifferences(value, live[liveKey(live, key)], at ? `${at}.${key}` : key));
  }
  return declared === live ? [] : [at];
}

/** Kubernetes resources: their outputs are the live object, so they can be compared with the program. */
function isKubernetesObject(type: string): boolean {
  return type.startsWith("kubernetes:");
}

type Found = Map<string, DriftedResource>;

/** Per URN, the init errors of the state the engine plans from (the refreshed state), when there are any. */
function initErrorsOf(digest: PreviewDigest): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const step of digest.steps ?? []) {
    const errors = step.oldState?.initErrors;
    // A refresh step's old state is the stored one, from before the read.
    if (step.op !== "refresh" && errors?.length)
      out.set(
        step.urn,
        errors.map((e) => e.trim()),
      );
  }
  return out;
}

/** Resources the engine would change after the refresh, except an update only to await a not-ready resource. */
function engineDrift(changes: ChangeSet, unready: ReadonlyMap<string, string[]>, found: Found): void {
  for (const r of changes.resources) {
    if (!isChange(r.op) || r.type === "pulumi:pulumi:Stack") continue;
    if (r.op === ChangeOp.update && r.changedPaths.length === 0 && unready.has(r.urn)) continue;
    const { urn, type, name, op, changedPaths } = r;
    found.set(urn, { urn, type, name, kind: DriftKind.program, op, changedPaths });
  }
}

/** Field conflicts (as drift) and the other error messages (failures). */
function conflictDrift(digest: PreviewDigest, changes: ChangeSet, found: Found): string[] {
  const errors: string[] = [];
  let conflicts = 0;
  for (const d of digest.diagnostics ?? []) {
    if (d.severity !== "error") continue;
    const message = plainMessage(d.message);
    const conflict = d.urn ? fieldConflict(message) : undefined;
    const resource = changes.resources.find((r) => r.urn === d.urn);
    if (!conflict || !resource) {
      if (message) errors.push(message.replace(/\s+/g, " "));
      continue;
    }
    conflicts += 1;
    const { urn, type, name } = resource;
    const seen = found.get(urn);
    const op = seen?.op ?? ChangeOp.update;
    found.set(urn, {
      urn,
      type,
      name,
      kind: DriftKind.conflict,
      op,
      changedPaths: seen?.changedPaths ?? [],
      conflict,
    });
  }
  return (
    errors
      .filter((e) => !EXPECTED_NO_CHANGES.test(e))
      // A conflict fails the preview, and the engine closes with a bare "preview failed": not a second failure.
      .filter((e) => !(conflicts > 0 && BARE_PREVIEW_FAILED.test(e)))
  );
}

/** Kubernetes objects whose live state differs from the program where the engine's diff did not look. */
function liveDrift(
  digest: PreviewDigest,
  changes: ChangeSet,
  refreshed: Map<string, Props>,
  ignoreManagers: readonly string[],
  found: Found,
): string[] {
  const ignoredSeen = new Set<string>();
  // The program's declared inputs are on its own step (not the refresh step, whose inputs were read back).
  const declared = new Map<string, Props>();
  for (const step of digest.steps ?? [])
    if (step.op !== "refresh" && step.newState?.inputs) declared.set(step.urn, step.newState.inputs);
  for (const r of changes.resources) {
    const live = refreshed.get(r.urn);
    const inputs = declared.get(r.urn);
    if (!live || !inputs || !isKubernetesObject(r.type) || r.op === ChangeOp.delete) continue;
    const metadata = handAddedMetadata(inputs, live, ignoreManagers);
    metadata.ignored.forEach((m) => ignoredSeen.add(m));
    const paths = [...metadata.paths, ...liveDifferences(inputs, live)];
    const seen = found.get(r.urn);
    if (paths.length === 0) continue;
    if (seen) {
      const extra = paths.filter((p) => !seen.changedPaths.some((c) => pathUnder(p, c)));
      seen.changedPaths = [...new Set([...seen.changedPaths, ...extra])].sort();
      if (metadata.managers.length > 0) seen.addedBy = metadata.managers;
    } else {
      const { urn, type, name } = r;
      const entry: DriftedResource = {
        urn,
        type,
        name,
        kind: DriftKind.unseen,
        op: ChangeOp.same,
        changedPaths: paths,
      };
      if (metadata.managers.length > 0) entry.addedBy = metadata.managers;
      found.set(urn, entry);
    }
  }
  return [...ignoredSeen].sort();
}

const byUrn = <T extends { urn: string }>(a: T, b: T) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0);

/**
 * The drift report of a refresh-preview's output, streamed or not (pure); `errors` are failures, not drift.
 */
export function driftReport(
  stack: string,
  previewOutput: string,
  options: DriftOptions = {},
): { report: DriftReport; errors: string[] } {
  const ignoredManagers = [...new Set(options.ignoreManagers ?? [])].sort();
  const { digest, refreshedOutputs } = parsePreviewOutput(previewOutput);
  const changes = changeSetFromPreview(stack, digest);
  const initErrors = initErrorsOf(digest);
  const found: Found = new Map();
  engineDrift(changes, initErrors, found);
  const errors = conflictDrift(digest, changes, found);
  const ignoredManagersSeen = liveDrift(digest, changes, refreshedOutputs, ignoredManagers, found);
  const unready = changes.resources
    .filter((r) => initErrors.has(r.urn))
    .map(({ urn, type, name }) => ({ urn, type, name, reasons: initErrors.get(urn)! }));
  const report: DriftReport = {
    kind: "keyfleet/drift",
    version: 1,
    stack,
    drifted: [...found.values()].sort(byUrn),
    unready: unready.sort(byUrn),
    ignoredManagers,
    ignoredManagersSeen,
  };
  return { report, errors };
}
