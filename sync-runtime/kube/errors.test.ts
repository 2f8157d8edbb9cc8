import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import { admissionDenialOf, redactApiMessage, sentSecretValues, toKubeError } from "./errors.ts";

const VALUE = "hunter2-but-longer";
const B64 = Buffer.from(VALUE).toString("base64");

void describe("redactApiMessage: removes only what can carry a value", () => {
  const cases: Array<[string, string, string]> = [
    [
      "keeps a policy name of 25+ characters, Secret names and label keys",
      `secrets "payments-database-credentials" is forbidden: ValidatingAdmissionPolicy 'keyfleet-sync-runtime-secret-writes' denied request`,
      `secrets "payments-database-credentials" is forbidden: ValidatingAdmissionPolicy 'keyfleet-sync-runtime-secret-writes' denied request`,
    ],
    [
      "keeps the apiserver's field messages",
      `Secret "x" is invalid: metadata.labels: Invalid value: "app.kubernetes.io/very-long-label-name_x!": name part must consist of alphanumeric characters`,
      `Secret "x" is invalid: metadata.labels: Invalid value: "app.kubernetes.io/very-long-label-name_x!": name part must consist of alphanumeric characters`,
    ],
    ["removes a sent value", `denied: value ${VALUE} is weak`, "denied: value [redacted] is weak"],
    ["removes a sent value in its encoded form", `data.a: ${B64}`, "data.a: [redacted]"],
    [
      "removes long encoded-looking runs it was not told about",
      "echo: QWxhZGRpbjpvcGVuIHNlc2FtZQ0123456789abcXYZ done",
      "echo: [redacted] done",
    ],
    [
      "keeps long lower-case names and UIDs",
      "owner 1b4e28ba-2fa1-11d2-883f-0016d3cca427 of averyveryverylongsecretnamewithoutanyhyphen",
      "owner 1b4e28ba-2fa1-11d2-883f-0016d3cca427 of averyveryverylongsecretnamewithoutanyhyphen",
    ],
  ];
  for (const [name, input, expected] of cases) {
    void it(name, () => assert.equal(redactApiMessage(input, sentSecretValues({ a: B64 })), expected));
  }
  void it("removes a short sent value only as a whole token", () => {
    assert.equal(redactApiMessage("pin 42 in 420", ["42"]), "pin [redacted] in 420");
  });
});

void describe("admissionDenialOf: from the apiserver's own words, never from redacted text", () => {
  void it("reads a ValidatingAdmissionPolicy denial from its status cause", () => {
    assert.deepEqual(
      admissionDenialOf(422, 'secrets "a" is forbidden: ...', [
        { message: "ValidatingAdmissionPolicy 'p-name' with binding 'b-name' denied request: no" },
      ]),
      { kind: "ValidatingAdmissionPolicy", policy: "p-name", binding: "b-name" },
    );
  });
  void it("reads a webhook denial from the message", () => {
    assert.deepEqual(admissionDenialOf(403, 'admission webhook "v.example.com" denied the request: no', []), {
      kind: "ValidatingAdmissionWebhook",
      webhook: "v.example.com",
    });
  });
  void it("is not an RBAC refusal", () => {
    assert.equal(
      admissionDenialOf(403, 'secrets "a" is forbidden: User "x" cannot patch resource "secrets"', []),
      undefined,
    );
  });
});

void describe("toKubeError", () => {
  void it("keeps status, reason, causes and the intact message; never the sent value", () => {
    const body = {
      kind: "Status",
      code: 422,
      reason: "Invalid",
      message: `Secret "app" is invalid: data[bad key]: Invalid value: "bad key": a valid config key (value ${VALUE})`,
      details: { causes: [{ reason: "FieldValueInvalid", field: "data[bad key]", message: `x ${VALUE}` }] },
    };
    const error = toKubeError("apply of Secret ns/app", new k8s.ApiException(422, "x", body, {}), {
      sentValues: sentSecretValues({ "bad key": B64 }),
    });
    assert.equal(error.status, 422);
    assert.equal(error.statusReason, "Invalid");
    assert.deepEqual(error.causes, [
      { reason: "FieldValueInvalid", field: "data[bad key]", message: "x [redacted]" },
    ]);
    assert.match(
      error.apiMessage ?? "",
      /^Secret "app" is invalid: data\[bad key\]: Invalid value: "bad key"/,
    );
    assert.ok(!error.message.includes(VALUE));
  });
  void it("names the network code when the apiserver did not answer", () => {
    const error = toKubeError("read of Secret ns/a", Object.assign(new Error("x"), { code: "ECONNREFUSED" }));
    assert.equal(error.networkCode, "ECONNREFUSED");
    assert.match(error.message, /\(ECONNREFUSED\)/);
  });
});
