import assert from "node:assert/strict";
import { test } from "node:test";
import {
  TEST_SUBSCRIPTION,
  TEST_TENANT,
  at,
  harness,
  repoModule,
  runIsolated,
  valueOf,
} from "../shared/test-harness.ts";

const h = await harness();
const { KeyVault, RBAC_OFF_MESSAGE } = await import("./index.ts");
const pulumi = await import("@pulumi/pulumi");

void test("create: RBAC on explicitly, soft delete + purge protection, network rules, tags; seeds are secrets", async () => {
  const kv = new KeyVault("kv", {
    mode: "create",
    vaultName: "kf-test",
    resourceGroupName: "rg",
    location: "westeurope",
    tenantId: TEST_TENANT,
    subscriptionId: TEST_SUBSCRIPTION,
    networkRules: { ipRules: ["203.0.113.0/24"] },
    tags: { env: "test" },
    seedSecrets: [{ name: "db-password", value: "hunter2-plain" }],
  });
  await h.settle();
  const vault = h.one("azure-native:keyvault:Vault", "kv-vault");
  assert.equal(at(vault.inputs, "properties.enableRbacAuthorization"), true);
  assert.equal(at(vault.inputs, "properties.enableSoftDelete"), true);
  assert.equal(at(vault.inputs, "properties.enablePurgeProtection"), true);
  assert.equal(at(vault.inputs, "properties.softDeleteRetentionInDays"), 90);
  assert.deepEqual(at(vault.inputs, "properties.networkAcls"), {
    bypass: "AzureServices",
    defaultAction: "Deny",
    ipRules: [{ value: "203.0.113.0/24" }],
    virtualNetworkRules: [],
  });
  assert.deepEqual(at(vault.inputs, "tags"), { env: "test" });
  assert.equal(vault.parent.endsWith("::kv"), true, "vault is parented to the component");
  const seed = h.one("azure-native:keyvault:Secret", "kv-seed-db-password");
  assert.deepEqual(seed.secretPaths, ["properties.value"]);
  assert.equal(
    JSON.stringify(h.registrations).includes("hunter2-plain"),
    false,
    "seed value never appears in plain text",
  );
  assert.equal(await valueOf(kv.vaultUri), "https://kf-test.vault.azure.net/");
  assert.match(await valueOf(kv.vaultId!), /\/providers\/Microsoft\.KeyVault\/vaults\/kf-test$/);
});

void test("existing: read, never created", async () => {
  const before = h.ofType("azure-native:keyvault:Vault").length;
  const ok = new KeyVault("shared", {
    mode: "existing",
    vaultName: "shared-vault",
    resourceGroupName: "rg",
    subscriptionId: TEST_SUBSCRIPTION,
  });
  assert.equal(
    await valueOf(ok.vaultId!),
    `/subscriptions/${TEST_SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/shared-vault`,
  );
  assert.equal(await valueOf(ok.vaultUri), "https://shared-vault.vault.azure.net/");
  await h.settle();
  assert.equal(h.ofType("azure-native:keyvault:Vault").length, before);
});

void test("existing with RBAC authorization off: the program fails with the fix", async () => {
  const result = await runIsolated(`
    const { harness, TEST_SUBSCRIPTION } = await import(${JSON.stringify(repoModule("components/shared/test-harness.ts"))});
    await harness({ "azure-native:keyvault:getVault": (i) => ({ name: i.vaultName, properties: { enableRbacAuthorization: false } }) });
    const { KeyVault } = await import(${JSON.stringify(repoModule("components/key-vault/index.ts"))});
    new KeyVault("legacy", { mode: "existing", vaultName: "legacy-vault", resourceGroupName: "rg", subscriptionId: TEST_SUBSCRIPTION });
  `);
  assert.notEqual(result.code, 0);
  assert.ok(result.stderr.includes(RBAC_OFF_MESSAGE), result.stderr);
});

void test("local: no Azure resource; seeds become local vault secrets (values secret or generated); vault id has Azure's shape", async () => {
  const kv = new KeyVault("local", {
    mode: "local",
    vaultName: "local",
    vaultUri: "https://127.0.0.1:8443",
    ground: "/ground/env.json",
    seedSecrets: [
      { name: "db-password", value: "hunter3-plain" },
      { name: "api-token", generate: { length: 24 } },
    ],
  });
  await h.settle();
  const local = h.registrations.filter((r) => r.parent.endsWith("::local"));
  assert.deepEqual(local.map((r) => [r.type, r.name]).sort(), [
    ["pulumi-nodejs:dynamic/local-azure:VaultSecret", "local-seed-api-token"],
    ["pulumi-nodejs:dynamic/local-azure:VaultSecret", "local-seed-db-password"],
  ]);
  const declared = local.find((r) => r.name === "local-seed-db-password");
  const generated = local.find((r) => r.name === "local-seed-api-token");
  assert.deepEqual(declared!.secretPaths, ["properties.value"]);
  assert.equal(JSON.stringify(h.registrations).includes("hunter3-plain"), false);
  assert.deepEqual(
    [declared!.inputs.secretName, declared!.inputs.vaultName, declared!.inputs.ground],
    ["db-password", "local", "/ground/env.json"],
  );
  assert.equal(at(generated!.inputs, "properties.value"), undefined);
  assert.equal(generated!.inputs.generateValueLength, 24);
  assert.equal(
    await valueOf(kv.vaultId!),
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/keyfleet-local/providers/Microsoft.KeyVault/vaults/local",
  );
  assert.equal(await valueOf(kv.vaultUri), "https://127.0.0.1:8443");
  assert.throws(
    () =>
      new KeyVault("local-no-ground", {
        mode: "local",
        vaultName: "local",
        vaultUri: "https://127.0.0.1:8443",
        seedSecrets: [{ name: "x", value: "y" }],
      }),
    /^Error: ground: required to seed secrets/,
  );
  assert.throws(
    () =>
      new KeyVault("create-generated", {
        mode: "create",
        vaultName: "kf-gen",
        resourceGroupName: "rg",
        location: "l",
        tenantId: TEST_TENANT,
        subscriptionId: TEST_SUBSCRIPTION,
        seedSecrets: [{ name: "x", generate: { length: 8 } }],
      }),
    /a generated value is for local vaults only/,
  );
});

for (const [label, args, option] of [
  [
    "bad name",
    {
      mode: "create",
      vaultName: "x",
      resourceGroupName: "rg",
      location: "l",
      tenantId: TEST_TENANT,
      subscriptionId: TEST_SUBSCRIPTION,
    },
    "vaultName",
  ],
  [
    "bad tenant",
    {
      mode: "create",
      vaultName: "kf-ok",
      resourceGroupName: "rg",
      location: "l",
      tenantId: "nope",
      subscriptionId: TEST_SUBSCRIPTION,
    },
    "tenantId",
  ],
  [
    "retention",
    {
      mode: "create",
      vaultName: "kf-ok",
      resourceGroupName: "rg",
      location: "l",
      tenantId: TEST_TENANT,
      subscriptionId: TEST_SUBSCRIPTION,
      softDeleteRetentionDays: 3,
    },
    "softDeleteRetentionDays",
  ],
  ["mode", { mode: "borrow", vaultName: "kf-ok" }, "mode"],
] as const) {
  void test(`invalid input (${label}) fails naming ${option} before any child exists`, () => {
    const before = h.registrations.filter((r) => r.custom).length;
    assert.throws(
      () => new KeyVault(`bad-${label.replace(/ /g, "-")}`, args as never),
      (e: Error) => e instanceof pulumi.ResourceError && e.message.startsWith(`${option}:`),
    );
    assert.equal(h.registrations.filter((r) => r.custom).length, before);
  });
}
