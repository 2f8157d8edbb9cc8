/**
 * Versions and locations the proving ground uses. Caches live outside the repo and are shared by checkouts; each
 * cache directory names the versions it holds, so changing a version here builds into a new directory.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Kubernetes release built from Go modules (its staging modules are published as v0.<minor>.<patch>). */
export const KUBERNETES_VERSION = "v1.37.2";
/** etcd server module version (go.etcd.io/etcd/server/v3). */
export const ETCD_VERSION = "v3.6.16";
/** The worker node's container runtime and network plugins (github.com/containerd/containerd/v2, opencontainers/runc, containernetworking/plugins). */
export const NODE_RUNTIME_VERSIONS = { containerd: "v2.4.2", runc: "v1.5.3", cniPlugins: "v1.10.0" } as const;
/**
 * The Pulumi engine built from Go modules: the CLI; the Node.js language host (its current module is not published
 * on the module proxy, so the newest SDK release still carrying it); the Kubernetes resource provider (module
 * pseudo-version of its v4.25.0 release, the newest the proxy serves).
 */
export const PULUMI_VERSIONS = {
  cli: "v3.276.0",
  languageHostSdk: "v3.68.0",
  kubernetesProviderModule: "v4.0.0-20260115033456-f47bc2d6f199",
  kubernetesProvider: "v4.25.0",
} as const;

/** Root of keyfleet's caches: `$KEYFLEET_CACHE_DIR`, else `$XDG_CACHE_HOME/keyfleet`, else `~/.cache/keyfleet`. */
export function cacheRoot(): string {
  if (process.env.KEYFLEET_CACHE_DIR) return process.env.KEYFLEET_CACHE_DIR;
  const xdg = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache");
  return path.join(xdg, "keyfleet");
}

/** Kubernetes binaries (control plane, and kube-scheduler + kubelet for the node) and etcd. */
export function kubeBinCacheDir(): string {
  return path.join(cacheRoot(), `kube-${KUBERNETES_VERSION}-etcd-${ETCD_VERSION}`, "bin");
}

/** containerd, its runc shim, ctr, runc and the CNI plugins (under `cni/`). */
export function nodeRuntimeCacheDir(): string {
  const v = NODE_RUNTIME_VERSIONS;
  return path.join(cacheRoot(), `node-containerd-${v.containerd}-runc-${v.runc}-cni-${v.cniPlugins}`, "bin");
}

/** The Pulumi CLI, the Node.js language host and the Kubernetes provider. */
export function pulumiCacheDir(): string {
  const v = PULUMI_VERSIONS;
  return path.join(
    cacheRoot(),
    `pulumi-${v.cli}-nodejs-${v.languageHostSdk}-kubernetes-${v.kubernetesProvider}`,
    "bin",
  );
}

/** Container images the node imports (OCI archives, built locally without any registry). */
export function imageCacheDir(): string {
  return path.join(cacheRoot(), "images");
}

/** The repository root. */
export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");

/** Default state directory of the proving ground (certs, etcd data, logs, kubeconfigs, env.json). */
export const DEFAULT_STATE_DIR = path.join(REPO_ROOT, ".keyfleet", "local");

/** Version of the pinned Node (the npm package `node`), which is also the node image's Node. */
export function pinnedNodeVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, "node_modules/node/package.json"), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** The pinned Node binary (what every script runs on, and what the node image carries). */
export const PINNED_NODE = path.join(REPO_ROOT, "node_modules", "node", "bin", "node");
