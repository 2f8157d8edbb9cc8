/**
 * kube-controller-manager with the controllers a cluster's workload path needs: garbage collection (owned Secrets go
 * with their SecretSync), namespaces, ServiceAccounts and their tokens, the root CA ConfigMap pods mount, Deployments,
 * ReplicaSets, StatefulSets, DaemonSets, EndpointSlices (the metrics Service's endpoints), PodDisruptionBudgets,
 * pod GC and node lifecycle. Per-controller credentials, like a real cluster.
 */
import { ensureBuilt } from "../build-cache.ts";
import type { LocalEnvironment } from "../env.ts";
import { adminTls, getObject } from "../kube-api.ts";
import { freePort, waitFor } from "../processes.ts";
import { kubeBuild } from "./kube-build.ts";
import { logFileIn, type GroundPart } from "./part.ts";

/** Controllers run by the ground (kube-controller-manager's short names). */
export const CONTROLLERS = [
  "garbagecollector",
  "namespace",
  "serviceaccount",
  "serviceaccount-token",
  "root-ca-cert-publisher",
  "deployment",
  "replicaset",
  "statefulset",
  "daemonset",
  "endpoint",
  "endpointslice",
  "disruption",
  "podgc",
  "nodelifecycle",
  "ttl",
] as const;

export const controllerManagerPart: GroundPart<Partial<LocalEnvironment>> = {
  name: "kube-controller-manager",
  kubeCommands: ["kube-controller-manager"],
  locate: (progress) => ensureBuilt(kubeBuild(["kube-controller-manager"], true), progress),
  async start(ctx, binaries) {
    const kube = ctx.env.kubernetes;
    if (!kube?.kubeconfigs) throw new Error("kube-controller-manager needs kube-apiserver started first");
    const port = await freePort();
    const record = await ctx.progress.step("starting kube-controller-manager", () =>
      ctx.launch({
        name: "kube-controller-manager",
        command: binaries.paths["kube-controller-manager"]!,
        args: [
          `--kubeconfig=${kube.kubeconfigs!.controllerManager}`,
          `--controllers=${CONTROLLERS.join(",")}`,
          `--service-account-private-key-file=${ctx.pki.serviceAccountKeyFile}`,
          `--root-ca-file=${ctx.pki.caFile}`,
          "--leader-elect=false",
          "--bind-address=127.0.0.1",
          `--secure-port=${port}`,
          `--tls-cert-file=${ctx.pki.serving.certFile}`,
          `--tls-private-key-file=${ctx.pki.serving.keyFile}`,
          "--use-service-account-credentials=true",
          "--v=1",
        ],
        logFile: logFileIn(ctx.stateDir, "kube-controller-manager"),
        probe: { kind: "http", url: `https://127.0.0.1:${port}/healthz`, tls: { caFile: ctx.pki.caFile } },
        readySeconds: 60,
      }),
    );
    // The serviceaccount controller creating `default` in namespace default proves the controllers run.
    const tls = adminTls(ctx.pki);
    await waitFor(
      record,
      async () =>
        (await getObject(kube.apiServerUrl, tls, "/api/v1/namespaces/default/serviceaccounts/default"))
          ? true
          : undefined,
      60_000,
    );
    return {};
  },
};
