import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { ManualClock } from "../../test/support/clock.ts";
import { ChangeBatcher } from "./batcher.ts";
import type { SourceChange } from "./decide.ts";
import { NamespaceRateLimiter } from "./rate-limit.ts";
import { SourceTracker } from "./sources.ts";

describe("ChangeBatcher (injected clock)", () => {
  it("hands over one deduplicated batch per namespace when the window closes", () => {
    const clock = new ManualClock();
    const batches: Array<[string, SourceChange[]]> = [];
    const batcher = new ChangeBatcher({
      windowMs: 5_000,
      clock,
      onBatch: (ns, changes) => batches.push([ns, changes]),
    });
    batcher.add("a", { source: "secret", name: "x" });
    clock.advance(3_000);
    batcher.add("a", { source: "secret", name: "y" });
    batcher.add("a", { source: "secret", name: "x" });
    batcher.add("b", { source: "secret", name: "z" });
    clock.advance(1_999);
    assert.equal(batches.length, 0);
    clock.advance(1);
    assert.deepEqual(batches, [
      [
        "a",
        [
          { source: "secret", name: "x" },
          { source: "secret", name: "y" },
        ],
      ],
    ]);
    clock.advance(3_000);
    assert.deepEqual(
      batches.map(([ns]) => ns),
      ["a", "b"],
    );
  });

  it("uses a fixed window, so a steady stream cannot postpone the batch", () => {
    const clock = new ManualClock();
    let handed = 0;
    const batcher = new ChangeBatcher({ windowMs: 1_000, clock, onBatch: () => handed++ });
    for (let i = 0; i < 10; i++) {
      batcher.add("a", { source: "secret", name: `s${i}` });
      clock.advance(300);
    }
    assert.equal(handed, 2, "windows 0–1000 and 1200–2200 closed while changes kept coming");
    assert.equal(batcher.pending().get("a")?.length, 2);
  });

  it("closeAll hands over at once; discardAll drops", () => {
    const clock = new ManualClock();
    const seen: string[] = [];
    const batcher = new ChangeBatcher({ windowMs: 60_000, clock, onBatch: (ns) => seen.push(ns) });
    batcher.add("a", { source: "secret", name: "x" });
    batcher.closeAll();
    batcher.add("b", { source: "secret", name: "x" });
    batcher.discardAll();
    clock.advance(120_000);
    assert.deepEqual(seen, ["a"]);
    assert.equal(clock.pendingTimers, 0);
  });
});

describe("NamespaceRateLimiter", () => {
  it("allows a burst, then refills at the configured rate, per namespace", () => {
    const limiter = new NamespaceRateLimiter({ burst: 2, perMinute: 6 });
    const t0 = 1_000_000;
    assert.deepEqual([limiter.take("a", t0), limiter.take("a", t0)], [{ ok: true }, { ok: true }]);
    assert.deepEqual(limiter.take("a", t0), { ok: false, retryAfterMs: 10_000 });
    assert.deepEqual(limiter.take("b", t0), { ok: true }, "namespaces are independent");
    assert.deepEqual(limiter.take("a", t0 + 10_000), { ok: true });
    assert.equal(limiter.take("a", t0 + 12_500).ok, false);
  });

  it("rejects nonsense settings", () => {
    assert.throws(() => new NamespaceRateLimiter({ burst: 0, perMinute: 1 }), /burst must be >= 1/);
  });
});

describe("SourceTracker", () => {
  const secret = (
    data: Record<string, string>,
    annotations: Record<string, string> = {},
    resourceVersion = "1",
  ) => ({
    metadata: { name: "s", namespace: "ns", resourceVersion, annotations },
    data,
  });

  it("treats the start-up list and new Secrets as baseline, and only value changes as changes", () => {
    const tracker = new SourceTracker(randomBytes(32), ["keyfleet.io/versions"]);
    assert.equal(tracker.secretSeen(secret({ k: "djE=" }), false), undefined, "baseline");
    assert.equal(
      tracker.secretSeen(secret({ k: "djE=" }, { polled: "now" }, "2"), true),
      undefined,
      "no-change poll",
    );
    const change = tracker.secretSeen(secret({ k: "djI=" }, { "keyfleet.io/versions": "abc" }, "3"), true);
    assert.deepEqual(change, { namespace: "ns", change: { source: "secret", name: "s" }, version: "abc" });
    assert.equal(tracker.secretResourceVersion("ns", "s"), "3");
  });

  it("fingerprints never reveal the value and depend on the key", () => {
    const a = new SourceTracker(Buffer.alloc(32, 1));
    const b = new SourceTracker(Buffer.alloc(32, 2));
    a.secretSeen(secret({ k: "c2VjcmV0" }), false);
    b.secretSeen(secret({ k: "c2VjcmV0" }), false);
    const fa = a.lookup("ns").secret("s")!.fingerprint;
    assert.notEqual(fa, b.lookup("ns").secret("s")!.fingerprint);
    assert.ok(!fa.includes("c2VjcmV0"));
  });

  it("counts a mounted-version rotation once even when every pod reports it", () => {
    const tracker = new SourceTracker(randomBytes(32));
    const status = (pod: string, version: string) => ({
      metadata: { name: pod, namespace: "ns" },
      status: { secretProviderClassName: "spc", objects: [{ id: "secret/x", version }] },
    });
    tracker.podStatusSeen(status("p1", "1"), false);
    tracker.podStatusSeen(status("p2", "1"), false);
    assert.deepEqual(tracker.podStatusSeen(status("p1", "2"), true), {
      namespace: "ns",
      change: { source: "spc", name: "spc" },
    });
    assert.equal(tracker.podStatusSeen(status("p2", "2"), true), undefined);
    assert.equal(tracker.podStatusSeen(status("p3", "3"), false), undefined, "a new pod is not a rotation");
    assert.deepEqual(tracker.lookup("ns").spc("spc")!.versions, ["secret/x@2"]);
  });
});
