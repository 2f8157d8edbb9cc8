/**
 * AKVSync against the real kube-apiserver (+ garbage collector): expansion into owned SecretProviderClass and
 * SecretSync objects, status aggregation from the SecretSyncs' conditions, ownership (never adopt or overwrite),
 * pruning, the immutable Secret type, and the bad-input list of issue 4.
 * The SecretSync statuses are written here the way the sync runtime writes them (status subresource), so the
 * aggregation is proven independently of the vault.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import { pino } from "pino";
import { readLocalEnvironment } from "../../scripts/local/env.ts";
import { waitFor } from "../support/kube.ts";
import { AkvSyncController } from "../../sync-runtime/akvsync/controller.ts";
import { KubeClient } from "../../sync-runtime/kube/client.ts";
import { RESOURCES } from "../../sync-runtime/akvsync/constants.ts";
import {
  akvSyncCrd,
  installCrds,
  secretProviderClassCrd,
  secretSyncCrd,
} from "../../sync-runtime/crds/index.ts";

const env = readLocalEnvironment();
const kc = new k8s.KubeConfig();
kc.loadFromFile(env.kubernetes.adminKubeconfig);
const core = kc.makeApiClient(k8s.CoreV1Api);
const custom = kc.makeApiClient(k8s.CustomObjectsApi);
const namespace = `kf-akv-${randomBytes(3).toString("hex")}`;
let controller: AkvSyncController;

type Obj = { metadata: k8s.V1ObjectMeta; spec?: Record<string, unknown>; status?: Record<string, unknown> };

async function get(kind: keyof typeof RESOURCES, name: string): Promise<Obj | undefined> {
  try {
    return (await custom.getNamespacedCustomObject({ ...RESOURCES[kind], namespace, name })) as Obj;
  } catch (error) {
    if (error instanceof k8s.ApiException && error.code === 404) return undefined;
    throw error;
  }
}

async function createAkv(
  name: string,
  objects: unknown[],
  extra: Record<string, unknown> = {},
): Promise<Obj> {
  return (await custom.createNamespacedCustomObject({
    ...RESOURCES.AKVSync,
    namespace,
    body: {
      apiVersion: "secret-sync.x-k8s.io/v1alpha1",
      kind: "AKVSync",
      metadata: { name },
      spec: {
        keyvaultName: "kv-local",
        clientID: "11111111-2222-3333-4444-555555555555",
        tenantID: "00000000-0000-4000-8000-00000000a1a1",
        serviceAccountName: "app",
        objects,
        ...extra,
      },
    },
  })) as Obj;
}

async function setObjects(name: string, objects: unknown[]): Promise<void> {
  await custom.patchNamespacedCustomObject(
    { ...RESOURCES.AKVSync, namespace, name, body: { spec: { objects } } },
    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
  );
}

type Status = {
  observedGeneration?: number;
  syncedSecrets?: string;
  conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
  objects?: Array<{ index: number; state: string; reason: string; message: string; secretNames: string[] }>;
};

/** Waits for a status written for the current generation that satisfies `ok`. */
async function statusOf(name: string, ok: (s: Status) => boolean = () => true): Promise<Status> {
  return waitFor(`status of ${name}`, async () => {
    const akv = await get("AKVSync", name);
    const status = akv?.status as Status | undefined;
    return status && status.observedGeneration === akv?.metadata.generation && ok(status)
      ? status
      : undefined;
  });
}

const cond = (s: Status, type: string) => s.conditions?.find((c) => c.type === type);

/** Writes a SecretSync status the way the sync runtime does. */
async function writeSyncStatus(name: string, ok: boolean, reason: string, message: string): Promise<void> {
  const sync = await get("SecretSync", name);
  await custom.patchNamespacedCustomObjectStatus(
    {
      ...RESOURCES.SecretSync,
      namespace,
      name,
      body: {
        status: {
          conditions: [
            {
              type: "SecretCreated",
              status: ok ? "True" : "False",
              reason,
              message,
              lastTransitionTime: new Date().toISOString(),
              observedGeneration: sync?.metadata.generation,
            },
          ],
        },
      },
    },
    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
  );
}

before(async () => {
  await installCrds(new KubeClient(kc), [secretSyncCrd, secretProviderClassCrd, akvSyncCrd]);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  controller = new AkvSyncController({
    kubeConfig: kc,
    logger: pino({ level: "silent" }),
    namespaces: [namespace],
  });
  await controller.start();
});

after(async () => {
  await controller.stop();
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

describe("AKVSync expansion", () => {
  it("generates one owned SecretProviderClass per item and one SecretSync per Secret", async () => {
    const akv = await createAkv("app", [
      {
        secretInAKV: "db-password",
        versionHistory: 3,
        annotations: { "reloader.stakater.com/match": "true" },
      },
      { certInAKV: "web-cert", kubernetesSecretType: "kubernetes.io/tls", versionHistory: 2 },
      {
        kubernetesSecretName: "db-conn",
        mapping: [
          { dataKey: "user", secretInAKV: "db-user" },
          { dataKey: "previous", secretInAKV: "db-password", version: 1 },
        ],
      },
    ]);
    const status = await statusOf("app");
    assert.equal(cond(status, "Valid")?.status, "True");
    assert.equal(cond(status, "Ready")?.reason, "SyncPending");
    assert.equal(status.syncedSecrets, "0/4");

    const spc = await get("SecretProviderClass", "app-db-password");
    assert.ok(spc, "SecretProviderClass app-db-password exists");
    assert.deepEqual(
      spc.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]),
      [["AKVSync", "app", akv.metadata.uid, true]],
    );
    assert.equal(spc.metadata.labels?.["keyfleet.io/generated-by-akvsync"], "true");
    const params = (spc.spec as { parameters: Record<string, string> }).parameters;
    assert.equal(params.keyvaultName, "kv-local");
    assert.match(params.objects!, /objectVersionHistory: 3/);

    const history = await get("SecretSync", "db-password");
    const secretObject = (
      history?.spec as {
        secretObject: { type: string; data: unknown[]; annotations?: Record<string, string> };
      }
    ).secretObject;
    assert.deepEqual(
      secretObject.data,
      [0, 1, 2].map((i) => ({ sourcePath: `db-password/${i}`, targetKey: `v${i}` })),
    );
    assert.equal(
      secretObject.annotations?.["reloader.stakater.com/match"],
      "true",
      "match annotation reaches the Secret",
    );

    for (const i of [0, 1]) {
      const tls = await get("SecretSync", `web-cert-v${i}`);
      const object = (tls?.spec as { secretObject: { type: string; data: unknown[] } }).secretObject;
      assert.equal(object.type, "kubernetes.io/tls");
      assert.deepEqual(
        object.data,
        ["tls.crt", "tls.key"].map((targetKey) => ({ sourcePath: `web-cert/${i}`, targetKey })),
      );
    }
    const compound = await get("SecretSync", "db-conn");
    assert.deepEqual((compound?.spec as { secretObject: { data: unknown[] } }).secretObject.data, [
      { sourcePath: "db-user", targetKey: "user" },
      { sourcePath: "db-password/1", targetKey: "previous" },
    ]);
  });

  it("aggregates the SecretSyncs' conditions so describe answers 'is everything synced, and if not why'", async () => {
    await writeSyncStatus("db-password", true, "CreateSucceeded", "secret created");
    await writeSyncStatus("web-cert-v0", true, "CreateSucceeded", "secret created");
    await writeSyncStatus(
      "web-cert-v1",
      false,
      "ProviderError",
      'fetching "web-cert" from kv-local failed: NotFound',
    );
    await writeSyncStatus("db-conn", true, "UpdateNoValueChangeSucceeded", "no change");
    const failing = await statusOf("app", (s) => s.syncedSecrets === "3/4");
    assert.equal(cond(failing, "Ready")?.status, "False");
    assert.equal(cond(failing, "Ready")?.reason, "SecretsNotSynced");
    assert.match(cond(failing, "Ready")!.message, /web-cert-v0,web-cert-v1: ProviderError/);
    const item = failing.objects?.find((o) => o.index === 1);
    assert.equal(item?.state, "Failed");
    assert.match(item!.message, /web-cert-v1: fetching "web-cert"/);

    await writeSyncStatus("web-cert-v1", true, "UpdateValueChangeOrForceUpdateSucceeded", "updated");
    const ready = await statusOf("app", (s) => s.syncedSecrets === "4/4");
    assert.equal(cond(ready, "Ready")?.status, "True");
    assert.equal(cond(ready, "Ready")?.reason, "AllSecretsSynced");
  });

  it("removes what was generated for a removed item, and keeps what an invalid item had", async () => {
    await setObjects("app", [
      {
        secretInAKV: "db-password",
        versionHistory: 3,
        annotations: { "reloader.stakater.com/match": "true" },
      },
      { kubernetesSecretName: "db-conn", mapping: [{ secretInAKV: "db-user" }] },
    ]);
    const status = await statusOf("app");
    assert.equal(cond(status, "Valid")?.reason, "UserInputValidationFailed");
    await waitFor("web-cert objects deleted", async () =>
      (await get("SecretSync", "web-cert-v0")) ||
      (await get("SecretSync", "web-cert-v1")) ||
      (await get("SecretProviderClass", "app-web-cert"))
        ? undefined
        : true,
    );
    assert.ok(await get("SecretSync", "db-conn"), "the invalid item's SecretSync is kept, not pruned");
    assert.ok(await get("SecretSync", "db-password"));
  });

  it("refuses a kubernetesSecretType change with a clear reason and leaves the SecretSync as it was", async () => {
    await setObjects("app", [{ secretInAKV: "db-password", kubernetesSecretType: "kubernetes.io/tls" }]);
    const status = await statusOf("app", (s) => s.objects?.[0]?.reason === "SecretTypeImmutable");
    assert.match(status.objects![0]!.message, /cannot change from "Opaque" to "kubernetes.io\/tls"/);
    const sync = await get("SecretSync", "db-password");
    assert.equal((sync?.spec as { secretObject: { type: string } }).secretObject.type, "Opaque");
  });
});

describe("AKVSync ownership", () => {
  it("never adopts or overwrites a SecretSync it does not own, and reports it", async () => {
    const theirs = (await custom.createNamespacedCustomObject({
      ...RESOURCES.SecretSync,
      namespace,
      body: {
        apiVersion: "secret-sync.x-k8s.io/v1alpha1",
        kind: "SecretSync",
        metadata: { name: "shared" },
        spec: {
          serviceAccountName: "other",
          secretProviderClassName: "theirs",
          secretObject: { type: "Opaque", data: [{ sourcePath: "theirs", targetKey: "theirs" }] },
        },
      },
    })) as Obj;
    await createAkv("grabby", [{ secretInAKV: "shared" }, { secretInAKV: "mine" }]);
    const status = await statusOf("grabby");
    const conflict = status.objects?.find((o) => o.index === 0);
    assert.equal(conflict?.state, "Conflict");
    assert.equal(conflict?.reason, "ResourceNotOwned");
    assert.match(conflict!.message, /SecretSync "shared" already exists and is not owned by any controller/);
    assert.equal(cond(status, "Valid")?.reason, "ResourceNotOwned");
    const after = await get("SecretSync", "shared");
    assert.equal(after?.metadata.resourceVersion, theirs.metadata.resourceVersion, "untouched");
    assert.equal(after?.metadata.ownerReferences, undefined);
    assert.ok(await get("SecretSync", "mine"), "the other item still works");

    await setObjects("grabby", [{ secretInAKV: "mine" }]);
    await statusOf("grabby", (s) => cond(s, "Valid")?.status === "True");
    assert.ok(await get("SecretSync", "shared"), "never deletes what it does not own");
  });

  it("lets the garbage collector remove everything generated when the AKVSync is deleted", async () => {
    await custom.deleteNamespacedCustomObject({ ...RESOURCES.AKVSync, namespace, name: "grabby" });
    await waitFor("generated objects collected", async () =>
      (await get("SecretSync", "mine")) || (await get("SecretProviderClass", "grabby-mine"))
        ? undefined
        : true,
    );
    assert.ok(await get("SecretSync", "shared"));
  });
});

describe("AKVSync bad input", () => {
  it("names the object index and field of every problem and keeps the valid items working", async () => {
    await createAkv("bad", [
      { secretInAKV: "a", mapping: [{ dataKey: "x", secretInAKV: "b" }], kubernetesSecretName: "two-shapes" },
      { kubernetesSecretName: "no-key", mapping: [{ secretInAKV: "b" }] },
      { kubernetesSecretName: "hist", mapping: [{ dataKey: "k", secretInAKV: "b" }], versionHistory: 2 },
      { secretInAKV: "typed", kubernetesSecretType: "kubernetes.io/magic" },
      { secretInAKV: "good" },
      { secretInAKV: "other", kubernetesSecretName: "good" },
    ]);
    const status = await statusOf("bad");
    const byIndex = new Map(status.objects?.map((o) => [o.index, o]));
    assert.match(byIndex.get(0)!.message, /spec\.objects\[0\] secretInAKV and mapping cannot be combined/);
    assert.match(byIndex.get(1)!.message, /spec\.objects\[1\]\.mapping\[0\]\.dataKey is required/);
    assert.match(
      byIndex.get(2)!.message,
      /spec\.objects\[2\]\.versionHistory is not allowed on a compound secret/,
    );
    assert.match(
      byIndex.get(3)!.message,
      /spec\.objects\[3\]\.kubernetesSecretType must be one of Opaque, kubernetes\.io\/tls/,
    );
    assert.match(
      byIndex.get(5)!.message,
      /produces Secret "good", which spec\.objects\[4\] already produces/,
    );
    for (const i of [0, 1, 2, 3, 5]) assert.equal(byIndex.get(i)?.state, "Invalid");
    assert.equal(byIndex.get(4)?.state, "Pending");
    assert.equal(cond(status, "Valid")?.reason, "UserInputValidationFailed");
    assert.ok(await get("SecretSync", "good"), "the valid item is generated");
    for (const name of ["two-shapes", "no-key", "hist", "typed"])
      assert.equal(await get("SecretSync", name), undefined);

    const events = await waitFor("InvalidSpec event", async () => {
      const list = await core.listNamespacedEvent({ namespace, fieldSelector: "involvedObject.name=bad" });
      return list.items.some((e) => e.reason === "InvalidSpec") ? list.items : undefined;
    });
    assert.equal(events.find((e) => e.reason === "InvalidSpec")?.type, "Warning");
  });

  it("reports invalid top-level fields and generates nothing", async () => {
    await custom.createNamespacedCustomObject({
      ...RESOURCES.AKVSync,
      namespace,
      body: {
        apiVersion: "secret-sync.x-k8s.io/v1alpha1",
        kind: "AKVSync",
        metadata: { name: "empty" },
        spec: { keyvaultName: "x", objects: [{ secretInAKV: "lonely" }] },
      },
    });
    const status = await statusOf("empty");
    assert.match(cond(status, "Valid")!.message, /spec\.keyvaultName must be a Key Vault name/);
    assert.match(cond(status, "Valid")!.message, /spec\.serviceAccountName is required/);
    assert.equal(await get("SecretSync", "lonely"), undefined);
  });
});
