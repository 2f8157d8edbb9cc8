import assert from "node:assert/strict";
import { it } from "node:test";
import { GROUND_PROCESSES, groundPartNamed, PART_ALIASES } from "./restart.ts";

void it("a ground part is named by its process name or a short alias; anything else is unknown", () => {
  for (const part of GROUND_PROCESSES) assert.equal(groundPartNamed(part), part);
  assert.equal(groundPartNamed("vault"), "azure-local");
  assert.equal(groundPartNamed("apiserver"), "kube-apiserver");
  assert.equal(groundPartNamed("kube-proxy"), undefined);
  for (const part of Object.values(PART_ALIASES)) assert.ok(GROUND_PROCESSES.includes(part));
});
