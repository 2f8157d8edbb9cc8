import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { expandItem } from "./expand.ts";
import { planAkvSync } from "./plan.ts";
import { aggregateStatus, judgeSecretSync, mergeConditions } from "./status.ts";
import type { SecretSyncState } from "./status.ts";
import { validateAkvSync } from "./validate.ts";

const top = { keyvaultName: "kv-one", clientID: "c", tenantID: "t", serviceAccountName: "sa" };
const cond = (status: "True" | "False", reason: string, at = "2026-01-01T00:00:00Z", message = "m") => ({
  type: "SecretCreated",
  status,
  reason,
  message,
  lastTransitionTime: at,
});

describe("judgeSecretSync", () => {
  const cases: Array<[string, SecretSyncState | undefined, string, string]> = [
    ["missing", undefined, "Pending", "SyncPending"],
    ["no conditions", { name: "a" }, "Pending", "SyncPending"],
    [
      "created",
      { name: "a", status: { conditions: [cond("True", "CreateSucceeded")] } },
      "Synced",
      "CreateSucceeded",
    ],
    [
      "provider error",
      { name: "a", status: { conditions: [cond("False", "ProviderError")] } },
      "Failed",
      "ProviderError",
    ],
    [
      "newest wins",
      {
        name: "a",
        status: {
          conditions: [
            cond("False", "ProviderError", "2026-01-01T00:00:00Z"),
            cond("True", "UpdateValueChangeOrForceUpdateSucceeded", "2026-01-02T00:00:00Z"),
          ],
        },
      },
      "Synced",
      "UpdateValueChangeOrForceUpdateSucceeded",
    ],
    [
      "failure wins a tie",
      { name: "a", status: { conditions: [cond("True", "CreateSucceeded"), cond("False", "UnknownError")] } },
      "Failed",
      "UnknownError",
    ],
    [
      "Ready condition wins",
      {
        name: "a",
        status: {
          conditions: [
            cond("True", "CreateSucceeded", "2026-01-05T00:00:00Z"),
            { ...cond("False", "PartialSync"), type: "Ready" },
          ],
        },
      },
      "Failed",
      "PartialSync",
    ],
    [
      "Ready True",
      {
        name: "a",
        status: { conditions: [{ ...cond("True", "UpdateNoValueChangeSucceeded"), type: "Ready" }] },
      },
      "Synced",
      "UpdateNoValueChangeSucceeded",
    ],
    [
      "stale generation",
      {
        name: "a",
        generation: 3,
        status: { conditions: [{ ...cond("True", "CreateSucceeded"), observedGeneration: 2 }] },
      },
      "Pending",
      "SyncPending",
    ],
  ];
  for (const [name, sync, state, reason] of cases) {
    it(name, () =>
      assert.deepEqual([judgeSecretSync(sync).state, judgeSecretSync(sync).reason], [state, reason]),
    );
  }
});

describe("aggregateStatus", () => {
  const validation = validateAkvSync({
    ...top,
    objects: [
      { secretInAKV: "a" },
      { certInAKV: "c", kubernetesSecretType: "kubernetes.io/tls", versionHistory: 2 },
      { secretInAKV: "bad_name" },
    ],
  });
  const akv = { name: "app", namespace: "ns", uid: "u" };
  const plan = planAkvSync(
    "u",
    validation,
    validation.valid.map((i) => expandItem(akv, validation.spec!, i)),
    [],
  );

  it("says what is synced and why the rest is not", () => {
    const status = aggregateStatus({
      plan,
      specIssues: [],
      secretSyncs: new Map<string, SecretSyncState>([
        [
          "a",
          {
            name: "a",
            status: {
              conditions: [cond("True", "CreateSucceeded")],
              objects: [{ id: "https://kv/secrets/a/1", version: "1" }],
            },
          },
        ],
        ["c-v0", { name: "c-v0", status: { conditions: [cond("True", "CreateSucceeded")] } }],
        [
          "c-v1",
          { name: "c-v1", status: { conditions: [cond("False", "ProviderError", undefined, "NotFound")] } },
        ],
      ]),
      generation: 4,
      now: "2026-01-03T00:00:00Z",
    });
    assert.equal(status.syncedSecrets, "2/4");
    assert.equal(status.observedGeneration, 4);
    const ready = status.conditions!.find((c) => c.type === "Ready")!;
    assert.deepEqual([ready.status, ready.reason], ["False", "SecretsNotSynced"]);
    assert.match(
      ready.message,
      /^2\/4 Secrets synced; c-v0,c-v1: ProviderError; spec\.objects\[2\]: UserInputValidationFailed$/,
    );
    assert.deepEqual(
      status.objects!.map((o) => [o.index, o.state]),
      [
        [0, "Synced"],
        [1, "Failed"],
        [2, "Invalid"],
      ],
    );
    assert.deepEqual(status.objects![0]!.versions, [
      { secretName: "a", id: "https://kv/secrets/a/1", version: "1" },
    ]);
    assert.match(status.objects![1]!.message, /^c-v1: NotFound$/);
  });

  it("keeps a condition's transition time while its status holds", () => {
    const before = [
      {
        type: "Ready",
        status: "True" as const,
        reason: "AllSecretsSynced",
        message: "x",
        lastTransitionTime: "old",
      },
    ];
    assert.equal(
      mergeConditions(before, [{ ...before[0]!, message: "y", lastTransitionTime: "new" }])[0]!
        .lastTransitionTime,
      "old",
    );
    assert.equal(
      mergeConditions(before, [{ ...before[0]!, status: "False", lastTransitionTime: "new" }])[0]!
        .lastTransitionTime,
      "new",
    );
  });
});
