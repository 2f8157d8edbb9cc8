import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WorkQueue } from "./queue.ts";
import type { Timers } from "./queue.ts";

/** Manual timers: fire on demand. */
function manualTimers(): Timers & { fire(): void; pending(): number } {
  const timers = new Map<number, () => void>();
  let next = 0;
  return {
    setTimeout: (fn) => {
      timers.set(++next, fn);
      return next;
    },
    clearTimeout: (h) => void timers.delete(h as number),
    fire: () => {
      const all = [...timers.values()];
      timers.clear();
      all.forEach((fn) => fn());
    },
    pending: () => timers.size,
  };
}

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
    const timers = manualTimers();
    let now = 0;
    const runs: string[] = [];
    const queue = new WorkQueue<null>(
      { process: async (k) => void runs.push(k), merge: () => null, timers },
      () => now,
    );
    queue.addAfter("k", null, 1000);
    queue.addAfter("k", null, 5000);
    assert.equal(timers.pending(), 1);
    assert.equal(queue.scheduled, 1);
    queue.add("k", null);
    assert.equal(timers.pending(), 0);
    await queue.idle();
    assert.deepEqual(runs, ["k"]);
    queue.addAfter("j", null, 10);
    now = 10;
    timers.fire();
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
    });
    queue.add("bad", null);
    queue.add("good", null);
    await queue.idle();
    assert.deepEqual(errors, ["bad"]);
  });
});
