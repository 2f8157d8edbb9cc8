/**
 * The rollout burst on the real program with the prod configuration (cut to 56 clusters so two captures stay cheap),
 * captured under `pulumi.runtime.setMocks` before and after a configuration change: the components' own
 * resources, parents and providers, not hand-made fixtures.
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

/** The prod configuration with `n` clusters per region and set instead of 32/25/6 (a quarter of the work). */
function smallerProd(yaml: string, versionHistory: number): string {
  const out = yaml
    .replace("countPerRegion: 6\n", "countPerRegion: 2\n") // edge, before the Arc set becomes 6
    .replace("countPerRegion: 32", "countPerRegion: 8")
    .replace("countPerRegion: 25", "countPerRegion: 6")
    .replace(
      "{ objectName: psp-api-key, key: apiKey, versionHistory: 2 }",
      `{ objectName: psp-api-key, key: apiKey, versionHistory: ${versionHistory} }`,
    );
  assert.notEqual(out, yaml);
  return out;
}

describe("rollout burst of a prod configuration change (mocks captures)", () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  /** A copy of stacks/ whose prod stack has the smaller fleet and the given psp-api version history. */
  function stacksWith(versionHistory: number): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), "keyfleet-prod-burst-"));
    dirs.push(dir);
    cpSync(STACKS, dir, { recursive: true });
    const file = path.join(dir, "Pulumi.prod.yaml");
    writeFileSync(file, smallerProd(readFileSync(file, "utf8"), versionHistory));
    return dir;
  }

  it("psp-api's version history 2 → 40 on every cluster: 4 of 5 vaults overflow; 2 waves, every change targeted once", async () => {
    const capture = (versionHistory: number) =>
      // The sample prod sets none of its Arc/edge kubeconfigs; the burst is judged on the graph alone.
      captureStack("prod", {
        runtimeBundle: "stub",
        crds: [],
        stacksDir: stacksWith(versionHistory),
        allowMissingSecrets: true,
      });
    const before = await capture(2);
    const afterChange = await capture(40);
    const changes = changeSetFromCaptures("prod", before, afterChange);
    const changed = changes.resources.filter((r) => r.op !== ChangeOp.same);
    // Every cluster's psp-api SecretProviderClass (8 AKS × 5 regions + 6 Arc × 2 + 2 edge × 2 = 56); on the Arc and
    // edge clusters its SecretSync maps the new versions too. Both make the class's 40 objects read at once, once.
    const types = (type: string) => changed.filter((r) => r.type.endsWith(type)).length;
    assert.equal(types(":SecretProviderClass"), 56);
    assert.equal(types(":SecretSync"), 16);
    assert.equal(changed.length, 72);

    const plan = rolloutPlan(changes, OPTIONS);
    const byVault = Object.fromEntries(plan.vaults.map((v) => [v.vault, v]));
    // westeurope: 8 AKS + 6 Arc clusters, each reading psp-api's 40 versions at once.
    const weu = byVault["kf-prod-westeurope"]!;
    assert.equal(weu.clusters.length, 14);
    assert.equal(weu.burstObjects, 14 * 40);
    // Steady, 44 objects per cluster: 8 add-on clusters / 120 s + 5 Arc / (3600 + 300 / 2) s + arc-westeurope-001's
    // override (poll 30 m, jitter 600 s) / (1800 + 300) s.
    const steady = (8 * 44) / 120 + (5 * 44) / 3750 + 44 / 2100;
    assert.ok(Math.abs(weu.steadyReadsPerSecond - steady) < 1e-9, String(weu.steadyReadsPerSecond));
    assert.equal(weu.clusterBurstsPerSecond, Math.floor((400 - steady) / 40)); // 9
    assert.equal(weu.safe, false);
    assert.equal(byVault["kf-prod-southeastasia"]!.safe, true); // 8 × 40 = 320 fits
    assert.equal(plan.safe, false);
    // Vaults fill their waves side by side: ⌈14 / 9⌉ = 2 waves for the whole fleet.
    assert.equal(plan.waves.length, 2);
    assert.equal(
      plan.waves.reduce((n, w) => n + w.clusters.length, 0),
      56,
    );
    for (const w of plan.waves) {
      for (const [vault, reads] of Object.entries(w.readsByVault))
        assert.ok(reads <= byVault[vault]!.headroomPerSecond, `wave ${w.wave} overfills ${vault}`);
      assert.equal(w.clusterComponents.length, w.clusters.length);
    }
    // Every change is targeted exactly once.
    const targets = plan.waves.flatMap((w) => w.targets);
    assert.equal(targets.length, 72);
    assert.equal(new Set(targets).size, 72);
    assert.deepEqual(plan.oversized, []);
  });
});
