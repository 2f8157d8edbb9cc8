import assert from "node:assert/strict";
import { it } from "node:test";
import { counted, nounFor } from "./text.ts";

void it("counts read in the singular for exactly one and in the plural otherwise", () => {
  assert.equal(counted(1, "cluster"), "1 cluster");
  assert.equal(counted(0, "cluster"), "0 clusters");
  assert.equal(counted(12, "bundled cluster"), "12 bundled clusters");
  assert.equal(counted(1, "--target URN"), "1 --target URN");
  assert.equal(counted(2, "policy", "policies"), "2 policies");
  assert.equal(nounFor(1, "vault"), "vault");
  assert.equal(nounFor(3, "vault"), "vaults");
});
