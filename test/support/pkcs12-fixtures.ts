/**
 * PKCS#12 fixtures of the sync unit tests (not a test file itself), made at test time in a private temp dir
 * that is removed at once: keys from node:crypto, certificates and PFX files from the openssl CLI (OpenSSL 3),
 * plus two PFX files node-forge writes for layouts openssl will not (chain out of order, key of another pair).
 * Nothing here is committed; keys live only in memory.
 */
import { execFile } from "node:child_process";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import forge from "node-forge";

const run = promisify(execFile);

/** The material and PFX files the tests use. */
export interface Pkcs12Fixtures {
  /** Root CA → intermediate CA → leaf (RSA), PEM each; `leafKey` is the leaf's key. */
  rootPem: string;
  intermediatePem: string;
  leafPem: string;
  leafKey: KeyObject;
  /** A self-signed P-256 certificate and its key. */
  ecPem: string;
  ecKey: KeyObject;
  /** PFX bytes: leaf + intermediate, OpenSSL 3 default (PBES2 AES-256-CBC, PBKDF2-SHA256, SHA-256 MAC). */
  modern: Buffer;
  /** Leaf + intermediate, `-legacy` (PBE-SHA1-RC2-40 certs, PBE-SHA1-3DES key, SHA-1 MAC) or 3DES (see below). */
  legacy: Buffer;
  /** Which scheme `legacy` holds: RC2-40 needs OpenSSL's legacy provider; without it, PBE-SHA1-3DES for both. */
  legacyScheme: "rc2-40+3des" | "3des";
  /** Leaf + intermediate, PBE-SHA1-3DES for both, SHA-1 MAC. */
  tripleDes: Buffer;
  /** node-forge, 3DES: root, leaf, intermediate in that order. */
  scrambled: Buffer;
  /** The EC certificate, OpenSSL 3 default. */
  ec: Buffer;
  /** The leaf with password {@link PFX_PASSWORD}. */
  passwordProtected: Buffer;
  /** The leaf without a key. */
  noKey: Buffer;
  /** node-forge: the leaf certificate with the key of another pair. */
  mismatched: Buffer;
  /** The leaf with 700,000 iterations per key derivation. */
  manyIterations: Buffer;
}

/** Password of {@link Pkcs12Fixtures.passwordProtected}; it must never show in a message either. */
export const PFX_PASSWORD = "pfx-password-7c1e";

const pem = (key: KeyObject) => key.export({ type: "pkcs8", format: "pem" }).toString();
const rsaKey = () => generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;

async function build(dir: string): Promise<Pkcs12Fixtures> {
  const file = (name: string) => path.join(dir, name);
  const text = (name: string) => readFileSync(file(name), "utf8");
  const write = (name: string, content: string) => {
    writeFileSync(file(name), content, { mode: 0o600 });
    return file(name);
  };
  const env = { ...process.env, KF_PFX_PASSWORD: PFX_PASSWORD };
  const openssl = (...args: string[]) => run("openssl", args, { env });
  write("ca.ext", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n");
  write("leaf.ext", "basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:leaf.example\n");
  const days = ["-days", "2"];

  const rootKey = rsaKey();
  const intermediateKey = rsaKey();
  const leafKey = rsaKey();
  const ecKey = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
  write("root.key", pem(rootKey));
  write("int.key", pem(intermediateKey));
  write("leaf.key", pem(leafKey));
  write("ec.key", pem(ecKey));
  const selfSigned = (key: string, subject: string, out: string, ext: string[]) =>
    openssl(
      "req",
      "-new",
      "-x509",
      "-sha256",
      "-key",
      file(key),
      "-subj",
      subject,
      ...days,
      ...ext,
      "-out",
      file(out),
    );
  const issue = async (key: string, subject: string, ca: string, ext: string, out: string) => {
    await openssl("req", "-new", "-sha256", "-key", file(key), "-subj", subject, "-out", file(`${out}.csr`));
    await openssl(
      "x509",
      "-req",
      "-in",
      file(`${out}.csr`),
      "-CA",
      file(`${ca}.pem`),
      "-CAkey",
      file(`${ca}.key`),
      "-set_serial",
      String(Date.now()),
      ...days,
      "-extfile",
      file(ext),
      "-out",
      file(out),
    );
  };
  await selfSigned("root.key", "/CN=keyfleet test root", "root.pem", [
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  await issue("int.key", "/CN=keyfleet test intermediate", "root", "ca.ext", "int.pem");
  await issue("leaf.key", "/CN=leaf.example", "int", "leaf.ext", "leaf.pem");
  await selfSigned("ec.key", "/CN=ec.example", "ec.pem", []);

  /** openssl pkcs12 -export of `cert` (+ key unless ""), empty password unless `passout` says otherwise. */
  const pfx = async (name: string, extra: string[], cert = "leaf", key = "leaf.key", passout = "pass:") => {
    const keyArgs = key ? ["-inkey", file(key)] : ["-nokeys"];
    await openssl(
      "pkcs12",
      "-export",
      ...keyArgs,
      "-in",
      file(`${cert}.pem`),
      "-passout",
      passout,
      "-out",
      file(name),
      ...extra,
    );
    return readFileSync(file(name));
  };
  const chain = ["-certfile", file("int.pem")];
  const des = ["-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1"];
  let legacy: Buffer;
  let legacyScheme: Pkcs12Fixtures["legacyScheme"] = "rc2-40+3des";
  try {
    legacy = await pfx("legacy.pfx", [...chain, "-legacy"]);
  } catch {
    legacyScheme = "3des";
    legacy = await pfx("legacy.pfx", [...chain, ...des]);
  }
  const forgePfx = (key: KeyObject, certs: string[]) => {
    const asn1 = forge.pkcs12.toPkcs12Asn1(
      forge.pki.privateKeyFromPem(pem(key)),
      certs.map((c) => forge.pki.certificateFromPem(text(c))),
      "",
      { algorithm: "3des" },
    );
    return Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary");
  };
  return {
    rootPem: text("root.pem"),
    intermediatePem: text("int.pem"),
    leafPem: text("leaf.pem"),
    leafKey,
    ecPem: text("ec.pem"),
    ecKey,
    modern: await pfx("modern.pfx", chain),
    legacy,
    legacyScheme,
    tripleDes: await pfx("3des.pfx", [...chain, ...des]),
    scrambled: forgePfx(leafKey, ["root.pem", "leaf.pem", "int.pem"]),
    ec: await pfx("ec.pfx", [], "ec", "ec.key"),
    passwordProtected: await pfx("password.pfx", [], "leaf", "leaf.key", "env:KF_PFX_PASSWORD"),
    noKey: await pfx("nokey.pfx", [], "leaf", ""),
    mismatched: forgePfx(rsaKey(), ["leaf.pem"]),
    manyIterations: await pfx("slow.pfx", ["-iter", "700000"]),
  };
}

let fixtures: Promise<Pkcs12Fixtures> | undefined;

/** Builds the fixtures once per test process (≈1–2 s: RSA keys and openssl runs). */
export function pkcs12Fixtures(): Promise<Pkcs12Fixtures> {
  fixtures ??= (async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "kf-pkcs12-"));
    try {
      return await build(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return fixtures;
}
