/**
 * A status write that loses a 409 against the real kube-apiserver is written again from a fresh read, and a
 * `SecretCreated=False ProviderError` left by a first failed attempt never survives once the Secret exists and
 * Ready is True. The conflict is forced: just before the runtime's guarded status write, the test changes the
 * SecretSync's metadata (a new resourceVersion, no new generation, so nothing else would reconcile it again).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import { openAzure } from "../support/azure.ts";
import type { DemoAzure } from "../support/azure.ts";
import { KubeHelper, objectsParameter, waitFor, waitForReason } from "../support/kube.ts";
import { startRuntime } from "../support/runtime.ts";
import type { TestRuntime } from "../support/runtime.ts";
import { readLocalEnvironment } from "../../scripts/local/env.ts";
import { Reason, SECRET_SYNC } from "../../sync-runtime/constants.ts";
import { installCrds } from "../../sync-runtime/crds/index.ts";
import type { SecretSyncStatus } from "../../sync-runtime/sync/types.ts";

const env = readLocalEnvironment();
const kube = KubeHelper.fromFile(env.kubernetes.adminKubeconfig);
let azure: DemoAzure;
let rt: TestRuntime;
let ns = "";
let clientId = "";
const obj = `cf${Date.now().toString(36)}`;
/** Names whose next status write is preceded by a metadata change (each one once). */
const conflictNext = new Set<string>();
const writes: Array<{ name: string; resourceVersion: string | undefined }> = [];

async function touch(name: string): Promise<void> {
  await kube.custom.patchNamespacedCustomObject(
    {
      group: SECRET_SYNC.group,
      version: SECRET_SYNC.version,
      plural: SECRET_SYNC.plural,
      namespace: ns,
      name,
      body: { metadata: { annotations: { "keyfleet.io/test-touch": String(Date.now()) } } },
    },
    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
  );
}

const conditions = async (name: string) =>
  ((await kube.secretSync(ns, name))?.status as SecretSyncStatus | undefined)?.conditions ?? [];

void describe("status writes that lose a conflict (real kube-apiserver)", () => {
  before(async () => {
    await installCrds(kube.client);
    azure = await openAzure(env);
    ns = await kube.namespace("conflict");
    clientId = await azure.registerWorkload(ns, "app-sa");
    await kube.applySpc(ns, "main", {
      keyvaultName: env.vault.vaultName,
      tenantID: env.identity.tenantId,
      clientID: clientId,
      objects: objectsParameter([{ objectName: obj }]),
    });
    rt = await startRuntime({ env, kubeConfig: kube.kubeConfig, namespaces: [ns], fastBackoff: true });
    // Test seam on the real client: record each status write and, when asked, lose it to a concurrent writer.
    const client = rt.runtime.kube;
    const write = client.writeSyncStatus.bind(client);
    client.writeSyncStatus = async (namespace, name, status, resourceVersion) => {
      writes.push({ name, resourceVersion });
      if (conflictNext.delete(name)) await touch(name);
      return write(namespace, name, status, resourceVersion);
    };
  });
  after(async () => {
    await rt?.stop();
    await kube.deleteNamespace(ns);
    await azure?.close();
  });

  void it("rewrites the status from a fresh read after a 409", async () => {
    await azure.setSecret(obj, `v-${crypto.randomUUID()}`);
    conflictNext.add("first");
    await kube.applySecretSync(ns, "first", {
      serviceAccountName: "app-sa",
      secretProviderClassName: "main",
      secretObject: { data: [{ sourcePath: obj, targetKey: "V" }] },
    });
    const ready = await waitForReason(kube, ns, "first", Reason.createSucceeded, 30_000);
    assert.equal(ready.status, "True");
    const attempts = writes.filter((w) => w.name === "first");
    assert.ok(attempts.length >= 2, JSON.stringify(attempts));
    assert.notEqual(
      attempts[0]!.resourceVersion,
      attempts[1]!.resourceVersion,
      "the retry used a fresh resourceVersion",
    );
    // The status is visible before the reconciler logs what it did: wait for the line.
    await waitFor(
      "the conflict to be logged",
      async () =>
        rt.logs.some((l) => l.includes("status write lost a conflict; written again from a fresh read")) ||
        undefined,
    );
  });

  void it("a SecretCreated=False from a failed first attempt never survives Ready=True", async () => {
    const missing = `${obj}-later`;
    await kube.applySpc(ns, "later", {
      keyvaultName: env.vault.vaultName,
      tenantID: env.identity.tenantId,
      clientID: clientId,
      objects: objectsParameter([{ objectName: missing }]),
    });
    const spec = (force: string) => ({
      serviceAccountName: "app-sa",
      secretProviderClassName: "later",
      secretObject: { data: [{ sourcePath: missing, targetKey: "V" }] },
      forceSynchronization: force,
    });
    await kube.applySecretSync(ns, "second", spec("one"));
    await waitForReason(kube, ns, "second", Reason.providerError, 30_000);
    assert.equal((await conditions("second")).find((c) => c.type === "SecretCreated")?.status, "False");
    // The object appears in the vault; the next sync's status write loses a conflict first.
    await azure.setSecret(missing, `v-${crypto.randomUUID()}`);
    conflictNext.add("second");
    await kube.applySecretSync(ns, "second", spec("two"));
    await waitForReason(kube, ns, "second", Reason.createSucceeded, 30_000);
    const now = await waitFor(
      "every condition True",
      async () => {
        const all = await conditions("second");
        return all.length && all.every((c) => c.status === "True") ? all : undefined;
      },
      10_000,
    );
    assert.deepEqual(now.map((c) => `${c.type}=${c.status} ${c.reason}`).sort(), [
      "Ready=True CreateSucceeded",
      "SecretCreated=True CreateSucceeded",
    ]);
  });
});
