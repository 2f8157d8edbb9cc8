import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Reason } from "../constants.ts";
import { loadPkcs12Reader } from "./pkcs12-reader.ts";
import { pkcs12Fixtures } from "../../test/support/pkcs12-fixtures.ts";
import { setup } from "../../test/support/reconciler-harness.ts";

const DATA = {
  secretObject: {
    data: [
      { sourcePath: "a", targetKey: "A" },
      { sourcePath: "b/1", targetKey: "OLD_B" },
    ],
  },
};

/** Freezes an object and everything in it (a write to it then throws in strict-mode code). */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

void describe("Reconciler", () => {
  void it("never writes into the cached SecretSync (the cache is shared), yet a re-run sees its own status write", async () => {
    const { reconciler, fetcher, kube, sync } = setup(DATA);
    deepFreeze(sync);
    fetcher.values.set("a", ["alpha-secret-value"]);
    fetcher.values.set("b", ["beta-new-value", "beta-old-value"]);
    assert.deepEqual(await reconciler.reconcile("team-a", "app", false), { kind: "synced", written: true });
    const writes = kube.statuses.length;
    // The cache still holds the copy the write replaced: the re-run uses the written status, so nothing changes.
    assert.deepEqual(await reconciler.reconcile("team-a", "app", false), { kind: "synced", written: false });
    assert.equal(kube.statuses.length, writes, "no second status write for the same state");
    // Once the cache moved on, the remembered write is dropped and the cache is the truth again.
    reconciler.cacheUpdated("team-a/app", "999");
    await reconciler.reconcile("team-a", "app", false);
    assert.equal(kube.statuses.length, writes + 1, "the (stale, frozen) cache is read again");
  });

  void it("creates, then does nothing on a no-op poll, then rotates", async () => {
    const { reconciler, fetcher, kube, logLines } = setup(DATA);
    fetcher.values.set("a", ["alpha-secret-value"]);
    fetcher.values.set("b", ["beta-new-value", "beta-old-value"]);
    assert.deepEqual(await reconciler.reconcile("team-a", "app", false), { kind: "synced", written: true });
    assert.equal(
      kube.statuses.at(-1)?.conditions?.find((c) => c.type === "Ready")?.reason,
      Reason.createSucceeded,
    );
    assert.equal(
      Buffer.from(kube.secrets.get("team-a/app")!.data!.OLD_B!, "base64").toString(),
      "beta-old-value",
    );
    assert.equal(fetcher.calls[0]!.requests.length, 2);
    assert.equal(fetcher.calls[0]!.requests[1]!.versionHistory, 2);
    const writes = kube.statuses.length;
    assert.deepEqual(await reconciler.reconcile("team-a", "app", false), { kind: "synced", written: false });
    assert.equal(kube.statuses.length, writes, "no status write on a no-op poll");
    assert.equal(kube.applies, 1);
    fetcher.values.set("a", ["alpha-rotated-value"]);
    await reconciler.reconcile("team-a", "app", false);
    assert.equal(
      kube.statuses.at(-1)?.conditions?.find((c) => c.type === "Ready")?.reason,
      Reason.updateValueChangeOrForceUpdateSucceeded,
    );
    assert.deepEqual(
      kube.events.map((e) => e.reason),
      [Reason.createSucceeded, Reason.updateValueChangeOrForceUpdateSucceeded],
    );
    const all = logLines.join("") + JSON.stringify(kube.statuses) + JSON.stringify(kube.events);
    for (const value of ["alpha-secret-value", "alpha-rotated-value", "beta-new-value", "beta-old-value"])
      assert.ok(!all.includes(value), `${value} leaked`);
  });

  void it("keeps the last good value on provider failure and reports PartialSync", async () => {
    const { reconciler, fetcher, kube } = setup(DATA);
    fetcher.values.set("a", ["alpha"]);
    fetcher.values.set("b", ["b1", "b0"]);
    await reconciler.reconcile("team-a", "app", false);
    fetcher.failing.add("b");
    fetcher.values.set("a", ["alpha2"]);
    await reconciler.reconcile("team-a", "app", false);
    const secret = kube.secrets.get("team-a/app")!;
    assert.equal(Buffer.from(secret.data!.A!, "base64").toString(), "alpha2");
    assert.equal(Buffer.from(secret.data!.OLD_B!, "base64").toString(), "b0");
    const ready = kube.statuses.at(-1)?.conditions?.find((c) => c.type === "Ready");
    assert.equal(ready?.reason, Reason.partialSync);
    assert.match(ready?.message ?? "", /"synced":false/);
  });

  void it("reports ProviderError and writes nothing when all items fail", async () => {
    const { reconciler, fetcher, kube } = setup(DATA);
    fetcher.failing.add("a");
    fetcher.failing.add("b");
    const result = await reconciler.reconcile("team-a", "app", false);
    assert.equal(result.kind, "failed");
    assert.equal(kube.applies, 0);
    assert.equal(
      kube.statuses.at(-1)?.conditions?.find((c) => c.type === "Ready")?.reason,
      Reason.providerError,
    );
  });

  void it("emits one Event per transition (reason or failure kind) and folds repeats into its count", async () => {
    const { reconciler, fetcher, kube } = setup(DATA);
    fetcher.values.set("a", ["alpha"]);
    fetcher.values.set("b", ["b1", "b0"]);
    await reconciler.reconcile("team-a", "app", false);
    fetcher.failing = new Set(["a", "b"]);
    for (let i = 0; i < 20; i++) await reconciler.reconcile("team-a", "app", false);
    assert.deepEqual(
      kube.events.map((e) => e.reason),
      [Reason.createSucceeded, Reason.providerError],
      "twenty failed retries of one outage: one Event",
    );
    assert.deepEqual(
      kube.counts.map((c) => c.count),
      [2, 4, 8, 16],
      "its count is written when it doubles",
    );
    fetcher.failingKind = "AccessDenied";
    await reconciler.reconcile("team-a", "app", false);
    assert.deepEqual(
      kube.events.map((e) => e.reason),
      [Reason.createSucceeded, Reason.providerError, Reason.providerError],
      "same reason, new failure kind: one more Event",
    );
    assert.deepEqual(kube.counts.at(-1), { name: "event-2", count: 20 }, "the outage's final count");
    fetcher.failing.clear();
    await reconciler.reconcile("team-a", "app", false);
    await reconciler.reconcile("team-a", "app", false);
    assert.deepEqual(
      kube.events.map((e) => e.reason),
      [
        Reason.createSucceeded,
        Reason.providerError,
        Reason.providerError,
        Reason.updateNoValueChangeSucceeded,
      ],
    );
  });

  void it("retries exactly at the next probe when every item was refused locally (open circuit)", async () => {
    const { reconciler, fetcher } = setup(DATA);
    fetcher.failing = new Set(["a", "b"]);
    assert.deepEqual(await reconciler.reconcile("team-a", "app", false), {
      kind: "failed",
      reason: Reason.providerError,
      attempt: 1,
      retryAfterMs: 1500,
    });
    fetcher.failingKind = "CircuitOpen";
    const result = await reconciler.reconcile("team-a", "app", false);
    assert.ok(result.kind === "failed" && result.exactRetryMs === 1500);
    fetcher.values.set("a", ["alpha"]);
    fetcher.failing = new Set(["b"]);
    assert.deepEqual(
      await reconciler.reconcile("team-a", "app", false),
      { kind: "synced", written: true, exactRetryMs: 1500 },
      "a partial sync retries the locally refused item at the probe, not at the next poll",
    );
  });

  void it("reports a missing class and bad input without fetching", async () => {
    const missing = setup({ ...DATA, secretProviderClassName: "nope" });
    await missing.reconciler.reconcile("team-a", "app", false);
    assert.equal(
      missing.kube.statuses.at(-1)?.conditions?.find((c) => c.type === "Ready")?.reason,
      Reason.controllerSpcError,
    );
    const badPath = setup({ secretObject: { data: [{ sourcePath: "zzz", targetKey: "Z" }] } });
    await badPath.reconciler.reconcile("team-a", "app", false);
    const ready = badPath.kube.statuses.at(-1)?.conditions?.find((c) => c.type === "Ready");
    assert.equal(ready?.reason, Reason.userInputValidationFailed);
    assert.match(ready?.message ?? "", /spec\.secretObject\.data\[0\]\.sourcePath/);
    assert.equal(missing.fetcher.calls.length + badPath.fetcher.calls.length, 0);
  });

  void it("ignores SecretSyncs of another controller", async () => {
    const { reconciler, kube } = setup({ ...DATA, secretSyncControllerName: "someone-else" });
    assert.deepEqual(await reconciler.reconcile("team-a", "app", false), { kind: "ignored" });
    assert.equal(kube.statuses.length, 0);
  });

  void it("recognises its own write and a hand edit", async () => {
    const { reconciler, fetcher, kube } = setup(DATA);
    fetcher.values.set("a", ["alpha"]);
    fetcher.values.set("b", ["b1", "b0"]);
    await reconciler.reconcile("team-a", "app", false);
    const secret = kube.secrets.get("team-a/app")!;
    assert.equal(reconciler.secretDiffers("team-a/app", secret), false);
    assert.equal(
      reconciler.secretDiffers("team-a/app", { ...secret, data: { ...secret.data, A: "ZWRpdA==" } }),
      true,
    );
  });

  void it("loads the PKCS#12 reader once, on the first PKCS#12 item, and keeps the last good value when the PFX breaks", async () => {
    const fx = await pkcs12Fixtures();
    let loads = 0;
    const { reconciler, fetcher, kube, logLines } = setup(DATA, true, () => {
      loads++;
      return loadPkcs12Reader();
    });
    fetcher.values.set("a", ["alpha"]);
    fetcher.values.set("b", ["b1", "b0"]);
    await reconciler.reconcile("team-a", "app", false);
    assert.equal(loads, 0, "no PKCS#12 item, no reader");
    fetcher.contentTypes.set("a", "application/x-pkcs12");
    fetcher.values.set("a", [fx.modern.toString("base64")]);
    await reconciler.reconcile("team-a", "app", false);
    const good = kube.secrets.get("team-a/app")!.data!.A!;
    assert.match(
      Buffer.from(good, "base64").toString(),
      /^-----BEGIN PRIVATE KEY-----[\s\S]+CERTIFICATE-----\n$/,
    );
    fetcher.values.set("a", [Buffer.from("damaged").toString("base64")]);
    await reconciler.reconcile("team-a", "app", false);
    assert.equal(kube.secrets.get("team-a/app")!.data!.A, good, "the last good value stays");
    const ready = kube.statuses.at(-1)?.conditions?.find((c) => c.type === "Ready");
    assert.equal(ready?.reason, Reason.partialSync);
    assert.match(
      ready?.message ?? "",
      /object a: the PKCS#12 certificate could not be read: it is not PKCS#12 data/,
    );
    assert.equal(loads, 1);
    const all = logLines.join("") + JSON.stringify(kube.statuses) + JSON.stringify(kube.events);
    const keyBody = Buffer.from(good, "base64").toString().split("\n")[1]!;
    assert.ok(!all.includes(keyBody) && !all.includes(fx.modern.toString("base64").slice(0, 40)));
  });
});
