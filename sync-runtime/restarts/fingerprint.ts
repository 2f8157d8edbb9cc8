/**
 * Pure fingerprints of restart sources. A Secret's fingerprint is the runtime's one keyed Secret fingerprint
 * (sync/hash.ts `secretFingerprint`, HMAC-SHA256 of its type and data), so neither it nor the restart hash built
 * from it can be used to guess a low-entropy value; the values themselves are never kept.
 */
import { createHash } from "node:crypto";

/** The parts of a Secret a fingerprint reads. */
export interface SecretContent {
  type?: string;
  /** base64 values, as the API returns them. */
  data?: Record<string, string>;
}

/** One mounted object version recorded in a SecretProviderClassPodStatus (`status.objects[]`). */
export interface MountedObject {
  id?: string;
  version?: string;
}

/** The versions of a SecretProviderClassPodStatus as sorted `id@version` strings (not secret). */
export function mountedVersions(objects: readonly MountedObject[] | undefined): string[] {
  return (objects ?? [])
    .filter((o) => o.id !== undefined)
    .map((o) => `${o.id}@${o.version ?? ""}`)
    .sort();
}

/** Fingerprint of a list of mounted versions. */
export function versionsFingerprint(versions: readonly string[]): string {
  return createHash("sha256").update(versions.join("\n")).digest("hex");
}

/** Entry of the restart hash: one watched source and its fingerprint. */
export interface HashEntry {
  source: "secret" | "spc";
  name: string;
  fingerprint: string;
}

/** The value written to the pod-template annotation: a hash of the state of every source the workload watches. */
export function restartHash(entries: readonly HashEntry[]): string {
  const lines = entries.map((e) => `${e.source}/${e.name}=${e.fingerprint}`).sort();
  return createHash("sha256")
    .update(`keyfleet-restart-v1\n${lines.join("\n")}`)
    .digest("hex")
    .slice(0, 32);
}
