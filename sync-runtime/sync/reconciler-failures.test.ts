import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import { Reason } from "../constants.ts";
import { sentSecretValues, toKubeError } from "../kube/errors.ts";
import { duplicateKeys } from "../../test/support/log-lines.ts";
import { setup } from "../../test/support/reconciler-harness.ts";
import type { SecretSyncResource } from "./types.ts";

const DATA = { secretObject: { data: [{ sourcePath: "a", targetKey: "A" }] } };
const VALUE = "s3cr3t-Value-That-Must-Stay-Hidden";
const ready = (status: { conditions?: Array<{ type: string }> } | undefined) =>
  status?.conditions?.find((c) => c.type === "Ready") as
    { type: string; status: string; reason: string; message: string } | undefined;

/** A Secret apply refused by the apiserver with this Status body (as client-node throws it). */
function refused(code: number, body: Record<string, unknown>) {
  return toKubeError("apply of Secret team-a/app", new k8s.ApiException(code, "refused", body, {}), {
    sentValues: sentSecretValues({ A: Buffer.from(VALUE).toString("base64") }),
  });
}

const VAP_MESSAGE =
  "ValidatingAdmissionPolicy 'keyfleet-sync-runtime-secret-writes' with binding 'keyfleet-sync-runtime-secret-writes' denied request: keyfleet-sync-runtime may not write Secret team-a/app of type example.com/api-credentials";

void describe("Reconciler: failed writes get the reason the apiserver's structured answer names", () => {
  const cases: Array<[string, ReturnType<typeof refused>, Reason, RegExp]> = [
    [
      "a ValidatingAdmissionPolicy denial (the policy name is 25+ characters and survives)",
      refused(422, {
        kind: "Status",
        reason: "Invalid",
        code: 422,
        message: `secrets "app" is forbidden: ${VAP_MESSAGE}`,
        details: { name: "app", kind: "secrets", causes: [{ message: VAP_MESSAGE }] },
      }),
      Reason.validatingAdmissionPolicyCheckFailed,
      /HTTP 422 Invalid\): secrets "app" is forbidden: ValidatingAdmissionPolicy 'keyfleet-sync-runtime-secret-writes' with binding/,
    ],
    [
      "a webhook denial",
      refused(403, {
        kind: "Status",
        reason: "Forbidden",
        code: 403,
        message: `admission webhook "validate.kyverno.svc-fail" denied the request: policy secrets/no-opaque: blocked`,
      }),
      Reason.validatingAdmissionPolicyCheckFailed,
      /admission webhook "validate\.kyverno\.svc-fail" denied the request/,
    ],
    [
      "an invalid field (the field message stays intact)",
      refused(422, {
        kind: "Status",
        reason: "Invalid",
        code: 422,
        message:
          'Secret "a-very-long-secret-name-of-the-team" is invalid: type: Invalid value: "kubernetes.io/tls": field is immutable',
        details: { causes: [{ reason: "FieldValueInvalid", field: "type", message: "field is immutable" }] },
      }),
      Reason.controllerSyncFailed,
      /Secret "a-very-long-secret-name-of-the-team" is invalid: type: Invalid value: "kubernetes\.io\/tls": field is immutable/,
    ],
    [
      "a conflict",
      refused(409, {
        kind: "Status",
        reason: "Conflict",
        code: 409,
        message: "Operation cannot be fulfilled",
      }),
      Reason.unknownError,
      /HTTP 409 Conflict/,
    ],
    [
      "a webhook that echoes the value (redacted, the rest kept)",
      refused(400, {
        kind: "Status",
        reason: "BadRequest",
        code: 400,
        message: `admission webhook "echo.example.com" denied the request: value ${VALUE} is weak`,
      }),
      Reason.validatingAdmissionPolicyCheckFailed,
      /denied the request: value \[redacted\] is weak/,
    ],
  ];
  for (const [name, error, reason, message] of cases) {
    void it(name, async () => {
      const { reconciler, fetcher, kube, logLines } = setup(DATA);
      fetcher.values.set("a", [VALUE]);
      kube.applyError = error;
      const result = await reconciler.reconcile("team-a", "app", false);
      assert.equal(result.kind, "failed");
      const r = ready(kube.statuses.at(-1));
      assert.equal(r?.reason, reason);
      assert.match(r?.message ?? "", /^the apiserver refused to write Secret team-a\/app/);
      assert.match(r?.message ?? "", message);
      const everything = JSON.stringify(kube.statuses) + JSON.stringify(kube.events) + logLines.join("");
      assert.ok(!everything.includes(VALUE), "the value never reaches status, events or logs");
      assert.ok(!everything.includes(Buffer.from(VALUE).toString("base64")));
    });
  }
});

void describe("Reconciler: status writes and logs", () => {
  void it("a status write that loses a 409 is written again from a fresh read, and no stale condition survives", async () => {
    const { reconciler, fetcher, kube, sync } = setup(DATA);
    fetcher.values.set("a", ["v1"]);
    // Someone else wrote the object after the cache saw it (rv 1 → 7), leaving an old failure on it.
    kube.staleVersions.add("1");
    const fresh: SecretSyncResource = {
      ...sync,
      metadata: { ...sync.metadata, resourceVersion: "7" },
      status: {
        conditions: [
          {
            type: "SecretCreated",
            status: "False",
            reason: Reason.providerError,
            message: "vault unavailable",
            lastTransitionTime: "2026-01-01T00:00:00Z",
            observedGeneration: 1,
          },
        ],
      },
    };
    kube.fresh = fresh;
    assert.deepEqual(await reconciler.reconcile("team-a", "app", false), { kind: "synced", written: true });
    assert.deepEqual(kube.statusGuards, ["1", "7"], "retried once, guarded by the fresh resourceVersion");
    assert.equal(kube.freshReads, 1);
    const status = kube.statuses.at(-1)!;
    assert.equal(ready(status)?.status, "True");
    assert.deepEqual(
      status.conditions?.filter((c) => c.status !== "True").map((c) => `${c.type} ${c.reason}`),
      [],
      "SecretCreated=False ProviderError does not survive",
    );
  });

  void it("gives up after three lost conflicts and says so (the controller retries the key)", async () => {
    const { reconciler, fetcher, kube, sync } = setup(DATA);
    fetcher.values.set("a", ["v1"]);
    kube.staleVersions.add("1");
    kube.fresh = sync;
    await assert.rejects(
      reconciler.reconcile("team-a", "app", false),
      /status write of SecretSync team-a\/app failed/,
    );
    assert.equal(kube.statusGuards.length, 3);
  });

  void it("a class named across namespaces is the class's problem (ControllerSpcError)", async () => {
    const { reconciler, kube } = setup({ ...DATA, secretProviderClassName: "other-ns/spc" });
    await reconciler.reconcile("team-a", "app", false);
    const r = ready(kube.statuses.at(-1));
    assert.equal(r?.reason, Reason.controllerSpcError);
    assert.match(
      r?.message ?? "",
      /spec\.secretProviderClassName: must name a SecretProviderClass of the SecretSync's own namespace/,
    );
  });

  void it("logs a failure at warn with reason, message and cause codes, one object per line with unique keys", async () => {
    const { reconciler, fetcher, logLines } = setup(DATA);
    fetcher.failing.add("a");
    await reconciler.reconcile("team-a", "app", false);
    const line = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === "sync failed");
    assert.equal(line?.level, "warn");
    assert.equal(line?.reason, Reason.providerError);
    assert.match(String(line?.message), /^no item could be fetched; no Secret was written/);
    assert.deepEqual(line?.codes, ["Unavailable", "HTTP 503"]);
    for (const raw of logLines) assert.deepEqual(duplicateKeys(raw), [], raw);
  });
});
