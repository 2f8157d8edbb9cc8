/**
 * The counting, fault-injecting proxy in front of an in-process vault, driven by the real SecretClient:
 * counts per operation and status, 429 with and without Retry-After, 5xx, 403, 404, connection reset,
 * unreachable (connection refused) and recovery, rules for N requests or until cleared, and ids/nextLinks that
 * stay on the proxy.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { SecretClient } from "@azure/keyvault-secrets";
import { localVaultClients } from "./sdk.ts";
import { startTestInstance, type TestInstance } from "../support/azure-local.ts";
import { startVaultProxy, type VaultProxy } from "./vault-proxy.ts";

function statusOf(e: unknown): number | undefined {
  return (e as { statusCode?: number }).statusCode;
}

describe("vault proxy", () => {
  let t: TestInstance;
  let proxy: VaultProxy;
  let secrets: SecretClient;

  before(async () => {
    t = await startTestInstance();
    proxy = await startVaultProxy({
      upstreamUrl: t.local.vault!.url,
      upstreamCaFile: t.pki.caFile,
      tlsCertFile: t.pki.certFile,
      tlsKeyFile: t.pki.keyFile,
    });
    secrets = localVaultClients(proxy.url, t.adminCredential, t.pki.caPem, {
      retryOptions: { maxRetries: 0 },
    }).secrets;
    await t.adminClients.secrets.setSecret("alpha", "a-value");
    await t.adminClients.secrets.setSecret("beta", "b-value");
    await secrets.getSecret("alpha"); // completes the challenge round trip once
  });
  beforeEach(async () => {
    await proxy.clearFaults();
    proxy.reset();
  });
  after(async () => {
    await proxy.stop();
    await t.stop();
  });

  it("counts requests by operation and status, and keeps ids and nextLinks on the proxy", async () => {
    const alpha = await secrets.getSecret("alpha");
    assert.equal(alpha.properties.vaultUrl, proxy.url);
    await assert.rejects(secrets.getSecret("missing"), (e: unknown) => statusOf(e) === 404);
    for (let i = 0; i < 27; i++) await t.adminClients.secrets.setSecret("many", `v${i}`);
    let versions = 0;
    for await (const _ of secrets.listPropertiesOfSecretVersions("many")) versions++;
    assert.equal(versions, 27);
    for await (const _ of secrets.listPropertiesOfSecrets()) void _;
    const c = proxy.counts();
    assert.equal(c.operations.getSecret.total, 2);
    assert.deepEqual(c.operations.getSecret.byStatus, { "200": 1, "404": 1 });
    assert.equal(
      c.operations.getSecretVersions.total,
      2,
      "two pages, the second through the proxy's nextLink",
    );
    assert.equal(c.operations.listSecrets.total, 1);
    assert.equal(c.total, 5);
    assert.equal(c.injected, 0);
    proxy.reset();
    assert.equal(proxy.counts().total, 0);
  });

  it("injects 429 with and without Retry-After for the next N matching requests", async () => {
    await proxy.setFaults([
      {
        operation: "getSecret",
        objectName: "alpha",
        fault: { kind: "status", status: 429, retryAfterSeconds: 7 },
        times: 1,
      },
      { operation: "getSecret", objectName: "beta", fault: { kind: "status", status: 429 }, times: 2 },
    ]);
    const seen: Array<[number | undefined, string | undefined]> = [];
    for (const name of ["alpha", "beta", "beta"]) {
      await assert.rejects(secrets.getSecret(name), (e: unknown) => {
        const response = (e as { response?: { headers: { get(n: string): string | undefined } } }).response;
        seen.push([statusOf(e), response?.headers.get("retry-after")]);
        assert.equal((e as { code?: string }).code, "Throttled");
        return true;
      });
    }
    assert.deepEqual(seen, [
      [429, "7"],
      [429, undefined],
      [429, undefined],
    ]);
    assert.equal((await secrets.getSecret("alpha")).value, "a-value", "the rule for alpha was used up");
    assert.equal((await secrets.getSecret("beta")).value, "b-value", "the rule for beta was used up");
    assert.deepEqual(proxy.counts().operations.getSecret.byStatus, { "429": 3, "200": 2 });
    assert.equal(proxy.counts().injected, 3);
  });

  it("injects 5xx, 403 and 404 until cleared, matched by operation", async () => {
    for (const [status, code] of [
      [503, "ServiceUnavailable"],
      [500, "InternalServerError"],
      [403, "Forbidden"],
      [404, "SecretNotFound"],
    ] as const) {
      await proxy.setFaults([{ operation: "getSecret", fault: { kind: "status", status } }]);
      for (let i = 0; i < 2; i++) {
        await assert.rejects(secrets.getSecret("alpha"), (e: unknown) => {
          assert.equal(statusOf(e), status);
          assert.equal((e as { code?: string }).code, code);
          return true;
        });
      }
      let listed = 0;
      for await (const _ of secrets.listPropertiesOfSecrets()) listed++;
      assert.ok(listed >= 2, "other operations pass through");
    }
    await proxy.clearFaults();
    assert.equal((await secrets.getSecret("alpha")).value, "a-value");
  });

  it("resets connections and makes the vault unreachable, then recovers", async () => {
    await proxy.setFaults([{ operation: "getSecret", fault: { kind: "reset" }, times: 1 }]);
    await assert.rejects(secrets.getSecret("alpha"), (e: unknown) =>
      /ECONNRESET|socket hang up/i.test(String((e as Error).message) + String((e as { code?: string }).code)),
    );
    assert.equal(proxy.counts().byStatus.reset, 1);
    assert.equal((await secrets.getSecret("alpha")).value, "a-value");

    await proxy.setFaults([{ fault: { kind: "unreachable" } }]);
    // A pooled keep-alive socket may see the close first (hang up); a new connection is refused.
    await assert.rejects(secrets.getSecret("alpha"), (e: unknown) => statusOf(e) === undefined);
    await assert.rejects(secrets.getSecret("alpha"), (e: unknown) =>
      /ECONNREFUSED/.test(`${(e as { code?: string }).code} ${(e as Error).message}`),
    );
    await proxy.clearFaults();
    assert.equal((await secrets.getSecret("alpha")).value, "a-value");
  });
});
