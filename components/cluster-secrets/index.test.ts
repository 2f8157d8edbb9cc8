import assert from "node:assert/strict";
import { test } from "node:test";
import { TEST_SUBSCRIPTION, TEST_TENANT, harness, valueOf } from "../../test/support/pulumi-harness.ts";

const h = await harness();
const { ClusterSecrets } = await import("./index.ts");
const { KeyVault } = await import("../key-vault/index.ts");
const vault = new KeyVault("kv", {
  mode: "create",
  vaultName: "kf-cs",
  resourceGroupName: "rg",
  location: "westeurope",
  tenantId: TEST_TENANT,
  subscriptionId: TEST_SUBSCRIPTION,
});
const namespaces = [
  {
    name: "payments",
    serviceAccount: "payments-sync",
    secrets: [{ name: "db", objects: [{ objectName: "db-password" }] }],
  },
  {
    name: "web",
    serviceAccount: "web-sync",
    secrets: [{ name: "tls", objects: [{ objectName: "web-cert", objectType: "cert" as const }] }],
  },
];
const common = { vault, tenantId: TEST_TENANT, subscriptionId: TEST_SUBSCRIPTION, namespaces };
const runtime = {
  crds: [],
  delivery: { image: "registry/keyfleet:1" },
  settings: {
    rotationPollIntervalSeconds: 300,
    jitterSeconds: 30,
    enablePartialSecretSync: true,
    vaultRequestsPer10s: 4000,
  },
};

void test("aks-addon: add-on, provider from the cluster's credentials, one identity, SecretSyncSets; no runtime", async () => {
  const cs = new ClusterSecrets("aks1", {
    ...common,
    engine: { engine: "aks-addon", cluster: { existing: { clusterName: "aks1", resourceGroupName: "rg" } } },
    identity: { create: { resourceGroupName: "rg", location: "westeurope" } },
  });
  await h.settle();
  const mine = h.registrations.filter((r) => r.name.startsWith("aks1"));
  assert.ok(mine.some((r) => r.type === "keyfleet:index:AksSecretsProvider"));
  assert.equal(
    mine.some((r) => r.type === "keyfleet:index:SyncRuntime"),
    false,
  );
  assert.equal(mine.filter((r) => r.type === "azure-native:managedidentity:UserAssignedIdentity").length, 1);
  assert.deepEqual(h.one("pulumi:providers:kubernetes", "aks1-k8s").secretPaths, ["kubeconfig"]);
  assert.deepEqual(Object.keys(await valueOf(cs.identityClientIds)), ["cluster"]);
});

void test("bundled with identity per namespace: runtime, one identity and credential per namespace", async () => {
  const cs = new ClusterSecrets("edge1", {
    ...common,
    kubeconfig: "apiVersion: v1 # not a real secret",
    engine: { engine: "bundled", oidcIssuerUrl: "https://issuer.example/edge1", runtime },
    identity: { create: { resourceGroupName: "rg", location: "westeurope" }, scope: "namespace" },
  });
  await h.settle();
  const mine = h.registrations.filter((r) => r.name.startsWith("edge1"));
  assert.ok(mine.some((r) => r.type === "keyfleet:index:SyncRuntime"));
  assert.equal(mine.filter((r) => r.type === "azure-native:managedidentity:UserAssignedIdentity").length, 2);
  assert.deepEqual(Object.keys(await valueOf(cs.identityClientIds)).sort(), ["payments", "web"]);
  const readers = mine.filter(
    (r) => r.type === "azure-native:authorization:RoleAssignment" && r.name.endsWith("-reader"),
  );
  assert.deepEqual(
    readers.map((r) => r.name),
    ["edge1-wi-web-reader"],
    "Reader only for the namespace reading a certificate",
  );
});

void test("refuses a second engine on a cluster that already runs one", () => {
  assert.throws(
    () =>
      new ClusterSecrets("dual", {
        ...common,
        kubeconfig: "k",
        installedEngines: ["arc-extension"],
        engine: { engine: "bundled", runtime },
        identity: { existing: { clientId: "c" } },
      }),
    /^Error: installedEngines: cluster already runs arc-extension; refusing a second engine \(bundled\)/,
  );
});

void test("bad input names the option", () => {
  assert.throws(
    () =>
      new ClusterSecrets("x1", {
        ...common,
        engine: { engine: "bundled", runtime },
        identity: { existing: { clientId: "c" } },
      }),
    /^Error: kubeconfig: required for engine bundled/,
  );
  assert.throws(
    () =>
      new ClusterSecrets("x2", {
        ...common,
        kubeconfig: "k",
        engine: { engine: "flux" } as never,
        identity: { existing: { clientId: "c" } },
      }),
    /^Error: engine\.engine: got "flux"; allowed: aks-addon \| arc-extension \| bundled/,
  );
  assert.throws(
    () =>
      new ClusterSecrets("x3", {
        ...common,
        kubeconfig: "k",
        namespaces: [{ name: "a", serviceAccount: "", secrets: [] }],
        engine: { engine: "bundled", runtime },
        identity: { existing: { clientId: "c" } },
      }),
    /namespaces\[0\]\.serviceAccount: required/,
  );
});
