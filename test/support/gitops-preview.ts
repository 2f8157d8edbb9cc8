/**
 * Test support for the gitops commands: what `pulumi preview --json --show-sames` prints for an update between two
 * hand-made graphs — the digest document, or the engine-event stream (with policy events) it prints when
 * `PULUMI_ENABLE_STREAMING_JSON_PREVIEW` is set, in the shapes the 3.276 CLI prints — and a fake Pulumi runner.
 */
import type { HarnessResource } from "../../policies/harness/evaluate.ts";
import { ChangeOp } from "../../policies/rollout/changeset.ts";
import { changeSetFromCaptures } from "../../policies/rollout/from-capture.ts";
import type {
  PreviewDigest,
  PreviewResourceState,
  PreviewStep,
} from "../../policies/rollout/from-preview.ts";
import type { PulumiResult, PulumiRunner } from "../../policies/gitops/runner.ts";

function state(r: HarnessResource): PreviewResourceState {
  return {
    urn: r.urn,
    type: r.type,
    custom: !r.type.startsWith("keyfleet:") && r.type !== "pulumi:pulumi:Stack",
    ...(r.parent ? { parent: r.parent } : {}),
    ...(r.provider ? { provider: `${r.provider}::04da6b54-80e4-46f7-96ec-b56ff0331ba9` } : {}),
    inputs: r.inputs,
    outputs: r.inputs,
  };
}

/** The digest of an update from `before` to `after` (steps in URN order; replacements as one `replace` step). */
export function digestOf(
  before: readonly HarnessResource[],
  after: readonly HarnessResource[],
): PreviewDigest {
  const changes = changeSetFromCaptures("test", before, after);
  const old = new Map(before.map((r) => [r.urn, r]));
  const now = new Map(after.map((r) => [r.urn, r]));
  const changeSummary: Record<string, number> = {};
  const steps = changes.resources.map((c): PreviewStep => {
    changeSummary[c.op] = (changeSummary[c.op] ?? 0) + 1;
    const a = old.get(c.urn);
    const b = now.get(c.urn);
    return {
      op: c.op === ChangeOp.other ? "read" : c.op,
      urn: c.urn,
      ...(a ? { oldState: state(a) } : {}),
      ...(b ? { newState: state(b) } : {}),
      ...(c.op === ChangeOp.update || c.op === ChangeOp.replace
        ? { diffReasons: [...new Set(c.changedPaths.map((p) => p.split(/[.[]/)[0]!))] }
        : {}),
      detailedDiff: null,
    };
  });
  return { steps, diagnostics: [], changeSummary, duration: 1_000_000_000 };
}

/** A policy event as the engine streams it. */
export function policyEvent(
  policyName: string,
  enforcementLevel: "mandatory" | "advisory",
  message: string,
  resourceUrn?: string,
): Record<string, unknown> {
  return {
    ...(resourceUrn ? { resourceUrn } : {}),
    message,
    color: "never",
    policyName,
    policyPackName: "keyfleet",
    policyPackVersion: "0.1.0",
    policyPackVersionTag: "0.1.0",
    enforcementLevel,
  };
}

/** Secrets as the engine streams them: wrapped, the ciphertext blinded. */
function wrapSecrets(value: unknown): unknown {
  if (value === "[secret]")
    return { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "[secret]" };
  if (Array.isArray(value)) return value.map(wrapSecrets);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wrapSecrets(v)]));
  return value;
}

/** The engine-event stream of the update from `before` to `after`, with `policyEvents` before the summary. */
export function previewStream(
  before: readonly HarnessResource[],
  after: readonly HarnessResource[],
  policyEvents: ReadonlyArray<Record<string, unknown>> = [],
): string {
  const digest = digestOf(before, after);
  let sequence = 0;
  const line = (event: Record<string, unknown>) =>
    JSON.stringify({ sequence: sequence++, timestamp: 1_700_000_000, ...event });
  const meta = (s: PreviewStep) => ({
    op: s.op,
    urn: s.urn,
    type: (s.newState ?? s.oldState)!.type,
    old: s.oldState ? { ...s.oldState, inputs: wrapSecrets(s.oldState.inputs) } : null,
    new: s.newState ? { ...s.newState, inputs: wrapSecrets(s.newState.inputs) } : null,
    ...(s.diffReasons ? { diffs: s.diffReasons } : {}),
    detailedDiff: null,
    provider: "",
  });
  return [
    line({ preludeEvent: { config: {} } }),
    line({
      diagnosticEvent: { prefix: "debug: ", message: "Running program\n", color: "never", severity: "debug" },
    }),
    ...(digest.steps ?? []).flatMap((s) => [
      line({ resourcePreEvent: { metadata: meta(s), planning: true } }),
      line({ resOutputsEvent: { metadata: meta(s), planning: true } }),
    ]),
    ...policyEvents.map((p) => line({ policyEvent: p })),
    // A mandatory violation fails the preview; the 3.276 engine then closes with a bare error line.
    ...(policyEvents.some((p) => p.enforcementLevel === "mandatory")
      ? [
          line({
            diagnosticEvent: {
              prefix: "error: ",
              message: "preview failed\n",
              color: "never",
              severity: "error",
            },
          }),
        ]
      : []),
    line({
      summaryEvent: {
        maybeCorrupt: false,
        durationSeconds: 3,
        resourceChanges: digest.changeSummary,
        PolicyPacks: {},
        isPreview: true,
      },
    }),
    line({ cancelEvent: {} }),
  ]
    .map((l) => `${l}\n`)
    .join("");
}

/** A fake runner: `answer` gets the args and the added environment. */
export function fakeRunner(
  answer: (args: readonly string[], env: Record<string, string>) => Partial<PulumiResult>,
): PulumiRunner & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    description: "fake-pulumi",
    calls,
    run: (args, env = {}) => {
      calls.push([...args]);
      const result = answer(args, env);
      return Promise.resolve({ code: 0, stdout: "", stderr: "", ...result });
    },
  };
}
