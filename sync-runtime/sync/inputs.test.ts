import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Reason } from "../constants.ts";
import { objectsYaml, spcResource, syncResource } from "../../test/support/sync-fixtures.ts";
import { readInputs } from "./inputs.ts";
import { validateSpc } from "./spc.ts";
import type { SecretProviderClassResource } from "./types.ts";

const data = { secretObject: { data: [{ sourcePath: "a", targetKey: "A" }] } };
const good = spcResource(objectsYaml(["objectName: a\nobjectType: secret"]));
const broken = spcResource(objectsYaml(["objectName: a\nobjectType: blob"]));

function sources(classes: Record<string, SecretProviderClassResource>, elsewhere: string[] = []) {
  return {
    secretProviderClass: (_ns: string, name: string) => classes[name],
    validClass: validateSpc,
    classNamespaces: () => elsewhere,
  };
}

void describe("readInputs", () => {
  const cases: Array<[string, Record<string, unknown>, ReturnType<typeof sources>, Reason, RegExp]> = [
    [
      "a class in another namespace (named plainly, as upstream's e2e does)",
      { ...data, secretProviderClassName: "spc" },
      sources({}, ["spc-namespace"]),
      Reason.controllerSpcError,
      /SecretProviderClass spc not found in namespace team-a; a class of that name exists in namespace spc-namespace, but a SecretSync may only use a class of its own namespace/,
    ],
    [
      "a missing class",
      { ...data, secretProviderClassName: "spc" },
      sources({}),
      Reason.controllerSpcError,
      /SecretProviderClass spc not found in namespace team-a \(a SecretSync may only use a class of its own namespace\)/,
    ],
    [
      "a class named with a namespace prefix",
      { ...data, secretProviderClassName: "other/spc" },
      sources({ spc: good }),
      Reason.controllerSpcError,
      /spec\.secretProviderClassName: must name a SecretProviderClass of the SecretSync's own namespace/,
    ],
    [
      "a misconfigured class",
      { ...data, secretProviderClassName: "spc" },
      sources({ spc: broken }),
      Reason.controllerSpcError,
      /SecretProviderClass team-a\/spc: spec\.parameters\.objects\.array\[0\]\.objectType/,
    ],
    [
      "a sourcePath the class does not offer",
      { secretObject: { data: [{ sourcePath: "zz", targetKey: "A" }] } },
      sources({ spc: good }),
      Reason.userInputValidationFailed,
      /data\[0\]\.sourcePath: "zz" is not an object of SecretProviderClass spc/,
    ],
    [
      "a bad spec next to a bad class reference (the spec is the user's to fix first)",
      {
        secretProviderClassName: "other/spc",
        secretObject: { data: [{ sourcePath: "a", targetKey: "a b" }] },
      },
      sources({}),
      Reason.userInputValidationFailed,
      /targetKey/,
    ],
  ];
  for (const [name, spec, src, reason, message] of cases) {
    void it(name, () => {
      const result = readInputs(syncResource(spec), src);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.reason, reason);
      assert.match(result.message, message);
    });
  }
  void it("resolves a valid SecretSync and its class", () => {
    const result = readInputs(syncResource(data), sources({ spc: good }));
    assert.ok(result.ok);
  });
});
