/**
 * Change sets from the Pulumi CLI (pure): `pulumi preview --json` prints one JSON document (Pulumi's preview
 * digest: `steps[]` with `op`, `urn`, `provider`, `oldState`/`newState` (type, parent, provider, inputs with secrets
 * as "[secret]"), `diffReasons`, `replaceReasons`, `detailedDiff`; `diagnostics[]`; `changeSummary`). With
 * `--show-sames` it lists unchanged resources too, which the fleet model needs for the steady load. A replacement
 * shows as several steps for one URN; they fold into one `replace`.
 */
import type { Props } from "../lib/props.ts";
import {
  ChangeOp,
  diffPaths,
  nameOfUrn,
  pathUnder,
  typeOfUrn,
  type ChangeSet,
  type ResourceChange,
} from "./changeset.ts";

/** A resource state in a preview step (apitype.ResourceV3, the fields read here). */
export interface PreviewResourceState {
  urn: string;
  type: string;
  custom?: boolean;
  parent?: string;
  /** `<provider urn>::<provider id>`. */
  provider?: string;
  inputs?: Props;
  outputs?: Props;
  /**
   * Why the provider found the resource not ready (e.g. a Deployment mid-rollout: "Minimum number of Pods to consider
   * the application live was not attained"); the engine then plans an `update` to await it again.
   */
  initErrors?: string[];
}

/** One step of `pulumi preview --json`. */
export interface PreviewStep {
  op: string;
  urn: string;
  provider?: string;
  oldState?: PreviewResourceState;
  newState?: PreviewResourceState;
  diffReasons?: string[];
  replaceReasons?: string[];
  detailedDiff?: Record<string, { kind: string; inputDiff: boolean }> | null;
}

/** One diagnostic of `pulumi preview --json` (severity: info, info#err, warning, error). */
export interface PreviewDiagnostic {
  urn?: string;
  message?: string;
  severity?: string;
}

/** The document `pulumi preview --json` prints. */
export interface PreviewDigest {
  config?: Record<string, string>;
  steps?: PreviewStep[];
  diagnostics?: PreviewDiagnostic[];
  changeSummary?: Record<string, number>;
  duration?: number;
}

/** Output that is not a preview digest; the message names what is missing. */
export class PreviewFormatError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PreviewFormatError";
  }
}

const OP_OF_STEP: Readonly<Record<string, ChangeOp>> = {
  same: ChangeOp.same,
  create: ChangeOp.create,
  update: ChangeOp.update,
  delete: ChangeOp.delete,
  discard: ChangeOp.delete,
  replace: ChangeOp.replace,
  "create-replacement": ChangeOp.replace,
  "delete-replaced": ChangeOp.replace,
  "discard-replaced": ChangeOp.replace,
};

/** Higher wins when several steps name one URN. */
const OP_RANK: Readonly<Record<ChangeOp, number>> = {
  same: 0,
  other: 1,
  update: 2,
  create: 3,
  delete: 3,
  replace: 4,
};

/** Parses and checks the JSON text `pulumi preview --json` printed. */
export function parsePreviewJson(text: string): PreviewDigest {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    const head = text.trim().slice(0, 120);
    throw new PreviewFormatError(
      `pulumi preview --json did not print JSON (starts with ${JSON.stringify(head)})`,
      {
        cause: error,
      },
    );
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new PreviewFormatError("pulumi preview --json printed no object");
  }
  const digest = doc as PreviewDigest;
  if (digest.steps !== undefined && !Array.isArray(digest.steps)) {
    throw new PreviewFormatError("preview JSON: steps is not a list");
  }
  (digest.steps ?? []).forEach((s, i) => {
    if (typeof s?.op !== "string" || typeof s?.urn !== "string") {
      throw new PreviewFormatError(`preview JSON: steps[${i}] has no op or urn`);
    }
  });
  return digest;
}

function providerUrn(ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  const parts = ref.split("::");
  // `<urn>::<id>`: the URN itself has at least four `::`-separated parts.
  return parts.length > 4 ? parts.slice(0, -1).join("::") : ref;
}

function changedPaths(op: ChangeOp, steps: readonly PreviewStep[]): string[] {
  if (op === ChangeOp.same || op === ChangeOp.create || op === ChangeOp.delete) return [];
  const paths = new Set<string>();
  for (const s of steps) {
    if (s.oldState?.inputs && s.newState?.inputs)
      for (const p of diffPaths(s.oldState.inputs, s.newState.inputs)) paths.add(p);
    for (const p of Object.keys(s.detailedDiff ?? {})) paths.add(p);
  }
  // Secrets compare equal as "[secret]"; the engine's own diff reasons still name their keys.
  for (const s of steps) {
    for (const key of [...(s.diffReasons ?? []), ...(s.replaceReasons ?? [])]) {
      if (![...paths].some((p) => pathUnder(p, key))) paths.add(key);
    }
  }
  return [...paths].sort();
}

/** One resource from the steps that name it. */
function foldSteps(urn: string, steps: readonly PreviewStep[]): ResourceChange {
  const op = steps
    .map((s) => OP_OF_STEP[s.op] ?? ChangeOp.other)
    .reduce((a, b) => (OP_RANK[b] > OP_RANK[a] ? b : a));
  const oldState = steps.find((s) => s.oldState)?.oldState;
  const newState = steps.find((s) => s.newState)?.newState;
  const state = newState ?? oldState;
  const parent = state?.parent || undefined;
  const provider = providerUrn(state?.provider || steps[0]!.provider);
  const oldInputs = op === ChangeOp.create ? undefined : oldState?.inputs;
  const newInputs = op === ChangeOp.delete ? undefined : newState?.inputs;
  return {
    urn,
    type: state?.type ?? typeOfUrn(urn),
    name: nameOfUrn(urn),
    op,
    parent: parent || undefined,
    provider: provider || undefined,
    oldInputs,
    newInputs,
    changedPaths: changedPaths(op, steps),
  };
}

/**
 * The change set of a parsed preview: one entry per URN, in URN order. The engine runs steps concurrently, so their
 * order (and a streamed preview's event order) differs from run to run; URN order makes the same change give the
 * same change set, the same `--target` lists and a byte-for-byte identical report.
 */
export function changeSetFromPreview(stack: string, digest: PreviewDigest): ChangeSet {
  const byUrn = new Map<string, PreviewStep[]>();
  for (const step of digest.steps ?? []) byUrn.set(step.urn, [...(byUrn.get(step.urn) ?? []), step]);
  const resources = [...byUrn]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([urn, steps]) => foldSteps(urn, steps));
  return { stack, source: "preview", resources };
}
