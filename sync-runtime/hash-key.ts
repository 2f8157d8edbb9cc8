/**
 * The per-runtime HMAC key of syncHash: given by flag/env (base64, >= 32 bytes), or kept in a Secret of the
 * runtime namespace (created on first start; every replica reads the same one so hashes agree).
 */
import { randomBytes } from "node:crypto";
import type { SecretResource } from "./sync/types.ts";

/** Name of the Secret holding the key. */
export const HASH_KEY_SECRET_NAME = "keyfleet-sync-hash-key";
/** Data key inside it. */
export const HASH_KEY_DATA_KEY = "key";
/** Minimum key length, bytes. */
export const MIN_HASH_KEY_BYTES = 32;

/** The Kubernetes calls used (KubeClient implements them). */
export interface HashKeyKube {
  readSecret(namespace: string, name: string): Promise<SecretResource | undefined>;
  createSecret(
    namespace: string,
    name: string,
    data: Record<string, string>,
    labels: Record<string, string>,
  ): Promise<boolean>;
}

/** Decodes and checks a base64 key. @throws naming the flag when too short. */
export function parseHashKey(base64: string, source: string): Buffer {
  const key = Buffer.from(base64, "base64");
  if (key.length < MIN_HASH_KEY_BYTES) {
    throw new Error(`${source}: the sync hash key must be base64 of at least ${MIN_HASH_KEY_BYTES} bytes`);
  }
  return key;
}

/** Loads the key Secret, creating it (random 32 bytes) when absent; a concurrent creator wins and is read back. */
export async function loadOrCreateHashKey(kube: HashKeyKube, namespace: string): Promise<Buffer> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await kube.readSecret(namespace, HASH_KEY_SECRET_NAME);
    const value = existing?.data?.[HASH_KEY_DATA_KEY];
    if (value) return parseHashKey(value, `Secret ${namespace}/${HASH_KEY_SECRET_NAME}`);
    await kube.createSecret(
      namespace,
      HASH_KEY_SECRET_NAME,
      { [HASH_KEY_DATA_KEY]: randomBytes(MIN_HASH_KEY_BYTES).toString("base64") },
      { "app.kubernetes.io/managed-by": "keyfleet" },
    );
  }
  throw new Error(`could not read or create Secret ${namespace}/${HASH_KEY_SECRET_NAME}`);
}
