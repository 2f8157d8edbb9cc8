import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { FleetConfigError, validateFleetConfig } from "./load.ts";

const base = { vaults: [{ name: "kv1", mode: "local" }] };

/** Every problem reads `keyfleet:fleet.<path>: <what is wrong; allowed: …>` — never the schema library's words. */
void describe("fleet configuration problems use the documented form", () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    [
      "a negative number",
      { ...base, engines: { bundled: { jitterSeconds: -1 } } },
      "engines.bundled.jitterSeconds: got -1; allowed: a whole number from 0 to 86400",
    ],
    [
      "a number above the maximum",
      { ...base, syncRuntime: { replicas: 9 } },
      "syncRuntime.replicas: got 9; allowed: a whole number from 1 to 5",
    ],
    [
      "a fraction where a whole number belongs",
      { ...base, engines: { bundled: { jitterSeconds: 1.5 } } },
      "engines.bundled.jitterSeconds: got 1.5; allowed: a whole number from 0 to 86400",
    ],
    [
      "a string where a number belongs names the whole range",
      { ...base, syncRuntime: { readyTimeoutSeconds: "x" } },
      'syncRuntime.readyTimeoutSeconds: got "x"; allowed: a whole number from 10 to 3600',
    ],
    [
      "a number with only a lower bound",
      { ...base, syncRuntime: { vaultRequestsPer10s: 0 } },
      "syncRuntime.vaultRequestsPer10s: got 0; allowed: a whole number, 1 or more",
    ],
    [
      "a string where a list belongs (not 'is required')",
      { ...base, clusters: "aks-1" },
      'clusters: got "aks-1"; allowed: a list',
    ],
    ["a missing key", { vaults: [{ mode: "local" }] }, "vaults[0].name: is required (a string)"],
    ["an empty list", { vaults: [] }, "vaults: got 0 items; allowed: 1 item or more"],
    [
      "a value outside an enum",
      { ...base, syncRuntime: { delivery: "zip" } },
      'syncRuntime.delivery: got "zip"; allowed: image | bundle',
    ],
    [
      "a pattern mismatch",
      { ...base, syncRuntime: { namespace: "Bad_NS" } },
      `syncRuntime.namespace: got "Bad_NS"; allowed: a DNS label (lower-case a-z, 0-9, '-')`,
    ],
    ["a typo in a key", { ...base, syncRuntime: { replica: 2 } }, 'syncRuntime: unknown key "replica"'],
    [
      "a denied Secret type that is no type",
      { ...base, syncRuntime: { admissionPolicies: { deniedSecretTypes: ["not a type"] } } },
      'syncRuntime.admissionPolicies.deniedSecretTypes[0]: got "not a type"; allowed: a Secret type such as example.com/api-key',
    ],
  ];
  for (const [name, raw, expected] of cases) {
    void it(name, () => {
      assert.throws(
        () => validateFleetConfig(raw),
        (error: unknown) => {
          assert.ok(error instanceof FleetConfigError);
          const lines = error.message
            .split("\n")
            .slice(1)
            .map((l) => l.trim());
          assert.ok(
            lines.some((l) => l.startsWith(`keyfleet:fleet.${expected}`)),
            lines.join("\n"),
          );
          assert.ok(!/Too (small|big)|expected \w+ to|Invalid input/.test(error.message), error.message);
          return true;
        },
      );
    });
  }
});

void it("the example in docs/iac.md is what keyfleet prints for that configuration", () => {
  const doc = readFileSync(path.join(import.meta.dirname, "../../docs/iac.md"), "utf8");
  const example = /```\n(invalid fleet configuration in stacks\/Pulumi\.dev\.yaml:\n[^`]*)```/.exec(doc)?.[1];
  assert.ok(example, "docs/iac.md shows an example");
  assert.throws(
    () =>
      validateFleetConfig(
        { ...base, syncRuntime: { replicas: 9, readyTimeoutSeconds: "5m" } },
        "stacks/Pulumi.dev.yaml",
      ),
    (error: unknown) => error instanceof Error && `${error.message}\n` === example,
  );
});
