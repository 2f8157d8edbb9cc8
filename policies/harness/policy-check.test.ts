/**
 * `npm run policy:check` against the real stacks (captured under setMocks by stacks/synth/capture.ts), run as the
 * script itself in a child process so Pulumi's process-global state stays isolated.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SCRIPT = path.join(ROOT, "scripts", "policy-check.ts");

async function policyCheck(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [SCRIPT, ...args], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("npm run policy:check", () => {
  it("passes the dev stack", async () => {
    const result = await policyCheck(["--stack", "dev"]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(
      result.stdout,
      /policy check of stack "dev": \d+ resources, 0 mandatory and 0 advisory violation\(s\) — passed/,
    );
  });

  it("prod: every mandatory violation is the known gap — existing AKS clusters' poll interval is not in the graph", async () => {
    const result = await policyCheck(["--stack", "prod", "--json"]);
    const { violations } = JSON.parse(result.stdout) as {
      violations: Array<{ enforcementLevel: string; message: string }>;
    };
    const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory");
    const unexplained = mandatory.filter(
      (v) =>
        !/aks-addon: the add-on runs on an existing AKS cluster and the graph does not show its rotationPollInterval/.test(
          v.message,
        ),
    );
    assert.deepEqual(unexplained, []);
    assert.equal(result.code, mandatory.length > 0 ? 1 : 0);
  });

  it("exits 2 with usage on a missing --stack, and on an unknown stack", async () => {
    const missing = await policyCheck([]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--stack is required/);
    const unknown = await policyCheck(["--stack", "nope"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Pulumi\.nope\.yaml/);
  });
});

describe("policy check of prod once the existing clusters' poll is visible", () => {
  it("passes every rule when AksSecretsProvider carries rotationPollIntervalSeconds", async () => {
    const { captureStack } = await import("../../stacks/synth/capture.ts");
    const { evaluatePolicies } = await import("./evaluate.ts");
    const { keyfleetPolicies, PACK_ENFORCEMENT_LEVEL } = await import("../pack.ts");
    const resources = await captureStack("prod");
    for (const r of resources) {
      if (
        r.type === "keyfleet:index:AksSecretsProvider" &&
        r.inputs.rotationPollIntervalSeconds === undefined
      ) {
        r.inputs = { ...r.inputs, rotationPollIntervalSeconds: 120 }; // prod's engines.aks-addon.rotationPollInterval (2m)
      }
    }
    const violations = await evaluatePolicies(resources, {
      policies: keyfleetPolicies,
      packEnforcementLevel: PACK_ENFORCEMENT_LEVEL,
    });
    assert.deepEqual(violations, []);
  });
});
