/**
 * `npm test`: runs every test with Node's test runner. Unit tests (`*.test.ts` beside the code) need nothing;
 * integration tests (`test/integration/*.test.ts`) run against the proving ground, which this script starts (building
 * the control-plane binaries on first use) unless one is already running, and stops afterwards if it started it.
 *   --unit          unit tests only (no servers)
 *   --integration   integration tests only
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
const passThrough = args.filter((a) => a !== "--unit" && a !== "--integration");

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
try {
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
      env: { ...process.env, KEYFLEET_LOCAL_ENV: localEnvPath() },
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
