import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Registry } from "./registry.ts";

describe("registry identities", () => {
  it("deletes an identity with its federated credentials, keeps role assignments, and reports absence", () => {
    const registry = new Registry();
    const { clientId } = registry.upsertIdentity({ name: "wi" });
    registry.putFederatedCredential(clientId, {
      name: "ns-sa",
      issuer: "https://iss",
      subject: "system:serviceaccount:ns:sa",
      audiences: ["api://AzureADTokenExchange"],
    });
    registry.assignRole({ principalId: clientId, role: "Key Vault Secrets User", vaultName: "kv" });
    assert.equal(registry.deleteIdentity(clientId.toUpperCase()), true);
    assert.equal(registry.identity(clientId), undefined);
    assert.equal(registry.listRoleAssignments().length, 1);
    assert.equal(registry.deleteIdentity(clientId), false);
    assert.equal(registry.upsertIdentity({ clientId }).federatedCredentials.length, 0);
  });
});
