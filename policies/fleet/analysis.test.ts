import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  expectedReadsPer10s,
  poissonQuantile,
  rateOverPollPeriod,
  spreadSeconds,
  type ClusterLoad,
} from "./analysis.ts";

const arc = (objects: number, poll: number, jitter: number): ClusterLoad => ({
  cluster: "a",
  engine: "arc-extension",
  objects,
  pollSeconds: poll,
  jitterSeconds: jitter,
});

describe("fleet analysis", () => {
  it("spread: jitter for engines with jitter, poll for the add-on", () => {
    assert.equal(spreadSeconds(arc(1, 600, 60)), 60);
    assert.equal(spreadSeconds({ engine: "aks-addon", pollSeconds: 120, jitterSeconds: 0 }), 120);
    assert.equal(spreadSeconds({ engine: "bundled", pollSeconds: 300, jitterSeconds: 30 }), 30);
  });

  it("expected reads per 10 s use the mean period poll + jitter / 2", () => {
    assert.equal(expectedReadsPer10s(arc(6, 100, 40)), 0.5);
  });

  it("Poisson quantile: smallest k with P(X > k) ≤ p", () => {
    assert.equal(poissonQuantile(3.698436088700399, 1e-4), 13);
    assert.equal(poissonQuantile(0, 1e-4), 0);
  });

  it("rate over one poll period: spread reads flatten, unspread ones spike, totals are conserved", () => {
    const series = rateOverPollPeriod([arc(10, 100, 10), arc(5, 100, 0)], 600);
    assert.equal(series.binSeconds, 1);
    assert.equal(series.withJitter.length, 110);
    assert.equal(series.withoutJitter[0], 15);
    assert.equal(series.withJitter[0], 5 + 1);
    assert.equal(series.withJitter[9], 1);
    assert.equal(series.withJitter[10], 0);
    const total = series.withJitter.reduce((a, b) => a + b, 0) * series.binSeconds;
    assert.ok(Math.abs(total - 15) < 1e-9);
  });

  it("caps the number of bins", () => {
    const series = rateOverPollPeriod([arc(1, 3600, 300)], 600);
    assert.equal(series.binSeconds, 7);
    assert.ok(series.withJitter.length <= 600);
  });
});
