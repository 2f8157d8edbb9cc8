import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ClusterLoad } from "../fleet/analysis.ts";
import { burstRisk, burstThreshold } from "../jitter/model.ts";
import { EngineKind } from "../lib/constants.ts";
import { splitIntoWaves, vaultBurst } from "./burst.ts";
import type { ImmediateFetch } from "./triggers.ts";

const arc = (n: number, objects: number, poll = 3600, jitter = 190): ClusterLoad[] =>
  Array.from({ length: n }, (_, i) => ({
    cluster: `c-${String(i).padStart(4, "0")}`,
    engine: EngineKind.arcExtension,
    objects,
    pollSeconds: poll,
    jitterSeconds: jitter,
  }));
const fetchesOf = (loads: readonly ClusterLoad[], vault = "kv"): ImmediateFetch[] =>
  loads.map((l) => ({ cluster: l.cluster, vault, objects: l.objects, triggers: [], reads: [] }));

describe("vaultBurst: the spread-0 case of the jitter model, less the steady load", () => {
  // Every changed cluster reads S objects at once. With (almost) no other load the vault absorbs ⌊T⌋ of them per
  // second, T = (limit / 10) / S, exactly the model's threshold; the burst is unsafe exactly when the model's risk
  // for spread 0 is 1 (C > ⌊T⌋).
  const rows = [
    {
      name: "Microsoft's fleet, 700 × 30, all change",
      changed: 700,
      objects: 30,
      limit: 4000,
      k: 13,
      safe: false,
    },
    { name: "13 × 30 fit (390 of 400 per second)", changed: 13, objects: 30, limit: 4000, k: 13, safe: true },
    { name: "14 × 30 do not (420)", changed: 14, objects: 30, limit: 4000, k: 13, safe: false },
    { name: "older limit 2000: ⌊T⌋ = 6", changed: 7, objects: 30, limit: 2000, k: 6, safe: false },
    {
      name: "one cluster of 401 objects (over a second's worth)",
      changed: 1,
      objects: 401,
      limit: 4000,
      k: 0,
      safe: false,
    },
    {
      name: "199 × 2: the steady load leaves room for 199, not ⌊T⌋ = 200",
      changed: 199,
      objects: 2,
      limit: 4000,
      k: 199,
      safe: true,
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const loads = arc(row.changed, row.objects);
      const b = vaultBurst("kv", loads, fetchesOf(loads), { vaultLimitPer10s: row.limit, risk: 0.0001 });
      assert.equal(b.limitPerSecond, row.limit / 10);
      assert.equal(b.burstObjects, row.changed * row.objects);
      assert.equal(b.maxObjectsPerCluster, row.objects);
      assert.equal(b.clusterBurstsPerSecond, row.k);
      assert.equal(b.safe, row.safe);
      // The same numbers as the jitter model: ⌊T⌋ and the spread-0 risk.
      const threshold = Math.floor(burstThreshold(row.objects, row.limit));
      assert.equal(
        row.k,
        threshold * row.objects <= b.headroomPerSecond ? threshold : Math.max(0, threshold - 1),
      );
      assert.equal(burstRisk(row.changed, row.objects, 0, row.limit), row.safe ? 0 : 1);
      // Steady load: Σ objects × 10 / (poll + jitter / 2) per 10 s, as the planner computes it.
      assert.ok(Math.abs(b.steadyReadsPerSecond - (row.changed * row.objects) / (3600 + 95)) < 1e-9);
    });
  }

  it("takes the fleet's steady load off the limit: 10 × 30 fit an idle vault, not one busy with 1,000 add-on clusters", () => {
    const changed = arc(10, 30);
    const idle = vaultBurst("kv", changed, fetchesOf(changed), { vaultLimitPer10s: 4000, risk: 0.0001 });
    assert.equal(idle.safe, true);
    const busy = [
      ...changed,
      ...Array.from({ length: 1000 }, (_, i) => ({
        cluster: `aks-${i}`,
        engine: EngineKind.aksAddon,
        objects: 30,
        pollSeconds: 120,
        jitterSeconds: 0,
      })),
    ];
    const b = vaultBurst("kv", busy, fetchesOf(changed), { vaultLimitPer10s: 4000, risk: 0.0001 });
    assert.ok(Math.abs(b.steadyReadsPerSecond - (250 + 300 / 3695)) < 1e-9); // 1,000 × 30 / 120 s + the 10 arc
    assert.equal(b.clusterBurstsPerSecond, 4); // ⌊(400 − 250.08) / 30⌋
    assert.equal(b.safe, false);
  });

  it("a vault whose steady load alone fills the limit absorbs no burst", () => {
    const loads = arc(1, 5000, 10, 0); // 5,000 objects every 10 s = 500 per second
    const b = vaultBurst("kv", loads, fetchesOf(loads), { vaultLimitPer10s: 4000, risk: 0.0001 });
    assert.ok(b.headroomPerSecond < 0);
    assert.equal(b.clusterBurstsPerSecond, 0);
    assert.equal(b.safe, false);
  });
});

describe("splitIntoWaves", () => {
  it("700 × 30 → 54 waves of ⌊T⌋ = 13 (the last of 11), 10 s apart", () => {
    const loads = arc(700, 30);
    const b = vaultBurst("kv", loads, fetchesOf(loads), { vaultLimitPer10s: 4000, risk: 0.0001 });
    const plan = splitIntoWaves([b]);
    assert.equal(plan.waves.length, Math.ceil(700 / 13));
    assert.deepEqual(
      plan.waves.slice(0, -1).map((w) => w.clusters.length),
      new Array(53).fill(13),
    );
    assert.equal(plan.waves.at(-1)!.clusters.length, 700 - 53 * 13);
    assert.equal(plan.waves[0]!.readsByVault.kv, 390);
    assert.equal(plan.waveIntervalSeconds, 10);
    assert.deepEqual(plan.oversized, []);
    // Every cluster exactly once, in name order.
    assert.deepEqual(
      plan.waves.flatMap((w) => w.clusters),
      loads.map((l) => l.cluster),
    );
  });

  it("a cluster that reads two vaults fits a wave only when both have room", () => {
    const settings = { vaultLimitPer10s: 4000, risk: 0.0001 };
    const a = [...arc(3, 150)]; // 450 on vault a: 2 per wave
    const shared = a[2]!.cluster;
    const bLoads: ClusterLoad[] = [
      { ...a[2]!, objects: 300 },
      { ...a[0]!, objects: 120 },
    ];
    const bursts = [
      vaultBurst("a", a, fetchesOf(a, "a"), settings),
      vaultBurst("b", bLoads, fetchesOf(bLoads, "b"), settings),
    ];
    const plan = splitIntoWaves(bursts);
    // c-0000 (a 150, b 120) + c-0001 (a 150) fit; c-0002 (a 150, b 300) would overfill a (450 > ~399).
    assert.deepEqual(
      plan.waves.map((w) => w.clusters),
      [["c-0000", "c-0001"], [shared]],
    );
    assert.deepEqual(plan.waves[1]!.readsByVault, { a: 150, b: 300 });
  });

  it("clusters of different vaults share waves: 20 + 10 clusters × 40 need 3 waves, not 3 + 2", () => {
    const settings = { vaultLimitPer10s: 4000, risk: 0.0001 };
    const a = arc(20, 40).map((l) => ({ ...l, cluster: `a-${l.cluster}` }));
    const b = arc(10, 40).map((l) => ({ ...l, cluster: `b-${l.cluster}` }));
    const plan = splitIntoWaves([
      vaultBurst("a", a, fetchesOf(a, "a"), settings),
      vaultBurst("b", b, fetchesOf(b, "b"), settings),
    ]);
    assert.deepEqual(
      plan.waves.map((w) => w.readsByVault),
      [{ a: 360, b: 360 }, { a: 360, b: 40 }, { a: 80 }],
    );
  });

  it("a cluster bigger than the headroom gets a wave of its own and is reported", () => {
    const loads = [...arc(1, 30), { ...arc(1, 600)[0]!, cluster: "huge" }];
    const b = vaultBurst("kv", loads, fetchesOf(loads), { vaultLimitPer10s: 4000, risk: 0.0001 });
    const plan = splitIntoWaves([b]);
    assert.deepEqual(
      plan.waves.map((w) => w.clusters),
      [["c-0000"], ["huge"]],
    );
    assert.equal(plan.oversized.length, 1);
    assert.equal(plan.oversized[0]!.cluster, "huge");
    assert.equal(plan.oversized[0]!.objects, 600);
  });
});
