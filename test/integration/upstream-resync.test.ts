/**
 * The upstream secrets-store-sync-controller's resync scenarios (test/e2e/controller/controller.go on main,
 * `TestControllerResync`), with keyfleet's own manifests, against keyfleet's runtime on the proving ground as the
 * SyncRuntime component deploys it (its own ServiceAccount, the component's RBAC and admission policies). Each
 * scenario first syncs a SecretSync, then changes it or its Secret. `t.diagnostic` records what keyfleet reports.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import type * as k8s from "@kubernetes/client-node";
import { openAzure } from "../support/azure.ts";
import type { DemoAzure } from "../support/azure.ts";
import { KubeHelper, objectsParameter, waitFor, waitForReason } from "../support/kube.ts";
import { startRuntime } from "../support/runtime.ts";
import type { TestRuntime } from "../support/runtime.ts";
import { readLocalEnvironment } from "../../scripts/local/env.ts";
import { MANAGED_SECRET_LABEL, Reason } from "../../sync-runtime/constants.ts";
import { installCrds } from "../../sync-runtime/crds/index.ts";
import { createRuntimeIdentity } from "../support/runtime-identity.ts";
import type { RuntimeIdentity } from "../support/runtime-identity.ts";

const env = readLocalEnvironment();
const kube = KubeHelper.fromFile(env.kubernetes.adminKubeconfig);
const VALUE = `secret-${crypto.randomUUID()}`;
/** Seconds between polls: short, so that a write repeated at every poll would show within a few seconds. */
const POLL_SECONDS = 2;
let azure: DemoAzure;
let identity: RuntimeIdentity;
let rt: TestRuntime;
/** Bound by the SecretSync policy; `open` is not (the runtime's own checks are what answers there). */
let ns = "";
let open = "";
const obj = `rs${Date.now().toString(36)}`;
const spec = (extra: Record<string, unknown> = {}, secretObject: Record<string, unknown> = {}) => ({
  serviceAccountName: "e2e-sa",
  secretProviderClassName: "e2e-providerspc",
  secretObject: { type: "Opaque", data: [{ sourcePath: "foo", targetKey: "bar" }], ...secretObject },
  ...extra,
});

/** Creates a SecretSync and waits until its Secret holds `bar`. */
async function synced(namespace: string, name: string): Promise<void> {
  await kube.applySecretSync(namespace, name, spec());
  await waitForReason(kube, namespace, name, Reason.createSucceeded, 30_000);
  assert.deepEqual(await kube.secretValues(namespace, name), { bar: VALUE });
}

/** Replaces the Secret as a person with kubectl would (an update, another field manager). */
async function editSecret(namespace: string, name: string, edit: (s: k8s.V1Secret) => void) {
  const secret = await kube.secret(namespace, name);
  assert.ok(secret);
  edit(secret);
  await kube.core.replaceNamespacedSecret({ namespace, name, body: secret });
}

const b64 = (text: string) => Buffer.from(text).toString("base64");
const eventReasons = async (namespace: string, name: string) =>
  (await kube.events(namespace, name)).map((e) => `${e.reason} x${e.count ?? 1}`);

void describe("upstream resync scenarios (keyfleet's runtime, real kube-apiserver)", () => {
  before(async () => {
    await installCrds(kube.client);
    azure = await openAzure(env);
    ns = await kube.namespace("resync", ["e2e-sa"]);
    open = await kube.namespace("resync-open", ["e2e-sa"]);
    await azure.setSecret(obj, VALUE);
    for (const namespace of [ns, open]) {
      const clientId = await azure.registerWorkload(namespace, "e2e-sa");
      await kube.applySpc(namespace, "e2e-providerspc", {
        keyvaultName: env.vault.vaultName,
        tenantID: env.identity.tenantId,
        clientID: clientId,
        objects: objectsParameter([{ objectName: obj, objectAlias: "foo" }]),
      });
    }
    identity = await createRuntimeIdentity(kube, {
      prefix: "kf-resync",
      servedServiceAccounts: [ns, open].map((namespace) => ({ namespace, name: "e2e-sa" })),
    });
    await identity.bindNamespace(ns);
    rt = await startRuntime({
      env,
      kubeConfig: identity.kubeConfig,
      namespaces: [ns, open],
      runtimeNamespace: identity.namespace,
      runtimeNamespaceExists: true,
      rotationPollIntervalSeconds: POLL_SECONDS,
    });
  });
  after(async () => {
    await rt?.stop();
    await identity?.cleanup();
    for (const namespace of [ns, open]) await kube.deleteNamespace(namespace);
    await azure?.close();
  });

  void it("new annotation is invalid (bound: refused at admission; open: named before any write)", async (t) => {
    await synced(ns, "invalid-annotation");
    const invalid = spec({}, { annotations: { "!whoopsie-doodle": "oh-noes" } });
    const refused = await kube.applySecretSync(ns, "invalid-annotation", invalid).then(
      () => undefined,
      (error: unknown) => error as k8s.ApiException<string>,
    );
    t.diagnostic(`admission: HTTP ${refused?.code}`);
    assert.equal(refused?.code, 422);
    assert.match(String(refused?.body), /annotations: invalid or reserved .* keys: !whoopsie-doodle/);

    await synced(open, "invalid-annotation");
    await kube.applySecretSync(open, "invalid-annotation", invalid);
    const ready = await waitForReason(kube, open, "invalid-annotation", Reason.userInputValidationFailed);
    t.diagnostic(`${ready.reason}: ${ready.message}`);
    assert.match(
      ready.message,
      /^spec\.secretObject\.annotations\["!whoopsie-doodle"\]: is not a valid annotation key/,
    );
    assert.deepEqual(
      await kube.secretValues(open, "invalid-annotation"),
      { bar: VALUE },
      "the Secret is kept",
    );
  });

  void it("forced secret sync (a hand edit is restored; a key someone else added stays, as with upstream)", async (t) => {
    await synced(ns, "forced");
    await editSecret(ns, "forced", (s) => {
      s.data = { ...s.data, bar: b64("this should go"), baz: b64("this should stay") };
    });
    await kube.applySecretSync(ns, "forced", spec({ forceSynchronization: "UpdateNow" }));
    await waitFor("bar restored, baz kept", async () => {
      const values = await kube.secretValues(ns, "forced");
      return values?.bar === VALUE && values.baz === "this should stay" ? true : undefined;
    });
    const ready = await waitForReason(kube, ns, "forced", Reason.updateValueChangeOrForceUpdateSucceeded);
    t.diagnostic(`${ready.reason}: ${ready.message}`);
    // The runtime logs "sync done" after it has posted the sync's Event: once the forced generation's line is
    // there, every Event of the edit and the forced sync exists, and what follows can only come from polls.
    const generation = (await kube.secretSync(ns, "forced"))?.metadata?.generation;
    const forcedDone = (line: string) => {
      const entry = JSON.parse(line) as { msg?: string; secretSync?: string; generation?: number };
      return (
        entry.msg === "sync done" && entry.secretSync === `${ns}/forced` && entry.generation === generation
      );
    };
    await waitFor("the forced generation's sync done", async () => rt.logs.some(forcedDone) || undefined);
    // Several polls later nothing was written again: the key another manager owns is not a difference to fix.
    const writes = (await kube.events(ns, "forced")).length;
    const version = (await kube.secret(ns, "forced"))?.metadata?.resourceVersion;
    await sleep(3 * POLL_SECONDS * 1000);
    t.diagnostic(`Events: ${(await eventReasons(ns, "forced")).join(", ")}`);
    assert.equal((await kube.events(ns, "forced")).length, writes, "no Event at each poll");
    assert.equal(
      (await kube.secret(ns, "forced"))?.metadata?.resourceVersion,
      version,
      "no write at each poll",
    );
    assert.equal((await kube.ready(ns, "forced"))?.status, "True");
  });

  void it("secret fields get successfully overridden by the controller (the managed label comes back)", async (t) => {
    await synced(ns, "overridden");
    await editSecret(ns, "overridden", (s) => {
      s.metadata!.labels = { ...s.metadata!.labels, [MANAGED_SECRET_LABEL]: "non-empty-string" };
      s.metadata!.annotations = { ...s.metadata!.annotations, [MANAGED_SECRET_LABEL]: "non-empty string" };
    });
    await kube.applySecretSync(ns, "overridden", spec({ forceSynchronization: "FailTheSecret" }));
    const ready = await waitForReason(kube, ns, "overridden", Reason.updateValueChangeOrForceUpdateSucceeded);
    t.diagnostic(`${ready.reason}: ${ready.message}`);
    const secret = await kube.secret(ns, "overridden");
    assert.equal(secret?.metadata?.labels?.[MANAGED_SECRET_LABEL], "");
    assert.deepEqual(
      secret?.metadata?.ownerReferences?.map((o) => [o.kind, o.name, o.controller]),
      [["SecretSync", "overridden", true]],
    );
    assert.deepEqual(await kube.secretValues(ns, "overridden"), { bar: VALUE });
  });

  void it("new provider does not exist (ControllerSpcError; the Secret keeps its value)", async (t) => {
    await synced(ns, "new-provider");
    await kube.applySecretSync(
      ns,
      "new-provider",
      spec({ secretProviderClassName: "not-very-random-but-will-do" }),
    );
    const ready = await waitForReason(kube, ns, "new-provider", Reason.controllerSpcError);
    t.diagnostic(`${ready.reason}: ${ready.message}`);
    assert.equal(
      ready.message,
      `spec.secretProviderClassName: SecretProviderClass not-very-random-but-will-do not found in namespace ${ns} (a SecretSync may only use a class of its own namespace)`,
    );
    const status = (await kube.secretSync(ns, "new-provider"))?.status;
    assert.deepEqual(
      status?.conditions?.map((c) => [c.type, c.status, c.reason]),
      [
        ["Ready", "False", Reason.controllerSpcError],
        ["SecretCreated", "True", Reason.createSucceeded],
        ["SecretUpdated", "False", Reason.controllerSpcError],
      ],
    );
    assert.deepEqual(await kube.secretValues(ns, "new-provider"), { bar: VALUE });
  });
});
