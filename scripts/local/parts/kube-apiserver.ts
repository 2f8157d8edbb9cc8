/**
 * kube-apiserver: client-certificate authentication, the Node authorizer + NodeRestriction beside RBAC (so the
 * worker node's kubelet gets exactly a node's rights), ServiceAccount token signing with its own URL as issuer, and a
 * client certificate towards kubelets for `kubectl logs`/`exec`. Writes the kubeconfigs of the ground's identities.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { ensureBuilt } from "../build-cache.ts";
import type { LocalEnvironment } from "../env.ts";
import { adminTls, createObject, userClusterRoleBinding } from "../kube-api.ts";
import { ETCD_VERSION, KUBERNETES_VERSION } from "../paths.ts";
import { CLIENT_IDENTITIES, kubeconfigFor, type GroundPki } from "../pki.ts";
import { freePort } from "../processes.ts";
import { kubeBuild } from "./kube-build.ts";
import type { GroundNetwork } from "./node/network.ts";
import { logFileIn, type GroundPart } from "./part.ts";

/** What the apiserver adds to the description. */
export type ApiserverDescription = Pick<LocalEnvironment, "kubernetes">;

/** Pure: kube-apiserver flags for the ground. */
export function apiserverArgs(
  pki: GroundPki,
  network: GroundNetwork,
  apiPort: number,
  etcdUrl: string,
  stateDir: string,
): string[] {
  return [
    `--etcd-servers=${etcdUrl}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    `--secure-port=${apiPort}`,
    `--cert-dir=${path.join(stateDir, "kube")}`,
    `--tls-cert-file=${pki.serving.certFile}`,
    `--tls-private-key-file=${pki.serving.keyFile}`,
    `--client-ca-file=${pki.caFile}`,
    `--service-account-issuer=https://127.0.0.1:${apiPort}`,
    `--service-account-key-file=${pki.serviceAccountPubFile}`,
    `--service-account-signing-key-file=${pki.serviceAccountKeyFile}`,
    "--authorization-mode=Node,RBAC",
    "--enable-admission-plugins=NodeRestriction",
    `--service-cluster-ip-range=${network.serviceSubnet}`,
    `--kubelet-client-certificate=${pki.clients.kubeletClient.certFile}`,
    `--kubelet-client-key=${pki.clients.kubeletClient.keyFile}`,
    `--kubelet-certificate-authority=${pki.caFile}`,
    // Dial kubelets by address only: a node name is never looked up.
    "--kubelet-preferred-address-types=InternalIP",
    "--allow-privileged=true",
    "--profiling=false",
    "--endpoint-reconciler-type=none",
    "--v=1",
  ];
}

/** Writes one kubeconfig per client identity into `<stateDir>/kube`. */
export function writeKubeconfigs(
  stateDir: string,
  server: string,
  pki: GroundPki,
): Record<keyof typeof CLIENT_IDENTITIES, string> {
  return Object.fromEntries(
    Object.entries(CLIENT_IDENTITIES).map(([name, id]) => {
      const file = path.join(stateDir, "kube", `${name}.kubeconfig`);
      writeFileSync(
        file,
        kubeconfigFor(server, pki.caFile, id.user, pki.clients[name as keyof typeof CLIENT_IDENTITIES]),
        { mode: 0o600 },
      );
      return [name, file];
    }),
  ) as Record<keyof typeof CLIENT_IDENTITIES, string>;
}

export const apiserverPart: GroundPart<ApiserverDescription> = {
  name: "kube-apiserver",
  kubeCommands: ["kube-apiserver"],
  locate: (progress) => ensureBuilt(kubeBuild(["kube-apiserver"], true), progress),
  async start(ctx, binaries) {
    const etcdUrl = ctx.env.etcd?.url;
    if (!etcdUrl) throw new Error("kube-apiserver needs etcd started first");
    const apiPort = await freePort();
    const apiServerUrl = `https://127.0.0.1:${apiPort}`;
    await ctx.progress.step("starting kube-apiserver", () =>
      ctx.launch({
        name: "kube-apiserver",
        command: binaries.paths["kube-apiserver"]!,
        args: apiserverArgs(ctx.pki, ctx.network, apiPort, etcdUrl, ctx.stateDir),
        logFile: logFileIn(ctx.stateDir, "kube-apiserver"),
        probe: {
          kind: "http",
          url: `${apiServerUrl}/readyz`,
          tls: {
            caFile: ctx.pki.caFile,
            certFile: ctx.pki.clients.admin.certFile,
            keyFile: ctx.pki.clients.admin.keyFile,
          },
        },
        readySeconds: 90,
      }),
    );
    const kubeconfigs = writeKubeconfigs(ctx.stateDir, apiServerUrl, ctx.pki);
    const tls = adminTls(ctx.pki);
    const bindings = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings";
    // The identity endpoint reads the apiserver's JWKS to check ServiceAccount tokens.
    await createObject(
      apiServerUrl,
      tls,
      bindings,
      userClusterRoleBinding(
        "keyfleet-identity-endpoint-issuer-discovery",
        "system:service-account-issuer-discovery",
        CLIENT_IDENTITIES.identityEndpoint.user,
      ),
    );
    // `kubectl logs` / `exec` reach kubelets as this user.
    await createObject(
      apiServerUrl,
      tls,
      bindings,
      userClusterRoleBinding(
        "keyfleet-apiserver-kubelet-client",
        "system:kubelet-api-admin",
        CLIENT_IDENTITIES.kubeletClient.user,
      ),
    );
    return {
      kubernetes: {
        apiServerUrl,
        caFile: ctx.pki.caFile,
        adminKubeconfig: kubeconfigs.admin,
        userKubeconfig: kubeconfigs.developer,
        kubeconfigs,
        user: { name: CLIENT_IDENTITIES.developer.user, groups: [...CLIENT_IDENTITIES.developer.groups] },
        serviceAccountIssuer: apiServerUrl,
        controllerManager: true,
        versions: { kubernetes: KUBERNETES_VERSION, etcd: ETCD_VERSION },
      },
    };
  },
};
