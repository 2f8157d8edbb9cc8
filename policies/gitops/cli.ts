/** Process entry points of `keyfleet pr-check`, `keyfleet drift` and `keyfleet rollout` (dispatched by bin/cli.ts). */
import path from "node:path";
import type { CommandIo } from "../planner/cli.ts";
import { runDrift } from "./drift.ts";
import { runPrCheck } from "./pr-check.ts";
import { runRollout } from "./rollout.ts";

const PROCESS_IO: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** The repository root: Pulumi runs here (Pulumi.yaml), and stacks/ and policies/ are read from here. */
const REPO_ROOT = path.resolve(import.meta.dirname, "../..");

/** `npx keyfleet pr-check ...` */
export function prCheckCommand(argv: string[]): Promise<number> {
  return runPrCheck(argv, PROCESS_IO, { cwd: REPO_ROOT });
}

/** `npx keyfleet drift ...` */
export function driftCommand(argv: string[]): Promise<number> {
  return runDrift(argv, PROCESS_IO, { cwd: REPO_ROOT });
}

/** `npx keyfleet rollout ...` */
export function rolloutCommand(argv: string[]): Promise<number> {
  return runRollout(argv, PROCESS_IO, { cwd: REPO_ROOT });
}
