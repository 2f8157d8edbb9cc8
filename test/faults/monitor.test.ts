import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ValueHistory, isCurrent, judgeSample } from "./monitor.ts";
import type { SampleProblem } from "./monitor.ts";

const history = new ValueHistory();
history.add("s1", "s1-first");
history.add("s2", "s2-first");
history.add("s1", "s1-second");
const layout = { a: "s1", b: "s2" };

void describe("judgeSample", () => {
  const table: Array<[string, Record<string, string> | undefined, Array<[string, number]>, SampleProblem[]]> =
    [
      ["current values", { a: "s1-second", b: "s2-first" }, [], []],
      [
        "an older value not yet seen newer is fine (the rotation has not arrived)",
        { a: "s1-first", b: "s2-first" },
        [],
        [],
      ],
      ["missing Secret", undefined, [], ["missing"]],
      ["empty key", { a: "", b: "s2-first" }, [], ["empty"]],
      ["absent key", { b: "s2-first" }, [], ["empty"]],
      ["a value never written", { a: "made-up", b: "s2-first" }, [], ["foreign"]],
      ["another secret's value", { a: "s2-first", b: "s2-first" }, [], ["foreign"]],
      ["set back after the newer value was seen", { a: "s1-first", b: "s2-first" }, [["a", 2]], ["older"]],
    ];
  for (const [what, data, seen, expected] of table) {
    void it(`${what} → ${expected.join(",") || "good"}`, () => {
      const lastSeen = new Map(seen);
      assert.deepEqual(
        judgeSample(layout, data, history, lastSeen).map((p) => p.problem),
        expected,
      );
    });
  }
  void it("remembers the newest generation each key showed", () => {
    const lastSeen = new Map<string, number>();
    judgeSample(layout, { a: "s1-second", b: "s2-first" }, history, lastSeen);
    assert.deepEqual(
      [...lastSeen],
      [
        ["a", 2],
        ["b", 1],
      ],
    );
  });
});

void describe("isCurrent", () => {
  void it("needs every key at its vault secret's latest value", () => {
    assert.equal(isCurrent(layout, { a: "s1-second", b: "s2-first" }, history), true);
    assert.equal(isCurrent(layout, { a: "s1-first", b: "s2-first" }, history), false);
    assert.equal(isCurrent(layout, undefined, history), false);
  });
});
