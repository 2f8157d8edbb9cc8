import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { it } from "node:test";
import { keyfleetPolicies } from "./pack.ts";

it("docs/policies.md documents every rule and every config property", () => {
  const doc = readFileSync(path.resolve(import.meta.dirname, "../docs/policies.md"), "utf8");
  for (const policy of keyfleetPolicies) {
    assert.ok(doc.includes(`\`${policy.name}\``), `${policy.name} missing from docs/policies.md`);
    for (const key of Object.keys(policy.configSchema?.properties ?? {})) {
      assert.ok(doc.includes(`\`${key}\``), `${policy.name}.${key} missing from docs/policies.md`);
    }
  }
});
