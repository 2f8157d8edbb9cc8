import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { dataFingerprint, sameDigest, syncHash } from "./hash.ts";
import type { SyncHashInput } from "./hash.ts";

const key = Buffer.alloc(32, 7);
const base: SyncHashInput = {
  data: { a: Buffer.from("one") },
  secretType: "Opaque",
  labels: { x: "1" },
  annotations: {},
  secretSync: { uid: "u", generation: 1 },
  secretProviderClass: { uid: "s", generation: 1 },
  forceSynchronization: "",
};

void describe("syncHash", () => {
  void it("is stable for the same input", () =>
    assert.equal(syncHash(key, base), syncHash(key, { ...base })));
  const changes: Array<[string, Partial<SyncHashInput>]> = [
    ["value", { data: { a: Buffer.from("two") } }],
    ["key name", { data: { b: Buffer.from("one") } }],
    ["type", { secretType: "kubernetes.io/tls" }],
    ["label", { labels: { x: "2" } }],
    ["SecretSync generation", { secretSync: { uid: "u", generation: 2 } }],
    ["SecretSync uid", { secretSync: { uid: "v", generation: 1 } }],
    ["class generation", { secretProviderClass: { uid: "s", generation: 2 } }],
    ["forceSynchronization", { forceSynchronization: "now" }],
  ];
  for (const [name, change] of changes) {
    void it(`changes with the ${name}`, () =>
      assert.notEqual(syncHash(key, { ...base, ...change }), syncHash(key, base)));
  }
  void it("depends on the key and is not a bare digest of the value", () => {
    assert.notEqual(syncHash(Buffer.alloc(32, 8), base), syncHash(key, base));
    const bare = createHash("sha256").update("one").digest("hex");
    assert.notEqual(syncHash(key, base), bare);
    assert.notEqual(dataFingerprint(key, base.data), bare);
  });
  void it("does not confuse key/value boundaries", () => {
    assert.notEqual(
      dataFingerprint(key, { ab: Buffer.from("c") }),
      dataFingerprint(key, { a: Buffer.from("bc") }),
    );
  });
  void it("compares digests", () => {
    assert.ok(sameDigest("ab", "ab"));
    assert.ok(!sameDigest("ab", "ac"));
    assert.ok(!sameDigest(undefined, "ab"));
  });
});
