import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { HarnessResource } from "../harness/evaluate.ts";
import {
  aksCluster,
  arcCluster,
  change,
  secretSync,
  STACK_URN,
  vault,
} from "../../test/support/policy-fixtures.ts";
import { ChangeOp } from "./changeset.ts";
import { changeSetFromCaptures } from "./from-capture.ts";
import { rolloutPlan } from "./plan.ts";
import { updateFetches } from "./triggers.ts";

const OPTIONS = { vaultLimitPer10s: 4000, risk: 0.0001, addonMountsPerSecretProviderClass: 1 };
const STACK: HarnessResource = {
  type: "pulumi:pulumi:Stack",
  name: "keyfleet-test",
  urn: STACK_URN,
  inputs: {},
};

/** `n` Arc clusters of `objects` each on one vault, each with a SecretSync. */
function arcFleet(n: number, objects: number): HarnessResource[] {
  const clusters = Array.from({ length: n }, (_, i) => {
    const c = arcCluster(`arc-${String(i).padStart(2, "0")}`, { objects, jitter: "60" });
    return [...c, secretSync(c)];
  });
  return [STACK, ...vault(), ...clusters.flat()];
}

const allOfType = (
  resources: HarnessResource[],
  type: string,
  edit: (i: Record<string, unknown>) => void,
) => {
  const copy = structuredClone(resources);
  for (const r of copy) if (r.type === type) edit(r.inputs);
  return copy;
};

describe("rolloutPlan on captured graphs", () => {
  const before = arcFleet(40, 30);

  it("an extension setting changed on 40 clusters × 30 objects: unsafe, 4 waves of ⌊(400 − steady) / 30⌋ = 13", () => {
    const after = allOfType(before, "azure-native:kubernetesconfiguration:Extension", (i) => {
      (i.configurationSettings as Record<string, string>).jitterSeconds = "120";
    });
    const plan = rolloutPlan(changeSetFromCaptures("test", before, after), OPTIONS);
    assert.equal(plan.safe, false);
    const [kv] = plan.vaults;
    assert.equal(kv!.vault, "kv1");
    assert.equal(kv!.burstObjects, 1200);
    assert.equal(kv!.clusters.length, 40);
    assert.ok(kv!.clusters.every((c) => c.triggers[0]!.cause === "engine"));
    assert.ok(Math.abs(kv!.steadyReadsPerSecond - 1200 / 3660) < 1e-9);
    assert.equal(kv!.clusterBurstsPerSecond, 13);
    assert.deepEqual(
      plan.waves.map((w) => w.clusters.length),
      [13, 13, 13, 1],
    );
    assert.equal(plan.waveIntervalSeconds, 10);
    const first = plan.waves[0]!;
    assert.equal(first.targets.length, 13); // one extension per cluster
    assert.ok(first.targets.every((u) => u.endsWith("-sse-ext")));
    assert.deepEqual(first.clusterComponents.slice(0, 2), [
      "urn:pulumi:test::keyfleet::keyfleet:index:ClusterSecrets::arc-00",
      "urn:pulumi:test::keyfleet::keyfleet:index:ClusterSecrets::arc-01",
    ]);
    assert.deepEqual(plan.waves[3]!.clusters, ["arc-39"]);
  });

  it("one cluster's SecretProviderClass spec changes: 30 objects, safe, no waves", () => {
    const after = change(before, "arc-07-spc", (i) => {
      i.spec.parameters.tenantID = "99999999-2222-3333-4444-555555555555";
    });
    const plan = rolloutPlan(changeSetFromCaptures("test", before, after), OPTIONS);
    assert.equal(plan.safe, true);
    assert.deepEqual(
      plan.vaults.map((v) => [v.vault, v.burstObjects, v.clusters.map((c) => c.cluster)]),
      [["kv1", 30, ["arc-07"]]],
    );
    assert.deepEqual(plan.waves, []);
  });

  it("a SecretSync spec change reads its SecretProviderClass's objects; a label change reads nothing", () => {
    const synced = allOfType(before, "kubernetes:secret-sync.x-k8s.io/v1alpha1:SecretSync", (i) => {
      (i.spec as Record<string, unknown>).forceSynchronization = "2026-01-01";
    });
    const fetches = updateFetches(changeSetFromCaptures("test", before, synced), OPTIONS).fetches;
    assert.equal(fetches.length, 40);
    assert.ok(fetches.every((f) => f.objects === 30 && f.triggers[0]!.cause === "SecretSync"));

    const labelled = allOfType(
      before,
      "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass",
      (i) => {
        (i.metadata as Record<string, unknown>).labels = { team: "a" };
      },
    );
    assert.deepEqual(updateFetches(changeSetFromCaptures("test", before, labelled), OPTIONS).fetches, []);
  });

  it("a new cluster reads everything; a removed one reads nothing", () => {
    const extra = arcCluster("arc-new", { objects: 12 });
    const grown = rolloutPlan(changeSetFromCaptures("test", before, [...before, ...extra]), OPTIONS);
    assert.deepEqual(
      grown.vaults[0]!.clusters.map((c) => [c.cluster, c.objects]),
      [["arc-new", 12]],
    );
    const shrunk = changeSetFromCaptures(
      "test",
      before,
      before.filter((r) => !r.name.startsWith("arc-03")),
    );
    assert.ok(shrunk.resources.some((r) => r.op === ChangeOp.delete));
    assert.deepEqual(rolloutPlan(shrunk, OPTIONS).vaults, []);
  });

  it("counts the AKS add-on's mounts per SecretProviderClass like the planner", () => {
    const aks = [STACK, ...vault(), ...aksCluster("aks-1", { objects: 10 })];
    const after = change(aks, "aks-1-spc", (i) => {
      i.spec.parameters.objects = i.spec.parameters.objects.replace("obj-0", "obj-renamed");
    });
    const fetches = updateFetches(changeSetFromCaptures("test", aks, after), {
      ...OPTIONS,
      addonMountsPerSecretProviderClass: 3,
    }).fetches;
    assert.deepEqual(
      fetches.map((f) => [f.cluster, f.objects]),
      [["aks-1", 30]],
    );
  });

  it("wave 1 also carries changes outside the bursting clusters (the vault, clusters reading nothing at once)", () => {
    let after = allOfType(before, "azure-native:kubernetesconfiguration:Extension", (i) => {
      (i.configurationSettings as Record<string, string>).jitterSeconds = "120";
    });
    after = change(after, "kv1-vault", (i) => {
      i.tags = { owner: "platform" };
    });
    const plan = rolloutPlan(changeSetFromCaptures("test", before, after), OPTIONS);
    assert.ok(plan.waves[0]!.targets.some((u) => u.endsWith("::kv1-vault")));
    assert.ok(plan.waves.slice(1).every((w) => w.targets.every((u) => !u.endsWith("::kv1-vault"))));
  });

  it("every delete goes to wave 1 (a targeted up refuses to run while an untargeted resource is dropped)", () => {
    const after = allOfType(before, "azure-native:kubernetesconfiguration:Extension", (i) => {
      (i.configurationSettings as Record<string, string>).jitterSeconds = "120";
    }).filter((r) => r.name !== "arc-39-sync"); // arc-39 is in the last wave
    const plan = rolloutPlan(changeSetFromCaptures("test", before, after), OPTIONS);
    const deleted = plan.waves.flatMap((w) =>
      w.targets.filter((u) => u.endsWith("::arc-39-sync")).map(() => w.wave),
    );
    assert.deepEqual(deleted, [1]);
  });
  it("one cluster too big for a wave is split by changed SecretProviderClass, each with its SecretSyncs", () => {
    // One Arc cluster gets 20 new classes of 1 object, each with a SecretSync, under a limit of 100 reads / 10 s.
    const base = [STACK, ...vault(), ...arcCluster("arc-solo", { objects: 1 })];
    const extra = Array.from({ length: 20 }, (_, i) => {
      const spc = structuredClone(base.find((r) => r.name === "arc-solo-spc")!);
      spc.name = `arc-solo-spc-${i}`;
      spc.urn = `${spc.urn}-${i}`;
      spc.inputs.metadata = { name: `app-${i}`, namespace: "app" };
      const sync = secretSync(base);
      sync.name = `arc-solo-sync-${i}`;
      sync.urn = `${sync.urn}-${i}`;
      sync.inputs = {
        ...sync.inputs,
        spec: { ...(sync.inputs.spec as object), secretProviderClassName: `app-${i}` },
      };
      return [spc, sync];
    });
    const grown = [...base, ...extra.flat()];
    const plan = rolloutPlan(changeSetFromCaptures("test", base, grown), {
      ...OPTIONS,
      vaultLimitPer10s: 100,
    });
    assert.equal(plan.safe, false);
    assert.equal(plan.vaults[0]!.burstObjects, 20);
    // Headroom ≈ 10 − 21 objects / (3600 + 30) s per second: 9 classes per wave.
    assert.deepEqual(
      plan.waves.map((w) => w.units.length),
      [9, 9, 2],
    );
    assert.ok(plan.waves.every((w) => w.clusters.length === 1 && w.clusters[0] === "arc-solo"));
    // Each wave targets its classes and their SecretSyncs, nothing else.
    for (const w of plan.waves) {
      assert.equal(w.targets.length, 2 * w.units.length);
      for (const unit of w.units) {
        const i = unit.read!.split("-").pop();
        assert.ok(w.targets.includes(unit.read!));
        assert.ok(w.targets.some((u) => u.endsWith(`-sync-${i}`)));
      }
    }
    assert.deepEqual(plan.oversized, []);
  });
});
