/** The Kubernetes + etcd build every Kubernetes part shares (scripts/local/build-kube.sh, one cache folder). */
import type { BuildSpec } from "../build-cache.ts";
import { ETCD_VERSION, KUBERNETES_VERSION, kubeBinCacheDir } from "../paths.ts";

/** Pure: the build of the named Kubernetes commands (and etcd, which the script always checks). */
export function kubeBuild(commands: readonly string[], withEtcd: boolean): BuildSpec {
  return {
    label: `${commands.join(", ")}${withEtcd ? " and etcd" : ""} (Kubernetes ${KUBERNETES_VERSION}, etcd ${ETCD_VERSION})`,
    binDir: kubeBinCacheDir(),
    binaries: [...commands, ...(withEtcd ? ["etcd"] : [])],
    script: "build-kube.sh",
    args: [kubeBinCacheDir(), KUBERNETES_VERSION, ETCD_VERSION, ...commands],
    searchPath: true,
    coldEstimate: "about 20 minutes with the Go modules downloaded, 8 with them cached",
  };
}
