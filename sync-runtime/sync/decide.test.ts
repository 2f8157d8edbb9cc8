import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Reason } from "../constants.ts";
import { classifyOwnership, decide } from "./decide.ts";
import type { DecideInput } from "./decide.ts";
import { objectsYaml, spcResource, syncResource } from "../../test/support/sync-fixtures.ts";
import type { ItemOutcome } from "./resolve.ts";
import { validateSecretSync } from "./secretsync.ts";
import { validateSpc } from "./spc.ts";
import type { SecretResource } from "./types.ts";

const spc = validateSpc(
  spcResource(objectsYaml(["objectName: a\nobjectType: secret", "objectName: b\nobjectType: secret"])),
);
const sync = validateSecretSync(
  syncResource({
    secretObject: {
      data: [
        { sourcePath: "a", targetKey: "A" },
        { sourcePath: "b", targetKey: "B" },
      ],
    },
  }),
);
assert.ok(spc.ok && sync.ok);
const ok = (targetKey: string, value: string, version = "v1"): ItemOutcome => ({
  ok: true,
  targetKey,
  sourcePath: targetKey.toLowerCase(),
  value: Buffer.from(value),
  objectVersion: { id: targetKey.toLowerCase(), version },
});
const bad = (targetKey: string, retryAfterMs?: number): ItemOutcome => ({
  ok: false,
  targetKey,
  sourcePath: targetKey.toLowerCase(),
  kind: "provider",
  message: "vault unavailable (HTTP 503)",
  provider: { kind: "Unavailable", message: "vault unavailable", retryAfterMs: retryAfterMs || undefined },
});
const input = (over: Partial<DecideInput>): DecideInput => ({
  sync: sync.value,
  spc: spc.value,
  outcomes: [ok("A", "1"), ok("B", "2")],
  existing: undefined,
  previousObjects: [],
  previousSyncHash: undefined,
  previousForce: undefined,
  partialSync: true,
  hashKey: Buffer.alloc(32, 1),
  ...over,
});
const ours = (data: Record<string, string>): SecretResource => ({
  metadata: {
    name: "app",
    namespace: "team-a",
    labels: { "secrets-store.sync.x-k8s.io": "" },
    ownerReferences: [
      {
        apiVersion: "secret-sync.x-k8s.io/v1alpha1",
        kind: "SecretSync",
        name: "app",
        uid: "uid-app",
        controller: true,
      },
    ],
  },
  type: "Opaque",
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
});

void describe("classifyOwnership", () => {
  const cases: Array<[string, SecretResource | undefined, string]> = [
    ["absent", undefined, "absent"],
    ["ours", ours({}), "ours"],
    ["no label", { metadata: { name: "app", namespace: "team-a" } }, "foreignLabel"],
    [
      "label, no owner",
      { metadata: { name: "app", namespace: "team-a", labels: { "secrets-store.sync.x-k8s.io": "" } } },
      "adoptable",
    ],
    [
      "label, other owner",
      {
        metadata: {
          name: "app",
          namespace: "team-a",
          labels: { "secrets-store.sync.x-k8s.io": "" },
          ownerReferences: [
            { apiVersion: "apps/v1", kind: "Deployment", name: "x", uid: "z", controller: true },
          ],
        },
      },
      "foreignOwner",
    ],
  ];
  for (const [name, secret, kind] of cases)
    void it(name, () => assert.equal(classifyOwnership(secret, "uid-app").kind, kind));
});

void describe("decide", () => {
  void it("creates with one controller ownerReference and the managed label", () => {
    const d = decide(input({}));
    assert.ok(d.kind === "write");
    assert.equal(d.reason, Reason.createSucceeded);
    assert.equal(d.secret?.metadata.ownerReferences.length, 1);
    assert.equal(d.secret?.metadata.ownerReferences[0]?.controller, true);
    assert.equal(d.secret?.metadata.labels["secrets-store.sync.x-k8s.io"], "");
    assert.deepEqual(d.objects, [
      { id: "a", version: "v1" },
      { id: "b", version: "v1" },
    ]);
  });
  void it("is a no-op when nothing changed", () => {
    const first = decide(input({}));
    assert.ok(first.kind !== "fail");
    const d = decide(
      input({ existing: ours({ A: "1", B: "2" }), previousSyncHash: first.syncHash, previousForce: "" }),
    );
    assert.equal(d.kind, "noop");
  });
  void it("is a no-op when another field manager added a key (server-side apply keeps it)", () => {
    const first = decide(input({}));
    assert.ok(first.kind !== "fail");
    const d = decide(
      input({
        existing: ours({ A: "1", B: "2", added: "by someone else" }),
        previousSyncHash: first.syncHash,
        previousForce: "",
      }),
    );
    assert.equal(d.kind, "noop");
  });
  void it("applies once when a spec change dropped a key keyfleet wrote", () => {
    const first = decide(input({}));
    assert.ok(first.kind !== "fail");
    const resource = syncResource({ secretObject: { data: [{ sourcePath: "a", targetKey: "A" }] } });
    const onlyA = validateSecretSync({ ...resource, metadata: { ...resource.metadata, generation: 2 } });
    assert.ok(onlyA.ok);
    const d = decide(
      input({
        sync: onlyA.value,
        outcomes: [ok("A", "1")],
        existing: ours({ A: "1", B: "2" }),
        previousSyncHash: first.syncHash,
        previousForce: "",
      }),
    );
    assert.ok(d.kind === "write");
    assert.deepEqual(Object.keys(d.secret?.data ?? {}), ["A"]);
  });
  void it("updates a changed value", () => {
    const d = decide(
      input({ existing: ours({ A: "old", B: "2" }), previousSyncHash: "x", previousForce: "" }),
    );
    assert.ok(d.kind === "write");
    assert.equal(d.reason, Reason.updateValueChangeOrForceUpdateSucceeded);
  });
  void it("writes on a forceSynchronization change even with equal values", () => {
    const first = decide(input({}));
    assert.ok(first.kind !== "fail");
    const forced = { ...sync.value, forceSynchronization: "2" };
    const d = decide(
      input({
        sync: forced,
        existing: ours({ A: "1", B: "2" }),
        previousSyncHash: first.syncHash,
        previousForce: "",
      }),
    );
    assert.ok(d.kind === "write");
    assert.equal(d.reason, Reason.updateValueChangeOrForceUpdateSucceeded);
  });
  void it("refuses a foreign Secret", () => {
    const d = decide(input({ existing: { metadata: { name: "app", namespace: "team-a" } } }));
    assert.equal(d.kind, "fail");
    assert.equal(d.reason, Reason.invalidClusterSecretLabelError);
  });
  void it("partial sync keeps the last good value of a failed item", () => {
    const d = decide(
      input({
        outcomes: [ok("A", "new", "v2"), bad("B")],
        existing: ours({ A: "1", B: "2" }),
        previousObjects: [
          { id: "a", version: "v1" },
          { id: "b", version: "v1" },
        ],
      }),
    );
    assert.ok(d.kind === "write");
    assert.equal(d.reason, Reason.partialSync);
    assert.equal(d.ready, false);
    assert.equal(Buffer.from(d.secret!.data.B!, "base64").toString(), "2");
    assert.deepEqual(d.objects, [
      { id: "a", version: "v2" },
      { id: "b", version: "v1" },
    ]);
    const summary = JSON.parse(d.message) as Array<{ targetKey: string; synced: boolean }>;
    assert.deepEqual(
      summary.map((s) => [s.targetKey, s.synced]),
      [
        ["A", true],
        ["B", false],
      ],
    );
  });
  void it("all-or-nothing writes nothing when one item fails, and carries Retry-After", () => {
    const d = decide(
      input({
        outcomes: [ok("A", "1"), bad("B", 7000)],
        partialSync: false,
        existing: ours({ A: "1", B: "2" }),
      }),
    );
    assert.equal(d.kind, "fail");
    if (d.kind !== "fail") return;
    assert.equal(d.reason, Reason.providerError);
    assert.equal(d.retryAfterMs, 7000);
  });
  void it("writes nothing when every item fails", () => {
    const d = decide(input({ outcomes: [bad("A"), bad("B")], existing: ours({ A: "1", B: "2" }) }));
    assert.equal(d.kind, "fail");
  });
  // "Keeps its last good value" only when there is one; before the first success, say no Secret was written.
  const wording: Array<[string, Partial<Parameters<typeof input>[0]>, RegExp]> = [
    ["every item fails, Secret of ours", { existing: ours({ A: "1", B: "2" }) }, /keeps its last good value/],
    ["every item fails, first sync", {}, /^no item could be fetched; no Secret was written/],
    [
      "partial sync off, first sync",
      { outcomes: [ok("A", "1"), bad("B")], partialSync: false },
      /^partial sync is off and an item failed; no Secret was written/,
    ],
    [
      "partial sync off, Secret of ours",
      { outcomes: [ok("A", "1"), bad("B")], partialSync: false, existing: ours({ A: "1", B: "2" }) },
      /^partial sync is off and an item failed; the Secret keeps its last good value/,
    ],
  ];
  for (const [name, overrides, expected] of wording) {
    void it(`failure wording: ${name}`, () => {
      const d = decide(input({ outcomes: [bad("A"), bad("B")], ...overrides }));
      assert.equal(d.kind, "fail");
      assert.match(d.message, expected);
    });
  }
  void it("refuses data beyond 1 MiB naming the field", () => {
    const d = decide(input({ outcomes: [ok("A", "x".repeat(1024 * 1024)), ok("B", "2")] }));
    assert.equal(d.kind, "fail");
    assert.equal(d.reason, Reason.userInputValidationFailed);
    assert.match(d.message, /spec\.secretObject\.data: the Secret would hold \d+ bytes/);
  });
});
