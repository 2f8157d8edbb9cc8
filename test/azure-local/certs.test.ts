/** Table-driven unit tests of the stand-in's config validation, certificate helpers and certificate policies. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { normalizePolicy, selfSignedOptionsFrom } from "./certificate-policy.ts";
import { parseConfig } from "./config.ts";
import { opensslSubject, splitPem, validityDays } from "./certs.ts";

describe("config and certificate helpers", () => {
  const valid = {
    tlsCertFile: "c",
    tlsKeyFile: "k",
    caFile: "ca",
    stateDir: "/tmp/x",
    tenantId: "00000000-0000-4000-8000-000000000001",
    kubernetes: {
      apiServerUrl: "https://127.0.0.1:6443",
      caFile: "ca",
      clientCertFile: "c",
      clientKeyFile: "k",
      serviceAccountIssuer: "https://127.0.0.1:6443",
    },
  };
  it("applies defaults", () => {
    const c = parseConfig(valid);
    assert.deepEqual(
      [c.host, c.vaultPort, c.serveVault, c.vaultNames, c.accessTokenLifetimeSeconds],
      ["127.0.0.1", 0, true, ["keyfleet-local"], 600],
    );
  });
  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ["non-loopback host", { host: "0.0.0.0" }, /host: must be a loopback address/],
    ["bad vault name", { vaultNames: ["a_b"] }, /vaultNames\.0: 3-24 characters/],
    [
      "reserved vault name",
      { vaultNames: ["secrets"] },
      /vaultNames\.0: must not be a Key Vault collection name/,
    ],
    ["duplicate vault names", { vaultNames: ["kv-a", "KV-A"] }, /vaultNames: names must be unique/],
    [
      "http apiserver",
      { kubernetes: { ...valid.kubernetes, apiServerUrl: "http://127.0.0.1:1" } },
      /kubernetes\.apiServerUrl/,
    ],
    ["missing tenant", { tenantId: undefined }, /tenantId/],
  ];
  for (const [name, patch, message] of bad) {
    it(`rejects ${name}`, () => assert.throws(() => parseConfig({ ...valid, ...patch }), message));
  }
  it("converts subjects for openssl", () => {
    assert.equal(opensslSubject("CN=app.example, O=Example, Inc"), "/CN=app.example/O=Example, Inc");
    assert.equal(opensslSubject("CN=a/b"), "/CN=a\\/b");
    assert.throws(() => opensslSubject(""), /at least one attribute/);
  });
  it("computes validity days and splits PEM", () => {
    assert.equal(validityDays(12, new Date("2025-01-15T00:00:00Z")), 365);
    const pem =
      "-----BEGIN PRIVATE KEY-----\nAA\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nBB\n-----END CERTIFICATE-----\n";
    assert.deepEqual(
      Object.values(splitPem(pem)).map((l) => l.length),
      [1, 1],
    );
  });
});

describe("certificate policies", () => {
  it("fills Key Vault's defaults", () => {
    const p = normalizePolicy({ x509_props: { subject: "CN=a" } }, 5);
    assert.deepEqual(p.key_props, { exportable: true, kty: "RSA", key_size: 2048, reuse_key: false });
    assert.deepEqual(p.secret_props, { contentType: "application/x-pkcs12" });
    assert.deepEqual((p.x509_props as { validity_months: number }).validity_months, 12);
    assert.deepEqual(p.issuer, { name: "Self" });
    assert.deepEqual(selfSignedOptionsFrom(p).keyType, "RSA");
  });
  it("keeps EC curves, SANs and the imported certificate's fallbacks", () => {
    const p = normalizePolicy(
      { key_props: { kty: "EC", crv: "P-384" }, x509_props: { sans: { dns_names: ["a.test"] } } },
      5,
      { contentType: "application/x-pem-file" },
    );
    assert.deepEqual(p.key_props, { exportable: true, kty: "EC", crv: "P-384", reuse_key: false });
    assert.deepEqual(p.secret_props, { contentType: "application/x-pem-file" });
    const options = selfSignedOptionsFrom(p);
    assert.equal(options.subject, "CN=a.test");
    assert.deepEqual(options.dnsNames, ["a.test"]);
  });
  const bad: Array<[string, unknown, RegExp]> = [
    ["kty", { key_props: { kty: "oct" } }, /policy\.key_props\.kty must be/],
    ["key size", { key_props: { key_size: 1024 } }, /policy\.key_props\.key_size must be 2048, 3072 or 4096/],
    ["curve", { key_props: { kty: "EC", crv: "P-192" } }, /policy\.key_props\.crv/],
    [
      "content type",
      { secret_props: { contentType: "text/plain" } },
      /policy\.secret_props\.contentType must be/,
    ],
    ["validity", { x509_props: { validity_months: 0 } }, /policy\.x509_props\.validity_months/],
    [
      "sans",
      { x509_props: { sans: { dns_names: "a" } } },
      /policy\.x509_props\.sans\.dns_names must be an array/,
    ],
  ];
  for (const [what, policy, message] of bad) {
    it(`rejects a bad ${what} naming the field`, () =>
      assert.throws(() => normalizePolicy(policy, 0), message));
  }
  it("only issues for issuer Self and needs a subject or DNS name", () => {
    assert.throws(
      () =>
        selfSignedOptionsFrom(
          normalizePolicy({ issuer: { name: "DigiCert" }, x509_props: { subject: "CN=a" } }, 0),
        ),
      /only "Self"/,
    );
    assert.throws(
      () => selfSignedOptionsFrom(normalizePolicy({}, 0)),
      /subject or sans\.dns_names is required/,
    );
  });
});
