import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { akvSyncEvents } from "./events.ts";
import { expandItem } from "./expand.ts";
import { planAkvSync, withApplyFailure } from "./plan.ts";
import type { AkvSyncStatus, Condition } from "./types.ts";
import { validateAkvSync } from "./validate.ts";

const top = { keyvaultName: "kv-one", clientID: "c", tenantID: "t", serviceAccountName: "sa" };
const validation = validateAkvSync({ ...top, objects: [{ secretInAKV: "a" }, { secretInAKV: "b" }] });
const akv = { name: "app", namespace: "ns", uid: "u" };
const plan = planAkvSync(
  "u",
  validation,
  validation.valid.map((i) => expandItem(akv, validation.spec!, i)),
  [],
);
const valid = (status: "True" | "False", reason: string, message: string): AkvSyncStatus => {
  const condition: Condition = { type: "Valid", status, reason, message, lastTransitionTime: "t" };
  return { conditions: [condition] };
};

describe("withApplyFailure", () => {
  it("moves the item from applied to blocked, in index order, without touching the plan it was given", () => {
    const before = JSON.stringify(plan);
    const failed = withApplyFailure(plan, 0, "applying generated objects failed: HTTP 422");
    assert.equal(JSON.stringify(plan), before, "the input plan is unchanged");
    assert.deepEqual(
      failed.applied.map((e) => e.index),
      [1],
    );
    assert.deepEqual(failed.blocked, [
      {
        index: 0,
        state: "Failed",
        reason: "ApplyFailed",
        message: "applying generated objects failed: HTTP 422",
        secretNames: ["a"],
      },
    ]);
    assert.equal(withApplyFailure(plan, 7, "x"), plan, "an unknown item changes nothing");
  });
});

describe("akvSyncEvents", () => {
  const table: Array<[string, AkvSyncStatus | undefined, AkvSyncStatus, string[], string[]]> = [
    [
      "first apply",
      undefined,
      valid("True", "Applied", "2 applied"),
      ["SecretSync/a"],
      ["Normal GeneratedObjectsApplied"],
    ],
    ["steady", valid("True", "Applied", "x"), valid("True", "Applied", "x"), [], []],
    ["not owned", undefined, valid("False", "ResourceNotOwned", "m"), [], ["Warning ResourceNotOwned"]],
    ["immutable", undefined, valid("False", "SecretTypeImmutable", "m"), [], ["Warning SecretTypeImmutable"]],
    ["apply failed", undefined, valid("False", "ApplyFailed", "m"), [], ["Warning ApplyFailed"]],
    ["invalid", undefined, valid("False", "UserInputValidationFailed", "m"), [], ["Warning InvalidSpec"]],
    ["same problem again", valid("False", "ApplyFailed", "m"), valid("False", "ApplyFailed", "m"), [], []],
    [
      "new message",
      valid("False", "ApplyFailed", "m"),
      valid("False", "ApplyFailed", "n"),
      [],
      ["Warning ApplyFailed"],
    ],
  ];
  for (const [name, previous, next, created, expected] of table) {
    it(name, () => {
      const events = akvSyncEvents(plan, previous, next, created);
      assert.deepEqual(
        events.map((e) => `${e.type} ${e.reason}`),
        expected,
      );
    });
  }
  it("names what it removed", () => {
    const removing = {
      ...plan,
      delete: [{ kind: "SecretSync" as const, metadata: { name: "old", namespace: "ns" } }],
    };
    const [event] = akvSyncEvents(removing, undefined, {}, []);
    assert.deepEqual(event, {
      type: "Normal",
      reason: "GeneratedObjectsRemoved",
      message: "deleted SecretSync/old (no longer in spec.objects)",
    });
  });
});
