/**
 * `keyfleet drift --stack <s>`: for a scheduled job. A refresh-preview (`pulumi preview --refresh
 * --expect-no-changes --json`) reads every resource back from the clouds and clusters and shows what the program
 * would change: on a stack whose program is deployed, every such change is drift — someone edited the resource
 * outside Pulumi (a RoleBinding, a SecretSync). The report names resources and input paths, never values.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { CommandIo } from "../planner/cli.ts";
import { isChange, type ChangeOp } from "../rollout/changeset.ts";
import { changeSetFromPreview, parsePreviewJson } from "../rollout/from-preview.ts";
import { DRIFT_USAGE, parseDriftArgs } from "./args.ts";
import { usageFailure, type GitopsDeps } from "./pr-check.ts";
import { previewErrors } from "./preview.ts";
import { commandRunner, PulumiRunError } from "./runner.ts";

/** One resource that differs from the program. */
export interface DriftedResource {
  urn: string;
  type: string;
  name: string;
  /** What the next `pulumi up` would do to it. */
  op: ChangeOp;
  /** Input paths that differ (no values). */
  changedPaths: string[];
}

/** The drift report (JSON twin of the Markdown). */
export interface DriftReport {
  kind: "keyfleet/drift";
  version: 1;
  stack: string;
  drifted: DriftedResource[];
}

/** The engine's own error for --expect-no-changes; the report says the same thing in its own words. */
const EXPECTED_NO_CHANGES = /no changes were expected/i;

/** The drift report of a refresh-preview's JSON (pure). */
export function driftReport(stack: string, previewJson: string): { report: DriftReport; errors: string[] } {
  const digest = parsePreviewJson(previewJson);
  const changes = changeSetFromPreview(stack, digest);
  const drifted = changes.resources
    .filter((r) => isChange(r.op) && r.type !== "pulumi:pulumi:Stack")
    .map((r) => ({ urn: r.urn, type: r.type, name: r.name, op: r.op, changedPaths: r.changedPaths }));
  const errors = previewErrors(digest).filter((e) => !EXPECTED_NO_CHANGES.test(e));
  return { report: { kind: "keyfleet/drift", version: 1, stack, drifted }, errors };
}

/** The drift report as Markdown (pure). */
export function renderDriftMarkdown(report: DriftReport): string {
  const lines = [
    `## keyfleet drift — stack \`${report.stack}\`: ` +
      (report.drifted.length === 0
        ? "no drift"
        : `${report.drifted.length} resource(s) changed outside Pulumi`),
  ];
  if (report.drifted.length > 0) {
    lines.push(
      "",
      "The next `pulumi up` would set these back to what the program declares:",
      "",
      "| resource | type | next up | inputs that differ |",
      "|---|---|---|---|",
      ...report.drifted.map(
        (d) =>
          `| \`${d.name}\` | \`${d.type}\` | ${d.op} | ${d.changedPaths.map((p) => `\`${p}\``).join(", ") || "—"} |`,
      ),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** `keyfleet drift` with injectable output and collaborators. */
export async function runDrift(argv: string[], io: CommandIo, deps: GitopsDeps): Promise<number> {
  try {
    const args = parseDriftArgs(argv);
    if (args.help) {
      io.out(DRIFT_USAGE);
      return 0;
    }
    const runner = deps.runner ?? commandRunner(args.pulumi, { cwd: deps.cwd });
    io.err(`drift: refreshing and previewing stack ${args.stack} (${runner.description} …)\n`);
    const result = await runner.run([
      "preview",
      "--stack",
      args.stack,
      "--refresh",
      "--expect-no-changes",
      "--json",
      "--non-interactive",
    ]);
    let outcome: ReturnType<typeof driftReport>;
    try {
      outcome = driftReport(args.stack, result.stdout);
    } catch (error) {
      throw new PulumiRunError(`the refresh-preview of stack ${args.stack} printed no preview`, result, {
        cause: error,
      });
    }
    if (outcome.errors.length > 0 || (result.code !== 0 && outcome.report.drifted.length === 0)) {
      throw new PulumiRunError(
        `the refresh-preview of stack ${args.stack} failed: ${outcome.errors.join("; ") || "no reason given"}`,
        result,
      );
    }
    const outDir = path.resolve(deps.cwd, args.outDir);
    mkdirSync(outDir, { recursive: true });
    const base = path.join(outDir, `drift-${args.stack}`);
    writeFileSync(`${base}.json`, `${JSON.stringify(outcome.report, null, 2)}\n`);
    writeFileSync(`${base}.md`, renderDriftMarkdown(outcome.report));
    const n = outcome.report.drifted.length;
    io.out(
      n === 0
        ? `stack ${args.stack}: no drift\n`
        : `stack ${args.stack}: ${n} resource(s) changed outside Pulumi: ${outcome.report.drifted.map((d) => d.name).join(", ")}; report: ${base}.md\n`,
    );
    return n === 0 ? 0 : 1;
  } catch (error) {
    return usageFailure("drift", DRIFT_USAGE, error, io);
  }
}
