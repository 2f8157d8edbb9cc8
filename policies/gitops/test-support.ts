/**
 * Test support for the gitops commands: a preview digest in the shape `pulumi preview --json --show-sames` prints
 * (built from two hand-made graphs, as the engine would step from one to the other), policy events as the engine
 * logs them, and a fake Pulumi runner that answers by command.
 */
import { writeFileSync } from "node:fs";
import type { HarnessResource } from "../harness/evaluate.ts";
import { ChangeOp } from "../rollout/changeset.ts";
import { changeSetFromCaptures } from "../rollout/from-capture.ts";
import type { PreviewDigest, PreviewResourceState, PreviewStep } from "../rollout/from-preview.ts";
import type { PulumiResult, PulumiRunner } from "./runner.ts";

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

/** One engine event line of a policy violation (`--event-log`), as the engine writes it. */
export function policyEventLine(
  policyName: string,
  enforcementLevel: "mandatory" | "advisory",
  message: string,
  resourceUrn?: string,
): string {
  return JSON.stringify({
    sequence: 7,
    timestamp: 1_700_000_000,
    policyEvent: {
      ...(resourceUrn ? { resourceUrn } : {}),
      message,
      color: "never",
      policyName,
      policyPackName: "keyfleet",
      policyPackVersion: "0.1.0",
      policyPackVersionTag: "0.1.0",
      enforcementLevel,
    },
  });
}

/** A fake runner: `answer` gets the args (and writes the event log itself when it wants to). */
export function fakeRunner(
  answer: (args: readonly string[]) => Partial<PulumiResult>,
): PulumiRunner & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    description: "fake-pulumi",
    calls,
    run: (args) => {
      calls.push([...args]);
      const result = answer(args);
      return Promise.resolve({ code: 0, stdout: "", stderr: "", ...result });
    },
  };
}

/** Writes `lines` to the `--event-log` file named in `args`, when there is one. */
export function writeEventLog(args: readonly string[], lines: readonly string[]): void {
  const i = args.indexOf("--event-log");
  if (i >= 0) writeFileSync(args[i + 1]!, lines.map((l) => `${l}\n`).join(""));
}
