import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTokenSource } from "./identity.ts";

const who = { namespace: "team-a", serviceAccountName: "sync", tenantId: "t", clientId: "c" };

void describe("createTokenSource", () => {
  void it("caches a ServiceAccount token for half its lifetime, and asks again when a fresh one is wanted", async () => {
    let minted = 0;
    let now = 0;
    const source = createTokenSource(
      { requestServiceAccountToken: async () => `token-${++minted}` },
      { expirationSeconds: 600, nowMs: () => now },
    );
    assert.equal(await source(who), "token-1");
    now += 299_000;
    assert.equal(await source(who), "token-1");
    assert.equal(
      await source(who, { fresh: true }),
      "token-2",
      "a refused assertion is never handed out again",
    );
    assert.equal(await source(who), "token-2");
    now += 301_000;
    assert.equal(await source(who), "token-3");
  });
});
