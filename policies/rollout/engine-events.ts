/**
 * `pulumi preview --json` with `PULUMI_ENABLE_STREAMING_JSON_PREVIEW=1` (pure): instead of one digest document the
 * CLI streams its engine events, one JSON object per line (apitype.EngineEvent). Unlike the digest, the stream
 * carries the policy events, so a preview with `--policy-pack` gives its steps and its violations in one run
 * (the CLI has no `--event-log`; checked with 3.276). Each `resourcePreEvent` becomes a digest step, error and
 * warning diagnostics are kept, and secret values — wrapped as `{<sig>: <secret sig>, ciphertext: "[secret]"}` —
 * become the digest's "[secret]" placeholder.
 */
import type { Props } from "../lib/props.ts";
import type { PreviewDiagnostic, PreviewDigest, PreviewResourceState, PreviewStep } from "./from-preview.ts";

/** A policy violation as the engine streams it (apitype.PolicyEvent). */
export interface PolicyEvent {
  resourceUrn?: string;
  message?: string;
  policyName?: string;
  policyPackName?: string;
  /** "advisory" | "mandatory" | "remediate" (the engine's words). */
  enforcementLevel?: string;
}

/** A step's state in an engine event (apitype.StepEventStateMetadata, the fields read here). */
interface EventState {
  type: string;
  urn: string;
  parent?: string;
  provider?: string;
  inputs?: Props;
  outputs?: Props;
  initErrors?: string[];
}

interface EngineEvent {
  /** A step's result; for a refresh step of `preview --refresh`, `new.outputs` is what the provider read back. */
  resOutputsEvent?: { metadata: { op: string; urn: string; new?: EventState | null } };
  resourcePreEvent?: {
    metadata: {
      op: string;
      urn: string;
      type?: string;
      old?: EventState | null;
      new?: EventState | null;
      keys?: string[];
      diffs?: string[];
      detailedDiff?: Record<string, { diffKind: string; inputDiff: boolean }> | null;
      provider?: string;
    };
  };
  diagnosticEvent?: { urn?: string; prefix?: string; message?: string; severity?: string };
  policyEvent?: PolicyEvent;
  summaryEvent?: { resourceChanges?: Record<string, number> };
}

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SECRET_PLACEHOLDER = "[secret]";

/** A copy of `value` with every wrapped secret replaced by "[secret]". */
export function withSecretsBlinded(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withSecretsBlinded);
  if (value !== null && typeof value === "object") {
    const obj = value as Props;
    if (obj[SIG_KEY] === SECRET_SIG) return SECRET_PLACEHOLDER;
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, withSecretsBlinded(v)]));
  }
  return value;
}

function state(s: EventState | null | undefined): PreviewResourceState | undefined {
  if (!s) return undefined;
  return {
    urn: s.urn,
    type: s.type,
    parent: s.parent || undefined,
    provider: s.provider || undefined,
    inputs: s.inputs ? (withSecretsBlinded(s.inputs) as Props) : undefined,
    initErrors: s.initErrors?.length ? [...s.initErrors] : undefined,
  };
}

type StepMetadata = NonNullable<EngineEvent["resourcePreEvent"]>["metadata"];

/** A digest step from a `resourcePreEvent`'s metadata. */
function stepOf(pre: StepMetadata): PreviewStep {
  const oldState = state(pre.old);
  const newState = state(pre.new);
  return {
    op: pre.op,
    urn: pre.urn,
    provider: pre.provider || undefined,
    oldState,
    newState,
    diffReasons: pre.diffs?.length ? pre.diffs : undefined,
    replaceReasons: pre.keys?.length ? pre.keys : undefined,
    detailedDiff: pre.detailedDiff
      ? Object.fromEntries(
          Object.entries(pre.detailedDiff).map(([k, v]) => [k, { kind: v.diffKind, inputDiff: v.inputDiff }]),
        )
      : null,
  };
}

/** True when `text` is an event stream rather than one digest document. */
export function isEngineEventStream(text: string): boolean {
  const first = text.trimStart().split("\n", 1)[0] ?? "";
  try {
    const event = JSON.parse(first) as Props;
    return typeof event === "object" && event !== null && "sequence" in event;
  } catch {
    return false;
  }
}

/** What a streamed preview says, in the shapes the rest of keyfleet reads. */
export interface EngineEventDigest {
  digest: PreviewDigest;
  policyEvents: PolicyEvent[];
  /**
   * Per URN, the outputs a refresh step read back from the cloud or cluster (secrets blinded): the live state.
   * Only `preview --refresh` has refresh steps; the digest document (`--json` without streaming) carries none.
   */
  refreshedOutputs: Map<string, Props>;
}

/** The events of a stream, in order; lines that are not JSON are skipped. */
function parseEvents(text: string): EngineEvent[] {
  const events: EngineEvent[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      events.push(JSON.parse(line) as EngineEvent);
    } catch {
      continue;
    }
  }
  return events;
}

/** The digest, policy events and refreshed outputs of a streamed preview. Lines that are not JSON are skipped. */
export function digestFromEngineEvents(text: string): EngineEventDigest {
  const steps: PreviewStep[] = [];
  const diagnostics: PreviewDiagnostic[] = [];
  const policyEvents: PolicyEvent[] = [];
  const refreshedOutputs = new Map<string, Props>();
  let changeSummary: Record<string, number> | undefined;
  for (const event of parseEvents(text)) {
    const pre = event.resourcePreEvent?.metadata;
    if (pre) steps.push(stepOf(pre));
    const result = event.resOutputsEvent?.metadata;
    if (result?.op === "refresh" && result.new?.outputs)
      refreshedOutputs.set(result.urn, withSecretsBlinded(result.new.outputs) as Props);
    const diag = event.diagnosticEvent;
    if (diag && (diag.severity === "error" || diag.severity === "warning")) {
      diagnostics.push({
        urn: diag.urn || undefined,
        message: `${diag.prefix ?? ""}${diag.message ?? ""}`,
        severity: diag.severity,
      });
    }
    if (event.policyEvent) policyEvents.push(event.policyEvent);
    if (event.summaryEvent?.resourceChanges) changeSummary = event.summaryEvent.resourceChanges;
  }
  return {
    digest: { steps, diagnostics, changeSummary },
    policyEvents,
    refreshedOutputs,
  };
}
