import assert from "node:assert/strict";
import { test } from "node:test";
import { harness, valueOf } from "../shared/test-harness.ts";

const h = await harness();
const pulumi = await import("@pulumi/pulumi");
const {
  LocalAzureType,
  LocalFederatedIdentityCredential,
  LocalRoleAssignment,
  LocalUserAssignedIdentity,
  LocalVaultSecret,
  localVaultResourceId,
} = await import("./index.ts");

void test("each class registers its dynamic type token with the serialized provider and azure-native's property names", async () => {
  const secret = new LocalVaultSecret("s", {
    ground: "/g/env.json",
    vaultName: "local",
    secretName: "db",
    value: "hunter4-plain",
  });
  const identity = new LocalUserAssignedIdentity("i", { ground: "/g/env.json", resourceName: "wi" });
  new LocalRoleAssignment("r", {
    ground: "/g/env.json",
    principalId: identity.principalId,
    roleDefinitionId: "/subscriptions/0/providers/Microsoft.Authorization/roleDefinitions/4633458b",
    scope: localVaultResourceId("local"),
  });
  new LocalFederatedIdentityCredential("f", {
    ground: "/g/env.json",
    clientId: identity.clientId,
    resourceName: identity.resourceName,
    federatedIdentityCredentialResourceName: "demo-sync",
    issuer: "https://127.0.0.1:6443",
    subject: "system:serviceaccount:demo:sync",
    audiences: ["api://AzureADTokenExchange"],
  });
  await h.settle();
  const types = Object.fromEntries(h.registrations.filter((r) => r.custom).map((r) => [r.name, r.type]));
  assert.deepEqual(types, {
    s: LocalAzureType.vaultSecret,
    i: LocalAzureType.userAssignedIdentity,
    r: LocalAzureType.roleAssignment,
    f: LocalAzureType.federatedIdentityCredential,
  });
  for (const r of h.registrations.filter((x) => x.custom))
    assert.match(String(r.inputs.__provider), /^exports\.handler = /);
  assert.equal(h.one(LocalAzureType.roleAssignment, "r").inputs.principalType, "ServicePrincipal");
  assert.ok(h.one(LocalAzureType.roleAssignment, "r").dependencies.some((d) => d.endsWith("::i")));
  assert.deepEqual(h.one(LocalAzureType.vaultSecret, "s").secretPaths, ["properties.value"]);
  assert.equal(JSON.stringify(h.registrations).includes("hunter4-plain"), false);
  assert.equal(await pulumi.isSecret(secret.properties), true, "the written value stays a secret output");
  assert.match(await valueOf(identity.clientId), /^[0-9a-f-]{36}$/);
});
