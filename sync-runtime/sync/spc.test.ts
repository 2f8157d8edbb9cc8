import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { objectsYaml, spcResource } from "../../test/support/sync-fixtures.ts";
import { formatProblems, parseSpcObjects, validateSpc } from "./spc.ts";

void describe("parseSpcObjects", () => {
  void it("reads the array of YAML strings with defaults", () => {
    const result = parseSpcObjects(
      objectsYaml([
        "objectName: db-password\nobjectType: secret",
        "objectName: tls\nobjectType: cert\nobjectAlias: web-tls",
      ]),
    );
    assert.ok(result.ok);
    assert.deepEqual(result.value[0], {
      objectName: "db-password",
      objectType: "secret",
      objectVersion: "",
      objectAlias: "",
      objectVersionHistory: 0,
      objectFormat: "pem",
      objectEncoding: "utf-8",
    });
    assert.equal(result.value[1]!.objectAlias, "web-tls");
  });

  const cases: Array<[string, string, RegExp]> = [
    ["not yaml", "array: [unclosed", /objects: is not valid YAML/],
    ["no array", "foo: 1", /non-empty `array:`/],
    ["missing objectName", objectsYaml(["objectType: secret"]), /array\[0\]\.objectName: is required/],
    [
      "unknown objectType",
      objectsYaml(["objectName: a\nobjectType: blob"]),
      /array\[0\]\.objectType: must be one of secret, key, cert/,
    ],
    ["bad name", objectsYaml(["objectName: a_b\nobjectType: secret"]), /objectName: must be 1-127 letters/],
    [
      "bad version",
      objectsYaml(["objectName: a\nobjectType: secret\nobjectVersion: xyz"]),
      /objectVersion: must be a 32-character hex/,
    ],
    [
      "bad history",
      objectsYaml(["objectName: a\nobjectType: secret\nobjectVersionHistory: -1"]),
      /objectVersionHistory: must be an integer/,
    ],
    [
      "bad encoding",
      objectsYaml(["objectName: a\nobjectType: secret\nobjectEncoding: rot13"]),
      /objectEncoding: must be one of/,
    ],
    [
      "pfx on key",
      objectsYaml(["objectName: a\nobjectType: key\nobjectFormat: pfx"]),
      /objectFormat: pfx is only allowed with objectType secret/,
    ],
    [
      "duplicate ids",
      objectsYaml(["objectName: a\nobjectType: secret", "objectName: b\nobjectType: secret\nobjectAlias: a"]),
      /array\[1\]: object id "a" is already used by array\[0\]/,
    ],
  ];
  for (const [name, yaml, expected] of cases) {
    void it(`rejects ${name}`, () => {
      const result = parseSpcObjects(yaml);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(formatProblems(result.problems), expected);
    });
  }
});

void describe("validateSpc", () => {
  void it("accepts tenantId spelled either way", () => {
    const spc = spcResource(objectsYaml(["objectName: a\nobjectType: secret"]));
    const params = (spc.spec as { parameters: Record<string, string> }).parameters;
    params.tenantId = params.tenantID!;
    delete params.tenantID;
    const result = validateSpc(spc);
    assert.ok(result.ok);
    assert.equal(result.value.tenantId, params.tenantId);
  });
  void it("names the provider and the missing parameters", () => {
    const result = validateSpc({
      metadata: { name: "x", namespace: "n" },
      spec: { provider: "vault", parameters: {} },
    });
    assert.equal(result.ok, false);
    if (!result.ok) {
      const text = formatProblems(result.problems);
      assert.match(text, /spec\.provider: must be azure/);
      assert.match(text, /spec\.parameters\.keyvaultName/);
      assert.match(text, /spec\.parameters\.clientID/);
    }
  });
  void it("requires a GUID tenant", () => {
    const result = validateSpc(
      spcResource(objectsYaml(["objectName: a\nobjectType: secret"]), { tenantID: "contoso" }),
    );
    assert.equal(result.ok, false);
    if (!result.ok)
      assert.match(
        formatProblems(result.problems),
        /spec\.parameters\.tenantID: is required and must be a GUID/,
      );
  });
});
