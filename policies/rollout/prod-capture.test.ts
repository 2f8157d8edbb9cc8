/**
 * The rollout burst on the real prod program (222 clusters, captured under `pulumi.runtime.setMocks` before and after
 * a configuration change): the components' own resources, parents and providers, not hand-made fixtures.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { captureStack } from "../../stacks/synth/capture.ts";
import { ChangeOp } from "./changeset.ts";
import { changeSetFromCaptures } from "./from-capture.ts";
import { rolloutPlan } from "./plan.ts";

const STACKS = path.resolve(import.meta.dirname, "../../stacks");
const OPTIONS = { vaultLimitPer10s: 4000, risk: 0.0001, addonMountsPerSecretProviderClass: 1 };

describe("rollout burst of a prod configuration change (mocks captures)", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "keyfleet-prod-burst-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("psp-api's version history 2 → 12 on all 222 clusters: 4 of 5 vaults overflow; 2 waves, every change targeted once", async () => {
    cpSync(STACKS, dir, { recursive: true });
    const file = path.join(dir, "Pulumi.prod.yaml");
    const yaml = readFileSync(file, "utf8");
    const edited = yaml.replace(
      "{ objectName: psp-api-key, key: apiKey, versionHistory: 2 }",
      "{ objectName: psp-api-key, key: apiKey, versionHistory: 12 }",
    );
    assert.notEqual(edited, yaml);
    writeFileSync(file, edited);
    const before = await captureStack("prod", { runtimeBundle: "stub", crds: [] });
    const afterChange = await captureStack("prod", { runtimeBundle: "stub", crds: [], stacksDir: dir });
    const changes = changeSetFromCaptures("prod", before, afterChange);
    const changed = changes.resources.filter((r) => r.op !== ChangeOp.same);
    // Every cluster's psp-api SecretProviderClass (222); on the 62 Arc and edge clusters its SecretSync maps the new
    // versions too. Both make the class's 12 objects read at once; they count once.
    const types = (type: string) => changed.filter((r) => r.type.endsWith(type)).length;
    assert.equal(types(":SecretProviderClass"), 222);
    assert.equal(types(":SecretSync"), 62);
    assert.equal(changed.length, 284);

    const plan = rolloutPlan(changes, OPTIONS);
    const byVault = Object.fromEntries(plan.vaults.map((v) => [v.vault, v]));
    // westeurope: 32 AKS + 25 Arc clusters, each reading psp-api's 12 versions at once.
    const weu = byVault["kf-prod-westeurope"]!;
    assert.equal(weu.clusters.length, 57);
    assert.equal(weu.burstObjects, 57 * 12);
    // Steady: 32 add-on clusters × 16 objects / 120 s + 24 Arc × 16 / (3600 + 300 / 2) + arc-westeurope-001's
    // override (poll 30 m, jitter 600 s): 16 / (1800 + 300).
    const steady = (32 * 16) / 120 + (24 * 16) / 3750 + 16 / 2100;
    assert.ok(Math.abs(weu.steadyReadsPerSecond - steady) < 1e-9, String(weu.steadyReadsPerSecond));
    assert.equal(weu.clusterBurstsPerSecond, 32);
    assert.equal(weu.safe, false);
    assert.equal(byVault["kf-prod-southeastasia"]!.safe, true); // 32 × 12 = 384 fits
    assert.equal(plan.safe, false);
    // Vaults fill their waves side by side: ⌈57 / 32⌉ = 2 waves for the whole fleet.
    assert.equal(plan.waves.length, 2);
    assert.equal(
      plan.waves.reduce((n, w) => n + w.clusters.length, 0),
      222,
    );
    for (const w of plan.waves) {
      for (const [vault, reads] of Object.entries(w.readsByVault))
        assert.ok(reads <= byVault[vault]!.headroomPerSecond, `wave ${w.wave} overfills ${vault}`);
      assert.equal(w.clusterComponents.length, w.clusters.length);
    }
    // Every change is targeted exactly once.
    const targets = plan.waves.flatMap((w) => w.targets);
    assert.equal(targets.length, 284);
    assert.equal(new Set(targets).size, 284);
    assert.deepEqual(plan.oversized, []);
  });
});
