import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createLogger } from "../logger.ts";
import { SyncEvents } from "./events.ts";
import type { EventKube, ReportInput } from "./events.ts";
import type { EventMemory } from "./transitions.ts";

const subject = { apiVersion: "v1", kind: "SecretSync", name: "app", namespace: "team-a" };
const failure: ReportInput = {
  key: "ProviderError/Unavailable",
  previousReason: undefined,
  reason: "ProviderError",
  written: false,
  warning: true,
  type: "Warning",
  message: "vault unavailable",
};

function setup(kube: Partial<EventKube>) {
  const lines: string[] = [];
  const logger = createLogger({
    destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) as never,
  });
  const calls: string[] = [];
  const events = new SyncEvents(
    {
      emitEvent: async (_s, _t, reason) => (calls.push(`emit ${reason}`), "ev-1"),
      updateEventCount: async (_ns, name, count) => (calls.push(`count ${name} ${count}`), true),
      ...kube,
    },
    logger,
    () => new Date(0),
  );
  return { events, calls, lines };
}

void describe("SyncEvents", () => {
  void it("logs a failed Event write and has nothing to count into afterwards", async () => {
    const { events, lines } = setup({ emitEvent: async () => undefined });
    const memory: { events?: EventMemory } = {};
    await events.report(subject, memory, failure);
    for (let i = 0; i < 5; i++)
      await events.report(subject, memory, { ...failure, previousReason: "ProviderError" });
    assert.match(lines.join(""), /event write failed/);
    assert.equal(memory.events?.eventName, undefined);
    assert.equal(memory.events?.count, 6);
  });

  void it("stops updating an Event that can no longer be updated (expired)", async () => {
    const calls: string[] = [];
    const { events } = setup({
      updateEventCount: async (_ns, name, count) => (calls.push(`${name} ${count}`), false),
    });
    const memory: { events?: EventMemory } = {};
    for (let i = 0; i < 8; i++) await events.report(subject, memory, failure);
    assert.deepEqual(calls, ["ev-1 2"]);
  });
});
