/**
 * Operations of the sync runtime against the real kube-apiserver: leader election on a Lease (one leader, a
 * standby that takes over when the leader stops), /healthz, /readyz, /metrics, graceful shutdown.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { readLocalEnvironment } from "../../scripts/local/env.ts";
import { KubeHelper, waitFor } from "../support/kube.ts";
import { startRuntime } from "../support/runtime.ts";
import type { TestRuntime } from "../support/runtime.ts";
import { installCrds } from "../../sync-runtime/crds/index.ts";

const env = readLocalEnvironment();
const kube = KubeHelper.fromFile(env.kubernetes.adminKubeconfig);
let namespace = "";
let runtimeNamespace = "";
const running: TestRuntime[] = [];

void describe("sync runtime operations", () => {
  before(async () => {
    await installCrds(kube.client);
    namespace = await kube.namespace("sync-ops");
    runtimeNamespace = await kube.namespace("sync-ops-system", []);
  });
  after(async () => {
    await Promise.all(running.map((r) => r.stop()));
    await kube.deleteNamespace(namespace);
    await kube.deleteNamespace(runtimeNamespace);
  });

  void it("elects one leader on a Lease and fails over when it stops", async () => {
    const common = {
      env,
      kubeConfig: kube.kubeConfig,
      namespaces: [namespace],
      leaderElection: true,
      runtimeNamespace,
    };
    const a = await startRuntime({ ...common, identity: "replica-a" });
    running.push(a);
    await waitFor("replica-a to lead", async () =>
      (await a.runtime.metrics.total("keyfleet_leader")) === 1 ? true : undefined,
    );
    const b = await startRuntime({ ...common, identity: "replica-b" });
    running.push(b);
    const lease = await kube.kubeConfig
      .makeApiClient((await import("@kubernetes/client-node")).CoordinationV1Api)
      .readNamespacedLease({ namespace: runtimeNamespace, name: "keyfleet-sync-runtime" });
    assert.equal(lease.spec?.holderIdentity, "replica-a");
    assert.equal(await b.runtime.metrics.total("keyfleet_leader"), 0);
    // The standby is ready (it is healthy and waiting), the leader is ready once its caches synced.
    const ready = await fetch(`http://127.0.0.1:${b.runtime.ports.health}/readyz`);
    assert.equal(ready.status, 200);
    await a.stop();
    running.splice(running.indexOf(a), 1);
    await waitFor(
      "replica-b to take over",
      async () => ((await b.runtime.metrics.total("keyfleet_leader")) === 1 ? true : undefined),
      60_000,
    );
  });

  void it("serves /healthz, /readyz and /metrics with the DESIGN §4 metric names", async () => {
    const r = await startRuntime({
      env,
      kubeConfig: kube.kubeConfig,
      namespaces: [namespace],
      runtimeNamespace,
    });
    running.push(r);
    const health = await fetch(`http://127.0.0.1:${r.runtime.ports.health}/healthz`);
    assert.equal(health.status, 200);
    await waitFor("readiness", async () =>
      (await fetch(`http://127.0.0.1:${r.runtime.ports.health}/readyz`)).status === 200 ? true : undefined,
    );
    const metrics = await (await fetch(`http://127.0.0.1:${r.runtime.ports.metrics}/metrics`)).text();
    for (const name of [
      "total_sync_k8s_secret",
      "sync_k8s_secret_duration_sec",
      "total_rotation_reconcile",
      "total_rotation_reconcile_error",
      "rotation_reconcile_duration_sec",
      "keyvault_request",
      "keyfleet_reconcile_queue_depth",
    ]) {
      assert.match(metrics, new RegExp(`^# TYPE ${name} `, "m"), `${name} missing from /metrics`);
    }
    await r.stop();
    running.splice(running.indexOf(r), 1);
    await assert.rejects(
      fetch(`http://127.0.0.1:${r.runtime.ports.health}/healthz`),
      "servers closed after graceful shutdown",
    );
  });
});
