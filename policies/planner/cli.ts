/**
 * `keyfleet jitter` and `keyfleet plan` (dispatched by bin/cli.ts). Exit codes: 0 fine; 1 the fleet cannot meet the
 * risk (infeasible, or plan finds clusters spreading too little); 2 bad input (flags, stack config, unknown vault).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadFleetConfig } from "../../stacks/config/load.ts";
import { JitterModelInputError, requiredJitter } from "../jitter/model.ts";
import { JITTER_USAGE, PLAN_USAGE, parseJitterArgs, parsePlanArgs, UsageError } from "./args.ts";
import { jitterJson, jitterText, planJson, planText } from "./format.ts";
import { PlanInputError, planFleet } from "./plan.ts";
import { renderPlanSvg } from "./svg.ts";

/** Where commands write (injected so tests capture output). */
export interface CommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const PROCESS_IO: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const MODEL_FIELD_FLAGS: Readonly<Record<string, string>> = {
  clusters: "--clusters",
  secretsPerCluster: "--secrets-per-cluster",
  risk: "--risk",
  vaultLimitPer10s: "--vault-limit",
};

/** `keyfleet jitter` with injectable output. */
export async function runJitter(argv: string[], io: CommandIo): Promise<number> {
  try {
    const args = parseJitterArgs(argv);
    if (args.help) {
      io.out(JITTER_USAGE);
      return 0;
    }
    const result = requiredJitter(args);
    if (!result.feasible) {
      io.err(`keyfleet jitter: ${result.reason}\n`);
      return 1;
    }
    io.out(args.json ? `${JSON.stringify(jitterJson(result), null, 2)}\n` : jitterText(result));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`keyfleet jitter: ${error.message}\n\n${JITTER_USAGE}`);
      return 2;
    }
    if (error instanceof JitterModelInputError) {
      io.err(`keyfleet jitter: ${MODEL_FIELD_FLAGS[error.field] ?? error.field}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/** `keyfleet plan` with injectable output and stack directory (default stacks/). */
export async function runPlan(argv: string[], io: CommandIo, stacksDir?: string): Promise<number> {
  try {
    const args = parsePlanArgs(argv);
    if (args.help) {
      io.out(PLAN_USAGE);
      return 0;
    }
    const config = loadFleetConfig(args.stack, stacksDir);
    const plans = planFleet(config, args);
    const svgPath = path.resolve(args.out ?? path.join(REPO_ROOT, ".keyfleet", "plan", `${args.stack}.svg`));
    mkdirSync(path.dirname(svgPath), { recursive: true });
    writeFileSync(svgPath, renderPlanSvg(plans, args.vaultLimitPer10s));
    if (args.json) {
      io.out(
        `${JSON.stringify({ stack: args.stack, vaultLimitPer10s: args.vaultLimitPer10s, risk: args.risk, svg: svgPath, vaults: plans.map(planJson) }, null, 2)}\n`,
      );
    } else {
      io.out(planText(args.stack, plans, args.vaultLimitPer10s, svgPath));
    }
    return plans.every((p) => p.status === "ok") ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`keyfleet plan: ${error.message}\n\n${PLAN_USAGE}`);
      return 2;
    }
    // A malformed or missing stack file is bad input too: its message names the file and position, or the stacks.
    const badStack =
      error instanceof Error && (error.name === "FleetConfigError" || error.name === "StackFileError");
    if (error instanceof PlanInputError || badStack) {
      io.err(`keyfleet plan: ${error.message}\n`);
      return 2;
    }
    if (error instanceof Error && "code" in error && error.code === "ENOENT") {
      io.err(`keyfleet plan: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/** `npx keyfleet jitter ...` */
export function jitterCommand(argv: string[]): Promise<number> {
  return runJitter(argv, PROCESS_IO);
}

/** `npx keyfleet plan ...` */
export function planCommand(argv: string[]): Promise<number> {
  return runPlan(argv, PROCESS_IO);
}
