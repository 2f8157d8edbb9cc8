/**
 * The keyed, non-reversible syncHash: HMAC-SHA256 with a per-runtime key over the Secret's data and
 * metadata plus the SecretSync's and SecretProviderClass's uid/generation and `forceSynchronization`.
 * A bare digest of the values would let anyone who can read the status confirm a guessed value; the key
 * (kept in a Secret of the runtime namespace, or given by flag) prevents that.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** What the syncHash covers. */
export interface SyncHashInput {
  data: Readonly<Record<string, Buffer>>;
  secretType: string;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  secretSync: { uid: string; generation: number };
  secretProviderClass: { uid: string; generation: number };
  forceSynchronization: string;
}

function sortedEntries<T>(record: Readonly<Record<string, T>>): Array<[string, T]> {
  return Object.keys(record)
    .sort()
    .map((k) => [k, record[k]!]);
}

/** Feeds a length-prefixed field so that no two different inputs share a byte stream. */
function feed(hmac: ReturnType<typeof createHmac>, part: string | Buffer): void {
  const bytes = typeof part === "string" ? Buffer.from(part, "utf8") : part;
  const length = Buffer.alloc(8);
  length.writeBigUInt64BE(BigInt(bytes.length));
  hmac.update(length);
  hmac.update(bytes);
}

/** HMAC of the data bytes only (keys + values), hex (pure). Used to recognise our own writes. */
export function dataFingerprint(
  key: Buffer,
  data: Readonly<Record<string, Buffer>>,
  secretType = "",
): string {
  const hmac = createHmac("sha256", key);
  feed(hmac, "keyfleet-data-v1");
  feed(hmac, secretType);
  for (const [name, value] of sortedEntries(data)) {
    feed(hmac, name);
    feed(hmac, value);
  }
  return hmac.digest("hex");
}

/** Decodes a Secret's base64 data (for fingerprints; pure). */
export function decodeData(data: Readonly<Record<string, string>> | undefined): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(data ?? {})) out[k] = Buffer.from(v, "base64");
  return out;
}

/**
 * The keyed fingerprint of a Secret as the API returns it (type + base64 data; the type defaults to Opaque, as the
 * apiserver's does), hex (pure). The reconciler uses it to recognise its own writes, the restart controller (with a
 * key derived for it) to tell a value change from a no-change write. Never a value, never reversible.
 */
export function secretFingerprint(
  key: Buffer,
  secret: { type?: string; data?: Record<string, string> },
): string {
  return dataFingerprint(key, decodeData(secret.data), secret.type ?? "Opaque");
}

/** The syncHash, hex (pure). */
export function syncHash(key: Buffer, input: SyncHashInput): string {
  const hmac = createHmac("sha256", key);
  feed(hmac, "keyfleet-sync-v1");
  feed(hmac, dataFingerprint(key, input.data, input.secretType));
  for (const [name, value] of sortedEntries(input.labels)) feed(hmac, `l:${name}=${value}`);
  for (const [name, value] of sortedEntries(input.annotations)) feed(hmac, `a:${name}=${value}`);
  feed(hmac, `ss:${input.secretSync.uid}:${input.secretSync.generation}`);
  feed(hmac, `spc:${input.secretProviderClass.uid}:${input.secretProviderClass.generation}`);
  feed(hmac, `force:${input.forceSynchronization}`);
  return hmac.digest("hex");
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
