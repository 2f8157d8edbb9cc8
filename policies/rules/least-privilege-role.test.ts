import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { change, compliantFleet, SUB, vaultScope } from "../test/fixtures.ts";
import { messagesOf } from "../test/check.ts";
import { leastPrivilegeRole } from "./least-privilege-role.ts";

const role = (guid: string) =>
  `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";
const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";

describe("keyfleet-least-privilege-role", () => {
  it("passes the compliant fleet", async () => {
    assert.deepEqual(await messagesOf(leastPrivilegeRole, compliantFleet()), []);
  });
  it("passes Key Vault Reader and a scope narrowed to one secret", async () => {
    const fleet = change(compliantFleet(), "aks-1-secrets-user", (i) => {
      i.roleDefinitionId = role("21090545-7ca7-4776-b22c-e363652d74d2");
      i.scope = `${vaultScope("kv1")}/secrets/db-password`;
    });
    assert.deepEqual(await messagesOf(leastPrivilegeRole, fleet), []);
  });
  it("judges the local stack's twin (components/local-azure) the same way", async () => {
    const fleet = change(compliantFleet(), "aks-1-secrets-user", (i, r) => {
      r.type = "pulumi-nodejs:dynamic/local-azure:RoleAssignment";
      i.roleDefinitionId = role(OFFICER);
    });
    const [message] = await messagesOf(leastPrivilegeRole, fleet);
    assert.match(message!, /role Key Vault Secrets Officer .* is not allowed for the sync identity/);
  });
  it("flags Key Vault Secrets Officer", async () => {
    const fleet = change(compliantFleet(), "aks-1-secrets-user", (i) => {
      i.roleDefinitionId = role(OFFICER);
    });
    const [message] = await messagesOf(leastPrivilegeRole, fleet);
    assert.match(
      message!,
      /role Key Vault Secrets Officer \(b86a8fe4-44ce-4948-aee5-eccb2c155cd7\) is not allowed for the sync identity; allowed: Key Vault Secrets User/,
    );
  });
  it("flags Contributor even when a user allows it", async () => {
    const fleet = change(compliantFleet(), "aks-1-secrets-user", (i) => {
      i.roleDefinitionId = role(CONTRIBUTOR);
    });
    const messages = await messagesOf(leastPrivilegeRole, fleet, {
      allowedRoleDefinitionIds: [CONTRIBUTOR, "4633458b-17de-408a-b874-0445c86b69e6"],
    });
    assert.match(messages[0]!, /role Contributor \(b24988ac-6180-42a0-ab88-20f7382dd24c\) is not allowed/);
  });
  it("flags a resource-group scope", async () => {
    const fleet = change(compliantFleet(), "arc-1-secrets-user", (i) => {
      i.scope = `/subscriptions/${SUB}/resourceGroups/rg`;
    });
    const [message] = await messagesOf(leastPrivilegeRole, fleet);
    assert.match(message!, /scope "\/subscriptions\/.*\/resourceGroups\/rg" is broader than one vault/);
  });
  it("flags a subscription scope", async () => {
    const fleet = change(compliantFleet(), "arc-1-secrets-user", (i) => {
      i.scope = `/subscriptions/${SUB}`;
    });
    assert.equal((await messagesOf(leastPrivilegeRole, fleet)).length, 1);
  });
});
