/**
 * PKCS#12 (PFX) → PEM for certificate-backed secrets stored as `application/x-pkcs12`, Key Vault's default
 * content type. Opening the container (MAC, decryption) is the job of a {@link Pkcs12Reader}
 * (./pkcs12-reader.ts, node-forge, loaded lazily); this file is the pure part: it checks what came out and
 * lays it out with node:crypto.
 *
 * Output, matching what the upstream Azure provider (secrets-store-csi-driver-provider-azure) writes for
 * `objectFormat: pem` (its decodePKCS12 with --construct-pem-chain, on by default): the private key first as one
 * PKCS#8 `PRIVATE KEY` block, then the `CERTIFICATE` blocks leaf → intermediates → root. Upstream finds the
 * leaf as the certificate no other one names as its issuer and keeps the PFX's order when the chain does not
 * link up; keyfleet takes the certificate whose public key matches the private key as the leaf (so a mismatched
 * PFX fails instead of producing a tls Secret no server can use), follows issuers from there, and appends any
 * certificate not on that path in the PFX's order. For a well-formed chain the two give the same bytes.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";

/** What a PKCS#12 holds, as DER, in the order of the file. */
export interface Pkcs12Contents {
  /** PKCS#8 PrivateKeyInfo of each key bag. */
  privateKeys: Buffer[];
  /** X.509 certificate of each certificate bag. */
  certificates: Buffer[];
}

/**
 * Opens a PKCS#12 with the empty password (Key Vault's) and returns its contents.
 * @throws {Pkcs12Error} when the PFX cannot be read.
 */
export type Pkcs12Reader = (pfx: Buffer) => Pkcs12Contents;

/** Why a PKCS#12 could not be turned into PEM. Fixed texts: they never carry content. */
export const Pkcs12Problem = {
  notBase64: "the stored value is not base64",
  notPkcs12: "it is not PKCS#12 data or it is damaged",
  password:
    "its integrity check or decryption failed with the empty password (Key Vault certificates have none): " +
    "it is password-protected or damaged",
  unsupported: "it uses an algorithm or structure keyfleet cannot read",
  tooManyIterations: "its key derivation asks for more iterations than keyfleet allows",
  noKey: "it holds no private key (objectFormat: pfx passes such a PFX through unchanged)",
  manyKeys: "it holds more than one private key",
  badKey: "its private key cannot be read",
  noCertificate: "it holds no certificate",
  badCertificate: "one of its certificates cannot be read",
  keyMismatch: "none of its certificates matches its private key",
  internal: "an unexpected error occurred while reading it",
} as const;
/** One of {@link Pkcs12Problem}. */
export type Pkcs12Problem = (typeof Pkcs12Problem)[keyof typeof Pkcs12Problem];

/** A PKCS#12 that could not be read; the message is a {@link Pkcs12Problem}, never content. */
export class Pkcs12Error extends Error {
  /** What went wrong. */
  readonly problem: Pkcs12Problem;

  constructor(problem: Pkcs12Problem) {
    super(problem);
    this.name = "Pkcs12Error";
    this.problem = problem;
  }
}

/**
 * Orders certificates leaf first, then each one's issuer in turn, then whatever is left in the given order
 * (pure). "Issued by" is X509Certificate.checkIssued: names and key identifiers, no signature check.
 */
export function orderChain(leaf: X509Certificate, others: readonly X509Certificate[]): X509Certificate[] {
  const chain = [leaf];
  const rest = [...others];
  for (;;) {
    const current = chain[chain.length - 1]!;
    const issuer = rest.findIndex((c) => current.checkIssued(c));
    if (issuer < 0) break;
    chain.push(...rest.splice(issuer, 1));
  }
  return [...chain, ...rest];
}

function readKey(der: Buffer): KeyObject {
  try {
    return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  } catch {
    throw new Pkcs12Error(Pkcs12Problem.badKey);
  }
}

function readCertificate(der: Buffer): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch {
    throw new Pkcs12Error(Pkcs12Problem.badCertificate);
  }
}

/**
 * The PEM text for a PKCS#12's contents (pure): the private key (PKCS#8), then the chain leaf first.
 * @throws {Pkcs12Error} when there is not exactly one readable key or no certificate matches it.
 */
export function pemFromPkcs12(contents: Pkcs12Contents): string {
  if (contents.privateKeys.length === 0) throw new Pkcs12Error(Pkcs12Problem.noKey);
  if (contents.privateKeys.length > 1) throw new Pkcs12Error(Pkcs12Problem.manyKeys);
  if (contents.certificates.length === 0) throw new Pkcs12Error(Pkcs12Problem.noCertificate);
  const key = readKey(contents.privateKeys[0]!);
  const certificates = contents.certificates.map(readCertificate);
  const leafIndex = certificates.findIndex((c) => c.checkPrivateKey(key));
  if (leafIndex < 0) throw new Pkcs12Error(Pkcs12Problem.keyMismatch);
  const chain = orderChain(
    certificates[leafIndex]!,
    certificates.filter((_, i) => i !== leafIndex),
  );
  const keyPem = key.export({ type: "pkcs8", format: "pem" }).toString();
  return keyPem + chain.map((c) => c.toString()).join("");
}
