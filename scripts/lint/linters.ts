/**
 * The linters the pipeline examples are checked with, located or built into the per-version cache on first use:
 * actionlint (GitHub Actions; built from the Go module proxy by build-actionlint.sh) and check-jsonschema with the
 * published Azure Pipelines schema (PyPI, into a private virtualenv by install-check-jsonschema.sh).
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { findExecutable } from "../local/binaries.ts";
import { cacheRoot, REPO_ROOT } from "../local/paths.ts";
import type { Progress } from "../local/progress.ts";

/** actionlint module version (github.com/rhysd/actionlint). */
export const ACTIONLINT_VERSION = "v1.7.12";
/** check-jsonschema version on PyPI (ships vendor.azure-pipelines). */
export const CHECK_JSONSCHEMA_VERSION = "0.39.0";

/** Cache directory of actionlint. */
export function actionlintDir(): string {
  return path.join(cacheRoot(), `actionlint-${ACTIONLINT_VERSION}`);
}

/** Cache directory of check-jsonschema. */
export function checkJsonschemaDir(): string {
  return path.join(cacheRoot(), `check-jsonschema-${CHECK_JSONSCHEMA_VERSION}`);
}

function runScript(progress: Progress, script: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [path.join(REPO_ROOT, "scripts", "lint", script), ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) progress.log(line.trim());
    };
    child.stdout.on("data", forward);
    child.stderr.on("data", forward);
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${script} exited with ${code}`))));
  });
}

async function ensure(
  progress: Progress,
  name: string,
  dir: string,
  script: string,
  version: string,
): Promise<string> {
  const bin = path.join(dir, "bin");
  const found = findExecutable(name, [bin]);
  if (found) return found;
  await progress.step(
    `installing ${name} ${version} into ${dir} (first run only)`,
    () => runScript(progress, script, [script.startsWith("build-") ? bin : dir, version]),
    { heartbeatSeconds: 30, retryHint: "re-run the same command; a finished install is kept in the cache" },
  );
  const built = findExecutable(name, [bin]);
  if (!built) throw new Error(`${name} not found in ${bin} after installing; see the output above`);
  return built;
}

/** Path of actionlint, built on first use (about 40 s cold on 2 cores). */
export function ensureActionlint(progress: Progress): Promise<string> {
  return ensure(progress, "actionlint", actionlintDir(), "build-actionlint.sh", ACTIONLINT_VERSION);
}

/** Path of check-jsonschema, installed on first use (about 25 s). */
export function ensureCheckJsonschema(progress: Progress): Promise<string> {
  return ensure(
    progress,
    "check-jsonschema",
    checkJsonschemaDir(),
    "install-check-jsonschema.sh",
    CHECK_JSONSCHEMA_VERSION,
  );
}
