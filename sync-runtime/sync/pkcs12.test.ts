import assert from "node:assert/strict";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { before, describe, it } from "node:test";
import forge from "node-forge";
import { pemBlocks } from "./convert.ts";
import { Pkcs12Error, Pkcs12Problem, orderChain, pemFromPkcs12 } from "./pkcs12.ts";
import type { Pkcs12Contents, Pkcs12Reader } from "./pkcs12.ts";
import {
  PKCS12_ITERATION_LIMITS,
  loadPkcs12Reader,
  problemOfForgeError,
  visibleIterationCounts,
} from "./pkcs12-reader.ts";
import { PFX_PASSWORD, pkcs12Fixtures } from "../../test/support/pkcs12-fixtures.ts";
import type { Pkcs12Fixtures } from "../../test/support/pkcs12-fixtures.ts";

let fx: Pkcs12Fixtures;
let read: Pkcs12Reader;
before(async () => {
  fx = await pkcs12Fixtures();
  read = await loadPkcs12Reader();
});

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
/** Body of a PEM block without armour and line breaks: what "key material in a message" would look like. */
const body = (pem: string) => pem.replace(/-----[A-Z ]+-----|\s/g, "");

void describe("PKCS#12 → PEM (node-forge reader + pemFromPkcs12)", () => {
  type Fixture = Exclude<keyof Pkcs12Fixtures, "legacyScheme">;
  const good: Array<
    [string, Fixture, "leaf" | "ec", Array<"leafPem" | "intermediatePem" | "rootPem" | "ecPem">]
  > = [
    [
      "OpenSSL 3 default (AES-256-CBC, PBKDF2, SHA-256 MAC), leaf + intermediate",
      "modern",
      "leaf",
      ["leafPem", "intermediatePem"],
    ],
    [
      "legacy (-legacy: RC2-40 / 3DES, SHA-1 MAC), leaf + intermediate",
      "legacy",
      "leaf",
      ["leafPem", "intermediatePem"],
    ],
    ["PBE-SHA1-3DES for both, SHA-1 MAC", "tripleDes", "leaf", ["leafPem", "intermediatePem"]],
    ["chain stored root, leaf, intermediate", "scrambled", "leaf", ["leafPem", "intermediatePem", "rootPem"]],
    ["EC P-256", "ec", "ec", ["ecPem"]],
  ];
  for (const [name, fixture, keyOf, chain] of good) {
    void it(`reads ${name}: key first, then the chain leaf first, certificates byte for byte`, () => {
      const pem = pemFromPkcs12(read(fx[fixture] as Buffer));
      const blocks = pemBlocks(pem);
      assert.deepEqual(
        blocks.map((b) => b.label),
        ["PRIVATE KEY", ...chain.map(() => "CERTIFICATE")],
      );
      assert.ok(pem.endsWith("-----END CERTIFICATE-----\n"));
      const key = createPrivateKey(blocks[0]!.block);
      assert.ok(key.equals(keyOf === "ec" ? fx.ecKey : fx.leafKey), "the key is the certificate's key");
      assert.deepEqual(
        blocks.slice(1).map((b) => fingerprint(b.block)),
        chain.map((c) => fingerprint(fx[c])),
      );
      assert.ok(new X509Certificate(blocks[1]!.block).checkPrivateKey(key));
    });
  }

  const bad: Array<[string, () => Buffer, Pkcs12Problem]> = [
    ["a password-protected PFX", () => fx.passwordProtected, Pkcs12Problem.password],
    ["a PFX without a key", () => fx.noKey, Pkcs12Problem.noKey],
    ["a PFX whose key belongs to another certificate", () => fx.mismatched, Pkcs12Problem.keyMismatch],
    ["random bytes", () => Buffer.from("0123456789abcdef".repeat(8)), Pkcs12Problem.notPkcs12],
    ["a truncated PFX", () => fx.modern.subarray(0, fx.modern.length - 40), Pkcs12Problem.notPkcs12],
    ["a PFX with one byte flipped in its MAC", () => flipLast(fx.modern), Pkcs12Problem.password],
    ["700,000 iterations per key derivation", () => fx.manyIterations, Pkcs12Problem.tooManyIterations],
  ];
  for (const [name, pfx, problem] of bad) {
    void it(`refuses ${name} with a fixed message`, () => {
      assert.throws(
        () => pemFromPkcs12(read(pfx())),
        (error: unknown) => {
          assert.ok(error instanceof Pkcs12Error);
          assert.equal(error.problem, problem);
          assert.equal(error.message, problem);
          for (const secret of [
            body(fx.leafKey.export({ type: "pkcs8", format: "pem" }).toString()),
            PFX_PASSWORD,
          ])
            assert.ok(!error.message.includes(secret.slice(0, 24)));
          return true;
        },
      );
    });
  }

  void it("remembers each PFX it read, failures too", () => {
    assert.equal(read(fx.modern), read(fx.modern));
    let first: unknown;
    let second: unknown;
    try {
      read(fx.passwordProtected);
    } catch (error) {
      first = error;
    }
    try {
      read(fx.passwordProtected);
    } catch (error) {
      second = error;
    }
    assert.ok(first instanceof Pkcs12Error && first === second);
  });

  void it("counts the iterations visible before decryption (MAC, contents, key bag)", () => {
    const counts = (pfx: Buffer) =>
      visibleIterationCounts(forge, forge.asn1.fromDer(pfx.toString("binary"), false));
    assert.deepEqual(counts(fx.modern), [2048, 2048, 2048]);
    assert.ok(counts(fx.manyIterations).every((c) => c > PKCS12_ITERATION_LIMITS.each));
  });
});

function flipLast(pfx: Buffer): Buffer {
  const copy = Buffer.from(pfx);
  // The MAC sits near the end (MacData follows the contents): flip a byte of the digest.
  copy[copy.length - 30] = copy[copy.length - 30]! ^ 0xff;
  return copy;
}

void describe("pemFromPkcs12 checks what the reader found", () => {
  const der = (pem: string) => new X509Certificate(pem).raw;
  const keyDer = () => fx.leafKey.export({ type: "pkcs8", format: "der" });
  const cases: Array<[string, () => Pkcs12Contents, Pkcs12Problem]> = [
    ["no key", () => ({ privateKeys: [], certificates: [der(fx.leafPem)] }), Pkcs12Problem.noKey],
    [
      "two keys",
      () => ({ privateKeys: [keyDer(), keyDer()], certificates: [der(fx.leafPem)] }),
      Pkcs12Problem.manyKeys,
    ],
    ["no certificate", () => ({ privateKeys: [keyDer()], certificates: [] }), Pkcs12Problem.noCertificate],
    [
      "an unreadable key",
      () => ({ privateKeys: [Buffer.from([48, 3, 2, 1, 0])], certificates: [der(fx.leafPem)] }),
      Pkcs12Problem.badKey,
    ],
    [
      "an unreadable certificate",
      () => ({ privateKeys: [keyDer()], certificates: [Buffer.from([48, 0])] }),
      Pkcs12Problem.badCertificate,
    ],
  ];
  for (const [name, contents, problem] of cases) {
    void it(name, () => {
      assert.throws(
        () => pemFromPkcs12(contents()),
        (e: unknown) => e instanceof Pkcs12Error && e.problem === problem,
      );
    });
  }
});

void describe("orderChain", () => {
  void it("follows issuers from the leaf and appends unrelated certificates in their order", () => {
    const [root, intermediate, leaf, ec] = [fx.rootPem, fx.intermediatePem, fx.leafPem, fx.ecPem].map(
      (p) => new X509Certificate(p),
    );
    const order = orderChain(leaf!, [ec!, root!, intermediate!]).map((c) => c.subject);
    assert.deepEqual(order, [leaf!.subject, intermediate!.subject, root!.subject, ec!.subject]);
    assert.deepEqual(
      orderChain(ec!, [root!]).map((c) => c.subject),
      [ec!.subject, root!.subject],
    );
  });
});

void describe("problemOfForgeError", () => {
  const cases: Array<[string, Pkcs12Problem]> = [
    ["PKCS#12 MAC could not be verified. Invalid password?", Pkcs12Problem.password],
    ["Unable to decrypt PKCS#8 ShroudedKeyBag, wrong password?", Pkcs12Problem.password],
    ["PKCS#12 uses unsupported MAC algorithm: 1.2.3", Pkcs12Problem.unsupported],
    ["Only PKCS#12 PFX in password integrity mode supported.", Pkcs12Problem.unsupported],
    ["Too few bytes to read ASN.1 value.", Pkcs12Problem.notPkcs12],
  ];
  for (const [message, problem] of cases) {
    void it(message, () => assert.equal(problemOfForgeError(new Error(message)), problem));
  }
});
