/**
 * The demo's workload: a real Deployment (on the ground's node) whose pod reads a synced Secret from its environment
 * and from a mounted file and prints a salted hash of each — never the value — so a reader can see which version a
 * pod holds. It opts into keyfleet's restarts the Reloader way (`reloader.stakater.com/search: "true"`).
 */
import { createHash } from "node:crypto";
import * as k8s from "@kubernetes/client-node";
import { waitFor } from "../../test/support/kube.ts";

/** What the pod prints is `sha256("keyfleet-demo:" + value)`, shortened: this computes the same for comparison. */
export function demoHash(value: string): string {
  return createHash("sha256").update(`keyfleet-demo:${value}`).digest("hex").slice(0, 12);
}

const PRINT =
  "const c=require('node:crypto'),fs=require('node:fs');" +
  "const h=v=>c.createHash('sha256').update('keyfleet-demo:'+v).digest('hex').slice(0,12);" +
  "console.log('env '+h(process.env.APP_SECRET)+' file '+h(fs.readFileSync('/etc/app/value','utf8')));" +
  "setInterval(()=>{},1e9)";

/** A pod of the workload as `kubectl get pods` shows it, plus what it printed. */
export interface WorkloadPod {
  name: string;
  createdAt: Date;
  printed: string;
}

/** The Deployment: one replica reading `secretName[key]` from env and from /etc/app/value. */
export function workloadDeployment(
  name: string,
  image: string,
  secretName: string,
  key: string,
): k8s.V1Deployment {
  return {
    metadata: { name, annotations: { "reloader.stakater.com/search": "true" } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [
            {
              name: "app",
              image,
              imagePullPolicy: "Never",
              command: ["node", "-e", PRINT],
              env: [{ name: "APP_SECRET", valueFrom: { secretKeyRef: { name: secretName, key } } }],
              volumeMounts: [{ name: "secret", mountPath: "/etc/app", readOnly: true }],
              securityContext: {
                runAsNonRoot: true,
                runAsUser: 65532,
                readOnlyRootFilesystem: true,
                allowPrivilegeEscalation: false,
              },
            },
          ],
          volumes: [{ name: "secret", secret: { secretName, items: [{ key, path: "value" }] } }],
        },
      },
    },
  };
}

/** Reads the workload's pods that run and are not being deleted, with what each printed. */
export async function workloadPods(
  kubeConfig: k8s.KubeConfig,
  namespace: string,
  name: string,
): Promise<WorkloadPod[]> {
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const list = await core.listNamespacedPod({ namespace, labelSelector: `app=${name}` });
  const pods: WorkloadPod[] = [];
  for (const pod of list.items) {
    if (pod.status?.phase !== "Running" || pod.metadata?.deletionTimestamp) continue;
    const printed = await core
      .readNamespacedPodLog({ namespace, name: pod.metadata!.name!, container: "app" })
      .catch(() => "");
    pods.push({
      name: pod.metadata!.name!,
      createdAt: new Date(pod.metadata!.creationTimestamp!),
      printed: printed.trim(),
    });
  }
  return pods;
}

/** Waits until exactly one pod runs and has printed, optionally other than `notName`. */
export function onePod(
  kubeConfig: k8s.KubeConfig,
  namespace: string,
  name: string,
  notName?: string,
): Promise<WorkloadPod> {
  return waitFor(
    notName ? `a new ${name} pod replacing ${notName}` : `the ${name} pod`,
    async () => {
      const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
      const all = await core.listNamespacedPod({ namespace, labelSelector: `app=${name}` });
      const pods = await workloadPods(kubeConfig, namespace, name);
      const oldGone = !notName || !all.items.some((p) => p.metadata?.name === notName);
      return pods.length === 1 && pods[0]!.printed && pods[0]!.name !== notName && oldGone
        ? pods[0]
        : undefined;
    },
    180_000,
  );
}
