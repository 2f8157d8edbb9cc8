/**
 * The runtime as `keyfleet run` composes it (SecretSync + AKVSync + restart controllers over shared informers):
 * a Secret keyfleet does not manage keeps an exact restart baseline although the SecretSync controller's caches
 * started first — a change of its labels is not a value change; a change of its data is, and rolls the
 * Deployment that reads it exactly once.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import { KubeHelper, waitFor } from "../support/kube.ts";
import { startRuntime } from "../support/runtime.ts";
import type { TestRuntime } from "../support/runtime.ts";
import { readLocalEnvironment } from "../../scripts/local/env.ts";
import { defaultExtraControllers } from "../../sync-runtime/controllers.ts";
import { installCrds } from "../../sync-runtime/crds/index.ts";
import { RestartMetric } from "../../sync-runtime/restarts/constants.ts";

const env = readLocalEnvironment();
const kube = KubeHelper.fromFile(env.kubernetes.adminKubeconfig);
const apps = kube.kubeConfig.makeApiClient(k8s.AppsV1Api);
const MERGE = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
let rt: TestRuntime;
let ns = "";

void describe("runtime composition (all controllers, shared informers)", () => {
  before(async () => {
    await installCrds(kube.client);
    ns = await kube.namespace("kf-compose", []);
    await kube.core.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: "plain", annotations: { "reloader.stakater.com/match": "true" } },
        stringData: { value: `v1-${crypto.randomUUID()}` },
      },
    });
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: "web", annotations: { "reloader.stakater.com/search": "true" } },
        spec: {
          selector: { matchLabels: { app: "web" } },
          template: {
            metadata: { labels: { app: "web" } },
            spec: {
              containers: [
                { name: "web", image: "registry.invalid/web:1", envFrom: [{ secretRef: { name: "plain" } }] },
              ],
            },
          },
        },
      },
    });
    rt = await startRuntime({
      env,
      kubeConfig: kube.kubeConfig,
      namespaces: [ns],
      rotationPollIntervalSeconds: 600,
      jitterSeconds: 0,
      extraControllers: defaultExtraControllers,
    });
  });
  after(async () => {
    await rt?.stop();
    await kube.deleteNamespace(ns);
  });

  void it("counts a data change of an unmanaged Secret once, not its label change, and rolls the workload once", async () => {
    const changes = () => rt.runtime.metrics.total(RestartMetric.changes, { source: "secret" });
    assert.equal(await changes(), 0, "start-up records the baseline only");
    // Label only: the value is unchanged. Then the value: both events arrive in order on one watch, so once the
    // second is counted the first has been handled too.
    await kube.core.patchNamespacedSecret(
      { namespace: ns, name: "plain", body: { metadata: { labels: { tier: "web" } } } },
      MERGE,
    );
    await kube.core.patchNamespacedSecret(
      { namespace: ns, name: "plain", body: { stringData: { value: `v2-${crypto.randomUUID()}` } } },
      MERGE,
    );
    await waitFor(
      "the value change to be counted",
      async () => ((await changes()) >= 1 ? true : undefined),
      30_000,
      100,
    );
    assert.equal(await changes(), 1, "exactly one value change: the label change is not one");
    const rolled = await waitFor(
      "the Deployment to roll",
      async () => {
        const d = await apps.readNamespacedDeployment({ name: "web", namespace: ns });
        return d.spec?.template.metadata?.annotations?.["keyfleet.io/restarted-for"] ? d : undefined;
      },
      60_000,
      200,
    );
    assert.equal(rolled.metadata?.generation, 2, "one rollout");
  });
});
