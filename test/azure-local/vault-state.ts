/**
 * The contents of one emulated vault: its secrets, keys and certificates (each a versioned, soft-deletable
 * store) and the last operation of each certificate. Held in memory; every change is reported to `onChange`, which
 * persistence.ts uses to keep it in the stand-in's state folder (a restart keeps it, as a real vault is durable).
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

/** The collections of a vault, as persistence names them. */
export const COLLECTION_NAMES = ["secrets", "keys", "certificates"] as const;
/** One of {@link COLLECTION_NAMES}. */
export type CollectionName = (typeof COLLECTION_NAMES)[number];

/** What changed in a vault: an object of a collection, or a certificate's last operation. */
export type VaultChange =
  | { kind: "object"; collection: CollectionName; name: string }
  | { kind: "certificateOperation"; name: string };

/** A Map that reports each set/delete (the certificate operations). */
class ObservedMap<V> extends Map<string, V> {
  onChange: ((key: string) => void) | undefined;

  override set(key: string, value: V): this {
    super.set(key, value);
    this.onChange?.(key);
    return this;
  }

  override delete(key: string): boolean {
    const had = super.delete(key);
    if (had) this.onChange?.(key);
    return had;
  }
}

/** One emulated vault. */
export class VaultState {
  readonly name: string;
  readonly purgeProtection: boolean;
  readonly secrets: VersionedStore<SecretData>;
  readonly keys: VersionedStore<KeyData>;
  readonly certificates: VersionedStore<CertificateData>;
  /** Last create/import operation per certificate name (lower-case), as `GET /certificates/{name}/pending` returns it. */
  readonly certificateOperations = new ObservedMap<Record<string, unknown>>();

  constructor(name: string, options: { purgeProtection?: boolean; nowSeconds?: () => number } = {}) {
    this.name = name;
    this.purgeProtection = options.purgeProtection ?? false;
    this.secrets = new VersionedStore(options.nowSeconds);
    this.keys = new VersionedStore(options.nowSeconds);
    this.certificates = new VersionedStore(options.nowSeconds);
  }

  /** The store of a collection. */
  collection(name: CollectionName): VersionedStore<SecretData | KeyData | CertificateData> {
    return this[name] as VersionedStore<SecretData | KeyData | CertificateData>;
  }

  /** Reports every later change (one listener). */
  observe(listener: (change: VaultChange) => void): void {
    for (const collection of COLLECTION_NAMES) {
      this.collection(collection).onChange = (name) => listener({ kind: "object", collection, name });
    }
    this.certificateOperations.onChange = (name) => listener({ kind: "certificateOperation", name });
  }
}
