import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManualClock } from "../test/support/clock.ts";
import { WorkQueue, queueBackoffMs } from "./queue.ts";

void describe("WorkQueue", () => {
  void it("serializes a key and merges payloads added while it runs", async () => {
    const runs: Array<[string, boolean]> = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const queue = new WorkQueue<{ force: boolean }>({
      process: async (key, p) => {
        runs.push([key, p.force]);
        if (runs.length === 1) await gate;
      },
      merge: (a, b) => ({ force: a.force || b.force }),
    });
    queue.add("k", { force: false });
    queue.add("k", { force: true });
    queue.add("k", { force: false });
    release();
    await queue.idle();
    await queue.idle();
    assert.deepEqual(runs, [
      ["k", false],
      ["k", true],
    ]);
  });
  void it("runs distinct keys in parallel up to the concurrency", async () => {
    let running = 0;
    let most = 0;
    const queue = new WorkQueue<null>({
      process: async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setImmediate(r));
        running--;
      },
      merge: () => null,
      concurrency: 2,
    });
    for (const k of ["a", "b", "c", "d"]) queue.add(k, null);
    await queue.idle();
    assert.equal(most, 2);
  });
  void it("keeps the earliest delayed add and lets add() pre-empt it", async () => {
    const clock = new ManualClock();
    const runs: string[] = [];
    const queue = new WorkQueue<null>({ process: async (k) => void runs.push(k), merge: () => null, clock });
    queue.addAfter("k", null, 1000);
    queue.addAfter("k", null, 5000);
    assert.equal(clock.pendingTimers, 1);
    assert.equal(queue.scheduled, 1);
    queue.add("k", null);
    assert.equal(clock.pendingTimers, 0);
    await queue.idle();
    assert.deepEqual(runs, ["k"]);
    queue.addAfter("j", null, 10);
    clock.advance(10);
    await queue.idle();
    assert.deepEqual(runs, ["k", "j"]);
  });
  void it("keeps going after a failing item", async () => {
    const errors: string[] = [];
    const queue = new WorkQueue<null>({
      process: async (k) => {
        if (k === "bad") throw new Error("boom");
      },
      merge: () => null,
      onError: (k) => errors.push(k),
      clock: new ManualClock(),
    });
    queue.add("bad", null);
    queue.add("good", null);
    await queue.idle();
    assert.deepEqual(errors, ["bad"]);
  });
  void it("retries a failing key after a doubling backoff and resets it after a success", async () => {
    const clock = new ManualClock();
    const retries: number[] = [];
    let failuresLeft = 3;
    let runs = 0;
    const queue = new WorkQueue<null>({
      process: async () => {
        runs++;
        if (failuresLeft-- > 0) throw new Error("apiserver away");
      },
      merge: () => null,
      onError: (_k, _e, retryInMs) => retries.push(retryInMs),
      backoff: { baseMs: 100, maxMs: 250 },
      clock,
    });
    queue.add("k", null);
    for (const wait of [100, 200, 250]) {
      await queue.idle();
      assert.equal(queue.scheduled, 1);
      clock.advance(wait - 1);
      assert.equal(queue.scheduled, 1, "not before its backoff");
      clock.advance(1);
    }
    await queue.idle();
    assert.deepEqual(retries, [100, 200, 250]);
    assert.equal(runs, 4);
    assert.equal(queue.scheduled, 0, "a success schedules nothing");
    failuresLeft = 1;
    queue.add("k", null);
    await queue.idle();
    assert.deepEqual(retries, [100, 200, 250, 100], "the success reset the backoff");
    await queue.stop();
    assert.equal(clock.pendingTimers, 0);
  });
  void it("queueBackoffMs doubles from the base up to the cap", () => {
    const backoff = { baseMs: 1000, maxMs: 60_000 };
    assert.deepEqual(
      [1, 2, 3, 4, 6, 7, 20].map((n) => queueBackoffMs(n, backoff)),
      [1000, 2000, 4000, 8000, 32_000, 60_000, 60_000],
    );
  });
});
