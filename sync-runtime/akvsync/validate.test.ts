import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { producedSecretNames, validateAkvSync, validateItem } from "./validate.ts";

const spec = (objects: unknown[]) => ({
  keyvaultName: "kv-one",
  clientID: "abc",
  tenantID: "t",
  serviceAccountName: "app",
  objects,
});

describe("validateItem", () => {
  const cases: Array<[string, unknown, RegExp]> = [
    [
      "two shapes",
      { secretInAKV: "a", certInAKV: "b" },
      /^spec\.objects\[0\] secretInAKV and certInAKV cannot be combined/,
    ],
    [
      "no shape",
      { kubernetesSecretName: "x" },
      /^spec\.objects\[0\] needs exactly one of secretInAKV, certInAKV or mapping/,
    ],
    [
      "missing dataKey",
      { kubernetesSecretName: "x", mapping: [{ secretInAKV: "a" }] },
      /^spec\.objects\[0\]\.mapping\[0\]\.dataKey is required$/,
    ],
    [
      "history on compound",
      { kubernetesSecretName: "x", versionHistory: 2, mapping: [{ dataKey: "k", secretInAKV: "a" }] },
      /versionHistory is not allowed on a compound secret/,
    ],
    [
      "compound without name",
      { mapping: [{ dataKey: "k", secretInAKV: "a" }] },
      /kubernetesSecretName is required for a compound secret/,
    ],
    [
      "unknown type",
      { secretInAKV: "a", kubernetesSecretType: "kubernetes.io/magic" },
      /kubernetesSecretType must be one of Opaque, .* \(got "kubernetes\.io\/magic"\)/,
    ],
    [
      "entry with two objects",
      { kubernetesSecretName: "x", mapping: [{ dataKey: "k", secretInAKV: "a", certInAKV: "b" }] },
      /mapping\[0\] needs exactly one of secretInAKV or certInAKV/,
    ],
    [
      "duplicate dataKey",
      {
        kubernetesSecretName: "x",
        mapping: [
          { dataKey: "k", secretInAKV: "a" },
          { dataKey: "k", secretInAKV: "b" },
        ],
      },
      /mapping\[1\]\.dataKey "k" is already used by mapping\[0\]/,
    ],
    [
      "tls compound without keys",
      {
        kubernetesSecretName: "x",
        kubernetesSecretType: "kubernetes.io/tls",
        mapping: [{ dataKey: "k", secretInAKV: "a" }],
      },
      /needs the data keys tls\.crt, tls\.key/,
    ],
    [
      "cert as docker config",
      { certInAKV: "a", kubernetesSecretType: "kubernetes.io/dockerconfigjson" },
      /must be Opaque or kubernetes\.io\/tls for certInAKV/,
    ],
    [
      "history on docker config",
      { secretInAKV: "a", kubernetesSecretType: "kubernetes.io/dockerconfigjson", versionHistory: 2 },
      /versionHistory is only supported for Opaque and kubernetes\.io\/tls/,
    ],
    [
      "reserved label",
      { secretInAKV: "a", labels: { "secrets-store.sync.x-k8s.io": "" } },
      /labels\["secrets-store\.sync\.x-k8s\.io"\] uses a reserved prefix/,
    ],
    ["bad vault object name", { secretInAKV: "bad_name" }, /secretInAKV must be a Key Vault object name/],
    [
      "history out of range",
      { secretInAKV: "a", versionHistory: 99 },
      /versionHistory must be between 1 and 20/,
    ],
    ["not an object", "text", /^spec\.objects\[0\] must be an object$/],
  ];
  for (const [name, item, expected] of cases) {
    it(`rejects ${name}`, () => {
      const result = validateItem(item, 0);
      assert.ok(!("item" in result), "invalid");
      assert.ok(
        result.issues.some((i) => expected.test(`${i.path} ${i.message}`)),
        JSON.stringify(result.issues),
      );
    });
  }

  it("normalises the three shapes with their defaults", () => {
    assert.deepEqual(validateItem({ secretInAKV: "Db-Pass" }, 0), {
      item: {
        index: 0,
        shape: "single",
        objectKind: "secret",
        objectName: "Db-Pass",
        secretName: "db-pass",
        secretType: "Opaque",
        labels: {},
        annotations: {},
      },
    });
    const compound = validateItem(
      { kubernetesSecretName: "c", mapping: [{ dataKey: "k", certInAKV: "cert", version: 1 }] },
      3,
    );
    assert.ok("item" in compound && compound.item.shape === "compound");
    assert.deepEqual(compound.item.mapping, [
      { dataKey: "k", objectKind: "cert", objectName: "cert", version: 1 },
    ]);
  });
});

describe("validateAkvSync", () => {
  it("reports collisions on the later item, including per-version tls names, and keeps the first", () => {
    const result = validateAkvSync(
      spec([
        { certInAKV: "web", kubernetesSecretType: "kubernetes.io/tls", versionHistory: 2 },
        { secretInAKV: "x", kubernetesSecretName: "web-v1" },
      ]),
    );
    assert.deepEqual(
      result.valid.map((i) => i.index),
      [0],
    );
    assert.match(
      result.invalid[0]!.issues[0]!.message,
      /produces Secret "web-v1", which spec\.objects\[0\] already produces/,
    );
  });

  it("names every invalid top-level field", () => {
    const result = validateAkvSync({ keyvaultName: "a", objects: [] });
    assert.equal(result.spec, undefined);
    assert.deepEqual(result.specIssues.map((i) => `${i.path} ${i.message}`).sort(), [
      "spec.clientID is required",
      "spec.keyvaultName must be a Key Vault name (3–24 characters: letters, digits, -)",
      "spec.objects must name at least one object",
      "spec.serviceAccountName is required",
      "spec.tenantID is required",
    ]);
  });

  it("knows which Secret names an invalid item claims", () => {
    const result = validateAkvSync(
      spec([{ kubernetesSecretName: "keep", mapping: [{ secretInAKV: "a" }] }, { secretInAKV: "bad_name" }]),
    );
    assert.deepEqual(
      result.invalid.map((i) => [i.claimedSecretNames, i.nameKnown]),
      [
        [["keep"], true],
        [[], false],
      ],
    );
  });

  it("lists the Secrets a tls item with history produces", () => {
    const result = validateAkvSync(
      spec([{ certInAKV: "c", kubernetesSecretType: "kubernetes.io/tls", versionHistory: 3 }]),
    );
    assert.deepEqual(producedSecretNames(result.valid[0]!), ["c-v0", "c-v1", "c-v2"]);
  });
});
