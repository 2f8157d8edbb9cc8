/**
 * The linters the pipeline examples are checked with, located or built into the per-version cache on first use by
 * the proving ground's one build-cache helper: actionlint (GitHub Actions; built from the Go module proxy by
 * build-actionlint.sh) and check-jsonschema with the published Azure Pipelines schema (PyPI, into a private
 * virtualenv by install-check-jsonschema.sh).
 */
import path from "node:path";
import { ensureBuilt, type BuildSpec } from "../local/build-cache.ts";
import { cacheRoot } from "../local/paths.ts";
import type { Progress } from "../local/progress.ts";

/** actionlint module version (github.com/rhysd/actionlint). */
export const ACTIONLINT_VERSION = "v1.7.12";
/** check-jsonschema version on PyPI (ships vendor.azure-pipelines). */
export const CHECK_JSONSCHEMA_VERSION = "0.39.0";

/** actionlint's build (build-cache scripts live in scripts/local/; these two sit beside their test). */
export function actionlintBuild(): BuildSpec {
  const binDir = path.join(cacheRoot(), `actionlint-${ACTIONLINT_VERSION}`, "bin");
  return {
    label: `actionlint ${ACTIONLINT_VERSION}`,
    binDir,
    binaries: ["actionlint"],
    script: "../lint/build-actionlint.sh",
    args: [binDir, ACTIONLINT_VERSION],
    coldEstimate: "about 40 s",
  };
}

/** check-jsonschema's install. */
export function checkJsonschemaBuild(): BuildSpec {
  const binDir = path.join(cacheRoot(), `check-jsonschema-${CHECK_JSONSCHEMA_VERSION}`, "bin");
  return {
    label: `check-jsonschema ${CHECK_JSONSCHEMA_VERSION} (PyPI, private virtualenv)`,
    binDir,
    binaries: ["check-jsonschema"],
    script: "../lint/install-check-jsonschema.sh",
    args: [binDir, CHECK_JSONSCHEMA_VERSION],
    coldEstimate: "about 25 s",
  };
}

/** Path of actionlint, built on first use. */
export async function ensureActionlint(progress: Progress): Promise<string> {
  return (await ensureBuilt(actionlintBuild(), progress)).paths.actionlint!;
}

/** Path of check-jsonschema, installed on first use. */
export async function ensureCheckJsonschema(progress: Progress): Promise<string> {
  return (await ensureBuilt(checkJsonschemaBuild(), progress)).paths["check-jsonschema"]!;
}
