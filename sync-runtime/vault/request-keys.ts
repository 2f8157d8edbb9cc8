/** Validation and cache keys for {@link ObjectRequest}s (pure). */
import { AllowedValue, ProviderMessage } from "./messages.ts";
import type { MessageSubject } from "./messages.ts";
import { NamePattern, identityKey, objectKey } from "./provider.ts";
import type { ObjectVersionRecord, VaultObjectRef } from "./provider.ts";
import { ObjectType, ProviderErrorKind } from "./types.ts";
import type { FetchedVersion, ObjectRequest, ProviderErrorInfo } from "./types.ts";

/** Largest `objectVersionHistory` accepted. */
export const MAX_VERSION_HISTORY = 200;

/** What a request selects: the latest version, one pinned version, or a history. */
export type VersionSelector =
  | { kind: "latest" }
  | { kind: "pinned"; version: string }
  | { kind: "history"; count: number; pinnedVersion?: string };

/** The object a request names. */
export function refOf(request: ObjectRequest): VaultObjectRef {
  return {
    vaultName: request.vaultName,
    objectType: request.objectType ?? ObjectType.secret,
    objectName: request.objectName,
  };
}

/** The selector a request means. */
export function selectorOf(request: ObjectRequest): VersionSelector {
  const history = request.versionHistory ?? 1;
  const pinned = request.objectVersion ? request.objectVersion : undefined;
  if (history > 1)
    return pinned
      ? { kind: "history", count: history, pinnedVersion: pinned }
      : { kind: "history", count: history };
  return pinned ? { kind: "pinned", version: pinned } : { kind: "latest" };
}

/** Key under which identical requests are coalesced: object, selector and the full identity. */
export function requestKey(request: ObjectRequest): string {
  const s = selectorOf(request);
  const selector =
    s.kind === "latest"
      ? "latest"
      : s.kind === "pinned"
        ? `v:${s.version}`
        : `h:${s.count}:${s.pinnedVersion ?? ""}`;
  return `${objectKey(refOf(request))}\u0000${selector}\u0000${identityKey(request.identity)}`;
}

/** Checks a request before anything is spent on it; returns the error, or undefined when valid. */
export function validateRequest(request: ObjectRequest): ProviderErrorInfo | undefined {
  const ref = refOf(request);
  const subject: MessageSubject = {
    ...ref,
    version: request.objectVersion || undefined,
  };
  const invalid = (field: string, allowed: string): ProviderErrorInfo => ({
    kind: ProviderErrorKind.invalidRequest,
    message: ProviderMessage.invalidName(subject, field, allowed),
  });
  if (typeof ref.vaultName !== "string" || !NamePattern.vault.test(ref.vaultName))
    return invalid("keyvaultName", AllowedValue.vaultName);
  if (typeof ref.objectName !== "string" || !NamePattern.object.test(ref.objectName))
    return invalid("objectName", AllowedValue.objectName);
  if (!Object.values(ObjectType).includes(ref.objectType))
    return invalid("objectType", Object.values(ObjectType).join(", "));
  if (request.objectVersion && !NamePattern.version.test(request.objectVersion))
    return invalid("objectVersion", AllowedValue.objectVersion);
  const history = request.versionHistory;
  if (
    history !== undefined &&
    !(Number.isInteger(history) && history >= 1 && history <= MAX_VERSION_HISTORY)
  ) {
    return invalid("objectVersionHistory", AllowedValue.versionHistory);
  }
  const id = request.identity;
  if (!id || !id.namespace || !id.serviceAccountName || !id.tenantId || !id.clientId) {
    return invalid("identity (namespace, serviceAccountName, tenantID, clientID)", "all four set");
  }
  return undefined;
}

/** Cache key of one immutable version's content. */
export function valueKey(ref: VaultObjectRef, version: string): string {
  return `${objectKey(ref)}\u0000${version}`;
}

/** Converts a stored record to what the reconciler receives (a copy of the bytes, so callers cannot corrupt the cache). */
export function toFetched(record: ObjectVersionRecord, index: number): FetchedVersion {
  return {
    index,
    version: record.version,
    id: record.id,
    value: Buffer.from(record.value),
    contentType: record.contentType || undefined,
  };
}
