import assert from "node:assert/strict";
import { test } from "node:test";
import { harness } from "../../test/support/pulumi-harness.ts";

const h = await harness();
const { ArcSecretStore, sseConfigurationSettings, sseVersioning, SSE_EXTENSION_TYPE } =
  await import("./index.ts");
const k8s = await import("@pulumi/kubernetes");
const provider = new k8s.Provider("arc", { kubeconfig: "unused" });

void test("cert-manager, then trust-manager, then the SSE extension with string settings and a pinned version", async () => {
  new ArcSecretStore("arc", {
    clusterName: "arc-1",
    resourceGroupName: "rg",
    kubernetesProvider: provider,
    rotationPollIntervalSeconds: 600,
    jitterSeconds: 60,
    version: "1.1.2",
  });
  await h.settle();
  const cm = h.one("kubernetes:helm.sh/v3:Release", "arc-cert-manager");
  const tm = h.one("kubernetes:helm.sh/v3:Release", "arc-trust-manager");
  const ext = h.one("azure-native:kubernetesconfiguration:Extension", "arc-sse");
  assert.equal(cm.inputs.chart, "cert-manager");
  assert.ok(tm.dependencies.some((d) => d.endsWith("::arc-cert-manager")));
  assert.ok(ext.dependencies.some((d) => d.endsWith("::arc-trust-manager")));
  assert.equal(ext.inputs.extensionType, SSE_EXTENSION_TYPE);
  assert.equal(ext.inputs.clusterRp, "Microsoft.Kubernetes");
  assert.equal(ext.inputs.clusterResourceName, "connectedClusters");
  assert.equal(ext.inputs.clusterName, "arc-1");
  assert.deepEqual(ext.inputs.configurationSettings, {
    enablePartialSecretSync: "true",
    jitterSeconds: "60",
    rotationPollIntervalInSeconds: "600",
  });
  assert.equal(ext.inputs.version, "1.1.2");
  assert.equal(ext.inputs.autoUpgradeMinorVersion, false);
});

void test("defaults follow the extension's: 3600 s, jitter 0, partial sync on, unpinned auto-upgrade", () => {
  assert.deepEqual(
    sseConfigurationSettings({
      rotationPollIntervalSeconds: 3600,
      jitterSeconds: 0,
      enablePartialSecretSync: true,
    }),
    {
      rotationPollIntervalInSeconds: "3600",
      jitterSeconds: "0",
      enablePartialSecretSync: "true",
    },
  );
  assert.deepEqual(sseVersioning(undefined), { autoUpgradeMinorVersion: true, releaseTrain: "stable" });
  assert.deepEqual(sseVersioning("1.2.3"), {
    version: "1.2.3",
    autoUpgradeMinorVersion: false,
    releaseTrain: "stable",
  });
});

for (const [option, extra] of [
  ["rotationPollIntervalSeconds", { rotationPollIntervalSeconds: 2 }],
  ["jitterSeconds", { jitterSeconds: -1 }],
  ["version", { version: "latest" }],
] as const) {
  void test(`invalid ${option} fails naming it`, () => {
    assert.throws(
      () =>
        new ArcSecretStore(`bad-${option}`, {
          clusterName: "c",
          resourceGroupName: "rg",
          kubernetesProvider: provider,
          ...extra,
        }),
      new RegExp(`^Error: ${option}:`),
    );
  });
}
