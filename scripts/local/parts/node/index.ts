/**
 * The worker node: kube-scheduler, containerd (+ runc, CNI bridge), the service proxy and a kubelet, so pods run on
 * the proving ground as in a real cluster. Needs root (network devices, mounts, cgroups). One node per machine owns
 * the pod network's addresses; a second ground asking for one is refused with the owner's name, and leftovers of a
 * crashed node are swept first.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureBuilt, type BuildSpec, type Located } from "../../build-cache.ts";
import type { LocalNode } from "../../env.ts";
import { adminTls, getObject } from "../../kube-api.ts";
import { liveProcesses } from "../../ledger.ts";
import { NODE_RUNTIME_VERSIONS, nodeRuntimeCacheDir, PINNED_NODE } from "../../paths.ts";
import { freePort, waitFor } from "../../processes.ts";
import type { Progress } from "../../progress.ts";
import { kubeBuild } from "../kube-build.ts";
import { logFileIn, type GroundPart } from "../part.ts";
import { createCgroupRoot, detectCgroupMode } from "./cgroups.ts";
import { containerdLayout, containerdSpec, hasSysResource } from "./containerd.ts";
import { nodeImage, pauseImage } from "./images.ts";
import { kubeletSpec } from "./kubelet.ts";
import { claimNetwork, cniConflist, createBridge, hostNames, type GroundNetwork } from "./network.ts";
import { schedulerSpec } from "./scheduler.ts";
import { serviceProxySpec } from "./service-proxy.ts";
import { sweepNode } from "./sweep.ts";

/** The node runtime's build (scripts/local/build-node.sh). */
export function nodeRuntimeBuild(): BuildSpec {
  const v = NODE_RUNTIME_VERSIONS;
  return {
    label: `the worker node runtime (containerd ${v.containerd}, runc ${v.runc}, CNI plugins ${v.cniPlugins})`,
    binDir: nodeRuntimeCacheDir(),
    binaries: [
      "containerd",
      "containerd-shim-runc-v2",
      "ctr",
      "runc",
      "cni/bridge",
      "cni/host-local",
      "cni/loopback",
    ],
    script: "build-node.sh",
    args: [nodeRuntimeCacheDir(), v.containerd, v.runc, v.cniPlugins],
    coldEstimate: "about 4 minutes",
  };
}

/** Pure: the node's name — the machine's host name when /etc/hosts maps it to loopback, else `keyfleet-node`. */
export function nodeNameFor(hostname: string, etcHosts: string): string {
  const name = hostname.toLowerCase();
  const local = etcHosts
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim().split(/\s+/))
    .some(
      (f) =>
        (f[0] === "127.0.0.1" || f[0] === "::1") &&
        f
          .slice(1)
          .map((n) => n.toLowerCase())
          .includes(name),
    );
  return local && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) ? name : "keyfleet-node";
}

function ensureRoot(): void {
  if (process.getuid?.() !== 0)
    throw new Error(
      "the worker node needs root (it creates a bridge, mounts and cgroups); run as root, or start the ground without a node: KEYFLEET_LOCAL_NODE=0",
    );
}

/**
 * Claims the ground's own cluster network (several grounds' nodes can run side by side, each on its own bridge and
 * subnets); a network left by a ground that is no longer running is swept and reused. Call before the PKI and the
 * apiserver are made: both name the network's addresses.
 */
export async function claimNodeNetwork(stateDir: string, progress: Progress): Promise<GroundNetwork> {
  ensureRoot();
  return claimNetwork(
    stateDir,
    (owner) => liveProcesses(owner).length > 0,
    async (owner) => {
      const swept = await sweepNode(owner, hostNames(owner));
      progress.log(
        `swept the node left by a stopped ground in ${owner} (${swept.processes} processes, ${swept.mounts} mounts)`,
      );
    },
  );
}

function importImage(ctr: string, socket: string, archive: string): void {
  execFileSync(ctr, ["--address", socket, "-n", "k8s.io", "images", "import", archive], {
    stdio: ["ignore", "ignore", "pipe"],
  });
}

export const nodePart: GroundPart<{ node: LocalNode }> = {
  name: "node",
  kubeCommands: ["kube-scheduler", "kubelet"],
  async locate(progress) {
    const kube = await ensureBuilt(kubeBuild(["kube-scheduler", "kubelet"], false), progress);
    const runtime = await ensureBuilt(nodeRuntimeBuild(), progress);
    return { paths: { ...kube.paths, ...runtime.paths }, sources: { ...kube.sources, ...runtime.sources } };
  },
  async start(ctx, binaries: Located) {
    const kube = ctx.env.kubernetes;
    const vault = ctx.env.vault;
    const identity = ctx.env.identity;
    if (!kube?.kubeconfigs || !vault || !identity)
      throw new Error("the worker node needs kube-apiserver and the local Azure endpoints started first");
    const names = hostNames(ctx.stateDir);
    const nodeDir = path.join(ctx.stateDir, "node");
    const binDir = nodeRuntimeCacheDir();
    const cgroupMode = detectCgroupMode();
    createBridge(names.bridge, ctx.network);
    createCgroupRoot(names.cgroupRoot);

    const layout = containerdLayout(nodeDir, path.join(binDir, "cni"));
    const host = {
      restrictOomScoreAdj: !hasSysResource(readFileSync("/proc/self/status", "utf8")),
      runc: binaries.paths.runc!,
    };
    ctx.progress.log(
      `node: cgroup ${cgroupMode}${host.restrictOomScoreAdj ? ", no CAP_SYS_RESOURCE (restrict_oom_score_adj)" : ""}, bridge ${names.bridge}`,
    );
    await ctx.progress.step("starting containerd", () =>
      ctx.launch(
        containerdSpec(
          layout,
          host,
          { containerd: binaries.paths.containerd!, ctr: binaries.paths.ctr!, binDir },
          logFileIn(ctx.stateDir, "containerd"),
          cniConflist(names, ctx.network, path.join(nodeDir, "cni", "ipam")),
        ),
      ),
    );
    const images = await ctx.progress.step(
      "building (once) and importing the node and pause images",
      async () => {
        const built = await Promise.all([nodeImage(), pauseImage()]);
        for (const image of built) importImage(binaries.paths.ctr!, layout.socket, image.archive);
        return { node: built[0].ref, pause: built[1].ref };
      },
    );

    const apiPort = Number(new URL(kube.apiServerUrl).port);
    const vaultPort = Number(new URL(vault.url).port);
    const identityPort = Number(new URL(identity.authorityHost).port);
    await ctx.progress.step("starting the service proxy (pods -> apiserver, vault, identity endpoint)", () =>
      ctx.launch(
        serviceProxySpec(
          PINNED_NODE,
          ctx.stateDir,
          [
            { listenHost: ctx.network.kubernetesServiceIp, listenPort: 443, targetPort: apiPort },
            { listenHost: ctx.network.gatewayIp, listenPort: vaultPort, targetPort: vaultPort },
            { listenHost: ctx.network.gatewayIp, listenPort: identityPort, targetPort: identityPort },
          ],
          logFileIn(ctx.stateDir, "service-proxy"),
        ),
      ),
    );
    await ctx.progress.step("starting kube-scheduler", async () =>
      ctx.launch(
        schedulerSpec(
          binaries.paths["kube-scheduler"]!,
          kube.kubeconfigs!.scheduler!,
          await freePort(),
          ctx.pki,
          logFileIn(ctx.stateDir, "kube-scheduler"),
        ),
      ),
    );

    const nodeName = nodeNameFor(os.hostname(), readFileSync("/etc/hosts", "utf8"));
    const kubeletDir = path.join(nodeDir, "kubelet");
    mkdirSync(kubeletDir, { recursive: true });
    const kubeletLayout = {
      rootDir: path.join(kubeletDir, "root"),
      podLogsDir: path.join(nodeDir, "pod-logs"),
      certDir: path.join(kubeletDir, "pki"),
      resolvConf: path.join(kubeletDir, "resolv.conf"),
      configFile: path.join(kubeletDir, "config.json"),
      kubeconfig: path.join(kubeletDir, "kubelet.kubeconfig"),
      port: await freePort(),
      healthzPort: await freePort(),
      containerdSocket: layout.socket,
    };
    const kubelet = await ctx.progress.step("starting kubelet", () =>
      ctx.launch(
        kubeletSpec(
          kubeletLayout,
          { cgroupMode, cgroupRoot: names.cgroupRoot, network: ctx.network },
          nodeName,
          ctx.pki,
          kube.apiServerUrl,
          binaries.paths.kubelet!,
          logFileIn(ctx.stateDir, "kubelet"),
        ),
      ),
    );
    const tls = adminTls(ctx.pki);
    await ctx.progress.step(`waiting for Node ${nodeName} to be Ready`, () =>
      waitFor(
        kubelet,
        async () => {
          const node = await getObject<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(
            kube.apiServerUrl,
            tls,
            `/api/v1/nodes/${nodeName}`,
          );
          return node?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")
            ? true
            : undefined;
        },
        90_000,
      ),
    );
    return {
      node: {
        name: nodeName,
        images,
        network: {
          podSubnet: ctx.network.podSubnet,
          nodeIp: ctx.network.gatewayIp,
          serviceSubnet: ctx.network.serviceSubnet,
          bridge: names.bridge,
        },
        endpoints: {
          apiServerUrl: `https://${ctx.network.kubernetesServiceIp}:443`,
          vaultUrl: `https://${ctx.network.gatewayIp}:${vaultPort}`,
          authorityHost: `https://${ctx.network.gatewayIp}:${identityPort}`,
        },
        podCaFile: "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
        containerdSocket: layout.socket,
        cgroupMode,
      },
    };
  },
  async cleanup(stateDir, progress) {
    const report = await sweepNode(stateDir, hostNames(stateDir));
    if (report.processes + report.mounts + report.sockets > 0)
      progress.log(
        `node: removed ${report.processes} container/shim processes, ${report.mounts} mounts, ${report.sockets} shim sockets`,
      );
  },
};
