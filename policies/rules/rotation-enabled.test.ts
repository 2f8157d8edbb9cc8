import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { change, compliantFleet } from "../../test/support/policy-fixtures.ts";
import { messagesOf } from "../../test/support/policy-violations.ts";
import { rotationEnabled } from "./rotation-enabled.ts";

describe("keyfleet-rotation-enabled", () => {
  it("passes the compliant fleet", async () => {
    assert.deepEqual(await messagesOf(rotationEnabled, compliantFleet()), []);
  });
  it('flags enableSecretRotation "false"', async () => {
    const fleet = change(compliantFleet(), "aks-1-cluster", (i) => {
      i.addonProfiles.azureKeyvaultSecretsProvider.config.enableSecretRotation = "false";
    });
    assert.deepEqual(await messagesOf(rotationEnabled, fleet), [
      'the azureKeyvaultSecretsProvider add-on has enableSecretRotation off; set config.enableSecretRotation: "true"',
    ]);
  });
  it("flags an add-on without config (AKS leaves rotation off by default)", async () => {
    const fleet = change(compliantFleet(), "aks-1-cluster", (i) => {
      delete i.addonProfiles.azureKeyvaultSecretsProvider.config;
    });
    assert.equal((await messagesOf(rotationEnabled, fleet)).length, 1);
  });
  it("flags the Arc CSI provider extension without rotation", async () => {
    const fleet = change(compliantFleet(), "arc-1-sse-ext", (i) => {
      i.extensionType = "microsoft.azurekeyvaultsecretsprovider";
      i.configurationSettings = {};
    });
    const [message] = await messagesOf(rotationEnabled, fleet);
    assert.match(message!, /Arc CSI provider extension has rotation off/);
  });
});
