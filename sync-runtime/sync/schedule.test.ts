import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { localRefusalRetryMs, nextPollDelayMs, retryDelayMs, worstCaseStalenessSeconds } from "./schedule.ts";

const settings = { rotationPollIntervalSeconds: 120, jitterSeconds: 30 };

void describe("nextPollDelayMs", () => {
  const cases: Array<[number, number]> = [
    [0, 120_000],
    [0.5, 135_000],
    [0.999999, 149_999.97],
    [2, 150_000],
    [-1, 120_000],
  ];
  for (const [random, expected] of cases) {
    void it(`random ${random} → ${expected}`, () =>
      assert.equal(
        nextPollDelayMs(settings, () => random),
        Math.round(expected),
      ));
  }
  void it("never exceeds poll + jitter", () => {
    for (let i = 0; i < 100; i++)
      assert.ok(nextPollDelayMs(settings, Math.random) <= worstCaseStalenessSeconds(settings) * 1000);
  });
});

void describe("retryDelayMs", () => {
  const cases: Array<[number, number | undefined, number]> = [
    [1, undefined, 1000],
    [2, undefined, 2000],
    [5, undefined, 16_000],
    [20, undefined, 60_000],
    [1, 7000, 7000],
  ];
  for (const [attempt, retryAfter, expected] of cases) {
    void it(`attempt ${attempt}, Retry-After ${retryAfter} → ${expected}`, () =>
      assert.equal(retryDelayMs(attempt, settings, retryAfter), expected));
  }
  void it("is capped by the poll interval", () =>
    assert.equal(retryDelayMs(10, { rotationPollIntervalSeconds: 5, jitterSeconds: 0 }), 5000));
});

void describe("localRefusalRetryMs", () => {
  const local = (retryAfterMs?: number) => ({
    refusedLocally: true,
    ...(retryAfterMs ? { retryAfterMs } : {}),
  });
  const cases: Array<[string, Parameters<typeof localRefusalRetryMs>[0], number | undefined]> = [
    ["nothing failed", [], undefined],
    ["every failure refused locally: the latest time", [local(1000), local(4000)], 4000],
    ["one failure came from the vault", [local(1000), { retryAfterMs: 2000 }], undefined],
    ["a content failure (no provider error)", [local(1000), undefined], undefined],
    ["a local refusal without a time", [local()], undefined],
  ];
  for (const [what, failures, expected] of cases) {
    void it(`${what} → ${expected}`, () => assert.equal(localRefusalRetryMs(failures), expected));
  }
});
