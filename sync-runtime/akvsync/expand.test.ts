import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { boundedName, expandItem } from "./expand.ts";
import { planAkvSync } from "./plan.ts";
import type { ExistingObject } from "./plan.ts";
import { validateAkvSync } from "./validate.ts";
import type { ValidItem } from "./types.ts";
import { checkSourcePaths, validateSecretSync } from "../sync/secretsync.ts";
import { validateSpc } from "../sync/spc.ts";

const akv = { name: "app", namespace: "ns", uid: "uid-1" };
const top = { keyvaultName: "kv-one", clientID: "c", tenantID: "t", serviceAccountName: "sa" };
const expand = (item: ValidItem) => expandItem(akv, top, item);
const objectsOf = (spc: { spec: Record<string, unknown> }) =>
  (parse((spc.spec.parameters as { objects: string }).objects) as { array: string[] }).array.map(
    (s) => parse(s) as Record<string, unknown>,
  );
const base = { index: 0, labels: {}, annotations: {} };

describe("expandItem", () => {
  it("maps a secret with history to keys v0..vN from <name>/<i>", () => {
    const out = expand({
      ...base,
      shape: "single",
      objectKind: "secret",
      objectName: "pw",
      secretName: "pw",
      secretType: "Opaque",
      versionHistory: 2,
    });
    assert.deepEqual(objectsOf(out.secretProviderClass), [
      { objectName: "pw", objectAlias: "pw", objectType: "secret", objectVersionHistory: 2 },
    ]);
    assert.deepEqual((out.secretSyncs[0]!.spec.secretObject as { data: unknown }).data, [
      { sourcePath: "pw/0", targetKey: "v0" },
      { sourcePath: "pw/1", targetKey: "v1" },
    ]);
  });

  it("gives a tls cert with history one Secret per version", () => {
    const out = expand({
      ...base,
      shape: "single",
      objectKind: "cert",
      objectName: "web",
      secretName: "web",
      secretType: "kubernetes.io/tls",
      versionHistory: 2,
    });
    assert.deepEqual(
      out.secretSyncs.map((s) => s.metadata.name),
      ["web-v0", "web-v1"],
    );
    assert.equal(objectsOf(out.secretProviderClass)[0]!.objectFormat, "pem");
    assert.deepEqual((out.secretSyncs[1]!.spec.secretObject as { data: unknown }).data, [
      { sourcePath: "web/1", targetKey: "tls.crt" },
      { sourcePath: "web/1", targetKey: "tls.key" },
    ]);
  });

  it("shares one object for history indexes and pins explicit versions in a compound secret", () => {
    const out = expand({
      ...base,
      shape: "compound",
      secretName: "conn",
      secretType: "Opaque",
      mapping: [
        { dataKey: "now", objectKind: "secret", objectName: "pw", version: 0 },
        { dataKey: "before", objectKind: "secret", objectName: "pw", version: 2 },
        { dataKey: "pinned", objectKind: "secret", objectName: "pw", version: "abc123" },
      ],
    });
    assert.deepEqual(objectsOf(out.secretProviderClass), [
      { objectName: "pw", objectAlias: "pw", objectType: "secret", objectVersionHistory: 3 },
      { objectName: "pw", objectAlias: "pw-version.abc123", objectType: "secret", objectVersion: "abc123" },
    ]);
    assert.deepEqual((out.secretSyncs[0]!.spec.secretObject as { data: unknown }).data, [
      { sourcePath: "pw/0", targetKey: "now" },
      { sourcePath: "pw/2", targetKey: "before" },
      { sourcePath: "pw-version.abc123", targetKey: "pinned" },
    ]);
  });

  it("generates a pinned-version compound secret the runtime (and the SecretSync CRD's patterns) accept", () => {
    const guid = "0f0f0f0f-0000-4000-8000-000000000000";
    const version = "0123456789abcdef0123456789abcdef";
    const out = expandItem(
      akv,
      { ...top, clientID: guid, tenantID: guid },
      {
        ...base,
        shape: "compound",
        secretName: "conn",
        secretType: "Opaque",
        mapping: [
          { dataKey: "now", objectKind: "secret", objectName: "p", version: 0 },
          { dataKey: "pinned", objectKind: "secret", objectName: "p", version },
        ],
      },
    );
    const spc = validateSpc(out.secretProviderClass as never);
    assert.ok(spc.ok, JSON.stringify(spc));
    const sync = validateSecretSync(out.secretSyncs[0] as never);
    assert.ok(sync.ok, JSON.stringify(sync));
    assert.deepEqual(checkSourcePaths(sync.value, spc.value), []);
  });

  it("names, labels and owns every generated object deterministically", () => {
    const item: ValidItem = {
      ...base,
      shape: "single",
      objectKind: "secret",
      objectName: "pw",
      secretName: "pw",
      secretType: "Opaque",
      annotations: { "reloader.stakater.com/match": "true" },
    };
    assert.deepEqual(expand(item), expand(item));
    const { secretProviderClass, secretSyncs } = expand(item);
    assert.equal(secretProviderClass.metadata.name, "app-pw");
    assert.deepEqual(secretSyncs[0]!.metadata.ownerReferences, [
      {
        apiVersion: "secret-sync.x-k8s.io/v1alpha1",
        kind: "AKVSync",
        name: "app",
        uid: "uid-1",
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    assert.equal(secretSyncs[0]!.metadata.labels["keyfleet.io/generated-by-akvsync"], "true");
    assert.deepEqual((secretSyncs[0]!.spec.secretObject as { annotations: unknown }).annotations, {
      "reloader.stakater.com/match": "true",
    });
  });

  it("bounds long names with a hash", () => {
    const long = "a".repeat(300);
    assert.equal(boundedName(long).length, 253);
    assert.notEqual(boundedName(long), boundedName(`${long}b`));
    assert.equal(boundedName("short"), "short");
  });
});

describe("planAkvSync", () => {
  const ours = (
    kind: ExistingObject["kind"],
    name: string,
    secret: string,
    secretType?: string,
  ): ExistingObject => ({
    kind,
    metadata: {
      name,
      namespace: "ns",
      uid: `u-${name}`,
      ownerReferences: [{ apiVersion: "v", kind: "AKVSync", name: "app", uid: "uid-1", controller: true }],
      annotations: { "keyfleet.io/akvsync-secret": secret },
    },
    secretType: secretType || undefined,
  });
  const plan = (objects: unknown[], existing: ExistingObject[]) => {
    const validation = validateAkvSync({ ...top, objects });
    const expansions = validation.valid.map((item) => expandItem(akv, validation.spec!, item));
    return planAkvSync("uid-1", validation, expansions, existing);
  };

  it("prunes only owned objects no item wants", () => {
    const p = plan(
      [{ secretInAKV: "a" }],
      [
        ours("SecretSync", "gone", "gone"),
        ours("SecretProviderClass", "app-gone", "gone"),
        { kind: "SecretSync", metadata: { name: "foreign", namespace: "ns" } },
      ],
    );
    assert.deepEqual(
      p.delete.map((o) => o.metadata.name),
      ["gone", "app-gone"],
    );
    assert.deepEqual(
      p.apply.map((o) => `${o.kind}/${o.metadata.name}`),
      ["SecretProviderClass/app-a", "SecretSync/a"],
    );
  });

  it("keeps what an invalid item generated before, and prunes nothing when a name cannot be told", () => {
    assert.deepEqual(
      plan(
        [{ kubernetesSecretName: "kept", mapping: [{ secretInAKV: "x" }] }],
        [ours("SecretSync", "kept", "kept")],
      ).delete,
      [],
    );
    const unknown = plan([{ secretInAKV: "bad_name" }], [ours("SecretSync", "old", "old")]);
    assert.deepEqual(unknown.delete, []);
    assert.match(unknown.pruneSkipped ?? "", /spec\.objects\[0\] is invalid/);
  });

  it("blocks an item whose object is not ours, and one whose Secret type would change", () => {
    const p = plan(
      [{ secretInAKV: "taken" }, { secretInAKV: "typed", kubernetesSecretType: "kubernetes.io/tls" }],
      [
        {
          kind: "SecretSync",
          metadata: {
            name: "taken",
            namespace: "ns",
            ownerReferences: [
              { apiVersion: "v", kind: "AKVSync", name: "other", uid: "x", controller: true },
            ],
          },
        },
        ours("SecretSync", "typed", "typed", "Opaque"),
      ],
    );
    assert.deepEqual(
      p.blocked.map((b) => [b.index, b.reason]),
      [
        [0, "ResourceNotOwned"],
        [1, "SecretTypeImmutable"],
      ],
    );
    assert.match(p.blocked[0]!.message, /is owned by AKVSync "other"/);
    assert.deepEqual(p.apply, []);
    assert.deepEqual(p.delete, []);
  });

  it("does nothing when the top-level spec is invalid", () => {
    const validation = validateAkvSync({ objects: [{ secretInAKV: "a" }] });
    const p = planAkvSync("uid-1", validation, [], [ours("SecretSync", "a", "a")]);
    assert.deepEqual([p.apply, p.delete], [[], []]);
  });
});
