import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keyfleetPolicies, PACK_ENFORCEMENT_LEVEL } from "../pack.ts";
import { change, compliantFleet } from "../../test/support/policy-fixtures.ts";
import { evaluatePolicies, hasMandatory } from "./evaluate.ts";
import { formatViolations } from "./report.ts";

const run = (resources = compliantFleet(), config?: unknown) =>
  evaluatePolicies(resources, {
    policies: keyfleetPolicies,
    packEnforcementLevel: PACK_ENFORCEMENT_LEVEL,
    config,
  });

const officer = (i: Record<string, unknown>) => {
  i.roleDefinitionId =
    "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/b86a8fe4-44ce-4948-aee5-eccb2c155cd7";
};

describe("evaluatePolicies (the pack's rules without the CLI)", () => {
  it("the whole pack passes the compliant fleet", async () => {
    assert.deepEqual(await run(), []);
  });

  it("reports policy, resource and message, and blocks on mandatory", async () => {
    const violations = await run(change(compliantFleet(), "aks-1-secrets-user", officer));
    assert.equal(violations.length, 1);
    const [v] = violations;
    assert.equal(v!.policyName, "keyfleet-least-privilege-role");
    assert.equal(v!.resourceName, "aks-1-secrets-user");
    assert.equal(v!.resourceType, "azure-native:authorization:RoleAssignment");
    assert.ok(hasMandatory(violations));
    const text = formatViolations("t", violations, 10);
    assert.match(
      text,
      /\[mandatory\] keyfleet-least-privilege-role: aks-1-secrets-user \(azure-native:authorization:RoleAssignment\)\n {4}role Key Vault Secrets Officer/,
    );
    assert.match(text, /1 mandatory and 0 advisory violations — FAILED/);
  });

  it("honours pack config: a level string, disabled, and 'all'", async () => {
    const bad = change(compliantFleet(), "aks-1-secrets-user", officer);
    const advisory = await run(bad, { "keyfleet-least-privilege-role": "advisory" });
    assert.equal(advisory[0]!.enforcementLevel, "advisory");
    assert.equal(hasMandatory(advisory), false);
    assert.deepEqual(
      await run(bad, { "keyfleet-least-privilege-role": { enforcementLevel: "disabled" } }),
      [],
    );
    assert.deepEqual(await run(bad, { all: "disabled" }), []);
  });

  it("rejects unknown policies and properties in the config, listing what is allowed", async () => {
    await assert.rejects(
      run(undefined, { "keyfleet-jitter": {} }),
      /unknown policy "keyfleet-jitter"; allowed: all, keyfleet-jitter-sufficient/,
    );
    await assert.rejects(
      run(undefined, { "keyfleet-jitter-sufficient": { riks: 0.1 } }),
      /keyfleet-jitter-sufficient.riks: unknown property; allowed: enforcementLevel, risk/,
    );
    await assert.rejects(
      run(undefined, { "keyfleet-jitter-sufficient": { risk: 0.7 } }),
      /risk: got 0.7; allowed: < 0.5/,
    );
    await assert.rejects(
      run(undefined, { "keyfleet-jitter-sufficient": "strict" }),
      /enforcementLevel: got "strict"; allowed: advisory \| mandatory \| remediate \| disabled/,
    );
  });

  it("wraps a rule's crash with the policy and resource (never a silent pass)", async () => {
    const broken = {
      name: "keyfleet-broken",
      description: "a rule that throws",
      remediationSteps: "none",
      enforcementLevel: "mandatory" as const,
      validateResource: () => {
        throw new TypeError("boom");
      },
    };
    await assert.rejects(
      evaluatePolicies(compliantFleet(), { policies: [broken] }),
      /policy keyfleet-broken failed on urn:pulumi/,
    );
  });
});
