/**
 * Shared set-up of the restart controller's integration tests: clients of the proving ground, controllers built
 * with an hour-long batching window (only `flush()` closes a batch), and small builders and probes.
 */
import { randomBytes } from "node:crypto";
import * as k8s from "@kubernetes/client-node";
import { pino } from "pino";
import { Registry } from "prom-client";
import { waitFor } from "./kube.ts";
import { readLocalEnvironment } from "../../scripts/local/env.ts";
import { RESTARTED_FOR_ANNOTATION } from "../../sync-runtime/restarts/constants.ts";
import { RestartController } from "../../sync-runtime/restarts/controller.ts";
import type { RestartControllerOptions } from "../../sync-runtime/restarts/controller.ts";

export const env = readLocalEnvironment();
export const kc = new k8s.KubeConfig();
kc.loadFromFile(env.kubernetes.adminKubeconfig);
export const core = kc.makeApiClient(k8s.CoreV1Api);
export const apps = kc.makeApiClient(k8s.AppsV1Api);
export const custom = kc.makeApiClient(k8s.CustomObjectsApi);
export const apiext = kc.makeApiClient(k8s.ApiextensionsV1Api);
export const suffix = randomBytes(3).toString("hex");
export const HOUR = 3_600_000;
export const SECRET_VALUES = [
  "s3cr3t-alpha-value",
  "s3cr3t-beta-value",
  "rotated-alpha-value",
  "rotated-beta-value",
];
export const controllers: RestartController[] = [];
export const namespaces: string[] = [];

/** Waits for a probe (errors count as "not yet"): the project's waitFor, polling every 150 ms. */
export const eventually = <T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> => waitFor(what, probe, timeoutMs, 150);

export async function namespace(prefix: string): Promise<string> {
  const name = `kf-${prefix}-${suffix}`;
  await core.createNamespace({ body: { metadata: { name } } });
  namespaces.push(name);
  return name;
}

export async function controllerFor(ns: string, options: Partial<RestartControllerOptions> = {}) {
  const registry = new Registry();
  const controller = new RestartController({
    kubeConfig: kc,
    registry,
    logger: pino({ level: "silent" }),
    namespaces: [ns],
    batchWindowMs: HOUR,
    ...options,
  });
  await controller.start();
  controllers.push(controller);
  return { controller, registry };
}

export async function secret(
  ns: string,
  name: string,
  value: string,
  annotations: Record<string, string> = {},
): Promise<void> {
  await core.createNamespacedSecret({
    namespace: ns,
    body: { metadata: { name, annotations }, stringData: { value } },
  });
}

/** Changes a Secret and waits until `controllers` saw the write (so a following flush includes it). */
export async function update(
  ns: string,
  name: string,
  patch: object,
  watchers: RestartController[],
): Promise<void> {
  const updated = await core.patchNamespacedSecret(
    { name, namespace: ns, body: patch },
    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
  );
  const rv = updated.metadata?.resourceVersion;
  await eventually(`controllers saw ${name}@${rv}`, async () =>
    watchers.every((c) => c.observedSecretVersion(ns, name) === rv) ? true : undefined,
  );
}

export function podTemplate(
  spec: k8s.V1PodSpec,
  annotations: Record<string, string> = {},
): k8s.V1PodTemplateSpec {
  return { metadata: { labels: { app: "x" }, annotations }, spec };
}
export const container = (extra: Partial<k8s.V1Container> = {}): k8s.V1Container => ({
  name: "app",
  image: "registry.invalid/app:1",
  ...extra,
});

export async function deployment(
  ns: string,
  name: string,
  annotations: Record<string, string>,
  spec: k8s.V1PodSpec,
): Promise<void> {
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name, annotations },
      spec: { selector: { matchLabels: { app: "x" } }, template: podTemplate(spec) },
    },
  });
}

export async function state(ns: string, kind: "Deployment" | "StatefulSet" | "DaemonSet", name: string) {
  const object =
    kind === "Deployment"
      ? await apps.readNamespacedDeployment({ name, namespace: ns })
      : kind === "StatefulSet"
        ? await apps.readNamespacedStatefulSet({ name, namespace: ns })
        : await apps.readNamespacedDaemonSet({ name, namespace: ns });
  return {
    generation: object.metadata?.generation ?? 0,
    hash: object.spec?.template.metadata?.annotations?.[RESTARTED_FOR_ANNOTATION],
  };
}

export async function events(ns: string, name: string): Promise<k8s.CoreV1Event[]> {
  return (await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name}` }))
    .items;
}

export async function metric(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  return values
    .filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
    .reduce((sum, v) => sum + v.value, 0);
}
