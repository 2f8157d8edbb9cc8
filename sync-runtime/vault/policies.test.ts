import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_BACKOFF, retryDelayMs } from "./backoff.ts";
import { CircuitBreaker, CircuitState } from "./circuit-breaker.ts";
import { TokenBucket } from "./token-bucket.ts";

void describe("retryDelayMs", () => {
  const table: Array<[number, number | undefined, number]> = [
    [0, undefined, 1000],
    [1, undefined, 2000],
    [2, undefined, 4000],
    [3, undefined, 8000],
    [4, undefined, 16000],
    [5, undefined, 16000],
    [0, 7000, 7000],
    [3, 0, 0],
    [0, 600_000, 60_000],
  ];
  for (const [attempt, retryAfter, expected] of table) {
    void it(`attempt ${attempt}, Retry-After ${String(retryAfter)} → ${expected} ms`, () => {
      assert.equal(retryDelayMs(attempt, retryAfter, DEFAULT_BACKOFF), expected);
    });
  }
  void it("scales with the base", () => {
    const options = { baseDelayMs: 10, maxDelayMs: 160, maxRetryAfterMs: 1000 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((a) => retryDelayMs(a, undefined, options)),
      [10, 20, 40, 80, 160, 160],
    );
  });
});

void describe("TokenBucket", () => {
  void it("grants the burst at once, then makes requests wait for refill, then refuses beyond maxWaitMs", () => {
    const bucket = new TokenBucket({ refillPerSecond: 2, burst: 3, maxWaitMs: 1000 }, 0);
    assert.deepEqual(
      [bucket.reserve(0), bucket.reserve(0), bucket.reserve(0)],
      Array(3).fill({ granted: true, waitMs: 0 }),
    );
    assert.deepEqual(bucket.reserve(0), { granted: true, waitMs: 500 });
    assert.deepEqual(bucket.reserve(0), { granted: true, waitMs: 1000 });
    assert.deepEqual(bucket.reserve(0), { granted: false, retryAfterMs: 1500 });
    // a refused reservation takes nothing
    assert.equal(bucket.available(0), -2);
    assert.equal(bucket.available(1000), 0);
    assert.deepEqual(bucket.reserve(1000), { granted: true, waitMs: 500 });
  });
  void it("never refills beyond the burst", () => {
    const bucket = new TokenBucket({ refillPerSecond: 100, burst: 5, maxWaitMs: 0 }, 0);
    assert.equal(bucket.available(3_600_000), 5);
  });
  void it("rejects invalid options naming the field", () => {
    assert.throws(
      () => new TokenBucket({ refillPerSecond: 0, burst: 1, maxWaitMs: 0 }, 0),
      /refillPerSecond/,
    );
    assert.throws(() => new TokenBucket({ refillPerSecond: 1, burst: 0, maxWaitMs: 0 }, 0), /burst/);
  });
});

void describe("CircuitBreaker", () => {
  void it("opens after N consecutive failures, half-opens after the cooldown with one probe, closes on success", () => {
    const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 10_000 });
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(breaker.admit(0), { allowed: true, probe: false });
      breaker.recordFailure(0);
    }
    assert.equal(breaker.state(0), CircuitState.closed);
    breaker.recordFailure(100);
    assert.equal(breaker.state(100), CircuitState.open);
    assert.deepEqual(breaker.admit(5100), { allowed: false, retryAfterMs: 5000 });
    assert.equal(breaker.state(10_100), CircuitState.halfOpen);
    assert.deepEqual(breaker.admit(10_100), { allowed: true, probe: true });
    assert.equal(breaker.admit(10_100).allowed, false, "only one probe at a time");
    breaker.recordSuccess();
    assert.equal(breaker.state(10_200), CircuitState.closed);
  });
  void it("re-opens when the probe fails", () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 1000 });
    breaker.recordFailure(0);
    assert.equal(breaker.admit(1000).allowed, true);
    breaker.recordFailure(1000);
    assert.equal(breaker.state(1500), CircuitState.open);
    assert.equal(breaker.state(2000), CircuitState.halfOpen);
  });
  void it("a success resets the failure count", () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 1000 });
    breaker.recordFailure(0);
    breaker.recordSuccess();
    breaker.recordFailure(0);
    assert.equal(breaker.state(0), CircuitState.closed);
  });
  void it("release frees the probe slot of a request that was never sent", () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 0 });
    breaker.recordFailure(0);
    assert.equal(breaker.admit(0).allowed, true);
    breaker.release();
    assert.equal(breaker.admit(0).allowed, true);
  });
});
