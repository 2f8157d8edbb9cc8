/**
 * The one build-cache helper of the proving ground: every part names the binaries it needs, where they are cached
 * (per version, outside the repo) and the script that builds them from Go modules; missing ones are built on first
 * use with progress lines, found ones are reused. `KUBEBUILDER_ASSETS` and `PATH` may supply the control-plane
 * binaries instead (as envtest users expect).
 */
import { spawn } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "./paths.ts";
import type { Progress } from "./progress.ts";

/** What one part needs built. */
export interface BuildSpec {
  /** Shown in progress lines, e.g. "worker node runtime (containerd v2.4.2, runc v1.5.3, CNI v1.10.0)". */
  label: string;
  /** Per-version cache directory holding the binaries. */
  binDir: string;
  /** Binary paths relative to `binDir` (e.g. `cni/bridge`). */
  binaries: readonly string[];
  /** Build script under scripts/local/ and its arguments (the first is always `binDir`). */
  script: string;
  args: readonly string[];
  /** Also look in `KUBEBUILDER_ASSETS` and `PATH` first (control-plane binaries only). */
  searchPath?: boolean;
  /** Rough cold-build time, for the progress line. */
  coldEstimate: string;
}

/** Resolved binaries: name → absolute path, plus where each came from (for the log). */
export interface Located {
  paths: Record<string, string>;
  sources: Record<string, string>;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Pure lookup: the first executable `name` in the given directories, or undefined. */
export function findExecutable(name: string, directories: readonly string[]): string | undefined {
  for (const dir of directories) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate) && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function lookup(spec: BuildSpec, name: string): { file: string; source: string } | undefined {
  if (spec.searchPath) {
    const assets = process.env.KUBEBUILDER_ASSETS;
    const fromAssets = assets ? findExecutable(name, [assets]) : undefined;
    if (fromAssets) return { file: fromAssets, source: "KUBEBUILDER_ASSETS" };
    const onPath = findExecutable(name, (process.env.PATH ?? "").split(path.delimiter).filter(Boolean));
    if (onPath && !onPath.includes(`${path.sep}node_modules${path.sep}`))
      return { file: onPath, source: "PATH" };
  }
  const cached = findExecutable(name, [spec.binDir]);
  return cached ? { file: cached, source: "cache" } : undefined;
}

/** Resolves every binary of `spec`, building the missing ones into the cache first (minutes, once). */
export async function ensureBuilt(spec: BuildSpec, progress: Progress): Promise<Located> {
  const missing = spec.binaries.filter((name) => !lookup(spec, name));
  if (missing.length > 0) {
    await progress.step(
      `building ${spec.label} from Go modules into ${spec.binDir} (first run only, ${spec.coldEstimate} on 2 cores; missing: ${missing.join(", ")})`,
      () => runScript(spec, progress),
      { heartbeatSeconds: 60, retryHint: "re-run the same command; finished binaries stay in the cache" },
    );
  }
  const paths: Record<string, string> = {};
  const sources: Record<string, string> = {};
  for (const name of spec.binaries) {
    const found = lookup(spec, name);
    if (!found)
      throw new Error(`${name} not found in ${spec.binDir} after building; see the build output above`);
    paths[name] = found.file;
    sources[name] = `${found.source}: ${found.file}`;
  }
  return { paths, sources };
}

/** Runs a build script, forwarding each output line as a progress line. */
export function runScript(spec: Pick<BuildSpec, "script" | "args">, progress: Progress): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [path.join(REPO_ROOT, "scripts/local", spec.script), ...spec.args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) progress.log(line.trim());
    };
    child.stdout.on("data", forward);
    child.stderr.on("data", forward);
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`${spec.script} exited with ${code}`)),
    );
  });
}
