import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ResourceValidation, ResourceValidationArgs } from "@pulumi/policy";
import { change, compliantFleet } from "../test/fixtures.ts";
import { messagesOf, violationsOf } from "../test/check.ts";
import { secretValuesMarked } from "./secret-values-marked.ts";

/** The seed secret written in plain text (its path no longer marked secret). */
function plaintextSeed() {
  return change(compliantFleet(), "kv1-seed", (i, r) => {
    i.properties.value = "s3cr3t-value-for-test";
    r.secretPaths = [];
  });
}

describe("keyfleet-secret-values-marked", () => {
  it("passes the compliant fleet (the seed value is a Pulumi secret)", async () => {
    assert.deepEqual(await messagesOf(secretValuesMarked, compliantFleet()), []);
  });
  it("flags a plaintext seed secret, advisory, without echoing the value", async () => {
    const [violation, ...rest] = await violationsOf(secretValuesMarked, plaintextSeed());
    assert.equal(rest.length, 0);
    assert.equal(violation!.enforcementLevel, "advisory");
    assert.match(
      violation!.message,
      /^properties.value is written in plain text; pass it as a Pulumi secret/,
    );
    assert.doesNotMatch(JSON.stringify(violation), /s3cr3t/);
  });
  it("judges the local stack's seed twin (components/local-azure) the same way", async () => {
    const local = plaintextSeed().map((r) =>
      r.name === "kv1-seed" ? { ...r, type: "pulumi-nodejs:dynamic/local-azure:VaultSecret" } : r,
    );
    assert.equal((await messagesOf(secretValuesMarked, local)).length, 1);
  });
  it("at level remediate wraps the value as a secret instead of failing", async () => {
    assert.deepEqual(
      await messagesOf(secretValuesMarked, plaintextSeed(), { enforcementLevel: "remediate" }),
      [],
    );
  });
  it("is not applicable where the engine hides secretness (plain analyzer inputs)", () => {
    const validate = (secretValuesMarked as { validateResource: ResourceValidation }).validateResource;
    const args = {
      type: "azure-native:keyvault:Secret",
      props: { properties: { value: "x" } },
      notApplicable: (reason?: string) => {
        throw new Error(`not applicable: ${reason}`);
      },
    } as unknown as ResourceValidationArgs;
    assert.throws(
      () => validate(args, () => assert.fail("must not report")),
      /not applicable: analyzer inputs hide/,
    );
  });
});
