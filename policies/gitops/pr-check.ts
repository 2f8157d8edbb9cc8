/**
 * `keyfleet pr-check`: the one command a pull-request pipeline calls. For each stack the change touches (git diff
 * against --base), a real `pulumi preview` with the policy pack, judged into one report: pr-check.md (the PR
 * comment), pr-check.json (its twin) and plan-<stack>.svg (the planner's request-rate picture).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { CommandIo } from "../planner/cli.ts";
import { UsageError } from "../planner/args.ts";
import { renderPlanSvg } from "../planner/svg.ts";
import type { KeyfleetPolicy } from "../lib/rule.ts";
import { PR_CHECK_USAGE, parsePrCheckArgs } from "./args.ts";
import { renderMarkdown } from "./markdown.ts";
import { judgeSettings, previewStack } from "./preview.ts";
import { judgeStack, prCheckReport, type StackReport } from "./report.ts";
import { commandRunner, PulumiRunError, type PulumiRunner } from "./runner.ts";
import { changedFiles, changedStacks, stacksIn } from "./stacks.ts";
import { counted } from "../../common/text.ts";

/** What the gitops commands need from outside (injected so tests pass fakes). */
export interface GitopsDeps {
  /** The repository root (Pulumi.yaml, stacks/, policies/). */
  cwd: string;
  /** Default: the `--pulumi` command line run in `cwd`. */
  runner?: PulumiRunner;
  /** Default: git (merge base with the ref, plus uncommitted and untracked files). */
  changedFiles?: (base: string) => Promise<string[]>;
  /** The pack's rules (for remediation text and config checks). Default: policies/pack.ts. */
  policies?: readonly KeyfleetPolicy[];
}

/** The pack's rules, loaded on first use (importing them loads nothing of Pulumi's runtime). */
export async function packPolicies(deps: GitopsDeps): Promise<readonly KeyfleetPolicy[]> {
  return deps.policies ?? (await import("../pack.ts")).keyfleetPolicies;
}

/** A failed preview as a failed stack in the report (the engine's own words, no values). */
function failedStack(stack: string, error: PulumiRunError): StackReport {
  return {
    stack,
    changeCounts: {},
    changes: [],
    violations: [],
    vaultPlans: [],
    rollout: {
      stack,
      safe: true,
      vaults: [],
      problems: [],
      waves: [],
      waveIntervalSeconds: 0,
      oversized: [],
    },
    errors: [error.message],
    passed: false,
    failures: ["the preview failed"],
  };
}

/** `keyfleet pr-check` with injectable output and collaborators. */
export async function runPrCheck(argv: string[], io: CommandIo, deps: GitopsDeps): Promise<number> {
  try {
    const args = parsePrCheckArgs(argv);
    if (args.help) {
      io.out(PR_CHECK_USAGE);
      return 0;
    }
    const known = stacksIn(path.join(deps.cwd, "stacks"));
    for (const s of args.stacks ?? []) {
      if (!known.includes(s))
        throw new UsageError(`--stacks: no stacks/Pulumi.${s}.yaml; allowed: ${known.join(", ")}`);
    }
    const candidates = args.stacks ?? known;
    const files = await (deps.changedFiles ?? ((base: string) => changedFiles(base, deps.cwd)))(args.base);
    const changed = args.all ? candidates : changedStacks(files, candidates).map((c) => c.stack);
    const runner = deps.runner ?? commandRunner(args.pulumi, { cwd: deps.cwd });
    const policies = await packPolicies(deps);
    const pack = {
      packDir: path.resolve(deps.cwd, args.packDir),
      configFile: args.packConfig ? path.resolve(deps.cwd, args.packConfig) : undefined,
    };
    const outDir = path.resolve(deps.cwd, args.outDir);
    mkdirSync(outDir, { recursive: true });

    const reports: StackReport[] = [];
    for (const stack of changed) {
      io.err(`pr-check: previewing stack ${stack} (${runner.description} preview --stack ${stack} …)\n`);
      const settings = judgeSettings(pack, stack, policies);
      try {
        const preview = await previewStack(runner, stack, pack, policies);
        const svgFile = `plan-${stack}.svg`;
        const { report, plans } = judgeStack(preview, settings, svgFile);
        if (plans.length > 0)
          writeFileSync(path.join(outDir, svgFile), renderPlanSvg(plans, settings.vaultLimitPer10s));
        reports.push(report);
      } catch (error) {
        if (!(error instanceof PulumiRunError)) throw error;
        reports.push(failedStack(stack, error));
      }
    }
    const report = prCheckReport(
      args.base,
      reports,
      candidates.filter((s) => !changed.includes(s)),
    );
    writeFileSync(path.join(outDir, "pr-check.json"), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(path.join(outDir, "pr-check.md"), renderMarkdown(report));
    for (const s of report.stacks) {
      io.out(`stack ${s.stack}: ${s.passed ? "passed" : `FAILED — ${s.failures.join("; ")}`}\n`);
    }
    io.out(
      `pr-check ${report.passed ? "passed" : "FAILED"} (${counted(report.stacks.length, "stack")} previewed); report: ` +
        `${path.join(outDir, "pr-check.md")}\n`,
    );
    return report.passed ? 0 : 1;
  } catch (error) {
    return usageFailure("pr-check", PR_CHECK_USAGE, error, io);
  }
}

/** Maps input errors to exit 2 with the message (usage text for flag errors); rethrows anything else. */
export function usageFailure(command: string, usage: string, error: unknown, io: CommandIo): number {
  if (error instanceof UsageError) {
    io.err(`keyfleet ${command}: ${error.message}\n\n${usage}`);
    return 2;
  }
  if (error instanceof Error && ["PolicyConfigError", "PulumiRunError", "Error"].includes(error.name)) {
    const cause = error.cause instanceof Error ? `\n  cause: ${error.cause.message}` : "";
    io.err(`keyfleet ${command}: ${error.message}${cause}\n`);
    return 2;
  }
  throw error;
}
