/**
 * `keyfleet drift --stack <s>`: for a scheduled job. A refresh-preview (`pulumi preview --refresh
 * --expect-no-changes --json`, streamed) reads every resource back from the clouds and clusters; on a stack whose
 * program is deployed, whatever differs from the program was edited outside Pulumi (a RoleBinding, a SecretSync).
 * drift-report.ts judges it; the report names resources, input paths and field managers, never values. Resources
 * not ready at refresh (a rollout in progress) are listed but are not drift: they alone exit 0, so a nightly job
 * that happens to run during a restart or a node drain stays green.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { CommandIo } from "../planner/cli.ts";
import { counted } from "../../common/text.ts";
import { DRIFT_USAGE, parseDriftArgs } from "./args.ts";
import { renderDriftMarkdown } from "./drift-markdown.ts";
import { driftReport, type DriftReport } from "./drift-report.ts";
import { usageFailure, type GitopsDeps } from "./pr-check.ts";
import { STREAMING_JSON } from "./preview.ts";
import { commandRunner, PulumiRunError } from "./runner.ts";

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
    // Streamed, so the refresh steps' read-back outputs (the live objects) come with the steps.
    const result = await runner.run(
      [
        "preview",
        "--stack",
        args.stack,
        "--refresh",
        "--expect-no-changes",
        "--json",
        "--show-sames",
        "--non-interactive",
      ],
      STREAMING_JSON,
    );
    let outcome: ReturnType<typeof driftReport>;
    try {
      outcome = driftReport(args.stack, result.stdout, { ignoreManagers: args.ignoreManagers });
    } catch (error) {
      throw new PulumiRunError(`the refresh-preview of stack ${args.stack} printed no preview`, result, {
        cause: error,
      });
    }
    const { drifted, unready } = outcome.report;
    // --expect-no-changes fails the preview on drift, and on the update the engine plans for a not-ready resource.
    const explained = drifted.length > 0 || unready.length > 0;
    if (outcome.errors.length > 0 || (result.code !== 0 && !explained)) {
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
    io.out(driftSummary(outcome.report, `${base}.md`));
    return drifted.length === 0 ? 0 : 1;
  } catch (error) {
    return usageFailure("drift", DRIFT_USAGE, error, io);
  }
}

/** The one line `keyfleet drift` prints (pure). */
export function driftSummary(report: DriftReport, markdownFile: string): string {
  const names = (list: readonly { name: string }[]) => list.map((r) => r.name).join(", ");
  const parts = [
    report.drifted.length === 0
      ? "no drift"
      : `${counted(report.drifted.length, "resource")} changed outside Pulumi: ${names(report.drifted)}`,
  ];
  if (report.unready.length > 0)
    parts.push(`not ready at refresh (a rollout in progress?), not drift: ${names(report.unready)}`);
  if (report.drifted.length > 0 || report.unready.length > 0) parts.push(`report: ${markdownFile}`);
  return `stack ${report.stack}: ${parts.join("; ")}\n`;
}
