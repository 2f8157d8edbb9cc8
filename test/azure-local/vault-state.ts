/**
 * The contents of one emulated vault: its secrets, keys and certificates (each a versioned, soft-deletable
 * store) and the last operation of each certificate. In memory only; a restart starts empty.
 */
import type { webcrypto } from "node:crypto";
import { VersionedStore } from "./vault-store.ts";

/** Payload of a secret version. A certificate's backing secret carries its key's path (`keys/<name>/<version>`). */
export interface SecretData {
  value: string;
  contentType?: string;
  kidPath?: string;
}

/** Payload of a key version: the full JWK (private parts stay server-side) and its allowed operations. */
export interface KeyData {
  jwk: webcrypto.JsonWebKey;
  kty: string;
  keyOps: string[];
}

/** Payload of a certificate version. */
export interface CertificateData {
  /** DER of the leaf certificate, base64. */
  cerBase64: string;
  /** SHA-1 thumbprint, base64url. */
  x5t: string;
  /** Certificate validity (seconds since the epoch), reported as nbf/exp. */
  notBefore: number;
  notAfter: number;
  /** The policy in effect for this version (wire JSON). */
  policy: Record<string, unknown>;
}

/** One emulated vault. */
export class VaultState {
  readonly name: string;
  readonly purgeProtection: boolean;
  readonly secrets: VersionedStore<SecretData>;
  readonly keys: VersionedStore<KeyData>;
  readonly certificates: VersionedStore<CertificateData>;
  /** Last create/import operation per certificate name (lower-case), as `GET /certificates/{name}/pending` returns it. */
  readonly certificateOperations = new Map<string, Record<string, unknown>>();

  constructor(name: string, options: { purgeProtection?: boolean; nowSeconds?: () => number } = {}) {
    this.name = name;
    this.purgeProtection = options.purgeProtection ?? false;
    this.secrets = new VersionedStore(options.nowSeconds);
    this.keys = new VersionedStore(options.nowSeconds);
    this.certificates = new VersionedStore(options.nowSeconds);
  }
}
