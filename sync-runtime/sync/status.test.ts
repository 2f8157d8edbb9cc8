import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Reason } from "../constants.ts";
import { nextStatus, readyReason, statusChanged } from "./status.ts";
import type { StatusOutcome } from "./status.ts";

const t0 = new Date("2026-01-01T00:00:00Z");
const t1 = new Date("2026-01-01T00:05:00Z");
const success = (over: Partial<Extract<StatusOutcome, { kind: "success" }>> = {}): StatusOutcome => ({
  kind: "success",
  ready: true,
  reason: Reason.createSucceeded,
  message: "m",
  syncHash: "h1",
  objects: [{ id: "a", version: "v1" }],
  synced: true,
  created: true,
  ...over,
});

void describe("nextStatus", () => {
  void it("records creation", () => {
    const s = nextStatus(undefined, success(), 1, t0);
    assert.equal(readyReason(s), Reason.createSucceeded);
    assert.equal(s.lastSuccessfulSyncTime, t0.toISOString());
    assert.equal(s.conditions?.find((c) => c.type === "SecretCreated")?.status, "True");
  });
  void it("leaves a steady status untouched (no write on a no-op refresh)", () => {
    const s = nextStatus(undefined, success(), 1, t0);
    const again = nextStatus(
      s,
      success({ reason: Reason.updateNoValueChangeSucceeded, synced: false, created: false }),
      1,
      t1,
    );
    assert.equal(again, s);
    assert.equal(statusChanged(s, again), false);
  });
  void it("moves to a failure and back, keeping the last hash and time on failure", () => {
    const s = nextStatus(undefined, success(), 1, t0);
    const failed = nextStatus(
      s,
      { kind: "failure", reason: Reason.providerError, message: "vault unavailable" },
      1,
      t1,
    );
    assert.equal(readyReason(failed), Reason.providerError);
    assert.equal(failed.syncHash, "h1");
    assert.equal(failed.lastSuccessfulSyncTime, t0.toISOString());
    assert.equal(failed.conditions?.find((c) => c.type === "SecretUpdated")?.reason, Reason.providerError);
    assert.ok(statusChanged(s, failed));
    const back = nextStatus(
      failed,
      success({ reason: Reason.updateNoValueChangeSucceeded, synced: false, created: false }),
      1,
      t1,
    );
    assert.equal(readyReason(back), Reason.updateNoValueChangeSucceeded);
  });
  void it("keeps lastTransitionTime of an unchanged condition", () => {
    const s = nextStatus(undefined, success(), 1, t0);
    const updated = nextStatus(
      s,
      success({ reason: Reason.updateValueChangeOrForceUpdateSucceeded, syncHash: "h2", created: false }),
      1,
      t1,
    );
    assert.equal(
      updated.conditions?.find((c) => c.type === "SecretCreated")?.lastTransitionTime,
      t0.toISOString(),
    );
    assert.equal(updated.conditions?.find((c) => c.type === "Ready")?.lastTransitionTime, t1.toISOString());
    assert.equal(updated.lastSuccessfulSyncTime, t1.toISOString());
  });
  // Ready=True with SecretCreated=False would tell a user the Secret is missing while it is there.
  const noFalseWhenReady: Array<[string, () => ReturnType<typeof nextStatus>]> = [
    [
      "failure, then a success that found the Secret already written (its status write was lost)",
      () => {
        const failed = nextStatus(
          undefined,
          { kind: "failure", reason: Reason.providerError, message: "m" },
          1,
          t0,
        );
        return nextStatus(
          failed,
          success({ reason: Reason.updateNoValueChangeSucceeded, created: false }),
          1,
          t1,
        );
      },
    ],
    [
      "a steady-looking status that still carries SecretCreated=False",
      () => {
        const ok = nextStatus(undefined, success(), 1, t0);
        const stale = {
          ...ok,
          conditions: ok.conditions!.map((c) =>
            c.type === "SecretCreated"
              ? { ...c, status: "False" as const, reason: Reason.providerError, message: "m" }
              : c,
          ),
        };
        return nextStatus(
          stale,
          success({ reason: Reason.updateNoValueChangeSucceeded, synced: false, created: false }),
          1,
          t1,
        );
      },
    ],
  ];
  for (const [name, run] of noFalseWhenReady) {
    void it(`no condition stays False once Ready is True: ${name}`, () => {
      const s = run();
      assert.equal(readyReason(s), s.conditions?.find((c) => c.type === "Ready")?.reason);
      assert.equal(s.conditions?.find((c) => c.type === "Ready")?.status, "True");
      assert.deepEqual(
        s.conditions?.filter((c) => c.status !== "True").map((c) => `${c.type}=${c.status} ${c.reason}`),
        [],
      );
    });
  }
  void it("reports PartialSync as Ready=False", () => {
    const s = nextStatus(undefined, success({ ready: false, reason: Reason.partialSync }), 1, t0);
    assert.equal(s.conditions?.find((c) => c.type === "Ready")?.status, "False");
  });
});
