import assert from "node:assert/strict";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { before, describe, it } from "node:test";
import { convertObject, decodeObjectEncoding, needsPkcs12Reader, pemBlocks, tlsPart } from "./convert.ts";
import type { Pkcs12Reader } from "./pkcs12.ts";
import { loadPkcs12Reader } from "./pkcs12-reader.ts";
import { PFX_PASSWORD, pkcs12Fixtures } from "../../test/support/pkcs12-fixtures.ts";
import type { Pkcs12Fixtures } from "../../test/support/pkcs12-fixtures.ts";
import type { SpcObject } from "./types.ts";

const obj = (over: Partial<SpcObject>): SpcObject => ({
  objectName: "o",
  objectType: "secret",
  objectVersion: "",
  objectAlias: "",
  objectVersionHistory: 0,
  objectFormat: "pem",
  objectEncoding: "utf-8",
  ...over,
});
const version = (value: string | Buffer, contentType?: string) => ({
  index: 0,
  version: "v1",
  id: "https://kv/secrets/o/v1",
  value: Buffer.from(value),
  contentType: contentType || undefined,
});
const CERT = "-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----";
const KEY = "-----BEGIN PRIVATE KEY-----\nREVG\n-----END PRIVATE KEY-----";

void describe("decodeObjectEncoding", () => {
  const cases: Array<[SpcObject["objectEncoding"], string, string | RegExp]> = [
    ["utf-8", "héllo", "héllo"],
    ["hex", "6869", "hi"],
    ["base64", "aGk=", "hi"],
    ["hex", "zz", /objectEncoding hex, but the value is not hex/],
    ["base64", "**", /objectEncoding base64, but the value is not base64/],
  ];
  for (const [encoding, raw, expected] of cases) {
    void it(`${encoding} ${raw}`, () => {
      const result = decodeObjectEncoding(Buffer.from(raw), encoding, "o");
      if (typeof expected === "string") {
        assert.ok(result.ok);
        assert.equal(result.value.toString("utf8"), expected);
      } else {
        assert.equal(result.ok, false);
        if (!result.ok) {
          assert.match(result.message, expected);
          assert.ok(!result.message.includes(raw));
        }
      }
    });
  }
});

void describe("convertObject", () => {
  void it("passes keys and certs through", () => {
    const r = convertObject(obj({ objectType: "cert" }), version(CERT), "o");
    assert.ok(r.ok);
    assert.equal(r.value.toString(), CERT);
  });
  void it("returns a PEM bundle for a PEM-stored certificate secret", () => {
    const r = convertObject(obj({}), version(`${KEY}\n${CERT}`, "application/x-pem-file"), "o");
    assert.ok(r.ok);
    assert.equal(pemBlocks(r.value.toString()).length, 2);
  });
  void it("returns PFX bytes for objectFormat pfx of a PKCS#12-stored certificate", () => {
    const r = convertObject(
      obj({ objectFormat: "pfx" }),
      version(Buffer.from([1, 2, 3]).toString("base64"), "application/x-pkcs12"),
      "o",
    );
    assert.ok(r.ok);
    assert.deepEqual([...r.value], [1, 2, 3]);
  });
  void it("explains pfx on a PEM-stored certificate", () => {
    const r = convertObject(obj({ objectFormat: "pfx" }), version(CERT, "application/x-pem-file"), "o");
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, /objectFormat pfx needs a certificate stored as PKCS#12/);
  });
});

void describe("tlsPart", () => {
  const bundle = Buffer.from(`${KEY}\n${CERT}\n${CERT}`);
  void it("splits chain and key for tls Secrets", () => {
    const crt = tlsPart("kubernetes.io/tls", "tls.crt", bundle, "o");
    const key = tlsPart("kubernetes.io/tls", "tls.key", bundle, "o");
    assert.ok(crt.ok && key.ok);
    assert.equal(pemBlocks(crt.value.toString()).length, 2);
    assert.deepEqual(
      pemBlocks(key.value.toString()).map((b) => b.label),
      ["PRIVATE KEY"],
    );
  });
  void it("leaves other types alone", () => {
    const r = tlsPart("Opaque", "tls.crt", bundle, "o");
    assert.ok(r.ok);
    assert.equal(r.value, bundle);
  });
  void it("names the missing block", () => {
    const r = tlsPart("kubernetes.io/tls", "tls.key", Buffer.from(CERT), "o");
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, /tls\.key needs a PRIVATE KEY PEM block/);
  });
});

void describe("convertObject of PKCS#12-stored certificates", () => {
  let fx: Pkcs12Fixtures;
  let read: Pkcs12Reader;
  before(async () => {
    fx = await pkcs12Fixtures();
    read = await loadPkcs12Reader();
  });
  const P12 = "application/x-pkcs12";
  const stored = (pfx: Buffer) => version(pfx.toString("base64"), P12);
  const keyBody = () =>
    fx.leafKey
      .export({ type: "pkcs8", format: "pem" })
      .toString()
      .replace(/-----[A-Z ]+-----|\s/g, "");

  void it("needs a reader only for PEM output of a PKCS#12 secret", () => {
    const cases: Array<[Partial<SpcObject>, string | undefined, boolean]> = [
      [{}, P12, true],
      [{}, "APPLICATION/X-PKCS12", true],
      [{ objectFormat: "pfx" }, P12, false],
      [{ objectType: "cert" }, P12, false],
      [{}, "application/x-pem-file", false],
      [{}, undefined, false],
    ];
    for (const [over, contentType, expected] of cases)
      assert.equal(
        needsPkcs12Reader(obj(over), version("x", contentType)),
        expected,
        JSON.stringify([over, contentType]),
      );
  });

  const good: Array<[string, () => Buffer, Partial<SpcObject>]> = [
    ["OpenSSL 3 default PFX", () => fx.modern, {}],
    ["legacy PFX", () => fx.legacy, {}],
    [
      "3DES PFX with objectEncoding base64 (not applied: PKCS#12 is base64 by definition)",
      () => fx.tripleDes,
      { objectEncoding: "base64" },
    ],
  ];
  for (const [name, pfx, over] of good) {
    void it(`converts a ${name} to key + chain, and tls.crt/tls.key split it`, () => {
      const r = convertObject(obj(over), stored(pfx()), "o", read);
      assert.ok(r.ok);
      assert.deepEqual(
        pemBlocks(r.value.toString()).map((b) => b.label),
        ["PRIVATE KEY", "CERTIFICATE", "CERTIFICATE"],
      );
      const crt = tlsPart("kubernetes.io/tls", "tls.crt", r.value, "o");
      const key = tlsPart("kubernetes.io/tls", "tls.key", r.value, "o");
      assert.ok(crt.ok && key.ok);
      const [leaf, intermediate] = pemBlocks(crt.value.toString()).map((b) => new X509Certificate(b.block));
      assert.equal(leaf?.fingerprint256, new X509Certificate(fx.leafPem).fingerprint256);
      assert.equal(intermediate?.fingerprint256, new X509Certificate(fx.intermediatePem).fingerprint256);
      assert.ok(leaf?.checkPrivateKey(createPrivateKey(key.value)));
    });
  }

  void it("passes the PFX bytes through for objectFormat pfx (no reader needed)", () => {
    const r = convertObject(obj({ objectFormat: "pfx" }), stored(fx.legacy), "o");
    assert.ok(r.ok);
    assert.ok(r.value.equals(fx.legacy));
  });

  const bad: Array<[string, () => ReturnType<typeof version>, RegExp]> = [
    [
      "corrupt bytes",
      () => stored(Buffer.from("not a pfx at all, just bytes")),
      /not PKCS#12 data or it is damaged/,
    ],
    ["a password-protected PFX", () => stored(fx.passwordProtected), /password-protected or damaged/],
    ["a PFX without a key", () => stored(fx.noKey), /holds no private key/],
    [
      "a value that is not base64",
      () => version("%%% not base64 %%%", P12),
      /the stored value is not base64/,
    ],
    ["an empty value", () => version("", P12), /the stored value is not base64/],
  ];
  for (const [name, v, expected] of bad) {
    void it(`fails per item, naming the object, for ${name}`, () => {
      const r = convertObject(obj({}), v(), "web-cert", read);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.match(r.message, /^object web-cert: the PKCS#12 certificate could not be read: /);
      assert.match(r.message, expected);
      const value = v().value.toString();
      for (const secret of [keyBody().slice(0, 24), PFX_PASSWORD, value.slice(0, 24)].filter(
        (x) => x.length >= 8,
      ))
        assert.ok(!r.message.includes(secret), "no value in the message");
    });
  }

  void it("fails cleanly when the caller loaded no reader", () => {
    const r = convertObject(obj({}), stored(fx.modern), "o");
    assert.equal(r.ok, false);
    if (!r.ok)
      assert.match(r.message, /^object o: the PKCS#12 certificate could not be read: an unexpected error/);
  });
});
