import assert from "node:assert/strict";
import { test } from "node:test";
import { at, harness, repoModule, runIsolated, valueOf } from "../../test/support/pulumi-harness.ts";

const h = await harness();
const { AksSecretsProvider, addonDuration, existingClusterProblems, PRECONDITION_FAILED } =
  await import("./index.ts");

void test("managed cluster: add-on with string config, OIDC issuer and workload identity on", async () => {
  const addon = new AksSecretsProvider("aks", {
    cluster: {
      managed: { clusterName: "aks-dev", resourceGroupName: "rg", location: "westeurope", nodeCount: 2 },
    },
    rotationPollIntervalSeconds: 120,
  });
  await h.settle();
  const mc = h.one("azure-native:containerservice:ManagedCluster", "aks-cluster");
  assert.deepEqual(at(mc.inputs, "addonProfiles.azureKeyvaultSecretsProvider"), {
    config: { enableSecretRotation: "true", rotationPollInterval: "2m" },
    enabled: true,
  });
  assert.equal(at(mc.inputs, "oidcIssuerProfile.enabled"), true);
  assert.equal(at(mc.inputs, "securityProfile.workloadIdentity.enabled"), true);
  assert.equal(await valueOf(addon.oidcIssuerUrl), "https://oidc.mock.azure.example/aks-dev/");
  assert.equal(await valueOf(addon.kubeconfig), "# mock kubeconfig for aks-dev\n");
});

void test("existing healthy cluster: read, not rewritten", async () => {
  const before = h.ofType("azure-native:containerservice:ManagedCluster").length;
  const addon = new AksSecretsProvider("old", {
    cluster: { existing: { clusterName: "aks-old", resourceGroupName: "rg" } },
  });
  assert.equal(await valueOf(addon.oidcIssuerUrl), "https://oidc.mock.azure.example/aks-old/");
  await h.settle();
  assert.equal(h.ofType("azure-native:containerservice:ManagedCluster").length, before);
});

void test("existing cluster without the add-on: the program fails with the az commands to run", async () => {
  const result = await runIsolated(`
    const { harness } = await import(${JSON.stringify(repoModule("test/support/pulumi-harness.ts"))});
    await harness({ "azure-native:containerservice:getManagedCluster": () => ({ addonProfiles: {}, oidcIssuerProfile: { enabled: false } }) });
    const { AksSecretsProvider } = await import(${JSON.stringify(repoModule("components/aks-secrets-provider/index.ts"))});
    new AksSecretsProvider("bare", { cluster: { existing: { clusterName: "aks-bare", resourceGroupName: "rg" } } });
  `);
  assert.notEqual(result.code, 0);
  assert.ok(result.stderr.includes(PRECONDITION_FAILED), result.stderr);
  assert.ok(
    result.stderr.includes("az aks enable-addons --addons azure-keyvault-secrets-provider -g rg -n aks-bare"),
    result.stderr,
  );
  assert.ok(result.stderr.includes("--enable-oidc-issuer"));
});

void test("addonDuration formats seconds the add-on's way", () => {
  const table: Array<[number, string]> = [
    [120, "2m"],
    [90, "90s"],
    [3600, "1h"],
    [5400, "90m"],
    [30, "30s"],
  ];
  for (const [s, want] of table) assert.equal(addonDuration(s), want);
  assert.throws(() => addonDuration(0), RangeError);
});

void test("existingClusterProblems lists each missing piece", () => {
  const ok = {
    addonProfiles: {
      azureKeyvaultSecretsProvider: {
        enabled: true,
        config: { enableSecretRotation: "true", rotationPollInterval: "2m" },
      },
    },
    oidcIssuerProfile: { enabled: true, issuerURL: "https://i/" },
    securityProfile: { workloadIdentity: { enabled: true } },
  };
  assert.deepEqual(existingClusterProblems(ok, "c", "rg", 120), []);
  const cases: Array<[object, RegExp]> = [
    [{ ...ok, addonProfiles: {} }, /add-on is off/],
    [
      {
        ...ok,
        addonProfiles: {
          azureKeyvaultSecretsProvider: { enabled: true, config: { enableSecretRotation: "false" } },
        },
      },
      /secret rotation is off/,
    ],
    [
      {
        ...ok,
        addonProfiles: {
          azureKeyvaultSecretsProvider: {
            enabled: true,
            config: { enableSecretRotation: "true", rotationPollInterval: "5m" },
          },
        },
      },
      /rotationPollInterval is 5m, config wants 2m/,
    ],
    [{ ...ok, oidcIssuerProfile: { enabled: false } }, /OIDC issuer is off/],
    [{ ...ok, securityProfile: {} }, /workload identity is off/],
  ];
  for (const [state, re] of cases) {
    const problems = existingClusterProblems(state, "c", "rg", 120);
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.match(problems[0]!, re);
  }
});

void test("bad poll interval fails naming the option", () => {
  assert.throws(
    () =>
      new AksSecretsProvider("bad", {
        cluster: { existing: { clusterName: "c", resourceGroupName: "rg" } },
        rotationPollIntervalSeconds: 1.5,
      }),
    /^Error: rotationPollIntervalSeconds: got 1.5/,
  );
});
