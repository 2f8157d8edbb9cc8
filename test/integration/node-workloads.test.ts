/**
 * The proving ground's worker node runs real pods: a pod reads a Secret from its environment and from a mounted
 * volume (and prints only a hash of it), `kubectl logs` reaches it through the kubelet, and a change of one
 * pod-template annotation — what keyfleet's restart controller patches — replaces the Deployment's pod with a new
 * one (new name, new creation time) that sees the new value, while the old pod goes away.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import { waitFor } from "../support/kube.ts";
import { readLocalEnvironment } from "../../scripts/local/env.ts";
import { RESTARTED_FOR_ANNOTATION } from "../../sync-runtime/restarts/constants.ts";

const env = readLocalEnvironment();
const node = env.node;
const kc = new k8s.KubeConfig();
kc.loadFromFile(env.kubernetes.adminKubeconfig);
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const ns = `kf-node-${randomBytes(3).toString("hex")}`;
/** What the pods print: a salted hash of the value from env and from the file, never the value. */
const hashOf = (value: string) =>
  createHash("sha256").update(`keyfleet-node-test:${value}`).digest("hex").slice(0, 16);
const PRINT_HASHES =
  "const c=require('node:crypto'),fs=require('node:fs');" +
  "const h=v=>c.createHash('sha256').update('keyfleet-node-test:'+v).digest('hex').slice(0,16);" +
  "console.log('env='+h(process.env.APP_PASSWORD)+' file='+h(fs.readFileSync('/etc/app/password','utf8')));" +
  "setInterval(()=>{},1e9)";

function podTemplate(image: string): k8s.V1PodTemplateSpec {
  return {
    metadata: { labels: { app: "reader" } },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: "reader",
          image,
          imagePullPolicy: "Never",
          command: ["node", "-e", PRINT_HASHES],
          env: [{ name: "APP_PASSWORD", valueFrom: { secretKeyRef: { name: "app", key: "password" } } }],
          volumeMounts: [{ name: "app", mountPath: "/etc/app", readOnly: true }],
          securityContext: { runAsNonRoot: true, runAsUser: 65532, readOnlyRootFilesystem: true },
        },
      ],
      volumes: [{ name: "app", secret: { secretName: "app" } }],
    },
  };
}

async function runningPods(): Promise<k8s.V1Pod[]> {
  const list = await core.listNamespacedPod({ namespace: ns, labelSelector: "app=reader" });
  return list.items.filter((p) => p.status?.phase === "Running" && !p.metadata?.deletionTimestamp);
}

async function podLog(name: string): Promise<string | undefined> {
  const text = await core.readNamespacedPodLog({ namespace: ns, name, container: "reader" });
  return text.includes("env=") ? text : undefined;
}

void describe("worker node", () => {
  before(async () => {
    assert.ok(node, "the proving ground runs a worker node (it was started with KEYFLEET_LOCAL_NODE=0)");
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await waitFor("the default ServiceAccount", async () =>
      (await core.readNamespacedServiceAccount({ namespace: ns, name: "default" }).catch(() => undefined))
        ? true
        : undefined,
    );
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: "app" }, stringData: { password: "first-Value-1" } },
    });
  });
  after(async () => {
    await core.deleteNamespace({ name: ns }).catch(() => {});
  });

  void it("is Ready, named so that it resolves on this machine, and has the images imported", async () => {
    const nodeObject = await core.readNode({ name: node!.name });
    assert.equal(nodeObject.status?.conditions?.find((c) => c.type === "Ready")?.status, "True");
    assert.deepEqual(
      nodeObject.status?.addresses?.find((a) => a.type === "InternalIP")?.address,
      node!.network.nodeIp,
    );
    const images = (nodeObject.status?.images ?? []).flatMap((i) => i.names ?? []);
    assert.ok(
      images.includes(node!.images.node),
      `node image ${node!.images.node} listed in ${images.join(", ")}`,
    );
  });

  void it("runs a Deployment whose pod reads the Secret from env and a volume, and rolls it on a pod-template annotation", async () => {
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: "reader" },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: "reader" } },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
          template: podTemplate(node!.images.node),
        },
      },
    });
    const [first] = await waitFor(
      "the first pod running",
      async () => {
        const pods = await runningPods();
        return pods.length === 1 ? pods : undefined;
      },
      120_000,
    );
    const firstLog = await waitFor(
      "the first pod's log (kubectl logs through the kubelet)",
      () => podLog(first!.metadata!.name!),
      60_000,
    );
    assert.match(firstLog, new RegExp(`env=${hashOf("first-Value-1")} file=${hashOf("first-Value-1")}`));
    assert.ok(!firstLog.includes("first-Value-1"), "the pod prints hashes only");

    await core.patchNamespacedSecret(
      { namespace: ns, name: "app", body: { stringData: { password: "second-Value-2" } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    // What the restart controller does: one pod-template annotation.
    await apps.patchNamespacedDeployment(
      {
        namespace: ns,
        name: "reader",
        body: {
          spec: { template: { metadata: { annotations: { [RESTARTED_FOR_ANNOTATION]: "test-rotation" } } } },
        },
      },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    const second = await waitFor(
      "a new pod replacing the old one",
      async () => {
        const pods = await runningPods();
        const all = await core.listNamespacedPod({ namespace: ns, labelSelector: "app=reader" });
        const oldGone = !all.items.some((p) => p.metadata?.name === first!.metadata!.name);
        return pods.length === 1 && pods[0]!.metadata!.name !== first!.metadata!.name && oldGone
          ? pods[0]
          : undefined;
      },
      120_000,
    );
    assert.ok(
      new Date(second!.metadata!.creationTimestamp!).getTime() >=
        new Date(first!.metadata!.creationTimestamp!).getTime(),
      "the new pod is newer",
    );
    const secondLog = await waitFor("the new pod's log", () => podLog(second!.metadata!.name!), 60_000);
    assert.match(secondLog, new RegExp(`env=${hashOf("second-Value-2")} file=${hashOf("second-Value-2")}`));
  });
});
