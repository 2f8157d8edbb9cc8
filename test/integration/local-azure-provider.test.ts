/**
 * The local Azure providers (components/local-azure/) under the conditions the engine runs them in: each provider
 * object is serialized as `dynamic.Resource` serializes it, evaluated by `@pulumi/pulumi/cmd/dynamic-provider` in a
 * fresh Node process (the pinned one) and called over gRPC — create, read, diff, update, delete — against a real
 * stand-in instance (in-process, test/support/azure-local.ts). Checked from the outside with the stand-in's own
 * clients: hand edits are seen by read, diff replaces or updates as Azure would, destroy leaves nothing behind, and
 * no secret value reaches the state's plain fields, an error or the provider's output.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { LOCAL_AZURE_PROVIDERS, localVaultResourceId } from "../../components/local-azure/index.ts";
import { LOCAL_ENV_VERSION } from "../../scripts/local/env.ts";
import { startTestInstance, type TestInstance } from "../support/azure-local.ts";
import {
  serializeAsPulumiDoes,
  startDynamicProvider,
  type DynamicProviderProcess,
  type Props,
} from "../support/dynamic-provider.ts";

const VALUE = "PLAINTEXT-MUST-NOT-LEAK-1";
const VALUE_2 = "PLAINTEXT-MUST-NOT-LEAK-2";
const ROLE_SECRETS_USER =
  "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6";

let t: TestInstance;
let dp: DynamicProviderProcess;
let ground: string;
const text: Record<string, string> = {};
const errors: string[] = [];

/** The properties the engine sends: the inputs plus the serialized provider. */
const send = (kind: keyof typeof LOCAL_AZURE_PROVIDERS, inputs: Props): Props => ({
  ...inputs,
  __provider: text[kind]!,
});
async function rejects(work: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(work, (e: Error) => {
    errors.push(e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

before(async () => {
  t = await startTestInstance();
  ground = path.join(t.pki.dir, "env.json");
  // The proving ground's description, as `npm run local:up` writes it (only vault and identity are read).
  writeFileSync(
    ground,
    JSON.stringify({
      version: LOCAL_ENV_VERSION,
      stateDir: t.pki.dir,
      envFile: ground,
      kubernetes: {},
      vault: t.local.vault,
      identity: t.local.identity,
      processes: [],
      startedAt: new Date().toISOString(),
    }),
  );
  for (const [kind, provider] of Object.entries(LOCAL_AZURE_PROVIDERS))
    text[kind] = await serializeAsPulumiDoes(provider);
  dp = await startDynamicProvider();
});
after(async () => {
  await dp?.stop();
  await t?.stop();
});

void it("serializes each provider without module state, credentials or paths other than the implementation URL", () => {
  for (const serialized of Object.values(text)) {
    assert.match(serialized, /import\(implUrl\)/);
    assert.match(serialized, /implUrl: "file:\/\/\/[^"]+\/components\/local-azure\/impl\.ts"/);
    assert.doesNotMatch(serialized, /managementKey|accessToken|BEGIN CERTIFICATE/);
  }
});

describe("vault secret", () => {
  const inputs = {
    ground: "",
    vaultName: "kv-test",
    secretName: "db-password",
    properties: { value: VALUE, contentType: "text/plain" },
  };
  let created: { id: string; props: Props };
  before(() => (inputs.ground = ground));

  void it("create writes the value as a new secret; read reports the version, never a value from the vault", async () => {
    created = await dp.create(send("vaultSecret", inputs));
    assert.equal(created.id, "kv-test/secrets/db-password");
    const stored = await t.adminClients.secrets.getSecret("db-password");
    assert.equal(stored.value, VALUE);
    assert.equal(created.props.version, stored.properties.version);
    const read = await dp.read(created.id, created.props);
    assert.equal(read.id, created.id);
    assert.equal(read.props.version, stored.properties.version);
  });

  void it("a rotation in the vault is seen by read but is not drift (write-only value, as ARM)", async () => {
    const rotated = await t.adminClients.secrets.setSecret("db-password", VALUE_2, {
      contentType: "text/plain",
    });
    const read = await dp.read(created.id, created.props);
    assert.equal(read.props.version, rotated.properties.version);
    assert.deepEqual(await dp.diff(created.id, read.props, send("vaultSecret", inputs)), {
      changes: "none",
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  void it("a hand edit of the content type is drift; update writes the declared value as a new version", async () => {
    const latest = await t.adminClients.secrets.getSecret("db-password");
    await t.adminClients.secrets.updateSecretProperties("db-password", latest.properties.version!, {
      contentType: "application/x-edited",
    });
    const read = await dp.read(created.id, created.props);
    const diff = await dp.diff(created.id, read.props, send("vaultSecret", inputs));
    assert.equal(diff.changes, "some");
    assert.deepEqual(diff.replaces, []);
    const updated = await dp.update(created.id, read.props, send("vaultSecret", inputs));
    const stored = await t.adminClients.secrets.getSecret("db-password");
    assert.equal(stored.value, VALUE);
    assert.equal(stored.properties.contentType, "text/plain");
    assert.equal(updated.version, stored.properties.version);
  });

  void it("a new name or vault replaces it", async () => {
    const diff = await dp.diff(
      created.id,
      created.props,
      send("vaultSecret", { ...inputs, secretName: "db2" }),
    );
    assert.deepEqual(diff.replaces, ["secretName"]);
  });

  void it("delete soft-deletes and purges; deleting again and reading afterwards are clean", async () => {
    await dp.delete(created.id, created.props);
    await assert.rejects(t.adminClients.secrets.getSecret("db-password"), { statusCode: 404 });
    await assert.rejects(t.adminClients.secrets.getDeletedSecret("db-password"), { statusCode: 404 });
    await dp.delete(created.id, created.props);
    assert.equal((await dp.read(created.id, created.props)).id, "");
  });

  void it("create recovers a name that is still soft-deleted; a generated value is random and lives only in the vault", async () => {
    await t.adminClients.secrets.setSecret("api-token", "x");
    await (await t.adminClients.secrets.beginDeleteSecret("api-token")).pollUntilDone();
    const gen = await dp.create(
      send("vaultSecret", {
        ground,
        vaultName: "kv-test",
        secretName: "api-token",
        properties: {},
        generateValueLength: 24,
      }),
    );
    const value = (await t.adminClients.secrets.getSecret("api-token")).value!;
    assert.equal(value.length, 24);
    assert.match(value, /^[A-Za-z0-9_-]{24}$/);
    // Not in the outputs, so in no state file, `stack export --show-secrets` or engine event.
    assert.equal(JSON.stringify(gen.props).includes(value), false);
    assert.equal((gen.props.properties as { value?: string }).value, undefined);
    // A content-type change rewrites the vault's value under the new type; the same length keeps it.
    const typed = { ...gen.props, properties: { contentType: "text/plain" } };
    const updated = await dp.update(gen.id, gen.props, send("vaultSecret", typed));
    const after = await t.adminClients.secrets.getSecret("api-token");
    assert.equal(after.value, value);
    assert.equal(after.properties.contentType, "text/plain");
    assert.notEqual(updated.version, gen.props.version);
    assert.equal(JSON.stringify(updated).includes(value), false);
    // A new length regenerates it.
    const longer = { ...typed, generateValueLength: 40 };
    await dp.update(gen.id, { ...gen.props, ...updated }, send("vaultSecret", longer));
    assert.equal((await t.adminClients.secrets.getSecret("api-token")).value!.length, 40);
    await dp.delete(gen.id, gen.props);
  });

  void it("errors name the secret and the stand-in's code, never the value", async () => {
    await rejects(
      dp.create(send("vaultSecret", { ...inputs, secretName: "bad_name" })),
      /create vault secret "bad_name" in vault "kv-test" failed: HTTP 400 \(BadParameter\)/,
    );
    await rejects(
      dp.create(send("vaultSecret", { ...inputs, vaultName: "nope" })),
      /create vault secret "db-password" in vault "nope" failed: vault "nope" is not served by the proving ground at .*; served: kv-test$/,
    );
  });
});

describe("managed identity, role assignment, federated credentials", () => {
  let identity: { id: string; props: Props };

  void it("identity: create registers it; create again adopts it (PUT by name); read sees it", async () => {
    identity = await dp.create(send("userAssignedIdentity", { ground, resourceName: "local-wi" }));
    assert.match(identity.id, /^[0-9a-f-]{36}$/);
    assert.equal(identity.props.clientId, identity.id);
    assert.equal((await t.admin.getIdentity(identity.id)).name, "local-wi");
    const again = await dp.create(send("userAssignedIdentity", { ground, resourceName: "local-wi" }));
    assert.equal(again.id, identity.id);
    assert.equal((await dp.read(identity.id, identity.props)).props.resourceName, "local-wi");
    const renamed = await dp.diff(
      identity.id,
      identity.props,
      send("userAssignedIdentity", { ground, resourceName: "x" }),
    );
    assert.deepEqual(renamed.replaces, ["resourceName"]);
  });

  void it("role assignment: Secrets User on the vault; any change replaces it; delete removes it", async () => {
    const inputs = {
      ground,
      principalId: identity.props.principalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: ROLE_SECRETS_USER,
      scope: localVaultResourceId("kv-test"),
    };
    const role = await dp.create(send("roleAssignment", inputs));
    const stored = (await t.admin.listRoleAssignments()).find((a) => a.id === role.id);
    assert.equal(stored?.roleDefinitionId, "4633458b-17de-408a-b874-0445c86b69e6");
    assert.equal(stored?.vaultName, "kv-test");
    assert.equal(stored?.principalId, identity.id);
    assert.equal((await dp.read(role.id, role.props)).id, role.id);
    const narrowed = await dp.diff(
      role.id,
      role.props,
      send("roleAssignment", { ...inputs, scope: `${inputs.scope}/secrets/db` }),
    );
    assert.deepEqual(narrowed.replaces, ["scope"]);
    await dp.delete(role.id, role.props);
    assert.equal((await dp.read(role.id, role.props)).id, "");
    await rejects(
      dp.create(send("roleAssignment", { ...inputs, scope: "/subscriptions/x/resourceGroups/rg" })),
      /role assignment of 4633458b-17de-408a-b874-0445c86b69e6 .* failed: scope must be a vault id/,
    );
  });

  void it("federated credential: subject changes update in place; hand edits are seen; delete removes it", async () => {
    const inputs = {
      ground,
      clientId: identity.id,
      resourceName: "local-wi",
      federatedIdentityCredentialResourceName: "demo-demo-sync",
      issuer: "https://127.0.0.1:6443",
      subject: "system:serviceaccount:demo:demo-sync",
      audiences: ["api://AzureADTokenExchange"],
    };
    const fic = await dp.create(send("federatedIdentityCredential", inputs));
    assert.equal(fic.id, `${identity.id}/federatedIdentityCredentials/demo-demo-sync`);
    const moved = { ...inputs, subject: "system:serviceaccount:demo:other-sync" };
    const diff = await dp.diff(fic.id, fic.props, send("federatedIdentityCredential", moved));
    assert.deepEqual([diff.changes, diff.replaces], ["some", []]);
    await dp.update(fic.id, fic.props, send("federatedIdentityCredential", moved));
    assert.equal((await t.admin.getIdentity(identity.id)).federatedCredentials[0]?.subject, moved.subject);

    await t.admin.putFederatedCredential(identity.id, {
      ...moved,
      name: "demo-demo-sync",
      issuer: "https://elsewhere",
    });
    const read = await dp.read(fic.id, { ...fic.props, subject: moved.subject });
    assert.equal(read.props.issuer, "https://elsewhere");
    assert.equal(
      (await dp.diff(fic.id, read.props, send("federatedIdentityCredential", moved))).changes,
      "some",
    );

    await rejects(
      dp.update(fic.id, read.props, send("federatedIdentityCredential", { ...moved, audiences: ["a", "b"] })),
      /update federated identity credential "demo-demo-sync" of managed identity "local-wi" failed: HTTP 400: .*audiences/,
    );
    await dp.delete(fic.id, read.props);
    assert.deepEqual((await t.admin.getIdentity(identity.id)).federatedCredentials, []);
    assert.equal((await dp.read(fic.id, read.props)).id, "");
  });

  void it("identity: delete removes it (and reading it afterwards says it is gone)", async () => {
    await dp.delete(identity.id, identity.props);
    await assert.rejects(t.admin.getIdentity(identity.id), { status: 404 });
    assert.equal((await dp.read(identity.id, identity.props)).id, "");
    await dp.delete(identity.id, identity.props);
  });
});

void it("no secret value appeared in an error, the provider's output or the stand-in's log", () => {
  const seen = [...errors, dp.stderr(), ...t.logLines].join("\n");
  for (const value of [VALUE, VALUE_2]) assert.equal(seen.includes(value), false);
});
