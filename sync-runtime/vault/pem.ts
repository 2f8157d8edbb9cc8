/** Conversions from what Key Vault returns to the PEM text the reconciler writes. */
import { createPublicKey } from "node:crypto";

/** The parts of a Key Vault JSON Web Key needed for the public key (byte arrays as the SDK returns them). */
export interface VaultJwk {
  kty?: string;
  n?: Uint8Array;
  e?: Uint8Array;
  crv?: string;
  x?: Uint8Array;
  y?: Uint8Array;
}

/** Thrown when a key has no exportable public part (symmetric `oct` keys, incomplete JWKs). */
export class NoPublicKeyError extends Error {
  /** The JWK kty seen. */
  readonly keyType: string;
  constructor(keyType: string) {
    super(`key type ${keyType} has no public key`);
    this.name = "NoPublicKeyError";
    this.keyType = keyType;
  }
}

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url");

/** Key Vault JWK → SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`). RSA(-HSM) and EC(-HSM) only. */
export function jwkToSpkiPem(jwk: VaultJwk): string {
  const kty = jwk.kty ?? "unknown";
  let nodeJwk: Record<string, string>;
  if ((kty === "RSA" || kty === "RSA-HSM") && jwk.n && jwk.e) {
    nodeJwk = { kty: "RSA", n: b64url(jwk.n), e: b64url(jwk.e) };
  } else if ((kty === "EC" || kty === "EC-HSM") && jwk.crv && jwk.x && jwk.y) {
    // Key Vault names the secp256k1 curve P-256K; node:crypto calls it secp256k1.
    const crv = jwk.crv === "P-256K" ? "secp256k1" : jwk.crv;
    nodeJwk = { kty: "EC", crv, x: b64url(jwk.x), y: b64url(jwk.y) };
  } else {
    throw new NoPublicKeyError(kty);
  }
  return createPublicKey({ key: nodeJwk, format: "jwk" }).export({ type: "spki", format: "pem" }).toString();
}

/** DER certificate bytes → PEM (`-----BEGIN CERTIFICATE-----`, 64-character lines). */
export function derCertificateToPem(der: Uint8Array): string {
  const body = Buffer.from(der)
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "");
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}
