/**
 * Protocol-level tests of the in-process stand-in over raw HTTPS: Key Vault's challenge and error shapes,
 * api-version and parameter checks, multiple vaults (own port and `/<vaultName>/` prefix) with per-vault RBAC,
 * the management API's guard and validation, and the identity endpoint's discovery and token refusals that need
 * no kube-apiserver (the ServiceAccount exchange itself is proven in test/integration/identity-exchange.test.ts).
 */
import assert from "node:assert/strict";
import https from "node:https";
import { after, before, describe, it } from "node:test";
import { SecretClient } from "@azure/keyvault-secrets";
import { ADMIN_CLIENT_ID } from "./registry.ts";
import { localVaultClientOptions } from "./sdk.ts";
import { startTestInstance, type TestInstance } from "../support/azure-local.ts";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown>;
}

function request(
  ca: string,
  method: string,
  url: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca, headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
        });
      });
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

function errorCode(a: Answer): string | undefined {
  return (a.json.error as { code?: string } | undefined)?.code;
}

describe("local vault and identity endpoint (protocol)", () => {
  let t: TestInstance;
  let token = "";
  let vaultUrl = "";
  let secondUrl = "";
  const ca = () => t.pki.caPem;
  const bearer = () => ({ authorization: `Bearer ${token}` });

  before(async () => {
    t = await startTestInstance({ vaultNames: ["kv-test", "kv-two"] });
    token = (await t.admin.mintToken()).accessToken;
    vaultUrl = t.local.vault!.url;
    secondUrl = t.local.vaults().find((v) => v.name === "kv-two")!.url;
  });
  after(async () => {
    await t.stop();
  });

  it("answers an unauthenticated request with Key Vault's challenge", async () => {
    const a = await request(ca(), "GET", `${vaultUrl}/secrets/x?api-version=7.6`);
    assert.equal(a.status, 401);
    assert.equal(
      a.headers["www-authenticate"],
      `Bearer authorization="${t.local.identity.authorityHost}/${t.local.identity.tenantId}", resource="https://vault.azure.net"`,
    );
    assert.equal(errorCode(a), "Unauthorized");
    const garbage = await request(ca(), "GET", `${vaultUrl}/secrets/x?api-version=7.6`, {
      headers: { authorization: "Bearer a.b.c" },
    });
    assert.equal(garbage.status, 401);
  });

  it("checks api-version, names and maxresults with BadParameter", async () => {
    const cases: Array<[string, string, RegExp]> = [
      ["missing api-version", "/secrets/x", /api-version/],
      ["unknown api-version", "/secrets/x?api-version=2016-10-01", /not recognized/],
      ["maxresults above 25", "/secrets?api-version=7.6&maxresults=26", /maxresults/],
      ["bad skiptoken", "/secrets?api-version=7.6&$skiptoken=zz", /skiptoken/],
    ];
    for (const [what, path, message] of cases) {
      const a = await request(ca(), "GET", `${vaultUrl}${path}`, { headers: bearer() });
      assert.equal(a.status, 400, what);
      assert.equal(errorCode(a), "BadParameter", what);
      assert.match((a.json.error as { message: string }).message, message, what);
    }
    const put = await request(ca(), "PUT", `${vaultUrl}/secrets/bad_name?api-version=7.6`, {
      headers: { ...bearer(), "content-type": "application/json" },
      body: JSON.stringify({ value: "x" }),
    });
    assert.equal(put.status, 400);
    assert.match((put.json.error as { message: string }).message, /invalid name: bad_name/);
    const noValue = await request(ca(), "PUT", `${vaultUrl}/secrets/ok?api-version=7.6`, {
      headers: { ...bearer(), "content-type": "application/json" },
      body: JSON.stringify({ contentType: "x" }),
    });
    assert.match((noValue.json.error as { message: string }).message, /value must be a string/);
  });

  it("serves several vaults by port and by path prefix, with RBAC per vault", async () => {
    const two = new SecretClient(secondUrl, t.adminCredential, localVaultClientOptions(ca()));
    await two.setSecret("only-in-two", "two-value");
    await assert.rejects(
      t.adminClients.secrets.getSecret("only-in-two"),
      (e: unknown) => (e as { code?: string }).code === "SecretNotFound",
    );
    const prefixed = new SecretClient(`${vaultUrl}/kv-two`, t.adminCredential, localVaultClientOptions(ca()));
    const viaPrefix = await prefixed.getSecret("only-in-two");
    assert.equal(viaPrefix.value, "two-value");
    assert.equal(viaPrefix.properties.vaultUrl, secondUrl, "ids name the vault's own origin");
    assert.equal(t.local.vault!.extra.urlTemplate, `${vaultUrl}/{name}`);
    assert.deepEqual(JSON.parse(t.local.vault!.extra.vaultUrls!), {
      "kv-test": vaultUrl,
      "kv-two": secondUrl,
    });

    const id = await t.admin.createIdentity();
    await t.admin.assignRole({
      principalId: id.clientId,
      role: "Key Vault Secrets User",
      vaultName: "kv-test",
    });
    const userToken = (await t.admin.mintToken({ clientId: id.clientId })).accessToken;
    const asUser = await request(ca(), "GET", `${secondUrl}/secrets/only-in-two?api-version=7.6`, {
      headers: { authorization: `Bearer ${userToken}` },
    });
    assert.equal(asUser.status, 403);
    assert.equal(
      (asUser.json.error as { innererror?: { code: string } }).innererror?.code,
      "ForbiddenByRbac",
    );

    const added = await t.admin.addVault("kv-three");
    assert.match(added.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    await assert.rejects(t.admin.addVault("kv-three"), /409/);
    await assert.rejects(t.admin.addVault("secrets"), /reserved|400/);
  });

  it("guards and validates the management API", async () => {
    const management = t.local.identity.extra.managementUrl!;
    const noKey = await request(ca(), "GET", `${management}/identities`);
    assert.equal(noKey.status, 401);
    assert.equal((await request(ca(), "GET", `${management}/health`)).status, 200);
    await assert.rejects(
      t.admin.assignRole({ principalId: "p", role: "Owner", vaultName: "kv-test" }),
      /role: unknown role "Owner"/,
    );
    await assert.rejects(
      t.admin.assignRole({ principalId: "p", role: "Key Vault Reader", vaultName: "nope" }),
      /vaultName: no vault named nope/,
    );
    const id = await t.admin.createIdentity();
    for (let i = 0; i < 20; i++) {
      await t.admin.putFederatedCredential(id.clientId, {
        name: `fic-${i}`,
        issuer: "https://iss",
        subject: `system:serviceaccount:ns:sa-${i}`,
      });
    }
    await assert.rejects(
      t.admin.putFederatedCredential(id.clientId, {
        name: "fic-20",
        issuer: "https://iss",
        subject: "system:serviceaccount:ns:x",
      }),
      /at most 20/,
    );
  });

  it("publishes OIDC discovery MSAL accepts and refuses bad token requests like Entra", async () => {
    const { authorityHost, tenantId } = t.local.identity;
    const discovery = await request(
      ca(),
      "GET",
      `${authorityHost}/${tenantId}/v2.0/.well-known/openid-configuration`,
    );
    assert.equal(discovery.json.issuer, `${authorityHost}/${tenantId}/v2.0`);
    for (const field of ["authorization_endpoint", "token_endpoint", "jwks_uri"])
      assert.ok(discovery.json[field], field);
    const keys = await request(ca(), "GET", String(discovery.json.jwks_uri));
    assert.equal((keys.json.keys as unknown[]).length, 1);

    const tokenUrl = String(discovery.json.token_endpoint);
    const post = (fields: Record<string, string>, url = tokenUrl) =>
      request(ca(), "POST", url, {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(fields).toString(),
      });
    const scope = "https://vault.azure.net/.default";
    const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    const cases: Array<[string, Record<string, string>, number, string, number]> = [
      ["grant", { grant_type: "password", client_id: "c", scope }, 400, "unsupported_grant_type", 70003],
      [
        "scope",
        { grant_type: "client_credentials", client_id: "c", scope: "https://vault.azure.net/x" },
        400,
        "invalid_scope",
        1002012,
      ],
      [
        "secret",
        { grant_type: "client_credentials", client_id: ADMIN_CLIENT_ID, scope, client_secret: "wrong" },
        401,
        "invalid_client",
        7000215,
      ],
      [
        "no credential",
        { grant_type: "client_credentials", client_id: "c", scope },
        400,
        "invalid_client",
        7000216,
      ],
      [
        "unknown client",
        {
          grant_type: "client_credentials",
          client_id: "c",
          scope,
          client_assertion_type: assertionType,
          client_assertion: "a.b.c",
        },
        400,
        "unauthorized_client",
        700016,
      ],
    ];
    for (const [what, fields, status, error, code] of cases) {
      const a = await post(fields);
      assert.equal(a.status, status, what);
      assert.equal(a.json.error, error, what);
      assert.deepEqual(a.json.error_codes, [code], what);
    }
    const wrongTenant = await post(
      { grant_type: "client_credentials" },
      tokenUrl.replace(tenantId, "11111111-1111-4111-8111-111111111111"),
    );
    assert.deepEqual(wrongTenant.json.error_codes, [90002]);

    const id = await t.admin.createIdentity();
    const malformed = await post({
      grant_type: "client_credentials",
      client_id: id.clientId,
      scope,
      client_assertion_type: assertionType,
      client_assertion: "not-a-jwt",
    });
    assert.deepEqual(malformed.json.error_codes, [50027]);
    const ok = await post({
      grant_type: "client_credentials",
      client_id: ADMIN_CLIENT_ID,
      scope,
      client_secret: t.local.managementKey,
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.token_type, "Bearer");
    assert.equal(ok.json.expires_in, 600);
  });
});
