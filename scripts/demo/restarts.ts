/**
 * Demo segment (issue 4): a Deployment restarts exactly once after two of its Secrets rotate together, and not at
 * all on a later no-change poll. Pods do not run on the proving ground, so the restart is shown on the
 * Deployment's pod template (keyfleet.io/restarted-for) and metadata.generation.
 *
 * The lead wires it into `npm run demo`: `await restartsDemo({ kubeConfig, log })`. By default the rotation is a
 * direct write of new values to the two Secrets (as the sync runtime writes them); pass `rotate` to rotate them
 * through the vault and the runtime instead.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import * as k8s from "@kubernetes/client-node";
import { pino } from "pino";
import { Registry } from "prom-client";
import { RESTARTED_FOR_ANNOTATION } from "../../sync-runtime/restarts/constants.ts";
import { RestartController } from "../../sync-runtime/restarts/controller.ts";

/** Options of {@link restartsDemo}. */
export interface RestartsDemoOptions {
  kubeConfig: k8s.KubeConfig;
  /** Prints one line. Default console.log. */
  log?: (line: string) => void;
  /** Namespace to use (created, and deleted afterwards). Default `kf-demo-restarts-<random>`. */
  namespace?: string;
  /** Rotates the named Secrets (e.g. new vault versions + a runtime sync). Default: writes new values directly. */
  rotate?: (namespace: string, secretNames: readonly string[]) => Promise<void>;
  /** Metrics registry to count restarts on. Default a fresh one. */
  registry?: Registry;
}

const SECRETS = ["db-password", "api-token"] as const;

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`demo: timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Runs the segment; throws if the Deployment does not restart exactly once. */
export async function restartsDemo(
  options: RestartsDemoOptions,
): Promise<{ restarts: number; generations: number[] }> {
  const log = options.log ?? ((line: string) => console.log(line));
  const namespace = options.namespace ?? `kf-demo-restarts-${randomBytes(3).toString("hex")}`;
  const core = options.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const apps = options.kubeConfig.makeApiClient(k8s.AppsV1Api);
  const registry = options.registry ?? new Registry();
  const rotate =
    options.rotate ??
    (async (ns: string, names: readonly string[]) => {
      for (const name of names)
        await core.patchNamespacedSecret(
          { name, namespace: ns, body: { stringData: { value: randomBytes(12).toString("hex") } } },
          k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
        );
    });
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const controller = new RestartController({
    kubeConfig: options.kubeConfig,
    registry,
    logger: pino({ level: "silent" }),
    namespaces: [namespace],
    batchWindowMs: 3_600_000,
  });
  try {
    for (const name of SECRETS) {
      await core.createNamespacedSecret({
        namespace,
        body: {
          metadata: { name, annotations: { "reloader.stakater.com/match": "true" } },
          stringData: { value: randomBytes(12).toString("hex") },
        },
      });
    }
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: "shop", annotations: { "reloader.stakater.com/search": "true" } },
        spec: {
          selector: { matchLabels: { app: "shop" } },
          template: {
            metadata: { labels: { app: "shop" } },
            spec: {
              containers: [
                {
                  name: "shop",
                  image: "registry.invalid/shop:1",
                  env: [
                    {
                      name: "DB_PASSWORD",
                      valueFrom: { secretKeyRef: { name: "db-password", key: "value" } },
                    },
                  ],
                },
              ],
              volumes: [{ name: "token", secret: { secretName: "api-token" } }],
            },
          },
        },
      },
    });
    const show = async (step: string) => {
      const d = await apps.readNamespacedDeployment({ name: "shop", namespace });
      const generation = d.metadata?.generation ?? 0;
      log(
        `  ${step.padEnd(44)} generation=${generation}  ${RESTARTED_FOR_ANNOTATION}=${d.spec?.template.metadata?.annotations?.[RESTARTED_FOR_ANNOTATION] ?? "(none)"}`,
      );
      return generation;
    };
    log(
      `restarts: Deployment shop in ${namespace} uses Secrets ${SECRETS.join(" + ")} (reloader.stakater.com/search + match)`,
    );
    await controller.start();
    await controller.flush();
    const generations = [await show("start-up (first sync restarts nothing)")];

    const before = SECRETS.map((name) => controller.observedSecretVersion(namespace, name));
    await rotate(namespace, SECRETS);
    await until("the controller to see both rotations", () =>
      SECRETS.every((name, i) => controller.observedSecretVersion(namespace, name) !== before[i])
        ? true
        : undefined,
    );
    log(
      `  batched changes: ${(controller.pendingChanges().get(namespace) ?? []).map((c) => c.name).join(", ")}`,
    );
    await controller.flush();
    generations.push(await show("both Secrets rotated together"));

    const polled = SECRETS.map((name) => controller.observedSecretVersion(namespace, name));
    for (const name of SECRETS)
      await core.patchNamespacedSecret(
        {
          name,
          namespace,
          body: { metadata: { annotations: { "keyfleet.io/demo-poll": new Date().toISOString() } } },
        },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
      );
    await until("the controller to see the poll", () =>
      SECRETS.every((name, i) => controller.observedSecretVersion(namespace, name) !== polled[i])
        ? true
        : undefined,
    );
    await controller.flush();
    generations.push(await show("later poll, values unchanged"));

    const event = (
      await core.listNamespacedEvent({ namespace, fieldSelector: "involvedObject.name=shop" })
    ).items.find((e) => e.reason === "SecretsChangedRestart");
    log(`  event ${event?.reason}: ${event?.message}`);
    const restarts = (
      (await registry.getSingleMetric("keyfleet_workload_restarts_total")?.get())?.values ?? []
    ).reduce((sum, v) => sum + v.value, 0);
    log(`  keyfleet_workload_restarts_total = ${restarts}`);
    if (generations[1] !== generations[0]! + 1 || generations[2] !== generations[1])
      throw new Error(`demo: expected exactly one rollout, generations ${generations.join(" → ")}`);
    return { restarts, generations };
  } finally {
    await controller.stop();
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  }
}
