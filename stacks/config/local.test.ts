/** Validation of the local stack's choices: a local vault with seeds and a created identity, the runtime's timeout. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FleetConfigError, validateFleetConfig } from "./load.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test fixtures are edited freely per case
type Loose = Record<string, any>;
function localFleet(): Loose {
  return {
    vaults: [{ name: "local", mode: "local", seedSecrets: [{ name: "db", generate: true }] }],
    clusters: [
      {
        name: "local",
        kind: "generic",
        engine: "bundled",
        vault: "local",
        kubeconfig: { from: "local-env" },
        namespaces: [{ name: "demo", serviceAccount: "demo-sync", secrets: [] }],
      },
    ],
  };
}

describe("local vault", () => {
  it("takes generated seeds and a created identity, without Azure ids, issuer or resource group", () => {
    const fleet = validateFleetConfig(localFleet());
    assert.deepEqual(fleet.vaults[0]!.seedSecrets, [{ name: "db", generate: { length: 32 } }]);
    assert.deepEqual(fleet.clusters[0]!.identity, { scope: "cluster" });
    assert.equal(fleet.azure, undefined);
    assert.equal(fleet.syncRuntime.readyTimeoutSeconds, 300);
  });

  it("takes seeds from secret config keys and a generated length", () => {
    const f = localFleet();
    f.vaults[0].seedSecrets = [
      { name: "a", configKey: "seedA" },
      { name: "b", generate: { length: 48 } },
    ];
    assert.deepEqual(validateFleetConfig(f).vaults[0]!.seedSecrets, [
      { name: "a", configKey: "seedA" },
      { name: "b", generate: { length: 48 } },
    ]);
  });

  const bad: Array<[string, (f: Loose) => void, string, string]> = [
    [
      "generated value in a created vault",
      (f) => {
        f.azure = {
          tenantId: "11111111-2222-3333-4444-555555555555",
          subscriptionId: "66666666-7777-8888-9999-000000000000",
        };
        f.vaults.push({
          name: "kf-az",
          resourceGroup: "rg",
          location: "l",
          seedSecrets: [{ name: "x", generate: true }],
        });
      },
      "vaults[1].seedSecrets[0].generate",
      "a generated value is for local vaults only; allowed for mode create: configKey",
    ],
    [
      "seeds in an existing vault",
      (f) => {
        f.azure = {
          tenantId: "11111111-2222-3333-4444-555555555555",
          subscriptionId: "66666666-7777-8888-9999-000000000000",
        };
        f.vaults.push({
          name: "kf-ex",
          mode: "existing",
          resourceGroup: "rg",
          seedSecrets: [{ name: "x", configKey: "k" }],
        });
      },
      "vaults[1].seedSecrets",
      "only into vaults it writes to (mode create or local); mode is existing",
    ],
    [
      "ready timeout too short",
      (f) => (f.syncRuntime = { readyTimeoutSeconds: 5 }),
      "syncRuntime.readyTimeoutSeconds",
      "",
    ],
    [
      "generated length too short",
      (f) => (f.vaults[0].seedSecrets = [{ name: "x", generate: { length: 4 } }]),
      "vaults[0].seedSecrets[0]",
      "",
    ],
  ];
  for (const [label, change, path, message] of bad) {
    it(`refuses ${label}, naming ${path}`, () => {
      const f = localFleet();
      change(f);
      assert.throws(
        () => validateFleetConfig(f),
        (e: Error) =>
          e instanceof FleetConfigError &&
          e.message.includes(`keyfleet:fleet.${path}`) &&
          e.message.includes(message),
      );
    });
  }
});
