import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CircuitState, createVaultLayer } from "./index.ts";
import { ManualClock } from "../../test/support/clock.ts";
import { FakeVaultProvider } from "../../test/support/fake-vault-provider.ts";

async function cooldownOf(rotationPollIntervalSeconds: number | undefined): Promise<number> {
  const clock = new ManualClock();
  const provider = new FakeVaultProvider(clock);
  const layer = createVaultLayer({
    tokenSource: async () => "unused",
    provider,
    clock,
    circuitBreaker: { failureThreshold: 1 },
    maxRetries: 0,
    rotationPollIntervalSeconds,
  });
  provider.faults.push({ status: 503 });
  const identity = { namespace: "n", serviceAccountName: "s", tenantId: "t", clientId: "c" };
  await layer.fetcher.fetch([{ vaultName: "kv-x", objectName: "a", objectType: "secret", identity }]);
  assert.equal(layer.circuitState("kv-x"), CircuitState.open);
  let waited = 0;
  while (layer.circuitState("kv-x") === CircuitState.open) {
    clock.advance(1000);
    waited += 1000;
  }
  return waited;
}

void describe("createVaultLayer", () => {
  void it("probes an open circuit at least once per rotation poll (cooldown = min(30 s, poll))", async () => {
    assert.equal(await cooldownOf(undefined), 30_000);
    assert.equal(await cooldownOf(120), 30_000);
    assert.equal(await cooldownOf(10), 10_000);
  });
});
