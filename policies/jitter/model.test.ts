import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { burstRisk, requiredJitter, type JitterModelFeasible } from "./model.ts";

/** References from a 30-digit mpmath evaluation of the jitter model's formulas (T, λ, J, risk). */
const TABLE: Array<{
  name: string;
  input: { clusters: number; secretsPerCluster: number; risk?: number; vaultLimitPer10s?: number };
  threshold: number;
  lambda: number;
  jitterSeconds: number;
  risk: number;
}> = [
  {
    name: "Microsoft's worked example: 700 × 30, p = 0.01 %",
    input: { clusters: 700, secretsPerCluster: 30 },
    threshold: 13.333333333333332,
    lambda: 3.698436088700399,
    jitterSeconds: 189.2691892496578,
    risk: 3.356725596448321e-5,
  },
  {
    name: "700 × 30 at p = 0.1 %",
    input: { clusters: 700, secretsPerCluster: 30, risk: 0.001 },
    threshold: 13.333333333333332,
    lambda: 4.763448025489958,
    jitterSeconds: 146.9523748877263,
    risk: 0.0004390285343752968,
  },
  {
    name: "700 × 30 at p = 1e-6",
    input: { clusters: 700, secretsPerCluster: 30, risk: 1e-6 },
    threshold: 13.333333333333332,
    lambda: 2.313316212701905,
    jitterSeconds: 302.5958994090197,
    risk: 1.6830690247835107e-7,
  },
  {
    name: "200 × 10",
    input: { clusters: 200, secretsPerCluster: 10 },
    threshold: 40,
    lambda: 20.573287633219714,
    jitterSeconds: 9.72134369409485,
    risk: 4.6794956676148666e-5,
  },
  {
    name: "1000 × 50",
    input: { clusters: 1000, secretsPerCluster: 50 },
    threshold: 8,
    lambda: 1.315241719442823,
    jitterSeconds: 760.3165146127138,
    risk: 1.0010776167706987e-5,
  },
  {
    name: "one cluster, one secret",
    input: { clusters: 1, secretsPerCluster: 1 },
    threshold: 400,
    lambda: 329.84157115082536,
    jitterSeconds: 0.0030317585394435743,
    risk: 8.109220631916113e-5,
  },
  {
    name: "5000 × 100 (T = 4)",
    input: { clusters: 5000, secretsPerCluster: 100 },
    threshold: 4,
    lambda: 0.17503159548916764,
    jitterSeconds: 28566.271055384626,
    risk: 1.183554473946827e-6,
  },
  {
    name: "older 2,000 per 10 s limit: 300 × 20",
    input: { clusters: 300, secretsPerCluster: 20, vaultLimitPer10s: 2000 },
    threshold: 10,
    lambda: 2.1263734329721955,
    jitterSeconds: 141.08528415005023,
    risk: 1.454318508986213e-5,
  },
];

function close(actual: number, expected: number, relative: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= relative * Math.abs(expected),
    `${what}: got ${actual}, want ${expected}`,
  );
}

function feasible(input: Parameters<typeof requiredJitter>[0]): JitterModelFeasible {
  const result = requiredJitter(input);
  assert.equal(result.feasible, true, "expected a feasible result");
  return result as JitterModelFeasible;
}

describe("requiredJitter (the Secret Store extension's jitter method)", () => {
  for (const row of TABLE) {
    it(row.name, () => {
      const result = feasible(row.input);
      close(result.threshold, row.threshold, 1e-15, "threshold");
      close(result.lambda, row.lambda, 1e-12, "lambda");
      close(result.jitterSeconds, row.jitterSeconds, 1e-12, "jitterSeconds");
      close(result.risk, row.risk, 1e-9, "risk");
      assert.equal(result.recommendedJitterSeconds, Math.ceil(row.jitterSeconds));
      assert.ok(result.riskAtRecommended <= result.risk, "rounding the jitter up never raises the risk");
      assert.ok(result.risk <= (row.input.risk ?? 1e-4), "the Poisson check meets the target risk");
    });
  }

  it("Microsoft's example rounds to about 190 s and 0.0034 %", () => {
    const result = feasible({ clusters: 700, secretsPerCluster: 30, risk: 0.0001 });
    assert.equal(result.recommendedJitterSeconds, 190);
    assert.equal((result.risk * 100).toFixed(4), "0.0034");
  });

  it("jitter grows linearly with the number of clusters", () => {
    const one = feasible({ clusters: 100, secretsPerCluster: 30 });
    const two = feasible({ clusters: 200, secretsPerCluster: 30 });
    close(two.jitterSeconds, 2 * one.jitterSeconds, 1e-15, "2C");
  });

  it("reports an infeasible fleet when one cluster's burst is already too large (S = 400, T = 1)", () => {
    const result = requiredJitter({ clusters: 10, secretsPerCluster: 400 });
    assert.equal(result.feasible, false);
    assert.ok(!result.feasible && /no jitter keeps the per-second risk/.test(result.reason));
  });

  const BAD: Array<[string, Parameters<typeof requiredJitter>[0], RegExp]> = [
    ["clusters 0", { clusters: 0, secretsPerCluster: 1 }, /clusters must be a whole number ≥ 1, got 0/],
    ["clusters 1.5", { clusters: 1.5, secretsPerCluster: 1 }, /clusters must be a whole number/],
    [
      "secrets NaN",
      { clusters: 1, secretsPerCluster: Number.NaN },
      /secretsPerCluster must be a whole number/,
    ],
    ["risk 0", { clusters: 1, secretsPerCluster: 1, risk: 0 }, /risk must be a fraction greater than 0/],
    ["risk 0.5", { clusters: 1, secretsPerCluster: 1, risk: 0.5 }, /less than 0.5/],
    ["risk 1 (a percentage by mistake)", { clusters: 1, secretsPerCluster: 1, risk: 1 }, /0.0001 = 0.01 %/],
    [
      "limit 0",
      { clusters: 1, secretsPerCluster: 1, vaultLimitPer10s: 0 },
      /vaultLimitPer10s must be a number > 0/,
    ],
  ];
  for (const [name, input, message] of BAD) {
    it(`rejects ${name}`, () => {
      assert.throws(() => requiredJitter(input), { name: "JitterModelInputError", message });
    });
  }
});

describe("burstRisk", () => {
  it("equals the model's risk at the model's jitter", () => {
    const result = feasible({ clusters: 700, secretsPerCluster: 30 });
    close(burstRisk(700, 30, result.jitterSeconds), result.risk, 1e-14, "risk");
  });
  it("is certain without spread when the fleet exceeds the threshold, and 0 when it fits", () => {
    assert.equal(burstRisk(700, 30, 0), 1);
    assert.equal(burstRisk(13, 30, 0), 0);
  });
  it("falls as the spread grows", () => {
    assert.ok(burstRisk(700, 30, 300) < burstRisk(700, 30, 190));
  });
});
