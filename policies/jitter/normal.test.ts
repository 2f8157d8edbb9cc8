import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { normalQuantile } from "./normal.ts";

/** References: 30-digit mpmath (√2·erfinv(2p − 1), or a root of Φ(x) = p in the far tail). */
const REFERENCES: Array<[number, number]> = [
  [0.5, 0],
  [0.3, -0.5244005127080408],
  [0.975, 1.9599639845400543],
  [0.025, -1.9599639845400543],
  [0.01, -2.326347874040841],
  [0.001, -3.0902323061678136],
  [1e-4, -3.7190164854556804],
  [0.9999, 3.7190164854556804],
  [1e-6, -4.753424308822899],
  [1e-10, -6.361340902404057],
  [1e-20, -9.262340089798407],
  [1e-100, -21.273453560965326],
  [1e-300, -37.0470962993612],
];

describe("normalQuantile (AS 241)", () => {
  for (const [p, expected] of REFERENCES) {
    it(`Φ⁻¹(${p}) = ${expected}`, () => {
      const actual = normalQuantile(p);
      const tolerance = Math.max(1e-14 * Math.abs(expected), 1e-15);
      assert.ok(Math.abs(actual - expected) <= tolerance, `got ${actual}, want ${expected}`);
    });
  }

  it("is antisymmetric around 0.5", () => {
    for (const p of [0.1, 0.2, 0.4, 0.49])
      assert.ok(Math.abs(normalQuantile(p) + normalQuantile(1 - p)) < 1e-14);
  });

  for (const bad of [0, 1, -0.1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`rejects p = ${bad}`, () => {
      assert.throws(() => normalQuantile(bad), { name: "RangeError", message: /strictly between 0 and 1/ });
    });
  }
});
