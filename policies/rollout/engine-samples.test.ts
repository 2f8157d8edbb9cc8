/**
 * Real output of the Pulumi CLI 3.276 (captured from a throwaway program of components only, file backend): the
 * `preview --json --show-sames` digest, the same preview streamed as engine events, and a refresh-preview. The
 * two forms of one preview give the same change set.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { ChangeOp } from "./changeset.ts";
import { digestFromEngineEvents, isEngineEventStream, withSecretsBlinded } from "./engine-events.ts";
import { changeSetFromPreview, parsePreviewJson } from "./from-preview.ts";

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, "__fixtures__", name), "utf8");
const summary = (ops: Array<{ op: string; name: string; changedPaths: string[] }>) =>
  ops.map((r) => `${r.op} ${r.name} ${r.changedPaths.join(",")}`.trim());

describe("pulumi preview --json of the real CLI (3.276)", () => {
  // URN order (the change set's order, whatever order the engine's concurrent steps came in).
  const EXPECTED = [
    "same sample-sample",
    "create cluster-1-new",
    "delete cluster-1-old",
    "update cluster-1-secret", // a secret changed: both sides show "[secret]", the engine gives no diff keys
    "same cluster-1-spc",
    "update cluster-1 engine.jitterSeconds",
  ];

  it("the digest: one step per resource with old and new state, sames included", () => {
    const text = fixture("preview-3.276.json");
    assert.equal(isEngineEventStream(text), false);
    const changes = changeSetFromPreview("sample", parsePreviewJson(text));
    assert.deepEqual(summary(changes.resources), EXPECTED);
    const created = changes.resources.find((r) => r.op === ChangeOp.create)!;
    assert.equal(created.parent, "urn:pulumi:sample::sample::sample:index:Thing::cluster-1");
    assert.equal(created.type, "sample:index:Thing");
  });

  it("the engine-event stream: the same change set, secrets blinded", () => {
    const text = fixture("preview-3.276.jsonl");
    assert.equal(isEngineEventStream(text), true);
    const { digest, policyEvents } = digestFromEngineEvents(text);
    assert.deepEqual(policyEvents, []);
    assert.deepEqual(digest.changeSummary, { create: 1, delete: 1, same: 2, update: 2 });
    const changes = changeSetFromPreview("sample", digest);
    assert.deepEqual(summary(changes.resources), EXPECTED);
    const secret = changes.resources.find((r) => r.name === "cluster-1-secret")!;
    assert.deepEqual(secret.newInputs, { token: "[secret]" });
    assert.deepEqual(
      withSecretsBlinded({
        a: [{ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "x" }],
      }),
      {
        a: ["[secret]"],
      },
    );
  });

  it("a refresh-preview: refresh steps fold into the program's change; nothing else is drift", () => {
    const changes = changeSetFromPreview("sample", parsePreviewJson(fixture("refresh-preview-3.276.json")));
    assert.deepEqual(
      summary(changes.resources.filter((r) => r.op !== ChangeOp.other && r.op !== ChangeOp.same)),
      [
        "create cluster-1-new",
        "delete cluster-1-old",
        "update cluster-1-secret",
        "update cluster-1 engine.jitterSeconds",
      ],
    );
  });
});
