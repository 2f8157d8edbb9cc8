/**
 * The kubelet of the worker node: its KubeletConfiguration (pure, table-tested), credentials and process spec.
 * Every place the kubelet writes by default (root dir, pod logs, certificates) is under the ground's state
 * directory; it serves on the bridge address (its InternalIP, which kube-apiserver dials for `kubectl logs`), keeps
 * its health endpoint on loopback and resolves nothing: pods get an empty resolv.conf (no name server to ask).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CLIENT_EXTENSIONS, issueCertificate, kubeconfigFor, subjectFor, type GroundPki } from "../../pki.ts";
import type { ProcessSpec } from "../../processes.ts";
import type { GroundNetwork } from "./network.ts";

/** Host facts the configuration depends on. */
export interface KubeletHost {
  /** The ground's network: the kubelet serves on its bridge address. */
  network: GroundNetwork;
  /** "v1": cgroup v1 (or hybrid without controllers on the unified hierarchy); "v2": unified. */
  cgroupMode: "v1" | "v2";
  cgroupRoot: string;
}

/** Files and ports of one kubelet. */
export interface KubeletLayout {
  rootDir: string;
  podLogsDir: string;
  certDir: string;
  resolvConf: string;
  configFile: string;
  kubeconfig: string;
  port: number;
  healthzPort: number;
  containerdSocket: string;
}

/** Pure: the KubeletConfiguration (JSON is YAML). */
export function kubeletConfig(layout: KubeletLayout, host: KubeletHost, pki: { caFile: string }): object {
  return {
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    address: host.network.gatewayIp,
    port: layout.port,
    readOnlyPort: 0,
    healthzBindAddress: "127.0.0.1",
    healthzPort: layout.healthzPort,
    tlsCertFile: path.join(layout.certDir, "kubelet-serving.crt"),
    tlsPrivateKeyFile: path.join(layout.certDir, "kubelet-serving.key"),
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: pki.caFile },
    },
    authorization: { mode: "Webhook" },
    containerRuntimeEndpoint: `unix://${layout.containerdSocket}`,
    cgroupDriver: "cgroupfs",
    cgroupRoot: host.cgroupRoot,
    cgroupsPerQOS: true,
    // Kubernetes deprecated cgroup v1; this proving ground runs on whatever the machine has.
    failCgroupV1: host.cgroupMode === "v2",
    failSwapOn: false,
    podLogsDir: layout.podLogsDir,
    resolvConf: layout.resolvConf,
    makeIPTablesUtilChains: false,
    // Imported images cannot be pulled again: never collect them, and never evict for a nearly full disk.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: { "memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%" },
    serializeImagePulls: false,
    enforceNodeAllocatable: ["pods"],
    protectKernelDefaults: false,
    maxPods: 60,
    // The restart tests replace pods; the shutdown of the old one should not hold a rollout for 30 s.
    nodeStatusUpdateFrequency: "5s",
    syncFrequency: "10s",
  };
}

/** Pure: kubelet flags. */
export function kubeletArgs(layout: KubeletLayout, nodeName: string, nodeIp: string): string[] {
  return [
    `--config=${layout.configFile}`,
    `--kubeconfig=${layout.kubeconfig}`,
    `--root-dir=${layout.rootDir}`,
    `--cert-dir=${layout.certDir}`,
    `--hostname-override=${nodeName}`,
    `--node-ip=${nodeIp}`,
    "--v=1",
  ];
}

/**
 * Writes certificates (client: `system:node:<name>` in `system:nodes`, for the Node authorizer; serving: the bridge
 * address), the kubeconfig, the empty resolv.conf and the configuration; returns the process spec, ready when the
 * kubelet's health endpoint answers (the Node becoming Ready is checked by the node part).
 */
export function kubeletSpec(
  layout: KubeletLayout,
  host: KubeletHost,
  nodeName: string,
  pki: GroundPki,
  apiServerUrl: string,
  kubelet: string,
  logFile: string,
): ProcessSpec {
  for (const dir of [layout.rootDir, layout.podLogsDir, layout.certDir]) mkdirSync(dir, { recursive: true });
  const ca = { caFile: pki.caFile, caKeyFile: pki.caKeyFile };
  const client = issueCertificate(
    layout.certDir,
    "kubelet-client",
    subjectFor(`system:node:${nodeName}`, ["system:nodes"]),
    CLIENT_EXTENSIONS,
    ca,
  );
  issueCertificate(
    layout.certDir,
    "kubelet-serving",
    `/CN=system:node:${nodeName}`,
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n" +
      `subjectAltName=IP:${host.network.gatewayIp},DNS:${nodeName}\n`,
    ca,
  );
  writeFileSync(
    layout.kubeconfig,
    kubeconfigFor(apiServerUrl, pki.caFile, `system:node:${nodeName}`, client),
    {
      mode: 0o600,
    },
  );
  writeFileSync(layout.resolvConf, "# keyfleet proving ground: pods resolve no names\n");
  writeFileSync(layout.configFile, JSON.stringify(kubeletConfig(layout, host, pki), null, 2));
  return {
    name: "kubelet",
    command: kubelet,
    args: kubeletArgs(layout, nodeName, host.network.gatewayIp),
    logFile,
    probe: { kind: "http", url: `http://127.0.0.1:${layout.healthzPort}/healthz` },
    readySeconds: 60,
  };
}
