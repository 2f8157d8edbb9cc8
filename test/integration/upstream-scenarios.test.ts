/**
 * The upstream secrets-store-sync-controller's end-to-end scenarios (test/bats/e2e-provider.bats, main at 3186f13
 * and v0.0.4), with keyfleet's own manifests for the same situations, run against keyfleet's runtime on the proving
 * ground as the SyncRuntime component deploys it: its own ServiceAccount, the component's RBAC and admission
 * policies (deny-list: example.com/api-credentials, standing in for a type outside upstream's allowed list).
 * Each test is named after the upstream scenario; `t.diagnostic` records the reason and message keyfleet reports.
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
import { Reason } from "../../sync-runtime/constants.ts";
import { installCrds } from "../../sync-runtime/crds/index.ts";
import { duplicateKeys } from "../support/log-lines.ts";
import { createRuntimeIdentity } from "../support/runtime-identity.ts";
import type { RuntimeIdentity } from "../support/runtime-identity.ts";

const env = readLocalEnvironment();
const kube = KubeHelper.fromFile(env.kubernetes.adminKubeconfig);
const VALUE = `secret-${crypto.randomUUID()}`;
let azure: DemoAzure;
let identity: RuntimeIdentity;
let rt: TestRuntime;
/** Bound by the SecretSync policy (as every namespace is by default); `open` is not (policies disabled there). */
let ns = "";
let open = "";
let spcNs = "";
const obj = `e2e${Date.now().toString(36)}`;
/** An upstream-style SecretSync: `foo` from the class into key `bar`. */
const secretSync = (secretObject: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  serviceAccountName: "e2e-sa",
  secretProviderClassName: "e2e-providerspc",
  secretObject: { type: "Opaque", data: [{ sourcePath: "foo", targetKey: "bar" }], ...secretObject },
  ...extra,
});

/**
 * The apiserver's refusal of a SecretSync, or undefined when it was admitted. `create` (POST) where server-side
 * apply cannot even build its patch (a list-map with duplicate keys answers 500 there, 422 to a create).
 */
async function admissionRefusal(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
  how: "apply" | "create" = "apply",
) {
  try {
    if (how === "apply") await kube.applySecretSync(namespace, name, spec);
    else
      await kube.createSecretSyncRaw(namespace, {
        apiVersion: "secret-sync.x-k8s.io/v1alpha1",
        kind: "SecretSync",
        metadata: { name },
        spec,
      });
    return undefined;
  } catch (error) {
    if (!(error instanceof k8s.ApiException)) throw error;
    const body = (typeof error.body === "string" ? JSON.parse(error.body) : error.body) as {
      message?: string;
    };
    return { code: error.code, message: String(body.message) };
  }
}

void describe("upstream e2e scenarios (keyfleet's runtime, real kube-apiserver)", () => {
  before(async () => {
    await installCrds(kube.client);
    azure = await openAzure(env);
    ns = await kube.namespace("e2e", ["e2e-sa"]);
    open = await kube.namespace("e2e-open", ["e2e-sa"]);
    spcNs = await kube.namespace("spc-namespace", ["e2e-sa"]);
    await azure.setSecret(obj, VALUE);
    for (const namespace of [ns, open, spcNs]) {
      const clientId = await azure.registerWorkload(namespace, "e2e-sa");
      const parameters = {
        keyvaultName: env.vault.vaultName,
        tenantID: env.identity.tenantId,
        clientID: clientId,
        objects: objectsParameter([{ objectName: obj, objectAlias: "foo" }]),
      };
      // The class of the cross-namespace scenario exists only in spc-namespace.
      await kube.applySpc(
        namespace,
        namespace === spcNs ? "e2e-providerspc-xns" : "e2e-providerspc",
        parameters,
      );
    }
    identity = await createRuntimeIdentity(kube, {
      prefix: "kf-e2e",
      servedServiceAccounts: [ns, open, spcNs].map((namespace) => ({ namespace, name: "e2e-sa" })),
      admission: { deniedSecretTypes: ["example.com/api-credentials"] },
    });
    await identity.bindNamespace(ns);
    rt = await startRuntime({
      env,
      kubeConfig: identity.kubeConfig,
      namespaces: [ns, open, spcNs],
      runtimeNamespace: identity.namespace,
      runtimeNamespaceExists: true,
    });
  });
  after(async () => {
    await rt?.stop();
    await identity?.cleanup();
    for (const namespace of [ns, open, spcNs]) await kube.deleteNamespace(namespace);
    await azure?.close();
  });

  void it("secretproviderclasses crd is established (short name spc)", async () => {
    const crd = await kube.kubeConfig
      .makeApiClient(k8s.ApiextensionsV1Api)
      .readCustomResourceDefinition({ name: "secretproviderclasses.secrets-store.csi.x-k8s.io" });
    assert.ok(crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True"));
    assert.deepEqual(crd.status?.acceptedNames?.shortNames, ["spc"]);
  });

  void it("secretsync crd is established (short name ss)", async () => {
    const crd = await kube.kubeConfig
      .makeApiClient(k8s.ApiextensionsV1Api)
      .readCustomResourceDefinition({ name: "secretsyncs.secret-sync.x-k8s.io" });
    assert.ok(crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True"));
    assert.deepEqual(crd.status?.acceptedNames?.shortNames, ["ss"]);
  });

  void it("Test rbac roles and role bindings exist (the runtime may patch Secrets, never delete them)", async () => {
    const review = identity.kubeConfig.makeApiClient(k8s.AuthorizationV1Api);
    const can = async (verb: string) =>
      (
        await review.createSelfSubjectAccessReview({
          body: { spec: { resourceAttributes: { namespace: ns, verb, resource: "secrets" } } },
        })
      ).status?.allowed;
    assert.deepEqual(
      [await can("patch"), await can("create"), await can("delete"), await can("update")],
      [true, true, false, false],
    );
  });

  void it("[v1alpha1] validate secret creation and deletion with SecretProviderClass and SecretSync", async (t) => {
    await kube.applySecretSync(ns, "sse2esecret", secretSync());
    const ready = await waitForReason(kube, ns, "sse2esecret", Reason.createSucceeded, 30_000);
    t.diagnostic(`${ready.reason}: ${ready.message}`);
    assert.deepEqual(await kube.secretValues(ns, "sse2esecret"), { bar: VALUE });
    const owners = (await kube.secret(ns, "sse2esecret"))?.metadata?.ownerReferences ?? [];
    assert.deepEqual(
      owners.map((o) => [o.apiVersion, o.kind, o.name, o.controller]),
      [["secret-sync.x-k8s.io/v1alpha1", "SecretSync", "sse2esecret", true]],
    );
    await kube.custom.deleteNamespacedCustomObject({
      group: "secret-sync.x-k8s.io",
      version: "v1alpha1",
      plural: "secretsyncs",
      namespace: ns,
      name: "sse2esecret",
    });
    await waitFor(
      "the garbage collector to delete the Secret",
      async () => ((await kube.secret(ns, "sse2esecret")) ? undefined : true),
      60_000,
      200,
    );
  });

  void it("SecretProviderClass and SecretSync are deployed in different namespaces", async (t) => {
    await kube.applySecretSync(
      ns,
      "ssxns",
      secretSync({}, { secretProviderClassName: "e2e-providerspc-xns" }),
    );
    const ready = await waitForReason(kube, ns, "ssxns", Reason.controllerSpcError, 30_000);
    t.diagnostic(`${ready.reason}: ${ready.message}`);
    assert.equal(
      ready.message,
      `spec.secretProviderClassName: SecretProviderClass e2e-providerspc-xns not found in namespace ${ns}; a class of that name exists in namespace ${spcNs}, but a SecretSync may only use a class of its own namespace`,
    );
    // Named across namespaces, the CRD refuses it outright (DNS-subdomain pattern, as upstream's).
    const refused = await admissionRefusal(
      ns,
      "ssxns2",
      secretSync({}, { secretProviderClassName: `${spcNs}/e2e-providerspc-xns` }),
    );
    assert.match(refused?.message ?? "", /spec\.secretProviderClassName: Invalid value: .*should match/);
  });

  void it("Cannot create secret with type not in allowed list (keyfleet: the admission deny-list)", async (t) => {
    await kube.applySecretSync(
      ns,
      "my-custom-api-secret",
      secretSync({ type: "example.com/api-credentials" }),
    );
    const ready = await waitForReason(
      kube,
      ns,
      "my-custom-api-secret",
      Reason.validatingAdmissionPolicyCheckFailed,
      30_000,
    );
    t.diagnostic(`${ready.reason}: ${ready.message}`);
    assert.match(
      ready.message,
      /is forbidden: ValidatingAdmissionPolicy '[^']+-secret-writes' with binding '[^']+' denied request: .*type example\.com\/api-credentials is on the deny-list$/,
    );
    assert.equal(await kube.secret(ns, "my-custom-api-secret"), undefined);
  });

  void it("Cannot create secret with disallowed type (service-account token: refused before any write)", async (t) => {
    await kube.applySecretSync(
      ns,
      "sse2eserviceaccountsecret",
      secretSync({
        type: "kubernetes.io/service-account-token",
        annotations: { "kubernetes.io/service-account.name": "default" },
      }),
    );
    const ready = await waitForReason(
      kube,
      ns,
      "sse2eserviceaccountsecret",
      Reason.userInputValidationFailed,
      30_000,
    );
    t.diagnostic(`${ready.reason}: ${ready.message}`);
    assert.equal(
      ready.message,
      "spec.secretObject.type: kubernetes.io/service-account-token cannot be synced",
    );
    assert.equal(await kube.secret(ns, "sse2eserviceaccountsecret"), undefined);
  });

  const metadataCases: Array<[string, string, Record<string, unknown>, RegExp, RegExp]> = [
    [
      "Cannot create a secret with invalid annotations",
      "sse2einvalidannotationssecret",
      { annotations: { "my.annotation/with_invalid_characters!": "default" } },
      /denied request: SecretSync \S+ spec\.secretObject\.annotations: invalid or reserved \(secrets-store\.sync\.x-k8s\.io\) keys: my\.annotation\/with_invalid_characters!/,
      /^spec\.secretObject\.annotations\["my\.annotation\/with_invalid_characters!"\]: is not a valid annotation key: its name/,
    ],
    [
      "Cannot create a secret with invalid labels",
      "sse2einvalidlabelsecret",
      { labels: { "invalid/key_with_invalid_characters!": "validValue" } },
      /denied request: SecretSync \S+ spec\.secretObject\.labels: invalid or reserved \(secrets-store\.sync\.x-k8s\.io\) keys or invalid values: invalid\/key_with_invalid_characters!/,
      /^spec\.secretObject\.labels\["invalid\/key_with_invalid_characters!"\]: is not a valid label key: its name/,
    ],
  ];
  for (const [name, secretName, secretObject, atAdmission, atRuntime] of metadataCases) {
    void it(`${name} (refused at admission; with the policies off, named before the write)`, async (t) => {
      const refused = await admissionRefusal(ns, secretName, secretSync(secretObject));
      t.diagnostic(`admission: ${refused?.message}`);
      assert.equal(refused?.code, 422);
      assert.match(refused!.message, atAdmission);
      await kube.applySecretSync(open, secretName, secretSync(secretObject));
      const ready = await waitForReason(kube, open, secretName, Reason.userInputValidationFailed, 30_000);
      t.diagnostic(`${ready.reason}: ${ready.message}`);
      assert.match(ready.message, atRuntime);
      assert.equal(await kube.secret(open, secretName), undefined);
    });
  }

  void it("API validations (the CRD refuses what upstream's refuses)", async (t) => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      [
        "a label value over 63 characters",
        secretSync({
          labels: { "my.label": "ThisValueExceedsTheSixtyThreeCharacterLimitAndShouldFailValidation" },
        }),
        /Label keys may have at most 317 characters \(a 253-character prefix, '\/', a 63-character name\) and label values at most 63\./,
      ],
      [
        "a label key over 317 characters",
        secretSync({ labels: { [`${"a".repeat(250)}.example/${"b".repeat(70)}`]: "v" } }),
        /Label keys may have at most 317/,
      ],
      [
        "the reserved label prefix",
        secretSync({ labels: { "secrets-store.sync.x-k8s.io/secretsync": "x" } }),
        /Label keys must not start with secrets-store\.sync\.x-k8s\.io/,
      ],
      [
        "the reserved annotation prefix",
        secretSync({ annotations: { "secrets-store.sync.x-k8s.io": "x" } }),
        /Annotation keys must not start with secrets-store\.sync\.x-k8s\.io/,
      ],
      [
        "an annotation value over 256 KiB",
        secretSync({ annotations: { note: "x".repeat(262_145) } }),
        /annotation values at most 262144/,
      ],
      [
        "a duplicate targetKey (a list-map keyed on targetKey)",
        secretSync({
          data: [
            { sourcePath: "foo", targetKey: "bar" },
            { sourcePath: "foo", targetKey: "bar" },
          ],
        }),
        /spec\.secretObject\.data\[1\]: Duplicate value/,
      ],
      [
        "a targetKey with a version suffix (keyfleet: no Secret key)",
        secretSync({ data: [{ sourcePath: "foo", targetKey: "bar/0" }] }),
        /spec\.secretObject\.data\[0\]\.targetKey: Invalid value/,
      ],
      [
        "a sourcePath outside the pattern",
        secretSync({ data: [{ sourcePath: "a b", targetKey: "bar" }] }),
        /spec\.secretObject\.data\[0\]\.sourcePath: Invalid value/,
      ],
      [
        "a serviceAccountName that is no DNS subdomain",
        secretSync({}, { serviceAccountName: "system:serviceaccount:kube-system:default" }),
        /spec\.serviceAccountName: Invalid value/,
      ],
      [
        "a type with whitespace",
        secretSync({ type: "TypeWith ASpace" }),
        /spec\.secretObject\.type: Invalid value: "TypeWith ASpace": .*should match '\^\[\^\\s\]\+\$'/,
      ],
      [
        "a forceSynchronization outside the pattern",
        secretSync({}, { forceSynchronization: "now!" }),
        /spec\.forceSynchronization: Invalid value/,
      ],
    ];
    for (const [what, spec, expected] of cases) {
      const how = what.startsWith("a duplicate targetKey") ? "create" : "apply";
      const refused = await admissionRefusal(ns, "api-validation", spec, how);
      t.diagnostic(`${what}: ${refused?.message.slice(0, 300)}`);
      assert.equal(refused?.code, 422, what);
      assert.match(refused!.message, expected, what);
    }
  });

  void it("type defaults to Opaque; an annotation value over 63 characters is fine (v0.0.4 refused it; main does not)", async (t) => {
    await kube.applySecretSync(ns, "sse2eannotationvalue", {
      ...secretSync({
        annotations: {
          "my.annotation": "ThisValueExceedsTheSixtyThreeCharacterLimitAndShouldFailValidation",
        },
      }),
      secretObject: {
        data: [{ sourcePath: "foo", targetKey: "bar" }],
        annotations: {
          "my.annotation": "ThisValueExceedsTheSixtyThreeCharacterLimitAndShouldFailValidation",
        },
      },
    });
    const stored = await kube.secretSync(ns, "sse2eannotationvalue");
    assert.equal((stored?.spec.secretObject as { type?: string }).type, "Opaque");
    const ready = await waitForReason(kube, ns, "sse2eannotationvalue", Reason.createSucceeded, 30_000);
    t.diagnostic(`${ready.reason}: ${ready.message}`);
    assert.equal((await kube.secret(ns, "sse2eannotationvalue"))?.type, "Opaque");
  });

  void it("logs: one JSON object per line, unique keys, no value", () => {
    assert.ok(rt.logs.length > 0);
    for (const line of rt.logs) {
      assert.deepEqual(duplicateKeys(line), [], line);
      assert.ok(!line.includes(VALUE), "no secret value in the logs");
    }
  });
});
