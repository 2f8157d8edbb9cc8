/**
 * The reconcile path end to end against the proving ground: real kube-apiserver + garbage collector, the local
 * vault and identity endpoint, the runtime in-process with the real vault layer and TokenRequest identity.
 * Every value created here is grepped for in every log line, Event and status of the run at the end.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openAzure } from "../support/azure.ts";
import type { DemoAzure } from "../support/azure.ts";
import { KubeHelper, objectsParameter, waitFor, waitForReason } from "../support/kube.ts";
import { startRuntime } from "../support/runtime.ts";
import type { TestRuntime } from "../support/runtime.ts";
import { readLocalEnvironment } from "../../scripts/local/env.ts";
import { Reason } from "../../sync-runtime/constants.ts";
import { installCrds } from "../../sync-runtime/crds/index.ts";

const env = readLocalEnvironment();
const kube = KubeHelper.fromFile(env.kubernetes.adminKubeconfig);
const values: string[] = [];
/** Random secret values that must never show up outside the Secret. */
const secretValue = (label: string) => {
  const v = `${label}-${crypto.randomUUID()}`;
  values.push(v);
  return v;
};
let azure: DemoAzure;
let ns = "";
let clientId = "";
let rt: TestRuntime;
const prefix = `rec${Date.now().toString(36)}`;
const name = (n: string) => `${prefix}-${n}`;

async function spc(className: string, objects: Parameters<typeof objectsParameter>[0]): Promise<void> {
  await kube.applySpc(ns, className, {
    keyvaultName: env.vault.vaultName,
    tenantID: env.identity.tenantId,
    clientID: clientId,
    objects: objectsParameter(objects),
  });
}

void describe("SecretSync reconcile (real apiserver + local vault)", () => {
  before(async () => {
    await installCrds(kube.client);
    azure = await openAzure(env);
    ns = await kube.namespace("sync-rec");
    clientId = await azure.registerWorkload(ns, "app-sa");
    rt = await startRuntime({
      env,
      kubeConfig: kube.kubeConfig,
      namespaces: [ns],
      rotationPollIntervalSeconds: 2,
      jitterSeconds: 1,
    });
  });
  after(async () => {
    await rt?.stop();
    await kube.deleteNamespace(ns);
    await azure?.close();
  });

  void it("creates the Secret with one controller ownerReference, the label and the versions in status", async () => {
    const v1 = await azure.setSecret(name("db"), secretValue("db"));
    await azure.setSecret(name("api"), secretValue("api"));
    await spc("main", [{ objectName: name("db") }, { objectName: name("api"), objectAlias: "api-key" }]);
    await kube.applySecretSync(ns, "app", {
      serviceAccountName: "app-sa",
      secretProviderClassName: "main",
      secretObject: {
        data: [
          { sourcePath: name("db"), targetKey: "DB" },
          { sourcePath: "api-key", targetKey: "API" },
        ],
      },
    });
    await waitForReason(kube, ns, "app", Reason.createSucceeded);
    const metadata = (await kube.secret(ns, "app"))?.metadata;
    assert.ok(metadata, "the Secret exists");
    const owners = metadata.ownerReferences ?? [];
    assert.deepEqual(
      owners.map((o) => [o.kind, o.controller]),
      [["SecretSync", true]],
    );
    assert.equal(metadata.labels?.["secrets-store.sync.x-k8s.io"], "");
    const got = await kube.secretValues(ns, "app");
    // Compared without printing: a failed assertion must not show the values.
    assert.ok(got?.DB === values[0] && got?.API === values[1], "the Secret holds the vault's values");
    const status = (await kube.secretSync(ns, "app"))?.status;
    assert.ok(status, "the SecretSync has a status");
    assert.equal(status.syncHash?.length, 64);
    assert.ok(status.lastSuccessfulSyncTime);
    assert.equal((status.objects ?? []).find((o) => o.id === name("db"))?.version, v1);
  });

  void it("writes nothing to Kubernetes on a refresh where nothing changed", async () => {
    const before =
      (await rt.runtime.metrics.total("keyfleet_secret_writes_total")) +
      (await rt.runtime.metrics.total("keyfleet_status_writes_total"));
    const reconciles = await rt.runtime.metrics.total("total_rotation_reconcile");
    // Wait until every SecretSync polled at least twice more (poll 2 s + jitter 1 s).
    await waitFor(
      "two more polls",
      async () =>
        (await rt.runtime.metrics.total("total_rotation_reconcile")) >= reconciles + 2 ? true : undefined,
      30_000,
    );
    const afterWrites =
      (await rt.runtime.metrics.total("keyfleet_secret_writes_total")) +
      (await rt.runtime.metrics.total("keyfleet_status_writes_total"));
    assert.equal(afterWrites, before);
  });

  void it("rotates: a new version in the vault reaches the Secret within poll + jitter", async () => {
    const next = secretValue("db-rotated");
    const v2 = await azure.setSecret(name("db"), next);
    await waitFor(
      "rotated value",
      async () => ((await kube.secretValues(ns, "app"))?.DB === next ? true : undefined),
      30_000,
    );
    await waitForReason(kube, ns, "app", Reason.updateValueChangeOrForceUpdateSucceeded);
    const status = (await kube.secretSync(ns, "app"))?.status;
    assert.equal(status?.objects?.find((o) => o.id === name("db"))?.version, v2);
    const events = await kube.events(ns, "app");
    assert.ok(events.some((e) => e.reason === Reason.createSucceeded));
    assert.ok(events.some((e) => e.reason === Reason.updateValueChangeOrForceUpdateSucceeded));
  });

  void it("restores a hand-edited and a deleted managed Secret", async () => {
    const expected = (await kube.secretValues(ns, "app"))?.DB;
    await kube.core.patchNamespacedSecret(
      { namespace: ns, name: "app", body: { data: { DB: Buffer.from("tampered").toString("base64") } } },
      (await import("@kubernetes/client-node")).setHeaderOptions(
        "Content-Type",
        (await import("@kubernetes/client-node")).PatchStrategy.MergePatch,
      ),
    );
    await waitFor(
      "restored after edit",
      async () => ((await kube.secretValues(ns, "app"))?.DB === expected ? true : undefined),
      15_000,
    );
    await kube.core.deleteNamespacedSecret({ namespace: ns, name: "app" });
    await waitFor(
      "re-created after delete",
      async () => ((await kube.secretValues(ns, "app"))?.DB === expected ? true : undefined),
      15_000,
    );
  });

  void it("serves version history, pinned versions and encodings", async () => {
    const old = secretValue("hist-old");
    const vOld = await azure.setSecret(name("hist"), old);
    const cur = secretValue("hist-new");
    await azure.setSecret(name("hist"), cur);
    const hexPlain = secretValue("hex");
    await azure.setSecret(name("hex"), Buffer.from(hexPlain).toString("hex"));
    const b64Plain = secretValue("b64");
    await azure.setSecret(name("b64"), Buffer.from(b64Plain).toString("base64"));
    await spc("history", [
      { objectName: name("hist"), objectVersionHistory: 2 },
      { objectName: name("hist"), objectAlias: "pinned", objectVersion: vOld },
      { objectName: name("hex"), objectEncoding: "hex" },
      { objectName: name("b64"), objectEncoding: "base64" },
    ]);
    await kube.applySecretSync(ns, "hist", {
      serviceAccountName: "app-sa",
      secretProviderClassName: "history",
      secretObject: {
        data: [
          { sourcePath: `${name("hist")}/0`, targetKey: "current" },
          { sourcePath: `${name("hist")}/1`, targetKey: "previous" },
          { sourcePath: "pinned", targetKey: "pinned" },
          { sourcePath: name("hex"), targetKey: "hex" },
          { sourcePath: name("b64"), targetKey: "b64" },
        ],
      },
    });
    await waitForReason(kube, ns, "hist", Reason.createSucceeded);
    assert.deepEqual(await kube.secretValues(ns, "hist"), {
      current: cur,
      previous: old,
      pinned: old,
      hex: hexPlain,
      b64: b64Plain,
    });
  });

  void it("syncs keys and certificates (PEM, tls split)", async () => {
    await azure.createKey(name("rsa"));
    await azure.createCertificate(name("web"));
    await spc("pki", [
      { objectName: name("rsa"), objectType: "key" },
      { objectName: name("web"), objectType: "cert", objectAlias: "web-cert" },
      { objectName: name("web"), objectType: "secret", objectAlias: "web-bundle" },
    ]);
    await kube.applySecretSync(ns, "pki", {
      serviceAccountName: "app-sa",
      secretProviderClassName: "pki",
      secretObject: {
        data: [
          { sourcePath: name("rsa"), targetKey: "public.pem" },
          { sourcePath: "web-cert", targetKey: "cert.pem" },
        ],
      },
    });
    await kube.applySecretSync(ns, "web-tls", {
      serviceAccountName: "app-sa",
      secretProviderClassName: "pki",
      secretObject: {
        type: "kubernetes.io/tls",
        data: [
          { sourcePath: "web-bundle", targetKey: "tls.crt" },
          { sourcePath: "web-bundle", targetKey: "tls.key" },
        ],
      },
    });
    await waitForReason(kube, ns, "pki", Reason.createSucceeded);
    await waitForReason(kube, ns, "web-tls", Reason.createSucceeded);
    const pki = await kube.secretValues(ns, "pki");
    assert.match(pki?.["public.pem"] ?? "", /^-----BEGIN PUBLIC KEY-----/);
    assert.match(pki?.["cert.pem"] ?? "", /^-----BEGIN CERTIFICATE-----/);
    const tls = await kube.secret(ns, "web-tls");
    assert.equal(tls?.type, "kubernetes.io/tls");
    const crt = Buffer.from(tls?.data?.["tls.crt"] ?? "", "base64").toString();
    const key = Buffer.from(tls?.data?.["tls.key"] ?? "", "base64").toString();
    assert.match(crt, /BEGIN CERTIFICATE/);
    assert.doesNotMatch(crt, /PRIVATE KEY/);
    assert.match(key, /BEGIN (RSA |EC )?PRIVATE KEY/);
    assert.doesNotMatch(key, /CERTIFICATE/);
  });

  void it("forceSynchronization and spec changes sync at once", async () => {
    const before = (await kube.secretSync(ns, "app"))?.status?.lastSuccessfulSyncTime;
    await kube.applySecretSync(ns, "app", {
      serviceAccountName: "app-sa",
      secretProviderClassName: "main",
      forceSynchronization: "2026-01-01",
      secretObject: {
        data: [
          { sourcePath: name("db"), targetKey: "DB" },
          { sourcePath: "api-key", targetKey: "API" },
        ],
      },
    });
    await waitFor(
      "forced sync",
      async () =>
        (await kube.secretSync(ns, "app"))?.status?.lastSuccessfulSyncTime !== before ? true : undefined,
      15_000,
    );
    await waitForReason(kube, ns, "app", Reason.updateValueChangeOrForceUpdateSucceeded);
    await kube.applySecretSync(ns, "app", {
      serviceAccountName: "app-sa",
      secretProviderClassName: "main",
      forceSynchronization: "2026-01-01",
      secretObject: { data: [{ sourcePath: name("db"), targetKey: "DB" }], labels: { team: "a" } },
    });
    await waitFor(
      "spec change applied",
      async () => {
        const s = await kube.secret(ns, "app");
        return s?.metadata?.labels?.team === "a" && s.data?.API === undefined ? true : undefined;
      },
      15_000,
    );
  });

  void it("leaves SecretSyncs of another controller alone", async () => {
    await kube.applySecretSync(ns, "other-engine", {
      serviceAccountName: "app-sa",
      secretProviderClassName: "main",
      secretSyncControllerName: "someone-else",
      secretObject: { data: [{ sourcePath: name("db"), targetKey: "DB" }] },
    });
    await kube.applySecretSync(ns, "marker", {
      serviceAccountName: "app-sa",
      secretProviderClassName: "main",
      secretObject: { data: [{ sourcePath: name("db"), targetKey: "DB" }] },
    });
    await waitForReason(kube, ns, "marker", Reason.createSucceeded);
    assert.equal((await kube.secretSync(ns, "other-engine"))?.status, undefined);
    assert.equal(await kube.secret(ns, "other-engine"), undefined);
  });

  void it("lets the garbage collector remove the Secret with its SecretSync (never deletes itself)", async () => {
    await kube.custom.deleteNamespacedCustomObject({
      group: "secret-sync.x-k8s.io",
      version: "v1alpha1",
      plural: "secretsyncs",
      namespace: ns,
      name: "marker",
    });
    await waitFor(
      "GC of the Secret",
      async () => ((await kube.secret(ns, "marker")) === undefined ? true : undefined),
      60_000,
    );
  });

  void it("never shows a secret value in logs, Events or status", async () => {
    const events = JSON.stringify((await kube.core.listNamespacedEvent({ namespace: ns })).items);
    const syncs = JSON.stringify(
      await kube.custom.listNamespacedCustomObject({
        group: "secret-sync.x-k8s.io",
        version: "v1alpha1",
        plural: "secretsyncs",
        namespace: ns,
      }),
    );
    const logs = rt.logs.join("\n");
    assert.ok(rt.logs.length > 10, "the run logged");
    for (const v of values) {
      for (const [where, text] of [
        ["logs", logs],
        ["events", events],
        ["status", syncs],
      ] as const) {
        assert.ok(!text.includes(v), `a secret value appeared in ${where}`);
        assert.ok(
          !text.includes(Buffer.from(v).toString("base64")),
          `a base64 secret value appeared in ${where}`,
        );
      }
    }
  });
});
