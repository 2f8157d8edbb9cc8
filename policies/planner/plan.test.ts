import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ClusterConfig, FleetConfig } from "../../stacks/config/types.ts";
import { PlanInputError, planFleet } from "./plan.ts";

const OPTIONS = { risk: 0.0001, vaultLimitPer10s: 4000 };

function cluster(name: string, over: Partial<ClusterConfig> = {}): ClusterConfig {
  return {
    name,
    kind: "arc",
    engine: "arc-extension",
    vault: "kv",
    managed: false,
    kubeconfig: { from: "config-secret", key: "k" },
    identity: { scope: "cluster" },
    installedEngines: [],
    csiAddonPresent: false,
    sync: { rotationPollIntervalSeconds: 600, jitterSeconds: 0, enablePartialSecretSync: true },
    namespaces: [],
    secretCount: 30,
    objectCount: 30,
    ...over,
  };
}

function fleet(clusters: ClusterConfig[]): FleetConfig {
  return {
    engines: {} as FleetConfig["engines"],
    syncRuntime: {
      delivery: "bundle",
      nodeImage: "node",
      namespace: "ns",
      replicas: 1,
      vaultRequestsPer10s: 4000,
      readyTimeoutSeconds: 300,
    },
    vaults: [
      {
        name: "kv",
        mode: "create",
        sku: "standard",
        softDeleteRetentionDays: 90,
        networkRules: {
          defaultAction: "Deny",
          bypass: "AzureServices",
          ipRules: [],
          virtualNetworkSubnetIds: [],
        },
        tags: {},
        seedSecrets: [],
      },
    ],
    clusters,
  };
}

describe("planFleet", () => {
  it("700 Arc clusters × 30 secrets with jitter 0 are insufficient; the required jitter is Microsoft's 189.27 s", () => {
    const [plan] = planFleet(fleet(Array.from({ length: 700 }, (_, i) => cluster(`c${i}`))), OPTIONS);
    assert.equal(plan!.status, "insufficient-jitter");
    assert.ok(
      plan!.analysis.required.feasible &&
        Math.abs(plan!.analysis.required.jitterSeconds - 189.2691892496578) < 1e-9,
    );
    assert.equal(plan!.analysis.peakRequestsPerSecondWithoutJitter, 21000);
    assert.equal(plan!.analysis.shortfalls[0]!.clusters.length, 700);
  });

  it("the same fleet with jitter 190 s is ok and its peak second stays under the limit", () => {
    const sync = { rotationPollIntervalSeconds: 600, jitterSeconds: 190, enablePartialSecretSync: true };
    const [plan] = planFleet(
      fleet(Array.from({ length: 700 }, (_, i) => cluster(`c${i}`, { sync }))),
      OPTIONS,
    );
    assert.equal(plan!.status, "ok");
    assert.ok(plan!.analysis.peakRequestsPerSecond <= 400, `peak ${plan!.analysis.peakRequestsPerSecond}`);
    assert.equal(plan!.analysis.worstStalenessSeconds, 790);
  });

  it("refuses a cluster without a secrets count, naming it", () => {
    assert.throws(
      () => planFleet(fleet([cluster("c1", { objectCount: undefined as unknown as number })]), OPTIONS),
      {
        name: "PlanInputError",
        message: /clusters\[0\] \(c1\)\.objectCount: no secrets count/,
      },
    );
  });

  it("refuses a cluster reading an unknown vault", () => {
    assert.throws(() => planFleet(fleet([cluster("c1", { vault: "other" })]), OPTIONS), PlanInputError);
  });

  it("refuses a vault nobody reads from, listing the idle clusters", () => {
    assert.throws(() => planFleet(fleet([cluster("c1", { objectCount: 0 })]), OPTIONS), {
      message: /vault kv: no cluster reads any object from it \(clusters without secrets: c1\)/,
    });
  });
});
