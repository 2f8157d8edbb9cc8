import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { runPlan } from "../../policies/planner/cli.ts";
import { listStacks, loadFleetConfig, StackFileError } from "./load.ts";

const dir = mkdtempSync(path.join(tmpdir(), "keyfleet-stacks-"));
writeFileSync(
  path.join(dir, "Pulumi.good.yaml"),
  "config:\n  keyfleet:fleet:\n    vaults: [{ name: kv1, mode: local }]\n",
);
writeFileSync(
  path.join(dir, "Pulumi.broken.yaml"),
  "config:\n  keyfleet:fleet:\n    vaults:\n    mode: : local\n",
);

async function plan(stack: string) {
  let err = "";
  const code = await runPlan(["--stack", stack], { out: () => {}, err: (t) => (err += t) }, dir);
  return { code, err };
}

void describe("stack files", () => {
  void it("lists the stacks there are", () => assert.deepEqual(listStacks(dir), ["broken", "good"]));
  void it("a malformed file names the file and line:column", () => {
    assert.throws(
      () => loadFleetConfig("broken", dir),
      (error: unknown) =>
        error instanceof StackFileError &&
        /Pulumi\.broken\.yaml:4:11: not valid YAML: Nested mappings are not allowed/.test(error.message),
    );
  });
  void it("an unknown stack lists the stacks that exist", () => {
    assert.throws(
      () => loadFleetConfig("prod", dir),
      /no stack "prod": .*Pulumi\.prod\.yaml does not exist; stacks: broken, good/,
    );
  });
  void it("keyfleet plan exits 2 with that message, no stack trace", async () => {
    for (const stack of ["broken", "prod"]) {
      const { code, err } = await plan(stack);
      assert.equal(code, 2, err);
      assert.match(err, /^keyfleet plan: /);
      assert.doesNotMatch(err, /\n\s+at /, "no stack trace");
    }
  });
});
