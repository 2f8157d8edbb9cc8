import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync, X509Certificate } from "node:crypto";
import { mapProviderError, parseRetryAfterMs, ServiceAccountTokenError } from "./errors.ts";
import { derCertificateToPem, jwkToSpkiPem, NoPublicKeyError } from "./pem.ts";
import {
  isHostWithoutDomain,
  validateFactoryOptions,
  VaultClientFactory,
  vaultUrlFor,
} from "./client-factory.ts";
import { ProviderErrorKind } from "./types.ts";

const subject = {
  vaultName: "kv1",
  objectType: "secret" as const,
  objectName: "db-password",
  version: "abc123",
};
const NOW = Date.UTC(2026, 0, 1);
const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n.toLowerCase()] });

void describe("mapProviderError", () => {
  const table: Array<[string, unknown, string, number | undefined]> = [
    [
      "404",
      { name: "RestError", statusCode: 404, details: { error: { code: "SecretNotFound" } } },
      ProviderErrorKind.notFound,
      undefined,
    ],
    ["401", { name: "RestError", statusCode: 401 }, ProviderErrorKind.accessDenied, undefined],
    [
      "403 RBAC",
      {
        name: "RestError",
        statusCode: 403,
        details: { error: { code: "Forbidden", innererror: { code: "ForbiddenByRbac" } } },
      },
      ProviderErrorKind.accessDenied,
      undefined,
    ],
    [
      "429 with Retry-After",
      { name: "RestError", statusCode: 429, response: { headers: headers({ "retry-after": "7" }) } },
      ProviderErrorKind.throttled,
      7000,
    ],
    [
      "429 without Retry-After",
      { name: "RestError", statusCode: 429, response: { headers: headers({}) } },
      ProviderErrorKind.throttled,
      undefined,
    ],
    ["500", { name: "RestError", statusCode: 500 }, ProviderErrorKind.unavailable, undefined],
    ["503", { name: "RestError", statusCode: 503 }, ProviderErrorKind.unavailable, undefined],
    [
      "connection refused",
      { name: "RestError", code: "ECONNREFUSED" },
      ProviderErrorKind.unavailable,
      undefined,
    ],
    [
      "nested network cause",
      { name: "Error", cause: { code: "ECONNRESET" } },
      ProviderErrorKind.unavailable,
      undefined,
    ],
    [
      "token exchange refused",
      { name: "AuthenticationError", statusCode: 400 },
      ProviderErrorKind.accessDenied,
      undefined,
    ],
    [
      "authority down",
      { name: "AuthenticationError", statusCode: 503 },
      ProviderErrorKind.unavailable,
      undefined,
    ],
    [
      "ServiceAccount token failed",
      new Error("wrapped", { cause: new ServiceAccountTokenError("no SA") }),
      ProviderErrorKind.accessDenied,
      undefined,
    ],
    ["anything else", new TypeError("boom"), ProviderErrorKind.internal, undefined],
  ];
  for (const [name, error, kind, retryAfterMs] of table) {
    void it(`${name} → ${kind}`, () => {
      const info = mapProviderError(error, subject, NOW);
      assert.equal(info.kind, kind);
      assert.equal(info.retryAfterMs, retryAfterMs);
      assert.match(info.message, /kv1/);
    });
  }
  void it("names vault, object and version and never echoes SDK message text", () => {
    const secretValue = "s3cr3t-VALUE";
    const info = mapProviderError(
      {
        name: "RestError",
        statusCode: 404,
        message: `not found ${secretValue}`,
        details: { error: { code: `x ${secretValue}` } },
      },
      subject,
      NOW,
    );
    assert.match(info.message, /"db-password"/);
    assert.match(info.message, /abc123/);
    assert.doesNotMatch(info.message, /s3cr3t/);
  });
});

void describe("parseRetryAfterMs", () => {
  const table: Array<[Record<string, string>, number | undefined]> = [
    [{ "retry-after": "3" }, 3000],
    [{ "retry-after": "0" }, 0],
    [{ "retry-after-ms": "250" }, 250],
    [{ "x-ms-retry-after-ms": "1500", "retry-after": "9" }, 1500],
    [{ "retry-after": new Date(NOW + 5000).toUTCString() }, 5000],
    [{ "retry-after": "soon" }, undefined],
    [{}, undefined],
  ];
  for (const [h, expected] of table) {
    void it(`${JSON.stringify(h)} → ${String(expected)}`, () =>
      assert.equal(
        parseRetryAfterMs((n) => h[n], NOW),
        expected,
      ));
  }
});

void describe("PEM conversion", () => {
  void it("exports RSA and EC JWKs as the same SPKI PEM node:crypto derives", () => {
    for (const [type, options] of [
      ["rsa", { modulusLength: 2048 }],
      ["ec", { namedCurve: "P-256" }],
    ] as const) {
      const { publicKey } = generateKeyPairSync(type as "rsa", options as { modulusLength: number });
      const jwk = publicKey.export({ format: "jwk" });
      const bytes = (s?: string) => (s ? new Uint8Array(Buffer.from(s, "base64url")) : undefined);
      const vaultJwk =
        type === "rsa"
          ? { kty: "RSA-HSM", n: bytes(jwk.n), e: bytes(jwk.e) }
          : { kty: "EC", crv: "P-256", x: bytes(jwk.x), y: bytes(jwk.y) };
      const pem = jwkToSpkiPem(vaultJwk);
      assert.match(pem, /^-----BEGIN PUBLIC KEY-----\n/);
      assert.equal(pem, publicKey.export({ type: "spki", format: "pem" }).toString());
      assert.equal(createPublicKey(pem).asymmetricKeyType, type);
    }
  });
  void it("refuses symmetric keys", () => {
    assert.throws(() => jwkToSpkiPem({ kty: "oct" }), NoPublicKeyError);
  });
  void it("wraps DER certificates as PEM with 64-character lines", () => {
    const der = Buffer.alloc(100, 7);
    const pem = derCertificateToPem(der);
    const lines = pem.trim().split("\n");
    assert.equal(lines[0], "-----BEGIN CERTIFICATE-----");
    assert.equal(lines.at(-1), "-----END CERTIFICATE-----");
    assert.ok(lines.slice(1, -1).every((l) => l.length <= 64));
    assert.deepEqual(Buffer.from(lines.slice(1, -1).join(""), "base64"), der);
    assert.equal(typeof X509Certificate, "function");
  });
});

void describe("client factory rules", () => {
  void it("maps vault names by template", () => {
    assert.equal(vaultUrlFor("https://{name}.vault.azure.net", "kv1"), "https://kv1.vault.azure.net");
    assert.equal(
      vaultUrlFor("https://127.0.0.1:8443/vaults/{name}", "kv1"),
      "https://127.0.0.1:8443/vaults/kv1",
    );
    assert.throws(() => vaultUrlFor("http://{name}.local", "kv1"), /https/);
  });
  void it("skips the challenge-resource check only for hosts without a domain (loopback names, IP literals)", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "kv1.localhost", "::1", "[::1]", "10.244.0.1"])
      assert.equal(isHostWithoutDomain(host), true, host);
    for (const host of ["kv1.vault.azure.net", "localhost.example.com", "vault.local", "10.0.0.1.nip.io"])
      assert.equal(isHostWithoutDomain(host), false, host);
  });
  void it("validates options, naming the option", () => {
    const tokenSource = async () => "t";
    assert.throws(
      () => validateFactoryOptions({ tokenSource, vaultUrlTemplate: "https://fixed.example" }),
      /vaultUrlTemplate must contain \{name\}/,
    );
    assert.throws(
      () => validateFactoryOptions({ tokenSource, authorityHost: "http://login.local" }),
      /authorityHost/,
    );
    assert.throws(() => validateFactoryOptions({ tokenSource, caBundlePem: "nope" }), /caBundlePem/);
    assert.throws(
      () => validateFactoryOptions({ tokenSource, vaultUrls: { kv1: "http://127.0.0.1:1" } }),
      /vaultUrls\.kv1/,
    );
    assert.doesNotThrow(() => validateFactoryOptions({ tokenSource }));
  });
  void it("prefers explicit vaultUrls (case-insensitive) over the template", () => {
    const factory = new VaultClientFactory({
      tokenSource: async () => "t",
      vaultUrls: { KV1: "https://127.0.0.1:9443/" },
    });
    assert.equal(factory.vaultUrl("kv1"), "https://127.0.0.1:9443");
    assert.equal(factory.vaultUrl("other"), "https://other.vault.azure.net");
  });
});
