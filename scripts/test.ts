/**
 * `npm test`: runs every test with Node's test runner. Unit tests (`*.test.ts` beside the code) need nothing;
 * integration tests (`test/integration/*.test.ts`) run against the proving ground, which this script starts (building
 * the control-plane binaries on first use) unless one is already running, and stops afterwards if it started it.
 *   --unit          unit tests only (no servers)
 *   --integration   integration tests only
 *   --no-static     skip the type-check (tsc), lint (eslint) and format check (prettier) that run first by default
 *   other args      passed to `node --test` (e.g. --test-name-pattern=...)
 */
import { spawn } from "node:child_process";
import { globSync } from "node:fs";
import path from "node:path";
import { localEnvPath } from "./local/env.ts";
import { startProvingGround, type ProvingGround } from "./local/ground.ts";
import { REPO_ROOT } from "./local/paths.ts";
import { Progress } from "./local/progress.ts";

const args = process.argv.slice(2);
const unitOnly = args.includes("--unit");
const integrationOnly = args.includes("--integration");
const staticChecks = !args.includes("--no-static") && !unitOnly && !integrationOnly;
const passThrough = args.filter((a) => !["--unit", "--integration", "--no-static"].includes(a));

const all = globSync("**/*.test.ts", {
  cwd: REPO_ROOT,
  exclude: (f) => /(^|\/)(node_modules|dist|\.keyfleet)(\/|$)/.test(f),
}).sort();
const isIntegration = (f: string) => f.startsWith(`test${path.sep}integration${path.sep}`);
const files = all.filter((f) => (unitOnly ? !isIntegration(f) : integrationOnly ? isIntegration(f) : true));
const needsGround = files.some(isIntegration);

const progress = new Progress("test");
let ground: ProvingGround | undefined;
let exitCode = 1;

/** Runs a tool from node_modules/.bin and resolves with its exit code. */
function run(tool: string, toolArgs: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(REPO_ROOT, "node_modules", ".bin", tool), toolArgs, {
      cwd: REPO_ROOT,
      stdio: "inherit",
    });
    child.on("error", reject);
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

try {
  if (staticChecks) {
    if ((await progress.step("type-check (tsc)", () => run("tsc", ["-p", "tsconfig.json"]))) !== 0)
      throw new Error("type-check failed");
    if ((await progress.step("lint (eslint)", () => run("eslint", ["."]))) !== 0)
      throw new Error("lint failed");
    if ((await progress.step("format (prettier --check)", () => run("prettier", ["--check", "."]))) !== 0)
      throw new Error("formatting differs: run `npm run format`");
  }
  if (needsGround) {
    ground = await startProvingGround({ progress });
  }
  progress.log(
    `running ${files.length} test files${needsGround ? ` (integration against ${ground?.env.kubernetes.apiServerUrl})` : ""}`,
  );
  exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ["--test", "--test-timeout=180000", ...passThrough, ...files], {
      cwd: REPO_ROOT,
      stdio: "inherit",
      // Capturing a stack loads @pulumi/pulumi's closure serialiser, which requires every built-in module once; on
      // Node 26 that includes the experimental node:ffi and its ExperimentalWarning.
      env: {
        ...process.env,
        KEYFLEET_LOCAL_ENV: localEnvPath(),
        NODE_OPTIONS: [process.env.NODE_OPTIONS, "--disable-warning=ExperimentalWarning"]
          .filter(Boolean)
          .join(" "),
      },
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
} catch (error) {
  progress.log(`failed: ${error instanceof Error ? error.message : String(error)}`);
  if (error instanceof Error && error.cause instanceof Error) progress.log(`cause: ${error.cause.message}`);
} finally {
  if (ground?.startedHere) {
    await ground.stop();
    progress.log("stopped the proving ground this run started");
  }
}
process.exitCode = exitCode;
