import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ProviderErrorKind } from "../vault/types.ts";
import type { ProviderErrorInfo } from "../vault/types.ts";
import type { ItemOutcome } from "./resolve.ts";
import { eventAction, failureClass, rootFailureKind, transitionKey } from "./transitions.ts";
import type { EventAction, EventInput, EventMemory } from "./transitions.ts";

const info = (
  kind: ProviderErrorInfo["kind"],
  underlying?: ProviderErrorInfo["kind"],
): ProviderErrorInfo => ({
  kind,
  message: kind,
  ...(underlying ? { underlying: { kind: underlying, message: underlying } } : {}),
});
const failed = (provider?: ProviderErrorInfo): ItemOutcome => ({
  ok: false,
  targetKey: "k",
  sourcePath: "p",
  kind: provider ? "provider" : "content",
  message: "m",
  ...(provider ? { provider } : {}),
});

void describe("failureClass", () => {
  const table: Array<[string, ItemOutcome[], string]> = [
    ["no failures", [], ""],
    ["one kind", [failed(info("Throttled"))], "Throttled"],
    ["an open circuit counts as its cause", [failed(info("CircuitOpen", "Throttled"))], "Throttled"],
    [
      "a vault outage does not flap between its failure and the open circuit",
      [failed(info("Unavailable")), failed(info("CircuitOpen", "Unavailable"))],
      "Unavailable",
    ],
    ["an open circuit without a known cause", [failed(info("CircuitOpen"))], "CircuitOpen"],
    [
      "several kinds, sorted",
      [failed(info("Throttled")), failed(info("AccessDenied"))],
      "AccessDenied,Throttled",
    ],
    ["content problems", [failed()], "Content"],
  ];
  for (const [what, outcomes, expected] of table) {
    void it(`${what} → "${expected}"`, () => assert.equal(failureClass(outcomes), expected));
  }
  void it("a paused identity reports the refusal behind it", () => {
    assert.equal(rootFailureKind(info(ProviderErrorKind.accessDenied, "AccessDenied")), "AccessDenied");
    assert.equal(rootFailureKind(undefined), ProviderErrorKind.internal);
  });
});

void describe("eventAction", () => {
  const memory = (key: string, count = 1, reported = 1): EventMemory => ({
    key,
    eventName: "e",
    count,
    reported,
  });
  const input = (over: Partial<EventInput>): EventInput => ({
    key: transitionKey("ProviderError", "Unavailable"),
    previousReason: "ProviderError",
    reason: "ProviderError",
    written: false,
    warning: true,
    ...over,
  });
  const table: Array<[string, EventMemory | undefined, EventInput, EventAction]> = [
    ["first reconcile ever", undefined, input({ previousReason: undefined }), { kind: "emit" }],
    ["a restarted runtime finds the condition reported already", undefined, input({}), { kind: "none" }],
    [
      "a restarted runtime sees the reason change",
      undefined,
      input({ previousReason: "CreateSucceeded" }),
      { kind: "emit" },
    ],
    [
      "same reason, new failure kind",
      memory("ProviderError/Unavailable"),
      input({ key: "ProviderError/AccessDenied" }),
      { kind: "emit" },
    ],
    [
      "second occurrence: count written (2 ≥ 2 × 1)",
      memory("ProviderError/Unavailable"),
      input({}),
      { kind: "repeat", update: true },
    ],
    [
      "third occurrence: counted only",
      memory("ProviderError/Unavailable", 2, 2),
      input({}),
      { kind: "repeat", update: false },
    ],
    [
      "fourth occurrence: count written",
      memory("ProviderError/Unavailable", 3, 2),
      input({}),
      { kind: "repeat", update: true },
    ],
    [
      "a steady success",
      memory("CreateSucceeded/"),
      input({ key: "CreateSucceeded/", warning: false }),
      { kind: "none" },
    ],
    [
      "a Secret write is always reported",
      memory("CreateSucceeded/"),
      input({ key: "CreateSucceeded/", written: true, warning: false }),
      { kind: "emit" },
    ],
  ];
  for (const [what, last, given, expected] of table) {
    void it(what, () => assert.deepEqual(eventAction(last, given), expected));
  }
});
