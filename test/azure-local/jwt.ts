/**
 * Minimal JWS/JWT helpers for the local Azure stand-in (test infrastructure): RS256/ES256 signing and
 * verification with node:crypto, and a pure claim check. Tokens are never logged; errors name the failed check only.
 */
import { createPublicKey, sign, verify, type KeyObject, type webcrypto } from "node:crypto";

type JsonWebKey = webcrypto.JsonWebKey;

/** Decoded header of a compact JWS. */
export interface JwtHeader {
  alg: string;
  typ?: string;
  kid?: string;
  [key: string]: unknown;
}

/** Claims of a JWT as far as the local endpoints read them. */
export interface JwtClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  [key: string]: unknown;
}

/** A token split into its parts (signature not yet checked). */
export interface DecodedJwt {
  header: JwtHeader;
  claims: JwtClaims;
  signingInput: string;
  signature: Buffer;
}

/** Why a token was refused; `check` is stable for tests, `message` is safe to show (no token content). */
export class JwtError extends Error {
  readonly check:
    "malformed" | "signature" | "unknownKey" | "issuer" | "audience" | "expired" | "notYetValid";
  constructor(check: JwtError["check"], message: string) {
    super(message);
    this.name = "JwtError";
    this.check = check;
  }
}

/** Pure: base64url without padding. */
export function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString("base64url");
}

/** Pure: splits and decodes a compact JWS; throws JwtError("malformed") on anything else. */
export function decodeJwt(token: string): DecodedJwt {
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) {
    throw new JwtError("malformed", "token is not a compact JWS (three base64url parts)");
  }
  const [h, c, s] = parts as [string, string, string];
  try {
    const header = JSON.parse(Buffer.from(h, "base64url").toString("utf8")) as JwtHeader;
    const claims = JSON.parse(Buffer.from(c, "base64url").toString("utf8")) as JwtClaims;
    if (typeof header !== "object" || header === null || typeof header.alg !== "string")
      throw new Error("alg");
    if (typeof claims !== "object" || claims === null || Array.isArray(claims)) throw new Error("claims");
    return { header, claims, signingInput: `${h}.${c}`, signature: Buffer.from(s, "base64url") };
  } catch {
    throw new JwtError("malformed", "token header or claims are not JSON objects");
  }
}

const ALGORITHMS: Record<string, { hash: string; dsaEncoding?: "ieee-p1363" }> = {
  RS256: { hash: "sha256" },
  ES256: { hash: "sha256", dsaEncoding: "ieee-p1363" },
};

/** Signs claims as a compact JWS with an RSA (RS256) or P-256 (ES256) private key. */
export function signJwt(claims: JwtClaims, privateKey: KeyObject, kid: string): string {
  const alg = privateKey.asymmetricKeyType === "ec" ? "ES256" : "RS256";
  const header = base64url(JSON.stringify({ alg, typ: "JWT", kid }));
  const body = base64url(JSON.stringify(claims));
  const spec = ALGORITHMS[alg]!;
  const signature = sign(spec.hash, Buffer.from(`${header}.${body}`), {
    key: privateKey,
    ...(spec.dsaEncoding ? { dsaEncoding: spec.dsaEncoding } : {}),
  });
  return `${header}.${body}.${base64url(signature)}`;
}

function isKeyObject(key: KeyObject | JsonWebKey): key is KeyObject {
  return typeof (key as KeyObject).export === "function" && "asymmetricKeyType" in key;
}

/** Verifies the signature of a decoded token with a public key (KeyObject or JWK). */
export function verifySignature(decoded: DecodedJwt, key: KeyObject | JsonWebKey): void {
  const spec = ALGORITHMS[decoded.header.alg];
  if (!spec) throw new JwtError("signature", `unsupported alg ${decoded.header.alg}`);
  let publicKey: KeyObject;
  try {
    publicKey = isKeyObject(key) ? key : createPublicKey({ key, format: "jwk" });
  } catch {
    throw new JwtError("unknownKey", "signing key cannot be read");
  }
  const keyType = publicKey.asymmetricKeyType;
  if ((decoded.header.alg === "RS256") !== (keyType === "rsa")) {
    throw new JwtError("signature", `alg ${decoded.header.alg} does not match the key type`);
  }
  const ok = verify(
    spec.hash,
    Buffer.from(decoded.signingInput),
    { key: publicKey, ...(spec.dsaEncoding ? { dsaEncoding: spec.dsaEncoding } : {}) },
    decoded.signature,
  );
  if (!ok) throw new JwtError("signature", "signature does not verify");
}

/** What {@link checkClaims} requires. */
export interface ClaimExpectations {
  /** Required `iss` (exact match). */
  issuer: string | readonly string[];
  /** At least one of these must be in `aud`. */
  audiences: readonly string[];
  /** Current time, seconds since the epoch. */
  nowSeconds: number;
  /** Allowed clock skew, seconds. Default 0. */
  leewaySeconds?: number;
}

/** Pure: checks iss, aud, exp and nbf; throws JwtError naming the failed check. */
export function checkClaims(claims: JwtClaims, expect: ClaimExpectations): void {
  const leeway = expect.leewaySeconds ?? 0;
  const issuers = typeof expect.issuer === "string" ? [expect.issuer] : expect.issuer;
  if (typeof claims.iss !== "string" || !issuers.includes(claims.iss)) {
    throw new JwtError("issuer", `issuer ${JSON.stringify(claims.iss ?? null)} is not accepted`);
  }
  const aud = typeof claims.aud === "string" ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
  if (!aud.some((a) => expect.audiences.includes(a))) {
    throw new JwtError("audience", `audience ${JSON.stringify(aud)} is not accepted`);
  }
  if (typeof claims.exp !== "number" || claims.exp + leeway <= expect.nowSeconds) {
    throw new JwtError("expired", "token is expired");
  }
  if (typeof claims.nbf === "number" && claims.nbf - leeway > expect.nowSeconds) {
    throw new JwtError("notYetValid", "token is not valid yet");
  }
}

/** Pure: the audience list of a token as an array. */
export function audiencesOf(claims: JwtClaims): string[] {
  return typeof claims.aud === "string" ? [claims.aud] : Array.isArray(claims.aud) ? [...claims.aud] : [];
}
