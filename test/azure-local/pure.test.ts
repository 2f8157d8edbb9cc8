/**
 * Table-driven unit tests of the stand-in's pure logic: JWT checks, RBAC decisions, federated-credential
 * matching, the versioned store with soft delete, paging, request classification and API versions.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { checkClaims, decodeJwt, JwtError, signJwt, verifySignature } from "./jwt.ts";
import {
  actionMatches,
  isAuthorized,
  matchFederatedCredential,
  resolveRole,
  type RoleAssignment,
} from "./registry.ts";
import { resourceFromScopes } from "./token-issuer.ts";
import { classifyRequest } from "./vault-proxy.ts";
import { baseUrlFromHost, isSupportedApiVersion } from "./vault-server.ts";
import { paginate, VersionedStore } from "./vault-store.ts";

describe("jwt", () => {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const ec = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  for (const [alg, pair] of [
    ["RS256", rsa],
    ["ES256", ec],
  ] as const) {
    it(`signs and verifies ${alg}, and rejects another key`, () => {
      const token = signJwt({ iss: "x", exp: 10 }, pair.privateKey, "k1");
      const decoded = decodeJwt(token);
      assert.equal(decoded.header.alg, alg);
      verifySignature(decoded, pair.publicKey);
      verifySignature(decoded, pair.publicKey.export({ format: "jwk" }));
      const other =
        alg === "RS256"
          ? generateKeyPairSync("rsa", { modulusLength: 2048 })
          : generateKeyPairSync("ec", { namedCurve: "prime256v1" });
      assert.throws(
        () => verifySignature(decoded, other.publicKey),
        (e: unknown) => e instanceof JwtError && e.check === "signature",
      );
    });
  }

  it("rejects malformed tokens", () => {
    for (const bad of ["", "a.b", "a.b.c.d", "!!.x.y", `${Buffer.from("[]").toString("base64url")}.e30.x`]) {
      assert.throws(
        () => decodeJwt(bad),
        (e: unknown) => e instanceof JwtError && e.check === "malformed",
        bad,
      );
    }
  });

  const base = { iss: "https://issuer", aud: ["api://AzureADTokenExchange"], exp: 200, nbf: 100 };
  const cases: Array<[string, Record<string, unknown>, JwtError["check"] | undefined]> = [
    ["valid", base, undefined],
    ["string audience", { ...base, aud: "api://AzureADTokenExchange" }, undefined],
    ["wrong issuer", { ...base, iss: "https://other" }, "issuer"],
    ["missing issuer", { ...base, iss: undefined }, "issuer"],
    ["wrong audience", { ...base, aud: ["https://kubernetes.default.svc"] }, "audience"],
    ["expired", { ...base, exp: 150 }, "expired"],
    ["exp missing", { ...base, exp: undefined }, "expired"],
    ["not yet valid", { ...base, nbf: 151 }, "notYetValid"],
  ];
  for (const [name, claims, failure] of cases) {
    it(`checkClaims: ${name}`, () => {
      const run = () =>
        checkClaims(claims, {
          issuer: "https://issuer",
          audiences: ["api://AzureADTokenExchange"],
          nowSeconds: 150,
        });
      if (failure === undefined) run();
      else assert.throws(run, (e: unknown) => e instanceof JwtError && e.check === failure);
    });
  }
});

describe("rbac", () => {
  const a = (principalId: string, role: string, vaultName: string, scope?: string): RoleAssignment => ({
    id: "x",
    principalId,
    roleDefinitionId: resolveRole(role),
    vaultName,
    ...(scope ? { scope } : {}),
  });
  const secretGet = "Microsoft.KeyVault/vaults/secrets/getSecret/action";
  const secretSet = "Microsoft.KeyVault/vaults/secrets/setSecret/action";
  const keyRead = "Microsoft.KeyVault/vaults/keys/read";
  const cases: Array<[string, RoleAssignment[], string, string, string | undefined, boolean]> = [
    ["no assignment", [], secretGet, "kv", "secrets/db", false],
    ["Secrets User reads", [a("p", "Key Vault Secrets User", "kv")], secretGet, "kv", "secrets/db", true],
    [
      "Secrets User cannot write",
      [a("p", "Key Vault Secrets User", "kv")],
      secretSet,
      "kv",
      "secrets/db",
      false,
    ],
    ["other vault", [a("p", "Key Vault Secrets User", "kv2")], secretGet, "kv", "secrets/db", false],
    ["other principal", [a("q", "Key Vault Secrets User", "kv")], secretGet, "kv", "secrets/db", false],
    ["Reader cannot read values", [a("p", "Key Vault Reader", "kv")], secretGet, "kv", "secrets/db", false],
    [
      "Reader reads keys",
      [a("p", "21090545-7ca7-4776-b22c-e363652d74d2", "kv")],
      keyRead,
      "kv",
      "keys/k",
      true,
    ],
    ["Officer writes", [a("p", "Key Vault Secrets Officer", "kv")], secretSet, "kv", "secrets/db", true],
    [
      "object scope matches",
      [a("p", "Key Vault Secrets User", "kv", "secrets/db")],
      secretGet,
      "kv",
      "secrets/db",
      true,
    ],
    [
      "object scope other object",
      [a("p", "Key Vault Secrets User", "kv", "secrets/db")],
      secretGet,
      "kv",
      "secrets/x",
      false,
    ],
    [
      "object scope cannot list",
      [a("p", "Key Vault Secrets User", "kv", "secrets/db")],
      secretGet,
      "kv",
      undefined,
      false,
    ],
    ["case-insensitive vault", [a("p", "Key Vault Secrets User", "KV")], secretGet, "kv", "secrets/db", true],
  ];
  for (const [name, assignments, action, vault, object, expected] of cases) {
    it(name, () => assert.equal(isAuthorized(assignments, "p", vault, action, object), expected));
  }
  it("resolves roles by name, GUID and full id, and names the allowed roles otherwise", () => {
    assert.equal(resolveRole("key vault secrets user"), "4633458b-17de-408a-b874-0445c86b69e6");
    assert.equal(
      resolveRole(
        "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6",
      ),
      "4633458b-17de-408a-b874-0445c86b69e6",
    );
    assert.throws(() => resolveRole("Owner"), /role: unknown role "Owner"; allowed: Key Vault Administrator/);
  });
  it("matches Azure wildcards", () => {
    assert.ok(
      actionMatches("Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/vaults/certificates/read"),
    );
    assert.ok(
      !actionMatches(
        "Microsoft.KeyVault/vaults/*/read",
        "Microsoft.KeyVault/vaults/secrets/getSecret/action",
      ),
    );
  });
});

describe("federated credentials", () => {
  const identity = {
    clientId: "c",
    objectId: "c",
    name: "c",
    federatedCredentials: [
      {
        name: "a",
        issuer: "https://iss",
        subject: "system:serviceaccount:ns-a:sa",
        audiences: ["api://AzureADTokenExchange"],
      },
    ],
  };
  const cases: Array<[string, string, string, string[], string | undefined]> = [
    ["match", "https://iss", "system:serviceaccount:ns-a:sa", ["api://AzureADTokenExchange"], undefined],
    [
      "other namespace",
      "https://iss",
      "system:serviceaccount:ns-b:sa",
      ["api://AzureADTokenExchange"],
      "subject",
    ],
    [
      "other issuer",
      "https://other",
      "system:serviceaccount:ns-a:sa",
      ["api://AzureADTokenExchange"],
      "issuer",
    ],
    ["other audience", "https://iss", "system:serviceaccount:ns-a:sa", ["aud"], "audience"],
  ];
  for (const [name, iss, sub, aud, failed] of cases) {
    it(name, () => {
      const result = matchFederatedCredential(identity, iss, sub, aud);
      assert.equal(result.failed, failed);
      assert.equal(result.match?.name, failed ? undefined : "a");
    });
  }
});

describe("versioned store", () => {
  it("keeps versions, soft-deletes, recovers and purges; names are case-insensitive", () => {
    let now = 1000;
    const store = new VersionedStore<string>(() => now);
    const v1 = store.addVersion("Db", { data: "one" }).record.version;
    now = 1001;
    const v2 = store.addVersion("db", { data: "two", enabled: false, tags: { a: "b" } }).record.version;
    assert.match(v1, /^[0-9a-f]{32}$/);
    assert.equal(store.get("DB")?.record.version, v2);
    assert.equal(store.get("db", v1)?.record.data, "one");
    assert.equal(store.get("db", "0".repeat(32)), undefined);
    assert.equal(store.object("db")?.name, "Db");
    store.update("db", v1, { enabled: false, exp: 5000 });
    assert.deepEqual(store.get("db", v1)?.record.attributes, {
      enabled: false,
      exp: 5000,
      created: 1000,
      updated: 1001,
    });
    const deleted = store.delete("db");
    assert.equal(deleted?.scheduledPurgeDate, 1001 + 90 * 86400);
    assert.ok(store.isDeleted("DB"));
    assert.equal(store.get("db"), undefined);
    assert.equal(store.recover("db")?.versions.length, 2);
    store.delete("db");
    assert.ok(store.purge("db"));
    assert.ok(!store.isDeleted("db"));
    assert.equal(store.list().length, 0);
  });
  const pages: Array<[number, number, number, number[], number | undefined]> = [
    [0, 0, 25, [], undefined],
    [25, 0, 25, Array.from({ length: 25 }, (_, i) => i), undefined],
    [26, 0, 25, Array.from({ length: 25 }, (_, i) => i), 25],
    [26, 25, 25, [25], undefined],
    [5, 2, 2, [2, 3], 4],
  ];
  for (const [total, skip, max, page, next] of pages) {
    it(`paginate ${total} from ${skip} by ${max}`, () => {
      const items = Array.from({ length: total }, (_, i) => i);
      assert.deepEqual(paginate(items, skip, max), next === undefined ? { page } : { page, nextSkip: next });
    });
  }
});

describe("request helpers", () => {
  const cases: Array<[string, string, string, string | undefined]> = [
    ["GET", "/secrets", "listSecrets", undefined],
    ["GET", "/secrets/", "listSecrets", undefined],
    ["GET", "/secrets/db", "getSecret", "db"],
    ["GET", "/secrets/db/", "getSecret", "db"],
    ["GET", "/secrets/db/abc", "getSecret", "db"],
    ["GET", "/secrets/db/versions", "getSecretVersions", "db"],
    ["GET", "/kv-one/secrets/db", "getSecret", "db"],
    ["GET", "/keys/k/v", "getKey", "k"],
    ["GET", "/certificates/c", "getCertificate", "c"],
    ["GET", "/certificates/c/policy", "other", "c"],
    ["PUT", "/secrets/db", "other", "db"],
    ["GET", "/deletedsecrets/db", "other", "db"],
  ];
  for (const [method, path, operation, name] of cases) {
    it(`classifies ${method} ${path}`, () => {
      const c = classifyRequest(method, path);
      assert.equal(c.operation, operation);
      assert.equal(c.objectName, name);
    });
  }
  it("accepts api-version 7.x only", () => {
    for (const v of ["7.0", "7.4", "7.6", "7.6-preview.2"]) assert.ok(isSupportedApiVersion(v), v);
    for (const v of [null, "", "2016-10-01", "8.0", "7"]) assert.ok(!isSupportedApiVersion(v), String(v));
  });
  it("builds ids on loopback Host headers only", () => {
    assert.equal(baseUrlFromHost("127.0.0.1:4443", "https://x"), "https://127.0.0.1:4443");
    assert.equal(baseUrlFromHost("localhost:1", "https://x"), "https://localhost:1");
    assert.equal(
      baseUrlFromHost("10.244.0.1:4443", "https://x"),
      "https://10.244.0.1:4443",
      "a pod via the node",
    );
    assert.equal(baseUrlFromHost("evil.example:443", "https://x"), "https://x");
    assert.equal(baseUrlFromHost(undefined, "https://x"), "https://x");
  });
  const scopes: Array<[string, string | undefined]> = [
    ["https://vault.azure.net/.default", "https://vault.azure.net"],
    ["https://vault.azure.net/.default openid offline_access", "https://vault.azure.net"],
    ["https://vault.azure.net/user_impersonation", undefined],
    ["a/.default b/.default", undefined],
    ["", undefined],
  ];
  for (const [scope, resource] of scopes) {
    it(`resource of scope ${JSON.stringify(scope)}`, () =>
      assert.equal(resourceFromScopes(scope).resource, resource));
  }
});
