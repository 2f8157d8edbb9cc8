import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { objectsYaml, spcResource, syncResource } from "../../test/support/sync-fixtures.ts";
import { checkSourcePaths, validateSecretSync } from "./secretsync.ts";
import { formatProblems, validateSpc } from "./spc.ts";

const data = (...pairs: Array<[string, string]>) =>
  pairs.map(([sourcePath, targetKey]) => ({ sourcePath, targetKey }));

void describe("validateSecretSync", () => {
  void it("applies defaults", () => {
    const result = validateSecretSync(syncResource({ secretObject: { data: data(["a", "A"]) } }));
    assert.ok(result.ok);
    assert.equal(result.value.secretType, "Opaque");
    assert.equal(result.value.forceSynchronization, "");
  });

  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ["missing secretObject", { secretObject: undefined }, /spec\.secretObject: is required/],
    ["empty data", { secretObject: { data: [] } }, /spec\.secretObject\.data: must hold at least one item/],
    [
      "missing targetKey",
      { secretObject: { data: [{ sourcePath: "a" }] } },
      /spec\.secretObject\.data\[0\]\.targetKey: is required/,
    ],
    [
      "bad targetKey",
      { secretObject: { data: data(["a", "a key"]) } },
      /data\[0\]\.targetKey: may hold only letters/,
    ],
    [
      "duplicate targetKeys",
      { secretObject: { data: data(["a", "K"], ["b", "K"]) } },
      /data\[1\]\.targetKey: duplicates data\[0\]\.targetKey "K"/,
    ],
    [
      "tls without tls.key",
      { secretObject: { type: "kubernetes.io/tls", data: data(["c", "tls.crt"]) } },
      /needs a targetKey "tls\.key"/,
    ],
    [
      "unknown type",
      { secretObject: { type: "Fancy", data: data(["a", "A"]) } },
      /spec\.secretObject\.type: must be one of Opaque/,
    ],
    [
      "token type",
      { secretObject: { type: "kubernetes.io/service-account-token", data: data(["a", "A"]) } },
      /cannot be synced/,
    ],
    [
      "cross-namespace class",
      { secretProviderClassName: "other/spc", secretObject: { data: data(["a", "A"]) } },
      /secretProviderClassName: must name a SecretProviderClass of the SecretSync's own namespace/,
    ],
    [
      "cross-namespace SA",
      { serviceAccountName: "system:serviceaccount:other:sa", secretObject: { data: data(["a", "A"]) } },
      /serviceAccountName: must name a ServiceAccount of the SecretSync's own namespace/,
    ],
    [
      "bad SA name",
      { serviceAccountName: "Bad_SA", secretObject: { data: data(["a", "A"]) } },
      /serviceAccountName: must be a DNS-1123 subdomain/,
    ],
    [
      "managed label in labels",
      { secretObject: { data: data(["a", "A"]), labels: { "secrets-store.sync.x-k8s.io": "" } } },
      /is set by keyfleet/,
    ],
  ];
  for (const [name, spec, expected] of cases) {
    void it(`rejects ${name}`, () => {
      const result = validateSecretSync(syncResource(spec));
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(formatProblems(result.problems), expected);
    });
  }
});

void describe("checkSourcePaths", () => {
  void it("accepts alias, name and history paths; rejects the rest naming the field", () => {
    const spc = validateSpc(
      spcResource(
        objectsYaml([
          "objectName: a\nobjectType: secret\nobjectVersionHistory: 2",
          "objectName: b\nobjectType: secret\nobjectAlias: bee",
        ]),
      ),
    );
    assert.ok(spc.ok);
    const sync = validateSecretSync(
      syncResource({
        secretObject: { data: data(["a", "A"], ["a/1", "A1"], ["bee", "B"], ["b", "B2"], ["a/2", "A2"]) },
      }),
    );
    assert.ok(sync.ok);
    const problems = checkSourcePaths(sync.value, spc.value);
    assert.deepEqual(
      problems.map((p) => p.path),
      ["spec.secretObject.data[3].sourcePath", "spec.secretObject.data[4].sourcePath"],
    );
    assert.match(problems[0]!.message, /"b" is not an object of SecretProviderClass spc/);
  });
});
