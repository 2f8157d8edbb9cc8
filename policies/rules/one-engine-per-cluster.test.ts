import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { aksCluster, arcCluster, compliantFleet } from "../../test/support/policy-fixtures.ts";
import { messagesOf } from "../../test/support/policy-violations.ts";
import type { HarnessResource } from "../harness/evaluate.ts";
import { oneEnginePerCluster } from "./one-engine-per-cluster.ts";

/** The Arc extension of `from`, moved under cluster `to`'s ClusterSecrets. */
function extensionOn(
  to: HarnessResource[],
  from: HarnessResource[],
  extensionType?: string,
): HarnessResource {
  const ext = structuredClone(from.find((r) => r.type === "azure-native:kubernetesconfiguration:Extension")!);
  const cluster = to.find((r) => r.type === "keyfleet:index:ClusterSecrets")!;
  ext.parent = cluster.urn;
  ext.name = "second-engine";
  ext.urn = `${cluster.urn}-second-engine`;
  if (extensionType) ext.inputs.extensionType = extensionType;
  return ext;
}

describe("keyfleet-one-engine-per-cluster", () => {
  it("passes the compliant fleet", async () => {
    assert.deepEqual(await messagesOf(oneEnginePerCluster, compliantFleet()), []);
  });

  it("flags the Secret Store extension beside the AKS add-on", async () => {
    const aks = aksCluster("aks-9");
    const [message] = await messagesOf(oneEnginePerCluster, [...aks, extensionOn(aks, arcCluster("tmp"))]);
    assert.match(
      message!,
      /cluster aks-9 runs 2 sync engines \(aks-addon aks-9-cluster, arc-extension second-engine\); allowed: exactly one/,
    );
  });

  it("flags the Arc CSI provider extension beside the Secret Store extension", async () => {
    const arc = arcCluster("arc-9");
    const [message] = await messagesOf(oneEnginePerCluster, [
      ...arc,
      extensionOn(arc, arc, "Microsoft.AzureKeyVaultSecretsProvider"),
    ]);
    assert.match(
      message!,
      /cluster arc-9 runs 2 sync engines \(arc-extension arc-9-sse-ext, arc-csi-extension second-engine\)/,
    );
  });
});
