/**
 * X.509 helpers of the certificate emulation, using the openssl CLI for what node:crypto cannot do (issuing a
 * self-signed certificate, PKCS#12 in and out). Passwords go through the environment, never argv; temporary
 * files live in a private directory removed right after use.
 */
import { execFile } from "node:child_process";
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  X509Certificate,
  type KeyObject,
} from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** X.509 settings of a self-signed certificate (from a Key Vault policy's x509_props/key_props). */
export interface SelfSignedOptions {
  /** X.500 subject as Key Vault takes it, e.g. "CN=app.example.com, O=Example". */
  subject: string;
  dnsNames?: string[];
  emails?: string[];
  uris?: string[];
  /** Extended key usage OIDs. */
  ekus?: string[];
  /** Key usage names (digitalSignature, keyEncipherment, ...). */
  keyUsage?: string[];
  validityMonths: number;
  keyType: "RSA" | "EC";
  /** RSA modulus bits. Default 2048. */
  keySize?: number;
  /** EC curve (P-256, P-384, P-521). Default P-256. */
  curve?: string;
}

/** A certificate with its private key. */
export interface CertificateMaterial {
  privateKey: KeyObject;
  /** PKCS#8 PEM of the private key. */
  keyPem: string;
  /** Leaf first, then the rest of the chain, PEM each. */
  chainPem: string[];
}

/** Facts about a leaf certificate Key Vault reports. */
export interface CertificateFacts {
  cerBase64: string;
  x5t: string;
  notBefore: number;
  notAfter: number;
  subject: string;
}

const NODE_CURVES: Record<string, string> = {
  "P-256": "prime256v1",
  "P-384": "secp384r1",
  "P-521": "secp521r1",
};
const KEY_USAGES = new Set([
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
]);

/** Pure: "CN=a, O=b" → "/CN=a/O=b" for `openssl -subj`; throws on anything that is not `attr=value` pairs. */
export function opensslSubject(subject: string): string {
  const parts = subject
    .split(/,(?=\s*[A-Za-z.0-9]+=)/)
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new Error("subject must hold at least one attribute, e.g. CN=example.com");
  return parts
    .map((p) => {
      const m = /^([A-Za-z][A-Za-z0-9.]*)=(.+)$/.exec(p);
      if (!m) throw new Error(`subject attribute ${JSON.stringify(p)} is not attr=value`);
      return `/${m[1]}=${m[2]!.replace(/[\\/]/g, (c) => `\\${c}`)}`;
    })
    .join("");
}

/** Pure: days from `now` to the same day `months` later. */
export function validityDays(months: number, now = new Date()): number {
  const end = new Date(now);
  end.setUTCMonth(end.getUTCMonth() + months);
  return Math.max(1, Math.round((end.getTime() - now.getTime()) / 86_400_000));
}

/** Pure: the PEM blocks of a text, split into private key(s) and certificates. */
export function splitPem(text: string): { keys: string[]; certs: string[] } {
  const blocks = text.match(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g) ?? [];
  return {
    keys: blocks.filter((b) => /^-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(b)),
    certs: blocks.filter((b) => b.startsWith("-----BEGIN CERTIFICATE-----")),
  };
}

/** Pure-ish: facts of a PEM or DER certificate. */
export function certificateFacts(cert: string | Buffer): CertificateFacts {
  const x509 = new X509Certificate(cert);
  return {
    cerBase64: x509.raw.toString("base64"),
    x5t: createHash("sha1").update(x509.raw).digest("base64url"),
    notBefore: Math.floor(new Date(x509.validFrom).getTime() / 1000),
    notAfter: Math.floor(new Date(x509.validTo).getTime() / 1000),
    subject: x509.subject.split("\n").join(", "),
  };
}

/** Puts the certificate matching the key first; throws when none matches. */
export function orderChain(privateKey: KeyObject, certs: string[]): string[] {
  const leafIndex = certs.findIndex((c) => new X509Certificate(c).checkPrivateKey(privateKey));
  if (leafIndex < 0) throw new Error("no certificate in the input matches its private key");
  return [certs[leafIndex]!, ...certs.filter((_, i) => i !== leafIndex)];
}

async function withTempDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), "kf-azlocal-"));
  try {
    return await work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Issues a self-signed certificate with a fresh key. */
export async function createSelfSigned(options: SelfSignedOptions): Promise<CertificateMaterial> {
  const privateKey =
    options.keyType === "EC"
      ? generateKeyPairSync("ec", { namedCurve: NODE_CURVES[options.curve ?? "P-256"] ?? "prime256v1" })
          .privateKey
      : generateKeyPairSync("rsa", { modulusLength: options.keySize ?? 2048 }).privateKey;
  const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const sans = [
    ...(options.dnsNames ?? []).map((d) => `DNS:${d}`),
    ...(options.emails ?? []).map((e) => `email:${e}`),
    ...(options.uris ?? []).map((u) => `URI:${u}`),
  ];
  const usages = options.keyUsage ?? ["digitalSignature", "keyEncipherment"];
  const unknown = usages.filter((u) => !KEY_USAGES.has(u));
  if (unknown.length) throw new Error(`key_usage: unknown ${unknown.join(", ")}`);
  const args = [
    "req",
    "-x509",
    "-new",
    "-sha256",
    "-subj",
    opensslSubject(options.subject),
    "-days",
    String(validityDays(options.validityMonths)),
    "-addext",
    "basicConstraints=critical,CA:FALSE",
    ...(usages.length ? ["-addext", `keyUsage=critical,${usages.join(",")}`] : []),
    ...(options.ekus?.length ? ["-addext", `extendedKeyUsage=${options.ekus.join(",")}`] : []),
    ...(sans.length ? ["-addext", `subjectAltName=${sans.join(",")}`] : []),
  ];
  const certPem = await withTempDir(async (dir) => {
    const keyFile = path.join(dir, "key.pem");
    const certFile = path.join(dir, "cert.pem");
    writeFileSync(keyFile, keyPem, { mode: 0o600 });
    await run("openssl", [...args, "-key", keyFile, "-out", certFile]);
    return readFileSync(certFile, "utf8");
  });
  return { privateKey, keyPem, chainPem: [certPem.trim() + "\n"] };
}

/** Reads PEM input (private key + certificates, any order). */
export function materialFromPem(text: string): CertificateMaterial {
  const { keys, certs } = splitPem(text);
  if (keys.length !== 1) throw new Error("the PEM must hold exactly one unencrypted private key");
  if (certs.length === 0) throw new Error("the PEM holds no certificate");
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(keys[0]!);
  } catch {
    throw new Error("the PEM private key cannot be read (encrypted keys are not supported)");
  }
  return {
    privateKey,
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    chainPem: orderChain(
      privateKey,
      certs.map((c) => c.trim() + "\n"),
    ),
  };
}

/** Reads a base64 PKCS#12 (PFX) with its password (empty when none). */
export async function materialFromPfx(base64: string, password: string): Promise<CertificateMaterial> {
  const pem = await withTempDir(async (dir) => {
    const file = path.join(dir, "in.pfx");
    writeFileSync(file, Buffer.from(base64, "base64"), { mode: 0o600 });
    const env = { ...process.env, KF_PFX_PASSWORD: password };
    const base = ["pkcs12", "-in", file, "-nodes", "-passin", "env:KF_PFX_PASSWORD"];
    try {
      return (await run("openssl", base, { env })).stdout;
    } catch {
      try {
        return (await run("openssl", [...base, "-legacy"], { env })).stdout;
      } catch {
        throw new Error("the PFX cannot be read (wrong password or not PKCS#12)");
      }
    }
  });
  return materialFromPem(pem);
}

/** Writes certificate material as a base64 PKCS#12 with an empty password (as Key Vault exports it). */
export async function materialToPfx(material: CertificateMaterial): Promise<string> {
  return withTempDir(async (dir) => {
    const keyFile = path.join(dir, "key.pem");
    const certFile = path.join(dir, "certs.pem");
    const outFile = path.join(dir, "out.pfx");
    writeFileSync(keyFile, material.keyPem, { mode: 0o600 });
    writeFileSync(certFile, material.chainPem.join(""));
    await run("openssl", [
      "pkcs12",
      "-export",
      "-inkey",
      keyFile,
      "-in",
      certFile,
      "-passout",
      "pass:",
      "-out",
      outFile,
    ]);
    return readFileSync(outFile).toString("base64");
  });
}

/** Pure: the PEM secret value Key Vault stores for application/x-pem-file (PKCS#8 key, then the chain). */
export function materialToPem(material: CertificateMaterial): string {
  return material.keyPem.trim() + "\n" + material.chainPem.map((c) => c.trim() + "\n").join("");
}
