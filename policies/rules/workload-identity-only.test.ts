import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { change, compliantFleet, type Inputs } from "../../test/support/policy-fixtures.ts";
import { messagesOf } from "../../test/support/policy-violations.ts";
import { workloadIdentityOnly } from "./workload-identity-only.ts";

const params = (mutate: (p: Record<string, unknown>) => void) => (i: Inputs) => mutate(i.spec.parameters);

describe("keyfleet-workload-identity-only", () => {
  it("passes the compliant fleet", async () => {
    assert.deepEqual(await messagesOf(workloadIdentityOnly, compliantFleet()), []);
  });
  it('flags usePodIdentity "true"', async () => {
    const fleet = change(
      compliantFleet(),
      "aks-1-spc",
      params((p) => {
        p.usePodIdentity = "true";
      }),
    );
    assert.deepEqual(await messagesOf(workloadIdentityOnly, fleet), [
      'usePodIdentity is "true" (AAD pod identity is retired); use workload identity: set clientID',
    ]);
  });
  it('flags useVMManagedIdentity "true"', async () => {
    const fleet = change(
      compliantFleet(),
      "aks-1-spc",
      params((p) => {
        p.useVMManagedIdentity = "true";
      }),
    );
    assert.match((await messagesOf(workloadIdentityOnly, fleet))[0]!, /useVMManagedIdentity is "true"/);
  });
  it("flags a client secret in the parameters", async () => {
    const fleet = change(
      compliantFleet(),
      "arc-1-spc",
      params((p) => {
        p["client-secret"] = "[secret]";
      }),
    );
    assert.deepEqual(await messagesOf(workloadIdentityOnly, fleet), [
      'parameter "client-secret" carries a credential; no client secrets in a SecretProviderClass',
    ]);
  });
  it("flags a missing clientID", async () => {
    const fleet = change(
      compliantFleet(),
      "arc-1-spc",
      params((p) => {
        delete p.clientID;
      }),
    );
    assert.match((await messagesOf(workloadIdentityOnly, fleet))[0]!, /clientID is missing/);
  });
  it("flags an AKVSync without clientID", async () => {
    const fleet = change(compliantFleet(), "edge-1-akvsync", (i) => {
      delete i.spec.clientID;
    });
    assert.deepEqual(await messagesOf(workloadIdentityOnly, fleet), [
      "spec.clientID is missing: AKVSync needs a workload identity",
    ]);
  });
});
