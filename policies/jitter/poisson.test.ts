import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { logGamma, poissonCdf, poissonUpperTail } from "./poisson.ts";

/** P(X > k) references from 30-digit mpmath (regularized lower incomplete gamma P(k + 1, μ)). */
const TAILS: Array<{ k: number; mean: number; tail: number }> = [
  { k: 13, mean: 3.7, tail: 3.3718198331405875e-5 },
  { k: 0, mean: 2, tail: 0.8646647167633873 },
  { k: 100, mean: 5, tail: 2.964764877164206e-92 },
  { k: 399, mean: 300, tail: 2.2066520142884453e-8 },
];

function close(actual: number, expected: number, relative: number): void {
  assert.ok(Math.abs(actual - expected) <= relative * Math.abs(expected), `got ${actual}, want ${expected}`);
}

describe("poisson tails", () => {
  for (const { k, mean, tail } of TAILS) {
    it(`P(X > ${k}; μ = ${mean}) = ${tail}`, () => {
      close(poissonUpperTail(k, mean), tail, 1e-10);
      close(poissonCdf(k, mean), 1 - tail, 1e-12);
    });
  }

  it("uses the lower sum when μ ≥ k + 1 (P(X > 5; μ = 100) is 1 to double precision)", () => {
    assert.equal(poissonUpperTail(5, 100), 1);
    assert.ok(poissonCdf(5, 100) < 1e-30);
  });

  it("matches the closed form 1 − e^{−μ}(1 + μ) for k = 1 on both branches", () => {
    for (const mean of [0.5, 1.5, 2, 7])
      close(poissonUpperTail(1, mean), 1 - Math.exp(-mean) * (1 + mean), 1e-13);
  });

  it("is 0 above any k for μ = 0", () => {
    assert.equal(poissonUpperTail(3, 0), 0);
    assert.equal(poissonCdf(3, 0), 1);
  });

  it("ln Γ matches ln k! for integers", () => {
    let logFactorial = 0;
    for (let k = 1; k <= 170; k++) {
      logFactorial += Math.log(k);
      close(logGamma(k + 1), logFactorial, 1e-13);
    }
    assert.ok(Math.abs(logGamma(1)) < 1e-15);
  });

  it("rejects bad input", () => {
    assert.throws(() => poissonUpperTail(-1, 1), /k must be an integer/);
    assert.throws(() => poissonUpperTail(1.5, 1), /k must be an integer/);
    assert.throws(() => poissonCdf(1, -1), /mean must be a finite number/);
    assert.throws(() => logGamma(0.1), /x must be a finite number ≥ 0.5/);
  });
});
