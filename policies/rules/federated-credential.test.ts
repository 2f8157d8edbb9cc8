import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { change, compliantFleet } from "../test/fixtures.ts";
import { messagesOf } from "../test/check.ts";
import { federatedCredential } from "./federated-credential.ts";

describe("keyfleet-federated-credential", () => {
  it("passes the compliant fleet", async () => {
    assert.deepEqual(await messagesOf(federatedCredential, compliantFleet()), []);
  });
  it("judges the local stack's twin (components/local-azure) the same way", async () => {
    const fleet = change(compliantFleet(), "aks-1-fic", (i, r) => {
      r.type = "pulumi-nodejs:dynamic/local-azure:FederatedIdentityCredential";
      i.audiences = ["api://other"];
    });
    assert.equal((await messagesOf(federatedCredential, fleet)).length, 1);
  });
  it("flags another audience", async () => {
    const fleet = change(compliantFleet(), "aks-1-fic", (i) => {
      i.audiences = ["api://other"];
    });
    assert.deepEqual(await messagesOf(federatedCredential, fleet), [
      'audiences are ["api://other"]; allowed: exactly ["api://AzureADTokenExchange"]',
    ]);
  });
  it("flags a subject that is not one ServiceAccount", async () => {
    const fleet = change(compliantFleet(), "aks-1-fic", (i) => {
      i.subject = "system:serviceaccount:app:*";
    });
    const [message] = await messagesOf(federatedCredential, fleet);
    assert.match(message!, /subject "system:serviceaccount:app:\*" does not name one ServiceAccount/);
  });
  it("flags a non-https issuer", async () => {
    const fleet = change(compliantFleet(), "edge-1-fic", (i) => {
      i.issuer = "http://issuer.example/";
    });
    const [message] = await messagesOf(federatedCredential, fleet);
    assert.match(
      message!,
      /issuer "http:\/\/issuer.example\/" is not the cluster's https:\/\/ OIDC issuer URL/,
    );
  });
});
