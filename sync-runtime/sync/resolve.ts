/**
 * Pure resolution between a SecretSync's `sourcePath`s, its SecretProviderClass's objects and the vault layer:
 * which objects to request, and how fetched versions become Secret data items (with a per-item outcome).
 */
import type { FetchResult, ObjectRequest, ProviderErrorInfo } from "../vault/types.ts";
import { convertObject, needsPkcs12Reader, tlsPart } from "./convert.ts";
import type { Pkcs12Reader } from "./pkcs12.ts";
import type { SpcObject, SyncedObjectVersion, ValidSecretSync, ValidSpc } from "./types.ts";

/** Where a sourcePath points: an object of the class and a version position (0 = newest or pinned). */
export interface SourceRef {
  objectIndex: number;
  versionIndex: number;
}

/** The id an object is addressed by: its alias, else its name. */
export function objectIdOf(object: SpcObject): string {
  return object.objectAlias || object.objectName;
}

/**
 * Every sourcePath a class offers (pure): `<id>` for each object (newest/pinned version), and `<id>/<i>` for
 * i in [0, objectVersionHistory) when history is requested.
 */
export function sourcePathsOf(spc: ValidSpc): Map<string, SourceRef> {
  const paths = new Map<string, SourceRef>();
  spc.objects.forEach((object, objectIndex) => {
    const id = objectIdOf(object);
    paths.set(id, { objectIndex, versionIndex: 0 });
    for (let i = 0; i < object.objectVersionHistory; i++) {
      paths.set(`${id}/${i}`, { objectIndex, versionIndex: i });
    }
  });
  return paths;
}

/** Requests for the objects a SecretSync uses, and for each data item which request/version feeds it. */
export interface SyncPlan {
  requests: ObjectRequest[];
  /** Index-aligned with the SecretSync's data items. */
  items: Array<{ requestIndex: number; versionIndex: number; object: SpcObject; objectId: string }>;
}

/** Builds the vault requests of a SecretSync: only the objects its data items use, each once (pure). */
export function planRequests(sync: ValidSecretSync, spc: ValidSpc): SyncPlan {
  const paths = sourcePathsOf(spc);
  const requestIndexByObject = new Map<number, number>();
  const requests: ObjectRequest[] = [];
  const items = sync.data.map((item) => {
    const ref = paths.get(item.sourcePath);
    if (!ref) throw new Error(`sourcePath ${item.sourcePath} was not checked against the class`);
    const object = spc.objects[ref.objectIndex]!;
    let requestIndex = requestIndexByObject.get(ref.objectIndex);
    if (requestIndex === undefined) {
      requestIndex = requests.length;
      requestIndexByObject.set(ref.objectIndex, requestIndex);
      requests.push({
        vaultName: spc.keyvaultName,
        objectName: object.objectName,
        objectType: object.objectType,
        objectVersion: object.objectVersion || undefined,
        versionHistory: object.objectVersionHistory > 1 ? object.objectVersionHistory : undefined,
        identity: {
          namespace: sync.namespace,
          serviceAccountName: sync.serviceAccountName,
          tenantId: spc.tenantId,
          clientId: spc.clientId,
        },
      });
    }
    return { requestIndex, versionIndex: ref.versionIndex, object, objectId: objectIdOf(object) };
  });
  return { requests, items };
}

/** Outcome of one data item. */
export type ItemOutcome =
  | { ok: true; targetKey: string; sourcePath: string; value: Buffer; objectVersion: SyncedObjectVersion }
  | {
      ok: false;
      targetKey: string;
      sourcePath: string;
      /** Provider failure (ProviderError) or a content problem (UserInputValidationFailed). */
      kind: "provider" | "content";
      message: string;
      provider?: ProviderErrorInfo;
    };

/**
 * True when some item of the plan converts a PKCS#12-stored certificate to PEM, so the caller must load a
 * {@link Pkcs12Reader} before {@link assembleItems} (pure).
 */
export function planNeedsPkcs12(plan: SyncPlan, results: readonly FetchResult[]): boolean {
  return plan.items.some((p) => {
    const result = results[p.requestIndex];
    const version = result?.ok ? result.versions.find((v) => v.index === p.versionIndex) : undefined;
    return version !== undefined && needsPkcs12Reader(p.object, version);
  });
}

/**
 * Turns fetch results into per-item outcomes (pure). `readPkcs12` is needed when {@link planNeedsPkcs12};
 * without it such items fail with an internal-error message.
 */
export function assembleItems(
  sync: ValidSecretSync,
  plan: SyncPlan,
  results: readonly FetchResult[],
  readPkcs12?: Pkcs12Reader,
): ItemOutcome[] {
  return sync.data.map((item, index) => {
    const p = plan.items[index]!;
    const base = { targetKey: item.targetKey, sourcePath: item.sourcePath };
    const result = results[p.requestIndex];
    if (!result) {
      return { ...base, ok: false, kind: "provider", message: `no result for object ${p.objectId}` };
    }
    if (!result.ok)
      return { ...base, ok: false, kind: "provider", message: result.error.message, provider: result.error };
    const version = result.versions.find((v) => v.index === p.versionIndex);
    if (!version) {
      return {
        ...base,
        ok: false,
        kind: "content",
        message: `object ${p.objectId} has no version at position ${p.versionIndex} (it has ${result.versions.length})`,
      };
    }
    const converted = convertObject(p.object, version, p.objectId, readPkcs12);
    if (!converted.ok) return { ...base, ok: false, kind: "content", message: converted.message };
    const split = tlsPart(sync.secretType, item.targetKey, converted.value, p.objectId);
    if (!split.ok) return { ...base, ok: false, kind: "content", message: split.message };
    return {
      ...base,
      ok: true,
      value: split.value,
      objectVersion: { id: item.sourcePath, version: version.version },
    };
  });
}

/** Per-item JSON summary for the PartialSync message (value-free). */
export function partialSummary(outcomes: readonly ItemOutcome[]): string {
  return JSON.stringify(
    outcomes.map((o) =>
      o.ok
        ? { targetKey: o.targetKey, sourcePath: o.sourcePath, synced: true, version: o.objectVersion.version }
        : { targetKey: o.targetKey, sourcePath: o.sourcePath, synced: false, error: o.message },
    ),
  );
}
