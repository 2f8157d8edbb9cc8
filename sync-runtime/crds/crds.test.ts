import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keyfleetCrds, secretProviderClassCrd, secretSyncCrd } from "./index.ts";
import {
  LABEL_VALUE_PATTERN,
  Pattern,
  QUALIFIED_NAME_SOURCE,
  qualifiedNameProblem,
  RESERVED_METADATA_PREFIX,
  SOURCE_PATH_SOURCE,
  TARGET_KEY_SOURCE,
} from "./rules.ts";

type Schema = Record<string, unknown> & { properties?: Record<string, Schema> };
const versions = (secretSyncCrd.spec as { versions: Array<{ schema: { openAPIV3Schema: Schema } }> })
  .versions;
const spec = versions[0]!.schema.openAPIV3Schema.properties!.spec!;
const secretObject = spec.properties!.secretObject!;
const data = secretObject.properties!.data! as Schema & { items: Schema };

void describe("SecretSync CRD: upstream's rules, from the one rules module", () => {
  void it("embeds the rules the runtime checks (they cannot drift apart)", () => {
    assert.equal(data.items.properties!.sourcePath!.pattern, SOURCE_PATH_SOURCE);
    assert.equal(data.items.properties!.targetKey!.pattern, TARGET_KEY_SOURCE);
    assert.equal(data["x-kubernetes-list-type"], "map");
    assert.deepEqual(data["x-kubernetes-list-map-keys"], ["targetKey"]);
    assert.equal(secretObject.properties!.type!.default, "Opaque");
    for (const field of ["labels", "annotations"]) {
      const rules = secretObject.properties![field]!["x-kubernetes-validations"] as Array<{ rule: string }>;
      assert.ok(
        rules.some((r) => r.rule.includes(`startsWith('${RESERVED_METADATA_PREFIX}')`)),
        field,
      );
    }
    for (const field of ["serviceAccountName", "secretProviderClassName"])
      assert.equal(spec.properties![field]!.pattern, Pattern.dnsSubdomain.source);
  });

  // Upstream's patterns, as its e2e suite and users meet them (accepted → true).
  const cases: Array<[keyof typeof Pattern, string, boolean]> = [
    ["sourcePath", "foo", true],
    ["sourcePath", "db-password/1", true],
    ["sourcePath", "my.alias", true],
    ["sourcePath", "a b", false],
    ["sourcePath", "a.b", false], // upstream's pattern refuses it; parity keeps that
    ["targetKey", "bar", true],
    ["targetKey", "tls.crt", true],
    ["targetKey", ".dockerconfigjson", true],
    ["targetKey", "DB_PASSWORD", true],
    ["targetKey", "key/0", false], // upstream admits it; it can never be a Secret key
    ["targetKey", "B_OLD", false], // upstream's pattern refuses '_' or '.' as the second character
    ["forceSynchronization", "2026-01-01", true],
    ["forceSynchronization", "now!", false],
    ["dnsSubdomain", "e2e-providerspc", true],
    ["dnsSubdomain", "other-ns/main", false],
    ["dnsSubdomain", "Default", false],
  ];
  for (const [field, value, accepted] of cases) {
    void it(`${field} ${JSON.stringify(value)} is ${accepted ? "accepted" : "refused"}`, () =>
      assert.equal(Pattern[field].test(value), accepted));
  }
});

void describe("keyfleetCrds", () => {
  void it("serves SecretSync (ss), SecretProviderClass (spc) and AKVSync (akvs)", () => {
    const names = keyfleetCrds().map((c) => [
      c.metadata.name,
      (c.spec as { names: { shortNames: string[] } }).names.shortNames,
    ]);
    assert.deepEqual(names, [
      ["secretsyncs.secret-sync.x-k8s.io", ["ss"]],
      ["secretproviderclasses.secrets-store.csi.x-k8s.io", ["spc"]],
      ["akvsyncs.secret-sync.x-k8s.io", ["akvs"]],
    ]);
    assert.equal(secretProviderClassCrd.metadata.name, "secretproviderclasses.secrets-store.csi.x-k8s.io");
  });
});

void describe("the admission policies' key regex agrees with the runtime's check", () => {
  // QUALIFIED_NAME_SOURCE is written for a CEL string literal (backslashes doubled: CEL reads `\\.` as `\.`).
  assert.ok(QUALIFIED_NAME_SOURCE.includes("\\\\."), "a CEL literal needs the backslash doubled");
  const cel = new RegExp(QUALIFIED_NAME_SOURCE.replace(/\\\\/g, "\\"));
  const keys = [
    "app",
    "app.kubernetes.io/name",
    "example.com/a_b.c-d",
    "invalid/key_with_invalid_characters!",
    "my.annotation/with_invalid_characters!",
    "Example.com/x",
    "/x",
    "x/",
    "-x",
    "a".repeat(63),
    "a".repeat(64),
  ];
  for (const key of keys) {
    void it(JSON.stringify(key.length > 20 ? `${key.slice(0, 8)}…(${key.length})` : key), () =>
      assert.equal(cel.test(key), qualifiedNameProblem(key) === undefined),
    );
  }
  void it("label values", () => {
    assert.deepEqual(
      ["", "v", "a.b", "a b", "-a", "x".repeat(63)].map((v) => LABEL_VALUE_PATTERN.test(v)),
      [true, true, true, false, false, true],
    );
  });
});
