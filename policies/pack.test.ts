import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { keyfleetPolicies } from "./pack.ts";

describe("the keyfleet policy pack", () => {
  it("every rule has a unique short name, description, remediation text and a level", () => {
    const names = keyfleetPolicies.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    for (const p of keyfleetPolicies) {
      assert.match(p.name, /^keyfleet-[a-z-]+$/);
      assert.ok(p.description.length > 20, p.name);
      assert.ok(p.remediationSteps.length > 20, p.name);
      assert.ok(p.enforcementLevel === "mandatory" || p.enforcementLevel === "advisory", p.name);
      assert.equal(p.configSchema?.properties.enforcementLevel, undefined);
    }
  });

  it("mandatory by default except vault hardening and secret marking (advisory)", () => {
    const advisory = keyfleetPolicies.filter((p) => p.enforcementLevel === "advisory").map((p) => p.name);
    assert.deepEqual(advisory.sort(), ["keyfleet-secret-values-marked", "keyfleet-vault-hardening"]);
  });

  it("index.ts registers the pack with CrossGuard: the analyzer starts and prints its gRPC port", async () => {
    // Run as `pulumi preview --policy-pack` does: Node in the pack directory loading its main module.
    const child = spawn(process.execPath, ["index.ts"], {
      cwd: import.meta.dirname,
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        let out = "";
        let err = "";
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes("\n")) resolve(out.split("\n")[0]!);
        });
        child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
        child.on("exit", (code) => reject(new Error(`analyzer exited ${code}: ${err}`)));
      });
      assert.match(firstLine, /^\d+$/);
    } finally {
      child.kill();
    }
  });
});
