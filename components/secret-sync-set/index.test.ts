import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "yaml";
import { TEST_TENANT, at, harness } from "../../test/support/pulumi-harness.ts";

const h = await harness();
const { SecretSyncSet, spcObjectsParameter, secretDataMapping, akvSyncItem, RESTART_MATCH_ANNOTATION } =
  await import("./index.ts");
const { KeyVault } = await import("../key-vault/index.ts");
const { WorkloadIdentity } = await import("../workload-identity/index.ts");
const k8s = await import("@pulumi/kubernetes");
const provider = new k8s.Provider("c", { kubeconfig: "unused" });
const vault = new KeyVault("kv", { mode: "local", vaultName: "local", vaultUri: "https://127.0.0.1:8443" });
const identity = new WorkloadIdentity("wi", {
  identity: { existing: { clientId: "client-1" } },
  vault,
  serviceAccounts: [],
});
const secrets = [
  {
    name: "db",
    restartWorkloads: true,
    objects: [
      { objectName: "db-password", key: "password" },
      { objectName: "db-user", key: "username" },
    ],
  },
  { name: "api", objects: [{ objectName: "api-token", versionHistory: 2 }] },
];
const base = {
  namespace: "payments",
  serviceAccountName: "payments-sync",
  vault,
  identity,
  tenantId: TEST_TENANT,
  secrets,
};

void test("SecretSync engines: one SecretProviderClass + SecretSync per Secret, restart annotation when asked", async () => {
  new SecretSyncSet("arc", { ...base, engine: "arc-extension" }, { provider });
  await h.settle();
  const spc = h.one("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass", "arc-spc-db");
  assert.equal(at(spc.inputs, "spec.provider"), "azure");
  assert.equal(at(spc.inputs, "spec.parameters.keyvaultName"), "local");
  assert.equal(at(spc.inputs, "spec.parameters.clientID"), "client-1");
  assert.equal(at(spc.inputs, "spec.parameters.tenantID"), TEST_TENANT);
  const objects = parse(String(at(spc.inputs, "spec.parameters.objects"))) as { array: string[] };
  assert.deepEqual(
    objects.array.map((o) => parse(o) as unknown),
    [
      { objectName: "db-password", objectType: "secret", objectAlias: "password" },
      { objectName: "db-user", objectType: "secret", objectAlias: "username" },
    ],
  );
  const sync = h.one("kubernetes:secret-sync.x-k8s.io/v1alpha1:SecretSync", "arc-sync-db");
  assert.equal(at(sync.inputs, "spec.serviceAccountName"), "payments-sync");
  assert.equal(at(sync.inputs, "spec.secretProviderClassName"), "db");
  assert.deepEqual(at(sync.inputs, "spec.secretObject.annotations"), { [RESTART_MATCH_ANNOTATION]: "true" });
  assert.deepEqual(
    at(
      h.one("kubernetes:secret-sync.x-k8s.io/v1alpha1:SecretSync", "arc-sync-api").inputs,
      "spec.secretObject.data",
    ),
    [
      { sourcePath: "api-token/0", targetKey: "api-token" },
      { sourcePath: "api-token/1", targetKey: "api-token-v1" },
    ],
  );
});

void test("aks-addon: SecretProviderClass with CSI secretObjects, no SecretSync", async () => {
  new SecretSyncSet("aks", { ...base, engine: "aks-addon" }, { provider });
  await h.settle();
  assert.equal(
    h.registrations.some((r) => r.name.startsWith("aks-sync-")),
    false,
  );
  const spc = h.one("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass", "aks-spc-db");
  assert.deepEqual(at(spc.inputs, "spec.secretObjects"), [
    {
      annotations: { [RESTART_MATCH_ANNOTATION]: "true" },
      data: [
        { key: "password", objectName: "password" },
        { key: "username", objectName: "username" },
      ],
      labels: { "app.kubernetes.io/managed-by": "keyfleet" },
      secretName: "db",
      type: "Opaque",
    },
  ]);
});

void test("AKVSync (bundled only): one object per namespace in compound form", async () => {
  new SecretSyncSet(
    "akv",
    { ...base, engine: "bundled", syncKind: "AKVSync", secrets: [secrets[0]!] },
    { provider },
  );
  await h.settle();
  const akv = h.one("kubernetes:secret-sync.x-k8s.io/v1alpha1:AKVSync", "akv-akvsync");
  assert.equal(at(akv.inputs, "spec.keyvaultName"), "local");
  assert.deepEqual(at(akv.inputs, "spec.objects"), [akvSyncItem(secrets[0]!)]);
  assert.throws(
    () => new SecretSyncSet("akv-arc", { ...base, engine: "arc-extension", syncKind: "AKVSync" }),
    /^Error: syncKind: AKVSync needs engine bundled/,
  );
});

void test("bad input names the option", () => {
  assert.throws(
    () => new SecretSyncSet("x1", { ...base, engine: "flux" as never }),
    /^Error: engine: got "flux"; allowed: aks-addon \| arc-extension \| bundled/,
  );
  assert.throws(
    () => new SecretSyncSet("x2", { ...base, engine: "bundled", serviceAccountName: "" }),
    /serviceAccountName: required/,
  );
  assert.throws(
    () => new SecretSyncSet("x3", { ...base, engine: "bundled", secrets: [secrets[0]!, secrets[0]!] }),
    /secrets\[1\]\.name: duplicate "db"/,
  );
});

void test("pure builders", () => {
  assert.deepEqual(
    parse(spcObjectsParameter([{ objectName: "c", objectType: "cert", objectVersion: "v1" }])),
    { array: ["objectName: c\nobjectType: cert\nobjectAlias: c\nobjectVersion: v1\n"] },
  );
  assert.deepEqual(secretDataMapping([{ objectName: "a" }]), [{ sourcePath: "a", targetKey: "a" }]);
  assert.deepEqual(
    akvSyncItem({
      name: "t",
      type: "kubernetes.io/tls",
      objects: [{ objectName: "cert", objectType: "cert", key: "tls.crt" }],
    }),
    {
      kubernetesSecretName: "t",
      kubernetesSecretType: "kubernetes.io/tls",
      mapping: [{ dataKey: "tls.crt", certInAKV: "cert" }],
    },
  );
});
