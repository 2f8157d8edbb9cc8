import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { change, compliantFleet, type Inputs } from "../../test/support/policy-fixtures.ts";
import { messagesOf, violationsOf } from "../../test/support/policy-violations.ts";
import { vaultHardening } from "./vault-hardening.ts";

const props = (mutate: (p: Inputs) => void) => (i: Inputs) => mutate(i.properties);

describe("keyfleet-vault-hardening", () => {
  it("passes the compliant fleet", async () => {
    assert.deepEqual(await messagesOf(vaultHardening, compliantFleet()), []);
  });
  it("is advisory by default", async () => {
    const fleet = change(
      compliantFleet(),
      "kv1-vault",
      props((p) => {
        delete p.enableRbacAuthorization;
      }),
    );
    const [violation] = await violationsOf(vaultHardening, fleet);
    assert.equal(violation!.enforcementLevel, "advisory");
    assert.match(violation!.message, /enableRbacAuthorization is not true \(omitting it sends false/);
  });
  it("flags purge protection off", async () => {
    const fleet = change(
      compliantFleet(),
      "kv1-vault",
      props((p) => {
        p.enablePurgeProtection = false;
      }),
    );
    assert.match((await messagesOf(vaultHardening, fleet))[0]!, /enablePurgeProtection is not true/);
  });
  it("flags public access without a firewall", async () => {
    const fleet = change(
      compliantFleet(),
      "kv1-vault",
      props((p) => {
        p.networkAcls.defaultAction = "Allow";
      }),
    );
    assert.match(
      (await messagesOf(vaultHardening, fleet))[0]!,
      /reachable from any network \(publicNetworkAccess "enabled", networkAcls.defaultAction "Allow"\)/,
    );
  });
  it("flags public access when requirePrivateNetwork is set", async () => {
    const messages = await messagesOf(vaultHardening, compliantFleet(), { requirePrivateNetwork: true });
    assert.deepEqual(messages, [
      'properties.publicNetworkAccess is "enabled"; requirePrivateNetwork allows only "disabled"',
    ]);
  });
  it("can be made mandatory through pack config", async () => {
    const fleet = change(
      compliantFleet(),
      "kv1-vault",
      props((p) => {
        p.enablePurgeProtection = false;
      }),
    );
    const [violation] = await violationsOf(vaultHardening, fleet, { enforcementLevel: "mandatory" });
    assert.equal(violation!.enforcementLevel, "mandatory");
  });
});
