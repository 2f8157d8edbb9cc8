/**
 * Demo segment: workload restarts through the product's real path — Key Vault → sync runtime → Secret → the
 * runtime's own restart controller → Deployment rollout. Two SecretSyncs write Secrets annotated
 * `reloader.stakater.com/match`; a Deployment annotated `reloader.stakater.com/search` reads both. Both vault
 * secrets rotate together, and the Deployment rolls exactly once (one batch), and not again on later no-change
 * polls. Pods do not run on the proving ground, so the rollout is shown on the Deployment's pod template
 * (keyfleet.io/restarted-for) and metadata.generation. Output names versions only, never values.
 */
import * as k8s from "@kubernetes/client-node";
import type { DemoAzure } from "../../test/support/azure.ts";
import { objectsParameter, waitFor, waitForReason } from "../../test/support/kube.ts";
import type { KubeHelper } from "../../test/support/kube.ts";
import { Reason } from "../../sync-runtime/constants.ts";
import { defaultExtraControllers } from "../../sync-runtime/controllers.ts";
import {
  RESTART_DEFAULTS,
  RESTARTED_FOR_ANNOTATION,
  ReloaderAnnotation,
  RestartEventReason,
  RestartMetric,
} from "../../sync-runtime/restarts/constants.ts";
import { RestartController } from "../../sync-runtime/restarts/controller.ts";
import type { Controller, RuntimeContext, SyncRuntime } from "../../sync-runtime/runtime.ts";

/** The runtime's extra controllers, built exactly as `keyfleet run` builds them, with a handle on the restart one. */
export interface DemoControllers {
  /** Pass to `startRuntime({ extraControllers })`: {@link defaultExtraControllers}, unchanged. */
  extraControllers: (context: RuntimeContext) => Controller[];
  /** The restart controller the runtime runs (throws before the runtime has built it). */
  restartController(): RestartController;
}

/** Wraps {@link defaultExtraControllers} and keeps a reference to the restart controller it builds. */
export function demoControllers(): DemoControllers {
  let restarts: RestartController | undefined;
  return {
    extraControllers(context) {
      const controllers = defaultExtraControllers(context);
      restarts = controllers.find((c): c is RestartController => c instanceof RestartController);
      return controllers;
    },
    restartController() {
      if (!restarts) throw new Error("demo: the runtime has not built its restart controller");
      return restarts;
    },
  };
}

/** Options of {@link restartsDemo}. */
export interface RestartsDemoOptions {
  kube: KubeHelper;
  azure: DemoAzure;
  /** The running sync runtime (started with {@link demoControllers}); serves `namespace`. */
  runtime: SyncRuntime;
  /** The runtime's restart controller ({@link DemoControllers.restartController}). */
  restarts: RestartController;
  /** A namespace the runtime serves; the segment adds a SecretProviderClass, two SecretSyncs and a Deployment. */
  namespace: string;
  /** Workload identity of the namespace: its ServiceAccount and the identity federated with it. */
  identity: { serviceAccountName: string; clientID: string; tenantID: string };
  /** Key Vault name the SecretProviderClass reads. */
  keyvaultName: string;
  /** Suffix of the vault secret names (unique per run). */
  tag: string;
  /** Prints one line. */
  log: (line: string) => void;
}

/** Secret (and SecretSync) names; each is also the SPC object alias. */
const SECRETS = ["db-password", "api-token"] as const;
const SPC_NAME = "shop";
const DEPLOYMENT = "shop";
const short = (version: string) => version.slice(0, 8);

/** Runs the segment; throws if the Deployment does not roll exactly once. */
export async function restartsDemo(
  o: RestartsDemoOptions,
): Promise<{ restarts: number; generations: number[] }> {
  const { kube, namespace, log } = o;
  const apps = kube.kubeConfig.makeApiClient(k8s.AppsV1Api);
  const vaultName = (secret: string) => `shop-${secret}-${o.tag}`;
  const applySync = (name: string, forceSynchronization?: string) =>
    kube.applySecretSync(namespace, name, {
      serviceAccountName: o.identity.serviceAccountName,
      secretProviderClassName: SPC_NAME,
      secretObject: {
        annotations: { [ReloaderAnnotation.match]: "true" },
        data: [{ sourcePath: name, targetKey: "value" }],
      },
      forceSynchronization,
    });
  const syncedVersions = async () =>
    Promise.all(
      SECRETS.map(async (name) => (await kube.secretSync(namespace, name))?.status?.objects?.[0]?.version),
    );
  const secretVersions = async () =>
    Promise.all(SECRETS.map(async (name) => (await kube.secret(namespace, name))?.metadata?.resourceVersion));
  const show = async (step: string) => {
    const d = await apps.readNamespacedDeployment({ name: DEPLOYMENT, namespace });
    const generation = d.metadata?.generation ?? 0;
    const restartedFor = d.spec?.template.metadata?.annotations?.[RESTARTED_FOR_ANNOTATION] ?? "(none)";
    log(`  ${step.padEnd(48)} generation=${generation}  ${RESTARTED_FOR_ANNOTATION}=${restartedFor}`);
    return generation;
  };

  const v1: string[] = [];
  for (const name of SECRETS)
    v1.push(await o.azure.setSecret(vaultName(name), `${name}-${crypto.randomUUID()}`));
  await kube.applySpc(namespace, SPC_NAME, {
    keyvaultName: o.keyvaultName,
    tenantID: o.identity.tenantID,
    clientID: o.identity.clientID,
    objects: objectsParameter(SECRETS.map((name) => ({ objectName: vaultName(name), objectAlias: name }))),
  });
  for (const name of SECRETS) await applySync(name);
  for (const name of SECRETS) await waitForReason(kube, namespace, name, Reason.createSucceeded);
  await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: DEPLOYMENT, annotations: { [ReloaderAnnotation.search]: "true" } },
      spec: {
        selector: { matchLabels: { app: DEPLOYMENT } },
        template: {
          metadata: { labels: { app: DEPLOYMENT } },
          spec: {
            containers: [
              {
                name: DEPLOYMENT,
                image: "registry.invalid/shop:1",
                env: [
                  { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db-password", key: "value" } } },
                ],
                volumeMounts: [{ name: "token", mountPath: "/var/run/secrets/shop", readOnly: true }],
              },
            ],
            volumes: [{ name: "token", secret: { secretName: "api-token" } }],
          },
        },
      },
    },
  });
  log(
    `vault: ${SECRETS.map((name, i) => `${vaultName(name)} (v ${short(v1[i]!)})`).join(", ")} → SecretSyncs ${SECRETS.join(" + ")} (Secrets annotated ${ReloaderAnnotation.match})`,
  );
  log(
    `Deployment ${DEPLOYMENT} (${ReloaderAnnotation.search}) reads both: env secretKeyRef db-password, volume api-token`,
  );
  const generations = [await show("Secrets created (a first sync restarts nothing)")];

  // Batches are per namespace and their window is fixed: a window still open for an earlier change here (the
  // demo's payments-config rotation) could close between the two writes and split them. Let it close first.
  await waitFor(
    "earlier restart batches of the namespace to close",
    async () => (o.restarts.pendingChanges().has(namespace) ? undefined : true),
    RESTART_DEFAULTS.batchWindowMs + 30_000,
  );
  // Rotate both in the vault, then ask the runtime to sync at once (a spec change of forceSynchronization,
  // which syncs at once) instead of waiting for the next poll.
  const v2: string[] = [];
  for (const name of SECRETS)
    v2.push(await o.azure.setSecret(vaultName(name), `${name}-${crypto.randomUUID()}`));
  const rotatedAt = Date.now();
  const observedBefore = SECRETS.map((name) => o.restarts.observedSecretVersion(namespace, name));
  for (const name of SECRETS) await applySync(name, `rotation-${rotatedAt}`);
  log(
    `vault: rotated both → ${SECRETS.map((name, i) => `${name} v ${short(v2[i]!)}`).join(", ")}; forceSynchronization set on both SecretSyncs`,
  );
  await waitFor(
    "the runtime to write both rotated Secrets",
    async () => ((await syncedVersions()).every((v, i) => v === v2[i]) ? true : undefined),
    30_000,
  );
  await waitFor(
    "the restart controller to see both Secret changes",
    async () =>
      SECRETS.every((name, i) => o.restarts.observedSecretVersion(namespace, name) !== observedBefore[i])
        ? true
        : undefined,
    30_000,
  );
  const pending = (o.restarts.pendingChanges().get(namespace) ?? []).map((c) => c.name);
  log(
    `  runtime wrote both Secrets after ${((Date.now() - rotatedAt) / 1000).toFixed(1)} s; restart batch (window ${RESTART_DEFAULTS.batchWindowMs / 1000} s): ${pending.length ? pending.join(", ") : "(already closed)"}`,
  );
  await waitFor(
    "the Deployment to roll",
    async () => {
      const d = await apps.readNamespacedDeployment({ name: DEPLOYMENT, namespace });
      return (d.metadata?.generation ?? 0) > generations[0]! ? true : undefined;
    },
    30_000,
  );
  generations.push(
    await show(`both rotated: rolled ${((Date.now() - rotatedAt) / 1000).toFixed(1)} s after the rotation`),
  );

  // Later polls of the SecretSyncs find the vault unchanged: they write nothing, so nothing may roll. Wait one full
  // poll + jitter (every SecretSync is polled again) and for no-change reconciles, then close any open batch window.
  const settledAt = Date.now();
  const settledVersions = await secretVersions();
  const noChange = () => o.runtime.metrics.total("total_rotation_reconcile", { rotated: "false" });
  const noChangeBefore = await noChange();
  const pollMs = (o.runtime.config.rotationPollIntervalSeconds + o.runtime.config.jitterSeconds) * 1000;
  await waitFor(
    "a later no-change poll of both SecretSyncs",
    async () =>
      Date.now() - settledAt > pollMs + 500 && (await noChange()) >= noChangeBefore + SECRETS.length
        ? true
        : undefined,
    pollMs + 30_000,
  );
  await o.restarts.flush();
  const untouched = (await secretVersions()).every((v, i) => v === settledVersions[i]);
  log(
    `  ${(await noChange()) - noChangeBefore} no-change polls in the namespace in ${((Date.now() - settledAt) / 1000).toFixed(1)} s; Secrets ${untouched ? "untouched" : "rewritten"}`,
  );
  generations.push(await show("later polls, vault unchanged"));

  const event = (await kube.events(namespace, DEPLOYMENT)).find(
    (e) => e.reason === RestartEventReason.restarted,
  );
  log(`  event ${event?.reason ?? "(none)"}: ${event?.message ?? "(none)"}`);
  const restarts = await o.runtime.metrics.total(RestartMetric.restarts);
  log(`  ${RestartMetric.restarts} = ${restarts}`);
  if (generations[1] !== generations[0]! + 1 || generations[2] !== generations[1])
    throw new Error(`demo: expected exactly one rollout, generations ${generations.join(" → ")}`);
  return { restarts, generations };
}
