/**
 * The local identity endpoint's access tokens: RS256, shaped like Entra ID app-only tokens (`aud` from the
 * requested scope, `appid`/`oid` = client id, `tid`, short expiry). The signing key is generated once and kept in
 * the state folder (persistence.ts), so a restart keeps issued tokens valid; {@link TokenIssuer.rotate} rolls it
 * over, after which tokens signed with the old key are refused (as after an Entra key rollover). The vault
 * emulator verifies tokens in-process with {@link TokenIssuer.verify}.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  type KeyObject,
} from "node:crypto";
import { checkClaims, decodeJwt, JwtError, signJwt, verifySignature, type JwtClaims } from "./jwt.ts";

/** Resource (audience) of Key Vault's data plane. */
export const VAULT_RESOURCE = "https://vault.azure.net";
/** Well-known app id of Azure Key Vault (also accepted as audience). */
export const VAULT_APP_ID = "cfa8b339-82a2-471a-a3c9-0fc0be7a4093";

/** Claims of an access token minted here. */
export interface AccessTokenClaims extends JwtClaims {
  aud: string;
  iss: string;
  exp: number;
  appid: string;
  oid: string;
  tid: string;
}

/** Options of {@link TokenIssuer}. */
export interface TokenIssuerOptions {
  /** `https://127.0.0.1:<identityPort>` (the authority host). */
  authorityHost: string;
  /** The tenant served. */
  tenantId: string;
  /** Lifetime of tokens, seconds. Default 600. */
  lifetimeSeconds?: number;
  /** Clock, ms. Default Date.now. */
  nowMs?: () => number;
  /** The signing key to use (a persisted one). Default: a new key. */
  signingKey?: SigningKey;
}

/** A token-signing key as persisted: key id and PKCS#8 PEM private key. */
export interface SigningKey {
  kid: string;
  privateKeyPem: string;
}

/** A new RSA-2048 signing key. */
export function newSigningKey(): SigningKey {
  const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    kid: randomBytes(12).toString("base64url"),
    privateKeyPem: pair.privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
  };
}

/** Pure: the resource of a client-credentials scope list (`<resource>/.default`), or an error naming the problem. */
export function resourceFromScopes(scope: string): { resource?: string; error?: string } {
  const scopes = scope
    .split(/\s+/)
    .filter(Boolean)
    .filter((s) => !["openid", "profile", "offline_access"].includes(s));
  if (scopes.length !== 1) return { error: "exactly one resource scope is required" };
  const only = scopes[0]!;
  if (!only.endsWith("/.default")) {
    return {
      error:
        "client credential flows must have a scope value with /.default suffixed to the resource identifier",
    };
  }
  const resource = only.slice(0, -"/.default".length);
  return resource ? { resource } : { error: "the scope names no resource" };
}

/** See module doc. */
export class TokenIssuer {
  private key!: SigningKey;
  private privateKey!: KeyObject;
  private publicKey!: KeyObject;
  private readonly options: Required<Omit<TokenIssuerOptions, "signingKey">>;

  constructor(options: TokenIssuerOptions) {
    const { signingKey, ...rest } = options;
    this.options = { lifetimeSeconds: 600, nowMs: Date.now, ...rest };
    this.use(signingKey ?? newSigningKey());
  }

  private use(key: SigningKey): void {
    this.key = key;
    this.privateKey = createPrivateKey(key.privateKeyPem);
    this.publicKey = createPublicKey(this.privateKey);
  }

  /** Id of the current signing key. */
  get kid(): string {
    return this.key.kid;
  }

  /** The current signing key (for persistence). */
  signingKey(): SigningKey {
    return this.key;
  }

  /** Rolls the signing key over: from now on tokens signed with the old key are refused. Returns the new key. */
  rotate(): SigningKey {
    this.use(newSigningKey());
    return this.key;
  }

  /** `iss` of tokens for a tenant (Entra v2 style, on the local authority). */
  issuer(tenantId = this.options.tenantId): string {
    return `${this.options.authorityHost}/${tenantId}/v2.0`;
  }

  /** The tenant served. */
  get tenantId(): string {
    return this.options.tenantId;
  }

  /** Public signing keys as a JWKS. */
  jwks(): { keys: Array<Record<string, unknown>> } {
    return {
      keys: [{ ...this.publicKey.export({ format: "jwk" }), kid: this.kid, use: "sig", alg: "RS256" }],
    };
  }

  /** Mints an access token for a client and a resource. `lifetimeSeconds` may be ≤ 0 to mint expired tokens for tests. */
  mint(input: { clientId: string; resource: string; lifetimeSeconds?: number }): {
    accessToken: string;
    expiresInSeconds: number;
    expiresOn: number;
  } {
    const now = Math.floor(this.options.nowMs() / 1000);
    const lifetime = input.lifetimeSeconds ?? this.options.lifetimeSeconds;
    const claims: AccessTokenClaims = {
      aud: input.resource,
      iss: this.issuer(),
      iat: Math.min(now, now + lifetime - 1),
      nbf: Math.min(now, now + lifetime - 1),
      exp: now + lifetime,
      appid: input.clientId,
      azp: input.clientId,
      oid: input.clientId,
      sub: input.clientId,
      tid: this.options.tenantId,
      idtyp: "app",
      ver: "1.0",
      uti: randomUUID(),
    };
    return {
      accessToken: signJwt(claims, this.privateKey, this.kid),
      expiresInSeconds: lifetime,
      expiresOn: claims.exp,
    };
  }

  /** Verifies a token for the vault: signature, issuer, audience (Key Vault), expiry. Throws JwtError. */
  verify(token: string): AccessTokenClaims {
    const decoded = decodeJwt(token);
    if (decoded.header.kid !== this.kid)
      throw new JwtError("unknownKey", "token is not signed by this authority");
    verifySignature(decoded, this.publicKey);
    checkClaims(decoded.claims, {
      issuer: this.issuer(),
      audiences: [VAULT_RESOURCE, `${VAULT_RESOURCE}/`, VAULT_APP_ID],
      nowSeconds: Math.floor(this.options.nowMs() / 1000),
      leewaySeconds: 0,
    });
    const claims = decoded.claims as AccessTokenClaims;
    if (typeof claims.oid !== "string" || typeof claims.appid !== "string") {
      throw new JwtError("malformed", "token has no oid/appid");
    }
    return claims;
  }
}
