import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { changedStacks } from "./stacks.ts";

const STACKS = ["dev", "local", "prod"];

describe("changedStacks", () => {
  const rows: Array<{ name: string; files: string[]; stacks: string[] }> = [
    {
      name: "a stack's own file touches that stack only",
      files: ["stacks/Pulumi.prod.yaml"],
      stacks: ["prod"],
    },
    {
      name: "two stack files",
      files: ["stacks/Pulumi.dev.yaml", "stacks/Pulumi.local.yaml"],
      stacks: ["dev", "local"],
    },
    { name: "the program touches every stack", files: ["stacks/program.ts"], stacks: STACKS },
    { name: "the config schema touches every stack", files: ["stacks/config/schema.ts"], stacks: STACKS },
    { name: "a component", files: ["components/key-vault/index.ts"], stacks: STACKS },
    { name: "the policy pack", files: ["policies/rules/vault-hardening.ts"], stacks: STACKS },
    { name: "the sync runtime (its bundle is deployed)", files: ["sync-runtime/main.ts"], stacks: STACKS },
    { name: "the shared vocabulary", files: ["common/vocabulary.ts"], stacks: STACKS },
    { name: "the project and the lock file", files: ["Pulumi.yaml"], stacks: STACKS },
    {
      name: "docs and tests touch nothing",
      files: ["README.md", "docs/iac.md", "test/integration/x.test.ts"],
      stacks: [],
    },
    { name: "a stack file of a stack not considered", files: ["stacks/Pulumi.staging.yaml"], stacks: [] },
    {
      name: "a file that only looks like a stack file",
      files: ["stacks/config/Pulumi.dev.yaml.bak"],
      stacks: STACKS,
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(
        changedStacks(row.files, STACKS).map((c) => c.stack),
        row.stacks,
      );
    });
  }

  it("says which files touch a stack (at most five)", () => {
    const files = ["stacks/Pulumi.dev.yaml", ...Array.from({ length: 9 }, (_, i) => `components/c${i}.ts`)];
    const [dev] = changedStacks(files, ["dev"]);
    assert.equal(dev!.because.length, 5);
    assert.equal(dev!.because[0], "stacks/Pulumi.dev.yaml");
  });
});
