import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManualClock } from "../../test/support/clock.ts";
import { ProviderError } from "./errors.ts";
import { VaultOperation } from "./metrics.ts";
import { VaultGuard } from "./vault-guard.ts";

const label = {
  vaultName: "kv1",
  objectType: "secret" as const,
  objectName: "db",
  operation: VaultOperation.get,
};
const refused = () =>
  Promise.reject(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }));

void describe("VaultGuard circuit breaker", () => {
  void it("says why it is open (the last underlying failure) and where (the vault URL)", async () => {
    const guard = new VaultGuard({
      clock: new ManualClock(0),
      circuitBreaker: { failureThreshold: 2, cooldownMs: 30_000 },
      vaultUrl: (name) => `https://${name}.vault.azure.net`,
    });
    for (let i = 0; i < 2; i++) await assert.rejects(guard.request(label, refused), ProviderError);
    await assert.rejects(guard.request(label, refused), (error: unknown) => {
      const info = (error as ProviderError).info;
      assert.equal(info.kind, "CircuitOpen");
      assert.equal(info.code, "ECONNREFUSED");
      assert.match(
        info.message,
        /^requests to vault "kv1" \(https:\/\/kv1\.vault\.azure\.net\) are paused after repeated failures \(circuit open\); next probe in 30 s; last failure: Key Vault did not answer for secret "db" \(latest version\) in vault "kv1" \(connection refused, ECONNREFUSED\)$/,
      );
      return true;
    });
  });
  void it("names an untrusted TLS certificate", async () => {
    const guard = new VaultGuard({ clock: new ManualClock(0), maxRetries: 0 });
    const untrusted = () =>
      Promise.reject(
        Object.assign(new Error("unable to verify"), { code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" }),
      );
    await assert.rejects(guard.request(label, untrusted), (error: unknown) => {
      assert.match(
        (error as ProviderError).info.message,
        /TLS certificate of vault "kv1" is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\).*--ca-file/,
      );
      return true;
    });
  });
});
