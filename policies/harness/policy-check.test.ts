/**
 * `npm run policy:check` against the real stacks (captured under setMocks by stacks/synth/capture.ts), run as the
 * script itself in a child process so Pulumi's process-global state stays isolated.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
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

/** A stacks directory whose dev stack has its two secrets set, as `pulumi config set --secret` writes them. */
function devWithSecrets(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "keyfleet-policy-check-"));
  const secure = ["seedDbPassword", "kubeconfigArcDevLab"]
    .map((k) => `  keyfleet:${k}:\n    secure: v1:dGVzdA==:ZW5jcnlwdGVk\n`)
    .join("");
  const text = readFileSync(path.join(ROOT, "stacks", "Pulumi.dev.yaml"), "utf8");
  writeFileSync(path.join(dir, "Pulumi.dev.yaml"), text.replace(/^config:\n/m, `config:\n${secure}`));
  return dir;
}

describe("npm run policy:check", () => {
  it("refuses the dev stack while its secret config is not set, naming each key and its command", async () => {
    const result = await policyCheck(["--stack", "dev"]);
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(result.stderr, /pulumi config set --secret --stack dev keyfleet:seedDbPassword/);
    assert.match(result.stderr, /pulumi config set --secret --stack dev keyfleet:kubeconfigArcDevLab/);
  });

  it("passes the dev stack once its secrets are set", async () => {
    const result = await policyCheck(["--stack", "dev", "--stacks-dir", devWithSecrets()]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(
      result.stdout,
      /policy check of stack "dev": \d+ resources, 0 mandatory and 0 advisory violations — passed/,
    );
  });

  it("passes the prod stack (222 clusters; existing AKS clusters judged by the component's poll interval)", async () => {
    const result = await policyCheck(["--stack", "prod", "--allow-missing-secrets"]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(
      result.stdout,
      /policy check of stack "prod": \d+ resources, 0 mandatory and \d+ advisory violations? — passed/,
    );
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

describe("policy check of prod when an existing cluster's poll interval is not visible", () => {
  it("reports a mandatory violation instead of passing silently", async () => {
    const { captureStack } = await import("../../stacks/synth/capture.ts");
    const { evaluatePolicies } = await import("./evaluate.ts");
    const { keyfleetPolicies, PACK_ENFORCEMENT_LEVEL } = await import("../pack.ts");
    const resources = await captureStack("prod", { allowMissingSecrets: true });
    let hidden = 0;
    for (const r of resources) {
      const ownsCluster = resources.some((c) => c.parent === r.urn && c.type.endsWith(":ManagedCluster"));
      if (r.type === "keyfleet:index:AksSecretsProvider" && !ownsCluster) {
        const { rotationPollIntervalSeconds: _hidden, ...rest } = r.inputs;
        r.inputs = rest;
        hidden += 1;
      }
    }
    assert.ok(hidden > 0, "prod should contain existing AKS clusters");
    const violations = await evaluatePolicies(resources, {
      policies: keyfleetPolicies,
      packEnforcementLevel: PACK_ENFORCEMENT_LEVEL,
    });
    const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory");
    assert.ok(mandatory.length > 0);
    for (const v of mandatory) {
      assert.match(
        v.message,
        /the add-on runs on an existing AKS cluster and the graph does not show its rotationPollInterval/,
      );
    }
  });
});
