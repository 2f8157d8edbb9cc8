/**
 * Bad input against the real apiserver and runtime: the CRD rejects malformed shapes naming the field; what
 * passes the schema gets its specific status reason with a field-naming message; foreign Secrets are never
 * adopted; and a good SecretSync next to all of them still syncs (nothing crashes or stalls).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import { openAzure } from "../support/azure.ts";
import type { DemoAzure } from "../support/azure.ts";
import { KubeHelper, objectsParameter, waitForReason } from "../support/kube.ts";
import { startRuntime } from "../support/runtime.ts";
import type { TestRuntime } from "../support/runtime.ts";
import { readLocalEnvironment } from "../../scripts/local/env.ts";
import { Reason } from "../../sync-runtime/constants.ts";
import { installCrds } from "../../sync-runtime/crds/index.ts";

const env = readLocalEnvironment();
const kube = KubeHelper.fromFile(env.kubernetes.adminKubeconfig);
let azure: DemoAzure;
let ns = "";
let clientId = "";
let rt: TestRuntime;
const obj = `bad${Date.now().toString(36)}`;
const good = (extra: Record<string, unknown> = {}) => ({
  serviceAccountName: "app-sa",
  secretProviderClassName: "main",
  secretObject: { data: [{ sourcePath: obj, targetKey: "V" }] },
  ...extra,
});

void describe("bad input (real apiserver + runtime)", () => {
  before(async () => {
    await installCrds(kube.client);
    azure = await openAzure(env);
    ns = await kube.namespace("sync-bad");
    clientId = await azure.registerWorkload(ns, "app-sa");
    await azure.setSecret(obj, `v-${crypto.randomUUID()}`);
    const params = { keyvaultName: env.vault.vaultName, tenantID: env.identity.tenantId, clientID: clientId };
    await kube.applySpc(ns, "main", { ...params, objects: objectsParameter([{ objectName: obj }]) });
    await kube.applySpc(ns, "broken", {
      ...params,
      objects: objectsParameter([{ objectName: "x", objectType: "blob" as never }]),
    });
    await kube.applySpc(ns, "not-yaml", { ...params, objects: "array: [" });
    rt = await startRuntime({
      env,
      kubeConfig: kube.kubeConfig,
      namespaces: [ns],
      rotationPollIntervalSeconds: 5,
    });
  });
  after(async () => {
    await rt?.stop();
    await kube.deleteNamespace(ns);
    await azure?.close();
  });

  void it("the CRD rejects missing required fields and bad key patterns, naming the field", async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [
        { secretProviderClassName: "main", secretObject: { data: [{ sourcePath: "a", targetKey: "A" }] } },
        /spec\.serviceAccountName: Required value/,
      ],
      [{ serviceAccountName: "a", secretProviderClassName: "main" }, /spec\.secretObject: Required value/],
      [
        {
          serviceAccountName: "a",
          secretProviderClassName: "main",
          secretObject: { data: [{ sourcePath: "a", targetKey: "bad key" }] },
        },
        /spec\.secretObject\.data\[0\]\.targetKey/,
      ],
      [
        { serviceAccountName: "a", secretProviderClassName: "main", secretObject: { data: [] } },
        /spec\.secretObject\.data/,
      ],
      // Upstream's CRD rules (sync-runtime/crds/rules.ts): duplicate targetKeys, names that are no DNS subdomain.
      [
        good({
          secretObject: {
            data: [
              { sourcePath: obj, targetKey: "K" },
              { sourcePath: obj, targetKey: "K" },
            ],
          },
        }),
        /spec\.secretObject\.data\[1\]: Duplicate value/,
      ],
      [good({ secretProviderClassName: "other-ns/main" }), /spec\.secretProviderClassName: Invalid value/],
      [
        good({ serviceAccountName: "system:serviceaccount:kube-system:default" }),
        /spec\.serviceAccountName: Invalid value/,
      ],
    ];
    for (const [spec, expected] of cases) {
      await assert.rejects(
        kube.createSecretSyncRaw(ns, {
          apiVersion: "secret-sync.x-k8s.io/v1alpha1",
          kind: "SecretSync",
          metadata: { name: `crd-${Math.random().toString(36).slice(2, 8)}` },
          spec,
        }),
        (error: unknown) =>
          error instanceof k8s.ApiException && error.code === 422 && expected.test(String(error.body)),
      );
    }
  });

  const runtimeCases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    [
      "nosrc",
      good({ secretObject: { data: [{ sourcePath: "missing-object", targetKey: "K" }] } }),
      Reason.userInputValidationFailed,
      /spec\.secretObject\.data\[0\]\.sourcePath: "missing-object" is not an object of SecretProviderClass main/,
    ],
    [
      "tls",
      good({
        secretObject: { type: "kubernetes.io/tls", data: [{ sourcePath: obj, targetKey: "tls.crt" }] },
      }),
      Reason.userInputValidationFailed,
      /type kubernetes\.io\/tls needs a targetKey "tls\.key"/,
    ],
    [
      "tls-content",
      good({
        secretObject: {
          type: "kubernetes.io/tls",
          data: [
            { sourcePath: obj, targetKey: "tls.crt" },
            { sourcePath: obj, targetKey: "tls.key" },
          ],
        },
      }),
      Reason.userInputValidationFailed,
      /tls\.crt needs a CERTIFICATE PEM block/,
    ],
    [
      "badtype",
      good({ secretObject: { type: "Weird", data: [{ sourcePath: obj, targetKey: "V" }] } }),
      Reason.userInputValidationFailed,
      /spec\.secretObject\.type: must be one of/,
    ],
    [
      "noclass",
      good({ secretProviderClassName: "absent" }),
      Reason.controllerSpcError,
      /SecretProviderClass absent not found in namespace/,
    ],
    [
      "badclass",
      good({ secretProviderClassName: "broken" }),
      Reason.controllerSpcError,
      /spec\.parameters\.objects\.array\[0\]\.objectType: must be one of secret, key, cert/,
    ],
    [
      "yamlclass",
      good({ secretProviderClassName: "not-yaml" }),
      Reason.controllerSpcError,
      /spec\.parameters\.objects: is not valid YAML/,
    ],
  ];
  for (const [name, spec, reason, message] of runtimeCases) {
    void it(`reports ${reason} for ${name}`, async () => {
      await kube.applySecretSync(ns, name, spec);
      const ready = await waitForReason(kube, ns, name, reason, 30_000);
      assert.match(ready.message, message);
      assert.equal(await kube.secret(ns, name), undefined, "no Secret for invalid input");
    });
  }

  void it("refuses oversize data (> 1 MiB) naming the field", async () => {
    const big = `big${Date.now().toString(36)}`;
    // Key Vault caps one secret at 25 KiB; 45 items of 24 KiB exceed 1 MiB together.
    await azure.setSecret(big, "x".repeat(24 * 1024));
    await kube.applySpc(ns, "big", {
      keyvaultName: env.vault.vaultName,
      tenantID: env.identity.tenantId,
      clientID: clientId,
      objects: objectsParameter([{ objectName: big }]),
    });
    const data = Array.from({ length: 45 }, (_, i) => ({ sourcePath: big, targetKey: `k${i}` }));
    await kube.applySecretSync(ns, "oversize", {
      serviceAccountName: "app-sa",
      secretProviderClassName: "big",
      secretObject: { data },
    });
    const ready = await waitForReason(kube, ns, "oversize", Reason.userInputValidationFailed, 30_000);
    assert.match(
      ready.message,
      /spec\.secretObject\.data: the Secret would hold \d+ bytes; Kubernetes allows at most 1048576/,
    );
  });

  void it("never adopts a Secret without the label, or one owned by another controller", async () => {
    await kube.core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: "foreign" }, stringData: { mine: "keep" } },
    });
    await kube.applySecretSync(ns, "foreign", good());
    const label = await waitForReason(kube, ns, "foreign", Reason.invalidClusterSecretLabelError, 30_000);
    assert.match(label.message, /without label secrets-store\.sync\.x-k8s\.io/);
    await kube.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "owner" } } });
    const owner = await kube.core.readNamespacedConfigMap({ namespace: ns, name: "owner" });
    await kube.core.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: {
          name: "owned",
          labels: { "secrets-store.sync.x-k8s.io": "" },
          ownerReferences: [
            {
              apiVersion: "v1",
              kind: "ConfigMap",
              name: "owner",
              uid: owner.metadata!.uid!,
              controller: true,
            },
          ],
        },
        stringData: { mine: "keep" },
      },
    });
    await kube.applySecretSync(ns, "owned", good());
    await waitForReason(kube, ns, "owned", Reason.invalidClusterSecretAnnotationError, 30_000);
    assert.deepEqual(await kube.secretValues(ns, "foreign"), { mine: "keep" });
    assert.deepEqual(await kube.secretValues(ns, "owned"), { mine: "keep" });
  });

  void it("keeps serving good SecretSyncs next to all the bad ones", async () => {
    await kube.applySecretSync(ns, "fine", good());
    await waitForReason(kube, ns, "fine", Reason.createSucceeded, 30_000);
  });
});
