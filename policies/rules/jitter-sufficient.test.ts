import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  aksCluster,
  arcCluster,
  change,
  compliantFleet,
  STACK_URN,
} from "../../test/support/policy-fixtures.ts";
import { messagesOf, violationsOf } from "../../test/support/policy-violations.ts";
import type { HarnessResource } from "../harness/evaluate.ts";
import { jitterSufficient } from "./jitter-sufficient.ts";

const root: HarnessResource = { type: "pulumi:pulumi:Stack", name: "s", urn: STACK_URN, inputs: {} };

/** 20 clusters × 2 secrets against a limit of 100 reads / 10 s: T = 5, required jitter ≈ 52.7 s. */
function bigFleet(make: (i: number) => HarnessResource[]): HarnessResource[] {
  return [root, ...Array.from({ length: 20 }, (_, i) => make(i)).flat()];
}
const SMALL_LIMIT = { vaultLimitPer10s: 100 };

describe("keyfleet-jitter-sufficient", () => {
  it("passes the compliant fleet", async () => {
    assert.deepEqual(await messagesOf(jitterSufficient, compliantFleet()), []);
  });

  it("passes Arc clusters with enough jitter", async () => {
    const fleet = bigFleet((i) => arcCluster(`arc-${i}`, { objects: 2, jitter: "60" }));
    assert.deepEqual(await messagesOf(jitterSufficient, fleet, SMALL_LIMIT), []);
  });

  it("flags Arc clusters whose jitterSeconds is below the required jitter", async () => {
    const fleet = bigFleet((i) => arcCluster(`arc-${i}`, { objects: 2, jitter: "10" }));
    const violations = await violationsOf(jitterSufficient, fleet, SMALL_LIMIT);
    assert.equal(violations.length, 1);
    assert.match(
      violations[0]!.message,
      /vault kv1: 20 clusters × up to 2 objects need reads spread over ≥ 52\.7 s/,
    );
    assert.match(
      violations[0]!.message,
      /20 arc-extension clusters \(arc-0, arc-1, arc-2 and 17 more\) spread them over 10 s \(jitterSeconds\)/,
    );
    assert.equal(violations[0]!.enforcementLevel, "mandatory");
    assert.equal(violations[0]!.resourceType, "azure-native:kubernetesconfiguration:Extension");
  });

  it("flags jitter 0 when the whole fleet's burst exceeds the limit", async () => {
    const fleet = bigFleet((i) => arcCluster(`arc-${i}`, { objects: 2, jitter: "0" }));
    const [message] = await messagesOf(jitterSufficient, fleet, SMALL_LIMIT);
    assert.match(message!, /spread them over 0 s \(jitterSeconds\), a per-second risk of 100 %/);
  });

  it("accepts jitter 0 when every cluster's burst fits the limit at once", async () => {
    assert.deepEqual(await messagesOf(jitterSufficient, [root, ...arcCluster("arc-a", { jitter: "0" })]), []);
  });

  it("judges the AKS add-on by its poll interval (no jitter setting)", async () => {
    const ok = bigFleet((i) => aksCluster(`aks-${i}`, { objects: 2, poll: "2m" }));
    assert.deepEqual(await messagesOf(jitterSufficient, ok, SMALL_LIMIT), []);
    const short = bigFleet((i) => aksCluster(`aks-${i}`, { objects: 2, poll: "30s" }));
    const [message] = await messagesOf(jitterSufficient, short, SMALL_LIMIT);
    assert.match(
      message!,
      /20 aks-addon clusters .* spread them over 30 s \(poll interval \(no jitter setting\)\)/,
    );
  });

  it("reports a fleet no jitter can save (one cluster's burst is too large)", async () => {
    const [message] = await messagesOf(jitterSufficient, [root, ...arcCluster("arc-a", { objects: 3 })], {
      vaultLimitPer10s: 40,
    });
    assert.match(
      message!,
      /vault kv1: 1 cluster × up to 3 objects: 3 secrets per cluster leave a threshold of only 1\.33/,
    );
  });

  it("refuses to pass an existing AKS cluster whose poll interval the graph does not show", async () => {
    const fleet = change(aksCluster("aks-x"), "aks-x-addon", () => {});
    const withoutCluster = [
      root,
      ...fleet.filter((r) => r.type !== "azure-native:containerservice:ManagedCluster"),
    ];
    const [message] = await messagesOf(jitterSufficient, withoutCluster);
    assert.match(
      message!,
      /cannot judge jitter: 1 cluster \(aks-x\): aks-addon: the add-on runs on an existing AKS cluster/,
    );
    const visible = change(withoutCluster, "aks-x-addon", (inputs) => {
      inputs.rotationPollIntervalSeconds = 120;
    });
    assert.deepEqual(await messagesOf(jitterSufficient, visible), []);
  });

  it("refuses a cluster that reads a vault but runs no engine", async () => {
    const fleet = [
      root,
      ...arcCluster("arc-a").filter((r) => r.type !== "azure-native:kubernetesconfiguration:Extension"),
    ];
    const [message] = await messagesOf(jitterSufficient, fleet);
    assert.match(message!, /\(arc-a\): reads 2 objects from vault kv1 but no sync engine was found/);
  });

  it("refuses an object list it cannot count", async () => {
    const fleet = change([root, ...arcCluster("arc-a")], "arc-a-spc", (inputs) => {
      inputs.spec.parameters.objects = "not: [a list";
    });
    const [message] = await messagesOf(jitterSufficient, fleet);
    assert.match(message!, /cannot count reads: cannot count the objects in spec.parameters.objects/);
  });

  it("multiplies add-on reads by the pods mounting each SecretProviderClass", async () => {
    const fleet = bigFleet((i) => aksCluster(`aks-${i}`, { objects: 2, poll: "2m" }));
    const [message] = await messagesOf(jitterSufficient, fleet, {
      ...SMALL_LIMIT,
      addonMountsPerSecretProviderClass: 3,
    });
    assert.match(message!, /20 clusters × up to 6 objects/);
  });
});
