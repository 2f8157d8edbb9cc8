import assert from "node:assert/strict";
import { test } from "node:test";
import { TEST_SUBSCRIPTION, TEST_TENANT, at, harness, valueOf } from "../shared/test-harness.ts";

const h = await harness();
const { KeyVault } = await import("../key-vault/index.ts");
const { WorkloadIdentity, federatedCredentialSpecs, rolesFor, roleDefinitionId, serviceAccountAnnotations } =
  await import("./index.ts");
const k8s = await import("@pulumi/kubernetes");

const vault = new KeyVault("kv", {
  mode: "create",
  vaultName: "kf-wi",
  resourceGroupName: "rg",
  location: "westeurope",
  tenantId: TEST_TENANT,
  subscriptionId: TEST_SUBSCRIPTION,
});
const provider = new k8s.Provider("cluster", { kubeconfig: "unused" });
const sas = (n: number) => Array.from({ length: n }, (_, i) => ({ namespace: `ns${i}`, name: "sync" }));

void test("roles: Secrets User scoped to the vault; Reader only when asked; never Officer", async () => {
  new WorkloadIdentity("wi", {
    identity: { create: { resourceGroupName: "rg", location: "westeurope" } },
    vault,
    subscriptionId: TEST_SUBSCRIPTION,
    tenantId: TEST_TENANT,
    roles: rolesFor(["secret", "cert"]),
    oidcIssuerUrl: "https://issuer.example/",
    serviceAccounts: [
      { namespace: "payments", name: "payments-sync" },
      { namespace: "web", name: "web-sync" },
      { namespace: "web", name: "web-sync" },
    ],
    kubernetesProvider: provider,
  });
  await h.settle();
  const vaultId = await valueOf(vault.vaultId!);
  const su = h.one("azure-native:authorization:RoleAssignment", "wi-secrets-user");
  assert.equal(
    su.inputs.roleDefinitionId,
    `/subscriptions/${TEST_SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6`,
  );
  assert.equal(su.inputs.scope, vaultId);
  assert.equal(su.inputs.principalType, "ServicePrincipal");
  const reader = h.one("azure-native:authorization:RoleAssignment", "wi-reader");
  assert.ok(String(reader.inputs.roleDefinitionId).endsWith("/21090545-7ca7-4776-b22c-e363652d74d2"));
  assert.equal(JSON.stringify(h.registrations).includes("b86a8fe4-44ce-4948-aee5-eccb2c155cd7"), false);
});

void test("federated credentials: subject per ServiceAccount, exchange audience, issuer, chained one after another", async () => {
  const fics = h
    .ofType("azure-native:managedidentity:FederatedIdentityCredential")
    .filter((r) => r.name.startsWith("wi-"));
  assert.deepEqual(
    fics.map((f) => f.inputs.subject),
    ["system:serviceaccount:payments:payments-sync", "system:serviceaccount:web:web-sync"],
  );
  for (const f of fics) {
    assert.deepEqual(f.inputs.audiences, ["api://AzureADTokenExchange"]);
    assert.equal(f.inputs.issuer, "https://issuer.example/");
    assert.equal(f.inputs.resourceName, "wi");
  }
  assert.equal(
    fics[0]!.dependencies.some((d) => d.includes("FederatedIdentityCredential")),
    false,
  );
  assert.ok(
    fics[1]!.dependencies.some((d) => d.endsWith(`::${fics[0]!.name}`)),
    "second credential waits for the first",
  );
});

void test("ServiceAccounts are annotated with the client id (and tenant)", async () => {
  const sa = h.one("kubernetes:core/v1:ServiceAccount", "wi-sa-payments-payments-sync");
  const identity = h.one("azure-native:managedidentity:UserAssignedIdentity", "wi-identity");
  assert.equal(identity.inputs.resourceName, "wi");
  assert.equal(at(sa.inputs, "metadata.namespace"), "payments");
  const annotations = at(sa.inputs, "metadata.annotations") as Record<string, string>;
  assert.match(annotations["azure.workload.identity/client-id"]!, /^[0-9a-f-]{36}$/);
  assert.equal(annotations["azure.workload.identity/tenant-id"], TEST_TENANT);
  assert.equal(
    h.ofType("kubernetes:core/v1:ServiceAccount").filter((r) => r.name.startsWith("wi-sa-web")).length,
    1,
    "duplicates collapse",
  );
});

void test("more than 20 federated credentials on one identity fails, naming serviceAccounts", () => {
  assert.throws(
    () =>
      new WorkloadIdentity("too-many", {
        identity: { create: { resourceGroupName: "rg", location: "l" } },
        vault,
        subscriptionId: TEST_SUBSCRIPTION,
        oidcIssuerUrl: "https://i/",
        serviceAccounts: sas(21),
      }),
    /^Error: serviceAccounts: 21 ServiceAccounts need 21 federated credentials; a managed identity holds at most 20/,
  );
  assert.equal(federatedCredentialSpecs(sas(20)).length, 20);
});

void test("existing identity: only ServiceAccounts, no Azure resources", async () => {
  const before = h.registrations.filter((r) => r.type.startsWith("azure-native:")).length;
  const wi = new WorkloadIdentity("ext", {
    identity: { existing: { clientId: "local-client" } },
    vault,
    serviceAccounts: [{ namespace: "demo", name: "demo-sync" }],
    kubernetesProvider: provider,
  });
  await h.settle();
  assert.equal(h.registrations.filter((r) => r.type.startsWith("azure-native:")).length, before);
  assert.equal(await valueOf(wi.clientId), "local-client");
  assert.deepEqual(wi.federatedCredentials, []);
});

void test("local identity: the same resources and names as on Azure, as local-azure twins on the ground", async () => {
  const localVault = new KeyVault("lkv", {
    mode: "local",
    vaultName: "local",
    vaultUri: "https://127.0.0.1:1",
  });
  const wi = new WorkloadIdentity("lwi", {
    identity: { local: { ground: "/ground/env.json" } },
    vault: localVault,
    tenantId: TEST_TENANT,
    roles: ["secrets-user"],
    oidcIssuerUrl: "https://127.0.0.1:6443",
    serviceAccounts: [
      { namespace: "demo", name: "demo-sync" },
      { namespace: "demo-akv", name: "demo-akv-sync" },
    ],
    kubernetesProvider: provider,
  });
  await h.settle();
  const mine = h.registrations.filter((r) => r.parent.endsWith("::lwi"));
  assert.deepEqual(
    mine.map((r) => [r.type.replace("pulumi-nodejs:dynamic/local-azure:", "local:"), r.name]).sort(),
    [
      ["kubernetes:core/v1:ServiceAccount", "lwi-sa-demo-akv-demo-akv-sync"],
      ["kubernetes:core/v1:ServiceAccount", "lwi-sa-demo-demo-sync"],
      ["local:FederatedIdentityCredential", "lwi-fic-demo-akv-demo-akv-sync"],
      ["local:FederatedIdentityCredential", "lwi-fic-demo-demo-sync"],
      ["local:RoleAssignment", "lwi-secrets-user"],
      ["local:UserAssignedIdentity", "lwi-identity"],
    ],
  );
  const named = (n: string) => mine.find((r) => r.name === n)!;
  const [identity, role, fic1, fic2, sa] = [
    "lwi-identity",
    "lwi-secrets-user",
    "lwi-fic-demo-demo-sync",
    "lwi-fic-demo-akv-demo-akv-sync",
    "lwi-sa-demo-demo-sync",
  ].map(named);
  assert.equal(identity!.inputs.resourceName, "lwi");
  assert.equal(identity!.inputs.ground, "/ground/env.json");
  assert.equal(
    role!.inputs.roleDefinitionId,
    "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6",
  );
  assert.equal(role!.inputs.scope, await valueOf(localVault.vaultId!));
  assert.equal(role!.inputs.principalType, "ServicePrincipal");
  assert.deepEqual(
    [fic1!.inputs.subject, fic1!.inputs.issuer, fic1!.inputs.audiences],
    ["system:serviceaccount:demo:demo-sync", "https://127.0.0.1:6443", ["api://AzureADTokenExchange"]],
  );
  assert.ok(
    fic2!.dependencies.some((d) => d.endsWith("::lwi-fic-demo-demo-sync")),
    "chained as on Azure",
  );
  assert.match(await valueOf(wi.clientId), /^[0-9a-f-]{36}$/);
  assert.equal(wi.federatedCredentials.length, 2);
  const annotations = at(sa!.inputs, "metadata.annotations") as Record<string, string>;
  assert.equal(annotations["azure.workload.identity/client-id"], await valueOf(wi.clientId));
  assert.throws(
    () =>
      new WorkloadIdentity("lwi-azure-vault", {
        identity: { local: { ground: "g" } },
        vault,
        oidcIssuerUrl: "https://i/",
        serviceAccounts: sas(1),
      }),
    /vault: a local identity reads the local vault/,
  );
  assert.throws(
    () =>
      new WorkloadIdentity("azure-on-local-vault", {
        identity: { create: { resourceGroupName: "rg", location: "l" } },
        vault: localVault,
        subscriptionId: TEST_SUBSCRIPTION,
        oidcIssuerUrl: "https://i/",
        serviceAccounts: sas(1),
      }),
    /vault: role assignments need an Azure vault/,
  );
});

void test("pure builders", () => {
  assert.equal(
    roleDefinitionId("s", "g"),
    "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/g",
  );
  const table: Array<[string[], string[]]> = [
    [["secret"], ["secrets-user"]],
    [
      ["secret", "key"],
      ["secrets-user", "reader"],
    ],
    [["cert"], ["secrets-user", "reader"]],
    [[], ["secrets-user"]],
  ];
  for (const [types, roles] of table) assert.deepEqual(rolesFor(types), roles, types.join(","));
  assert.deepEqual(serviceAccountAnnotations("c"), { "azure.workload.identity/client-id": "c" });
  assert.throws(
    () =>
      new WorkloadIdentity("no-issuer", {
        identity: { create: { resourceGroupName: "rg", location: "l" } },
        vault,
        subscriptionId: TEST_SUBSCRIPTION,
        serviceAccounts: sas(1),
      }),
    /oidcIssuerUrl: required/,
  );
  assert.throws(
    () =>
      new WorkloadIdentity("no-sa", {
        identity: { existing: { clientId: "c" } },
        vault,
        serviceAccounts: [{ namespace: "ns", name: "" }],
      }),
    /serviceAccounts\[0\]\.name: required/,
  );
});
