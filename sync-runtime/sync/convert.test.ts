import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { convertObject, decodeObjectEncoding, pemBlocks, tlsPart } from "./convert.ts";
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
  ...(contentType ? { contentType } : {}),
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
