/**
 * Finds the control-plane binaries: `KUBEBUILDER_ASSETS`, then `PATH`, then the per-version cache; builds the
 * missing ones into the cache from Go modules (scripts/local/build-kube.sh) on first use.
 */
import { spawn } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import path from "node:path";
import { ETCD_VERSION, KUBERNETES_VERSION, REPO_ROOT, kubeBinCacheDir } from "./paths.ts";
import type { Progress } from "./progress.ts";

/** Paths of the binaries the proving ground runs. */
export interface ControlPlaneBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  /** Where each came from, for the log. */
  sources: Record<string, string>;
}

const NAMES = {
  etcd: "etcd",
  kubeApiserver: "kube-apiserver",
  kubeControllerManager: "kube-controller-manager",
} as const;

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

function lookup(name: string): { file: string; source: string } | undefined {
  const assets = process.env.KUBEBUILDER_ASSETS;
  if (assets) {
    const file = findExecutable(name, [assets]);
    if (file) return { file, source: "KUBEBUILDER_ASSETS" };
  }
  const onPath = findExecutable(name, (process.env.PATH ?? "").split(path.delimiter).filter(Boolean));
  if (onPath && !onPath.includes(`${path.sep}node_modules${path.sep}`))
    return { file: onPath, source: "PATH" };
  const cached = findExecutable(name, [kubeBinCacheDir()]);
  if (cached) return { file: cached, source: "cache" };
  return undefined;
}

/** Resolves all binaries, building the missing ones (minutes on first run, cached afterwards). */
export async function ensureBinaries(progress: Progress): Promise<ControlPlaneBinaries> {
  const missing = Object.values(NAMES).filter((name) => !lookup(name));
  if (missing.length > 0) {
    await progress.step(
      `building ${missing.join(", ")} ${KUBERNETES_VERSION}/etcd ${ETCD_VERSION} from Go modules into ${kubeBinCacheDir()} (first run only)`,
      () => runBuild(progress),
      { heartbeatSeconds: 60, retryHint: "re-run the same command; finished binaries are kept in the cache" },
    );
  }
  const resolved = Object.fromEntries(
    Object.entries(NAMES).map(([key, name]) => {
      const found = lookup(name);
      if (!found) throw new Error(`${name} not found after building; see the build output above`);
      return [key, found];
    }),
  ) as Record<keyof typeof NAMES, { file: string; source: string }>;
  return {
    etcd: resolved.etcd.file,
    kubeApiserver: resolved.kubeApiserver.file,
    kubeControllerManager: resolved.kubeControllerManager.file,
    sources: Object.fromEntries(Object.entries(resolved).map(([k, v]) => [k, `${v.source}: ${v.file}`])),
  };
}

function runBuild(progress: Progress): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "bash",
      [
        path.join(REPO_ROOT, "scripts/local/build-kube.sh"),
        kubeBinCacheDir(),
        KUBERNETES_VERSION,
        ETCD_VERSION,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) progress.log(line.trim());
    };
    child.stdout.on("data", forward);
    child.stderr.on("data", forward);
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`build-kube.sh exited with ${code}`)),
    );
  });
}
