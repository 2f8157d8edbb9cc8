/**
 * Restart annotations that cannot be honoured get specific Warning Events and leave everything else working:
 * Secrets named but missing, names with another namespace, and workloads in other namespaces (a Secret only
 * restarts workloads of its own namespace, even when a workload elsewhere names a Secret of the same name).
 * The controller here watches both namespaces (the `namespaces` option: one watch per namespace).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import { pino } from "pino";
import { Registry } from "prom-client";
import { readLocalEnvironment } from "../../scripts/local/env.ts";
import { RestartController } from "../../sync-runtime/restarts/controller.ts";
import { eventually } from "../support/restarts.ts";

const env = readLocalEnvironment();
const kc = new k8s.KubeConfig();
kc.loadFromFile(env.kubernetes.adminKubeconfig);
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const suffix = randomBytes(3).toString("hex");
const home = `kf-home-${suffix}`;
const away = `kf-away-${suffix}`;
let controller: RestartController;

async function deployment(
  ns: string,
  name: string,
  annotations: Record<string, string>,
  secretName: string,
): Promise<void> {
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name, annotations },
      spec: {
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            containers: [
              {
                name: "app",
                image: "registry.invalid/app:1",
                envFrom: [{ secretRef: { name: secretName, optional: true } }],
              },
            ],
          },
        },
      },
    },
  });
}

const generation = async (ns: string, name: string) =>
  (await apps.readNamespacedDeployment({ name, namespace: ns })).metadata?.generation;
const warnings = async (ns: string, name: string) =>
  (
    await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name}` })
  ).items.filter((e) => e.type === "Warning");

before(async () => {
  for (const name of [home, away]) await core.createNamespace({ body: { metadata: { name } } });
  await core.createNamespacedSecret({
    namespace: home,
    body: { metadata: { name: "creds" }, stringData: { value: "one" } },
  });
  await deployment(home, "local", { "secret.reloader.stakater.com/reload": "creds" }, "creds");
  await deployment(away, "remote", { "secret.reloader.stakater.com/reload": "creds" }, "creds");
  await deployment(away, "crossref", { "secret.reloader.stakater.com/reload": `${home}/creds` }, "creds");
  await deployment(home, "typo", { "secret.reloader.stakater.com/reload": "creds,credz" }, "creds");
  controller = new RestartController({
    kubeConfig: kc,
    registry: new Registry(),
    logger: pino({ level: "silent" }),
    namespaces: [home, away],
    batchWindowMs: 3_600_000,
  });
  await controller.start();
});

after(async () => {
  await controller.stop();
  for (const name of [home, away]) await core.deleteNamespace({ name }).catch(() => undefined);
});

describe("reload annotations that cannot be honoured", () => {
  it("warns about a named Secret that does not exist, naming it and the namespace", async () => {
    const event = await eventually("ReloadSecretNotFound on typo", async () =>
      (await warnings(home, "typo")).find((e) => e.reason === "ReloadSecretNotFound"),
    );
    assert.match(event.message ?? "", /names Secret "credz", which does not exist in namespace "kf-home-/);
    const remote = await eventually("ReloadSecretNotFound on remote", async () =>
      (await warnings(away, "remote")).find((e) => e.reason === "ReloadSecretNotFound"),
    );
    assert.match(remote.message ?? "", /Secret "creds", which does not exist in namespace "kf-away-/);
  });

  it("warns about a namespace-qualified name instead of following it", async () => {
    const event = await eventually("ReloadAnnotationInvalid", async () =>
      (await warnings(away, "crossref")).find((e) => e.reason === "ReloadAnnotationInvalid"),
    );
    assert.match(event.message ?? "", /only names in the workload's own namespace can be watched/);
  });

  it("restarts only the workloads of the Secret's own namespace and keeps serving the others", async () => {
    const updated = await core.patchNamespacedSecret(
      { name: "creds", namespace: home, body: { stringData: { value: "two" } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    await eventually("controller saw the change", async () =>
      controller.observedSecretVersion(home, "creds") === updated.metadata?.resourceVersion
        ? true
        : undefined,
    );
    await controller.flush();
    assert.equal(await generation(home, "local"), 2);
    assert.equal(
      await generation(home, "typo"),
      2,
      "the existing named Secret still works next to the missing one",
    );
    assert.equal(await generation(away, "remote"), 1);
    assert.equal(await generation(away, "crossref"), 1);
    const warned = (await warnings(home, "typo")).filter((e) => e.reason === "ReloadSecretNotFound");
    assert.equal(warned.length, 1, "each problem is reported once, not on every update");
  });
});
