/**
 * The pr-check report as data (pure): the JSON twin of the Markdown comment (markdown.ts renders this object and
 * nothing else, so the two always agree). Per stack: resource changes, policy violations with remediation, the
 * planner's per-vault numbers and the rollout burst. It holds names, URNs, input paths and counts — never an input
 * value — and no timestamps, so a report of the same change is byte-for-byte the same.
 */
import { buildFleetModel } from "../fleet/graph.ts";
import { vaultLoadsFromModel, type LoadOptions } from "../fleet/loads.ts";
import type { KeyfleetPolicy } from "../lib/rule.ts";
import { planJson, type PlanJson } from "../planner/format.ts";
import { planVault, type VaultPlan } from "../planner/plan.ts";
import { graphAfter, isChange, type ChangeOp, type ChangeSet } from "../rollout/changeset.ts";
import { rolloutPlan, type RolloutPlan } from "../rollout/plan.ts";
import { anyMandatory, type ReportViolation } from "./violations.ts";
import { counted, nounFor } from "../../common/text.ts";

/** Settings of the judgement (the planner's and the stack rules'). */
export interface JudgeOptions extends LoadOptions {
  vaultLimitPer10s: number;
  risk: number;
  policies: readonly KeyfleetPolicy[];
}

/** One changed resource in the report. */
export interface ReportedChange {
  op: ChangeOp;
  type: string;
  name: string;
  urn: string;
  /** Input paths that change (no values). */
  changedPaths: string[];
}

/** The report of one stack. */
export interface StackReport {
  stack: string;
  /** Resources per op, "same" included. */
  changeCounts: Partial<Record<ChangeOp, number>>;
  /** Changing resources only, in URN order. */
  changes: ReportedChange[];
  violations: ReportViolation[];
  /** The planner's numbers per vault (`keyfleet plan --json` shape), judged on the graph after the update. */
  vaultPlans: PlanJson[];
  /** File name of the request-rate picture, beside the report (absent when no vault is read). */
  planSvg?: string;
  rollout: RolloutPlan;
  /** Errors the engine reported (a failed preview); the stack fails. */
  errors: string[];
  passed: boolean;
  /** Why it failed, one line each. */
  failures: string[];
}

/** The whole report. */
export interface PrCheckReport {
  /** Identifies the document (and its version) for tools reading the JSON. */
  kind: "keyfleet/pr-check";
  version: 1;
  /** The git ref the change was compared with. */
  base: string;
  stacks: StackReport[];
  /** Stacks whose configuration and program did not change. */
  unchangedStacks: string[];
  passed: boolean;
}

/** What one stack's preview produced. */
export interface StackPreview {
  stack: string;
  changes: ChangeSet;
  violations: ReportViolation[];
  errors: string[];
}

/** The planner's plans of the vaults the graph after the update reads (empty when none). */
export function vaultPlansOf(changes: ChangeSet, options: Omit<JudgeOptions, "policies">): VaultPlan[] {
  const { loads } = vaultLoadsFromModel(buildFleetModel(graphAfter(changes)), options);
  return [...loads.keys()].sort().map((vault) => planVault(vault, loads.get(vault)!, [], options));
}

/** Judges one stack's preview; `svgFile` names the picture the caller writes from the returned plans. */
export function judgeStack(
  preview: StackPreview,
  options: Omit<JudgeOptions, "policies">,
  svgFile: string,
): { report: StackReport; plans: VaultPlan[] } {
  const plans = vaultPlansOf(preview.changes, options);
  const rollout = rolloutPlan(preview.changes, options);
  const changeCounts: Partial<Record<ChangeOp, number>> = {};
  for (const r of preview.changes.resources) changeCounts[r.op] = (changeCounts[r.op] ?? 0) + 1;
  const failures: string[] = [];
  if (preview.errors.length > 0)
    failures.push(`the preview failed (${counted(preview.errors.length, "error")})`);
  const mandatory = preview.violations.filter((v) => v.enforcementLevel === "mandatory").length;
  if (anyMandatory(preview.violations)) failures.push(counted(mandatory, "mandatory policy violation"));
  if (!rollout.safe) {
    const unsafe = rollout.vaults.filter((v) => !v.safe).map((v) => v.vault);
    failures.push(
      `the rollout burst does not fit ${nounFor(unsafe.length, "vault")} ${unsafe.join(", ")}: apply in ${rollout.waves.length} waves`,
    );
  }
  const report: StackReport = {
    stack: preview.stack,
    changeCounts,
    changes: preview.changes.resources
      .filter((r) => isChange(r.op))
      .map((r) => ({ op: r.op, type: r.type, name: r.name, urn: r.urn, changedPaths: r.changedPaths })),
    violations: preview.violations,
    vaultPlans: plans.map(planJson),
    planSvg: plans.length > 0 ? svgFile : undefined,
    rollout,
    errors: preview.errors,
    passed: failures.length === 0,
    failures,
  };
  return { report, plans };
}

/** The whole report from the stacks' reports. */
export function prCheckReport(base: string, stacks: StackReport[], unchangedStacks: string[]): PrCheckReport {
  return {
    kind: "keyfleet/pr-check",
    version: 1,
    base,
    stacks,
    unchangedStacks,
    passed: stacks.every((s) => s.passed),
  };
}
