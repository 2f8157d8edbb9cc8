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
      /data\[0\]\.targetKey: must be a Secret key/,
    ],
    [
      "targetKey with a version suffix (upstream admits it; it is no Secret key)",
      { secretObject: { data: data(["a", "key/0"]) } },
      /data\[0\]\.targetKey: must be a Secret key/,
    ],
    [
      "sourcePath outside upstream's pattern",
      { secretObject: { data: data(["a b", "A"]) } },
      /data\[0\]\.sourcePath: must be an object alias or name/,
    ],
    [
      "forceSynchronization outside upstream's pattern",
      { forceSynchronization: "now!", secretObject: { data: data(["a", "A"]) } },
      /spec\.forceSynchronization: may hold only/,
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
      /labels\["secrets-store\.sync\.x-k8s\.io"\]: uses the prefix secrets-store\.sync\.x-k8s\.io, reserved/,
    ],
    [
      "reserved annotation prefix",
      { secretObject: { data: data(["a", "A"]), annotations: { "secrets-store.sync.x-k8s.io/x": "" } } },
      /annotations\["secrets-store\.sync\.x-k8s\.io\/x"\]: uses the prefix/,
    ],
    // Upstream's e2e cases: these reach the Secret write upstream and fail there; keyfleet names the field first.
    [
      "invalid label key",
      { secretObject: { data: data(["a", "A"]), labels: { "invalid/key_with_invalid_characters!": "v" } } },
      /labels\["invalid\/key_with_invalid_characters!"\]: is not a valid label key: its name/,
    ],
    [
      "invalid annotation key",
      {
        secretObject: {
          data: data(["a", "A"]),
          annotations: { "my.annotation/with_invalid_characters!": "default" },
        },
      },
      /annotations\["my\.annotation\/with_invalid_characters!"\]: is not a valid annotation key/,
    ],
    [
      "label value over 63 characters",
      { secretObject: { data: data(["a", "A"]), labels: { "my.label": "x".repeat(64) } } },
      /labels\["my\.label"\]: has an invalid value: at most 63/,
    ],
    [
      "label key with an upper-case prefix",
      { secretObject: { data: data(["a", "A"]), labels: { "Example.com/x": "v" } } },
      /its prefix \(before '\/'\) must be a DNS subdomain/,
    ],
    [
      "annotations over 256 KiB together",
      {
        secretObject: {
          data: data(["a", "A"]),
          annotations: { a: "x".repeat(200_000), b: "y".repeat(70_000) },
        },
      },
      /spec\.secretObject\.annotations: hold 270002 bytes together/,
    ],
  ];
  void it("accepts valid labels and annotations, including long annotation values", () => {
    const result = validateSecretSync(
      syncResource({
        secretObject: {
          data: data(["a", "A"]),
          labels: { "app.kubernetes.io/name": "web", team: "" },
          annotations: { "example.com/note": "x".repeat(1000), "reloader.stakater.com/match": "true" },
        },
      }),
    );
    assert.ok(result.ok, JSON.stringify(result));
  });
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
