/** Versions and locations the proving ground uses. Caches live outside the repo and are shared by checkouts. */
import os from "node:os";
import path from "node:path";

/** Kubernetes release built from Go modules (its staging modules are published as v0.<minor>.<patch>). */
export const KUBERNETES_VERSION = "v1.37.2";
/** etcd server module version (go.etcd.io/etcd/server/v3). */
export const ETCD_VERSION = "v3.6.16";

/** Root of keyfleet's caches: `$KEYFLEET_CACHE_DIR`, else `$XDG_CACHE_HOME/keyfleet`, else `~/.cache/keyfleet`. */
export function cacheRoot(): string {
  if (process.env.KEYFLEET_CACHE_DIR) return process.env.KEYFLEET_CACHE_DIR;
  const xdg = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache");
  return path.join(xdg, "keyfleet");
}

/** Directory holding the built kube-apiserver, kube-controller-manager and etcd for the pinned versions. */
export function kubeBinCacheDir(): string {
  return path.join(cacheRoot(), `kube-${KUBERNETES_VERSION}-etcd-${ETCD_VERSION}`, "bin");
}

/** The repository root. */
export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");

/** Default state directory of the proving ground (certs, etcd data, logs, kubeconfigs, env.json). */
export const DEFAULT_STATE_DIR = path.join(REPO_ROOT, ".keyfleet", "local");
