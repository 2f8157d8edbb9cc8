import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { change, compliantFleet, vault, aksCluster } from "../../test/support/policy-fixtures.ts";
import { messagesOf } from "../../test/support/policy-violations.ts";
import { vaultReadBudget } from "./vault-read-budget.ts";

// Baseline expected reads per 10 s: aks 3×10/120 + arc 2×10/3630 + edge 2×10/315 ≈ 0.32.
const TINY = { vaultLimitPer10s: 4 };

describe("keyfleet-vault-read-budget", () => {
  it("passes the compliant fleet, even against a tiny limit", async () => {
    assert.deepEqual(await messagesOf(vaultReadBudget, compliantFleet()), []);
    assert.deepEqual(await messagesOf(vaultReadBudget, compliantFleet(), TINY), []);
  });

  it("flags a vault whose expected reads exceed the share of its limit", async () => {
    const fleet = change(compliantFleet(), "aks-1-cluster", (i) => {
      i.addonProfiles.azureKeyvaultSecretsProvider.config.rotationPollInterval = "10s";
    });
    const [message, ...rest] = await messagesOf(vaultReadBudget, fleet, TINY);
    assert.equal(rest.length, 0);
    assert.match(
      message!,
      /vault kv1: 3 clusters are expected to read 3 objects per 10 s; allowed 2 \(0.5 × 4\)/,
    );
  });

  it("flags a subscription whose vaults together exceed its cap", async () => {
    const fleet = [...compliantFleet(), ...vault("kv2"), ...aksCluster("aks-2", { vault: "kv2" })];
    const [message] = await messagesOf(vaultReadBudget, fleet, { ...TINY, subscriptionLimitMultiplier: 0.1 });
    assert.match(
      message!,
      /subscription 66666666-7777-8888-9999-000000000000: vaults kv1, kv2 are expected to take 1 reads per 10 s; must stay below 0.4 \(0.1 × 4\)/,
    );
  });

  it("rejects a config value of the wrong type, naming the property", async () => {
    await assert.rejects(messagesOf(vaultReadBudget, compliantFleet(), { maxVaultShare: "half" }), {
      name: "PolicyConfigError",
      message: /keyfleet-vault-read-budget.maxVaultShare: got "half"; allowed: number/,
    });
  });
});
