/**
 * Restarts against the real kube-apiserver. Pods never run here: a restart is proven on the workload objects
 * (the pod-template annotation and metadata.generation). The batching window is set to an hour so only
 * `flush()` closes a batch: nothing here depends on timing.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import type { Registry } from "prom-client";
import { KubeClient } from "../../sync-runtime/kube/client.ts";
import { WorkloadAdapter, createWorkloadAdapters } from "../../sync-runtime/restarts/workloads.ts";
import type { Workload } from "../../sync-runtime/restarts/workloads.ts";
import type { RestartController } from "../../sync-runtime/restarts/controller.ts";
import {
  kc,
  core,
  apps,
  custom,
  apiext,
  SECRET_VALUES,
  controllers,
  namespaces,
  eventually,
  namespace,
  controllerFor,
  secret,
  update,
  podTemplate,
  container,
  deployment,
  state,
  events,
  metric,
} from "../support/restarts.ts";

after(async () => {
  for (const controller of controllers) await controller.stop();
  for (const ns of namespaces) await core.deleteNamespace({ name: ns }).catch(() => undefined);
});

describe("secret-based restarts", () => {
  let ns: string;
  let first: RestartController;
  let second: RestartController;
  let registry: Registry;
  let secondRegistry: Registry;

  before(async () => {
    ns = await namespace("restart");
    await secret(ns, "alpha", SECRET_VALUES[0]!, { "reloader.stakater.com/match": "true" });
    await secret(ns, "beta", SECRET_VALUES[1]!, { "reloader.stakater.com/match": "true" });
    await secret(ns, "gamma", "plain", {});
    await deployment(
      ns,
      "web",
      { "reloader.stakater.com/search": "true" },
      {
        containers: [
          container({ env: [{ name: "A", valueFrom: { secretKeyRef: { name: "alpha", key: "value" } } }] }),
        ],
        volumes: [
          { name: "b", secret: { secretName: "beta" } },
          { name: "g", projected: { sources: [{ secret: { name: "gamma" } }] } },
        ],
      },
    );
    await deployment(
      ns,
      "bystander",
      {},
      { containers: [container({ envFrom: [{ secretRef: { name: "alpha" } }] })] },
    );
    await apps.createNamespacedStatefulSet({
      namespace: ns,
      body: {
        metadata: { name: "db", annotations: { "reloader.stakater.com/auto": "true" } },
        spec: {
          serviceName: "db",
          selector: { matchLabels: { app: "x" } },
          template: podTemplate({ containers: [container({ envFrom: [{ secretRef: { name: "gamma" } }] })] }),
        },
      },
    });
    await apps.createNamespacedDaemonSet({
      namespace: ns,
      body: {
        metadata: { name: "agent", annotations: { "secret.reloader.stakater.com/reload": "alpha" } },
        spec: {
          selector: { matchLabels: { app: "x" } },
          template: podTemplate({ containers: [container()] }),
        },
      },
    });
    // Two replicas sharing the fingerprint key (as a runtime restart with a configured key would).
    const fingerprintKey = randomBytes(32);
    ({ controller: first, registry } = await controllerFor(ns, { fingerprintKey }));
    ({ controller: second, registry: secondRegistry } = await controllerFor(ns, { fingerprintKey }));
  });

  it("restarts nothing for the first sync after start-up", async () => {
    await first.flush();
    await second.flush();
    for (const [kind, name] of [
      ["Deployment", "web"],
      ["Deployment", "bystander"],
      ["StatefulSet", "db"],
      ["DaemonSet", "agent"],
    ] as const) {
      assert.deepEqual(await state(ns, kind, name), { generation: 1, hash: undefined }, `${kind} ${name}`);
    }
  });

  it("rolls each affected workload exactly once when two Secrets rotate together", async () => {
    await update(ns, "alpha", { stringData: { value: SECRET_VALUES[2] } }, [first, second]);
    await update(ns, "beta", { stringData: { value: SECRET_VALUES[3] } }, [first, second]);
    assert.deepEqual(
      [...first.pendingChanges().get(ns)!].map((c) => c.name),
      ["alpha", "beta"],
    );
    // Two controllers see the same batch: the pod-template hash makes the second one a no-op.
    await Promise.all([first.flush(), second.flush()]);
    const web = await state(ns, "Deployment", "web");
    assert.equal(web.generation, 2, "one rollout for two Secrets");
    assert.match(web.hash ?? "", /^[0-9a-f]{32}$/);
    assert.equal(
      (await state(ns, "DaemonSet", "agent")).generation,
      2,
      "named in secret.reloader.stakater.com/reload",
    );
    assert.equal((await state(ns, "Deployment", "bystander")).generation, 1, "not annotated");
    assert.equal((await state(ns, "StatefulSet", "db")).generation, 1, "gamma did not change");
    const restarted =
      (await metric(registry, "keyfleet_workload_restarts_total", {})) +
      (await metric(secondRegistry, "keyfleet_workload_restarts_total", {}));
    assert.equal(restarted, 2, "web + agent, once each across both controllers");
    const skipped =
      (await metric(registry, "keyfleet_workload_restarts_skipped_total", { reason: "already_restarted" })) +
      (await metric(secondRegistry, "keyfleet_workload_restarts_skipped_total", {
        reason: "already_restarted",
      }));
    assert.equal(skipped, 2);

    const event = await eventually("restart event", async () =>
      (await events(ns, "web")).find((e) => e.reason === "SecretsChangedRestart"),
    );
    assert.match(event.message ?? "", /Secret "alpha" \(version resourceVersion \d+, search\)/);
    assert.match(event.message ?? "", /Secret "beta"/);
    for (const value of SECRET_VALUES)
      assert.ok(!JSON.stringify(await events(ns, "web")).includes(value), "no secret value in events");
  });

  it("does not restart on a no-change poll or again for the same hash", async () => {
    await update(ns, "alpha", { metadata: { labels: { polled: "yes" } } }, [first]);
    await update(ns, "beta", { stringData: { value: SECRET_VALUES[3] } }, [first]);
    assert.equal(first.pendingChanges().size, 0, "no value change, no batch");
    await first.flush();
    assert.equal((await state(ns, "Deployment", "web")).generation, 2);
    assert.equal((await state(ns, "DaemonSet", "agent")).generation, 2);
  });

  it("restarts auto workloads on any referenced Secret, search workloads only on matching ones", async () => {
    await update(ns, "gamma", { stringData: { value: "plain-2" } }, [first]);
    await first.flush();
    assert.equal((await state(ns, "StatefulSet", "db")).generation, 2, "auto follows gamma");
    assert.equal((await state(ns, "Deployment", "web")).generation, 2, "gamma lacks the match annotation");
    assert.equal(
      await metric(registry, "keyfleet_workload_restarts_total", { kind: "StatefulSet", reason: "auto" }),
      1,
    );
  });
});

describe("restart safety", () => {
  it("retries on a real 409 Conflict and still restarts once", async () => {
    const ns = await namespace("conflict");
    await secret(ns, "token", "one", { "reloader.stakater.com/match": "true" });
    await deployment(
      ns,
      "api",
      { "reloader.stakater.com/search": "true" },
      { containers: [container({ envFrom: [{ secretRef: { name: "token" } }] })] },
    );
    let interfered = 0;
    const base = new WorkloadAdapter(new KubeClient(kc), "Deployment");
    // Another writer changes the Deployment between the decision and the patch, once.
    const racing = Object.assign(Object.create(base) as WorkloadAdapter, {
      patchTemplateAnnotation: async (workload: Workload, key: string, value: string) => {
        if (interfered++ === 0) {
          await apps.patchNamespacedDeployment(
            { name: "api", namespace: ns, body: { metadata: { labels: { touched: "by-someone-else" } } } },
            k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
          );
        }
        return base.patchTemplateAnnotation(workload, key, value);
      },
    });
    const adapters = createWorkloadAdapters(new KubeClient(kc)).map((a) =>
      a.kind === "Deployment" ? racing : a,
    );
    const { controller } = await controllerFor(ns, { adapters });
    await update(ns, "token", { stringData: { value: "two" } }, [controller]);
    await controller.flush();
    assert.equal(interfered, 2, "first patch conflicted, second succeeded");
    assert.equal((await state(ns, "Deployment", "api")).generation, 2);
  });

  it("rate-limits restarts per namespace and says so on the workload", async () => {
    const ns = await namespace("ratelimit");
    await secret(ns, "shared", "one", { "reloader.stakater.com/match": "true" });
    for (const name of ["one", "two"])
      await deployment(
        ns,
        name,
        { "reloader.stakater.com/search": "true" },
        { containers: [container({ envFrom: [{ secretRef: { name: "shared" } }] })] },
      );
    const { controller, registry } = await controllerFor(ns, {
      rateLimitBurst: 1,
      rateLimitPerMinute: 0.001,
    });
    await update(ns, "shared", { stringData: { value: "two" } }, [controller]);
    await controller.flush();
    const generations = [
      (await state(ns, "Deployment", "one")).generation,
      (await state(ns, "Deployment", "two")).generation,
    ].sort();
    assert.deepEqual(generations, [1, 2], "one restarted, one postponed");
    assert.equal(
      await metric(registry, "keyfleet_workload_restarts_skipped_total", { reason: "rate_limited" }),
      1,
    );
    const postponed = await eventually("rate-limit event", async () => {
      const all = [...(await events(ns, "one")), ...(await events(ns, "two"))];
      return all.find((e) => e.reason === "RestartRateLimited");
    });
    assert.match(postponed.message ?? "", /Secret "shared".*postponed by the namespace restart rate limit/);
  });
});

describe("file-based restarts (SecretProviderClassPodStatus)", () => {
  it("restarts a workload when the versions mounted from its SecretProviderClass change", async () => {
    try {
      await apiext.createCustomResourceDefinition({
        body: {
          metadata: { name: "secretproviderclasspodstatuses.secrets-store.csi.x-k8s.io" },
          spec: {
            group: "secrets-store.csi.x-k8s.io",
            scope: "Namespaced",
            names: {
              plural: "secretproviderclasspodstatuses",
              kind: "SecretProviderClassPodStatus",
              singular: "secretproviderclasspodstatus",
            },
            versions: [
              {
                name: "v1",
                served: true,
                storage: true,
                schema: { openAPIV3Schema: { type: "object", x_kubernetes_preserve_unknown_fields: true } },
              },
            ],
          },
        },
      });
    } catch (error) {
      if (!(error instanceof k8s.ApiException && error.code === 409)) throw error;
    }
    const ns = await namespace("spc");
    const group = {
      group: "secrets-store.csi.x-k8s.io",
      version: "v1",
      plural: "secretproviderclasspodstatuses",
      namespace: ns,
    };
    await eventually("SPCPS served", async () => (await custom.listNamespacedCustomObject(group)) as object);
    const podStatus = (pod: string, version: string) => ({
      apiVersion: "secrets-store.csi.x-k8s.io/v1",
      kind: "SecretProviderClassPodStatus",
      metadata: { name: `${pod}-${ns}-app-spc` },
      status: {
        podName: pod,
        secretProviderClassName: "app-spc",
        mounted: true,
        targetPath: "/mnt",
        objects: [{ id: "secret/db-password", version }],
      },
    });
    await custom.createNamespacedCustomObject({ ...group, body: podStatus("pod-a", "v1") });
    await custom.createNamespacedCustomObject({ ...group, body: podStatus("pod-b", "v1") });
    await deployment(
      ns,
      "files",
      { "secretproviderclass.reloader.stakater.com/reload": "app-spc" },
      {
        containers: [container()],
        volumes: [
          {
            name: "kv",
            csi: {
              driver: "secrets-store.csi.k8s.io",
              readOnly: true,
              volumeAttributes: { secretProviderClass: "app-spc" },
            },
          },
        ],
      },
    );
    const { controller, registry } = await controllerFor(ns, { followSecretProviderClasses: true });
    await controller.flush();
    assert.equal((await state(ns, "Deployment", "files")).generation, 1, "baseline");
    for (const pod of ["pod-a", "pod-b"]) {
      const current = (await custom.getNamespacedCustomObject({
        ...group,
        name: `${pod}-${ns}-app-spc`,
      })) as { metadata: k8s.V1ObjectMeta };
      await custom.replaceNamespacedCustomObject({
        ...group,
        name: `${pod}-${ns}-app-spc`,
        body: {
          ...podStatus(pod, "v2"),
          metadata: { ...podStatus(pod, "v2").metadata, resourceVersion: current.metadata.resourceVersion },
        },
      });
    }
    await eventually("change observed", async () =>
      controller.pendingChanges().get(ns)?.length ? true : undefined,
    );
    await controller.flush();
    const files = await state(ns, "Deployment", "files");
    assert.equal(files.generation, 2);
    const event = await eventually("event", async () =>
      (await events(ns, "files")).find((e) => e.reason === "SecretsChangedRestart"),
    );
    assert.match(event.message ?? "", /SecretProviderClass "app-spc" \(mounted secret\/db-password@v2\)/);
    assert.equal(
      await metric(registry, "keyfleet_workload_restarts_total", { reason: "secretproviderclass" }),
      1,
    );
  });
});
