/**
 * Pure expansion of a validated AKVSync into the SecretProviderClass and SecretSync objects that serve it.
 * One SecretProviderClass per item (only the vault objects that item needs, so one failing object never holds
 * up another item) and one SecretSync per Kubernetes Secret (a tls item with history yields `<name>-v0..`).
 * Names are deterministic; every object carries one controller ownerReference to the AKVSync and the
 * generated-by labels.
 */
import { createHash } from "node:crypto";
import { stringify } from "yaml";
import { AKVSYNC, SECRET_PROVIDER_CLASS, SECRET_SYNC } from "../../common/vocabulary.ts";
import { GeneratedAnnotation, GeneratedLabel, SecretType } from "./constants.ts";
import type { ParsedSpec } from "./schema.ts";
import type { CompoundItem, OwnerReference, SingleObjectItem, ValidItem } from "./types.ts";

/** The AKVSync being expanded (identity only). */
export interface AkvSyncRef {
  name: string;
  namespace: string;
  uid: string;
}

/** A generated object, ready for server-side apply. */
export interface GeneratedObject {
  apiVersion: string;
  kind: "SecretProviderClass" | "SecretSync";
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    ownerReferences: OwnerReference[];
  };
  spec: Record<string, unknown>;
}

/** What one item expands into. */
export interface ItemExpansion {
  index: number;
  /** The item's base Secret name (the `keyfleet.io/akvsync-secret` annotation on every generated object). */
  baseSecretName: string;
  secretProviderClass: GeneratedObject;
  secretSyncs: GeneratedObject[];
}

/** One entry of the SecretProviderClass `objects` array. */
interface SpcObject {
  objectName: string;
  objectAlias: string;
  objectType: "secret";
  objectVersion?: string;
  objectVersionHistory?: number;
  objectFormat?: "pem";
}

const MAX_NAME = 253;
const MAX_LABEL = 63;

function shortHash(text: string, length = 10): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** Bounds a generated name: kept as is when short enough, else truncated with a hash suffix. */
export function boundedName(name: string, max = MAX_NAME): string {
  if (name.length <= max) return name;
  const head = name.slice(0, max - 11).replace(/[-.]+$/, "");
  return `${head}-${shortHash(name)}`;
}

/** A label-safe form of a name (≤ 63 characters; long names are truncated with a hash suffix). */
export function labelValue(name: string): string {
  return boundedName(name, MAX_LABEL);
}

/** Name of the SecretProviderClass generated for an item. */
export function secretProviderClassName(akvName: string, baseSecretName: string): string {
  return boundedName(`${akvName}-${baseSecretName}`);
}

/** The controller ownerReference every generated object carries. */
export function ownerReferenceTo(akv: AkvSyncRef): OwnerReference {
  return {
    apiVersion: AKVSYNC.apiVersion,
    kind: AKVSYNC.kind,
    name: akv.name,
    uid: akv.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

function metadataFor(akv: AkvSyncRef, name: string, item: ValidItem): GeneratedObject["metadata"] {
  return {
    name,
    namespace: akv.namespace,
    labels: {
      [GeneratedLabel.generated]: "true",
      [GeneratedLabel.owner]: labelValue(akv.name),
      [GeneratedLabel.secretName]: labelValue(item.secretName),
    },
    annotations: {
      [GeneratedAnnotation.owner]: akv.name,
      [GeneratedAnnotation.itemIndex]: String(item.index),
      [GeneratedAnnotation.secretName]: item.secretName,
    },
    ownerReferences: [ownerReferenceTo(akv)],
  };
}

/** Data key a single-object Secret uses when there is no history. */
function singleDataKeys(item: SingleObjectItem): string[] {
  switch (item.secretType) {
    case SecretType.tls:
      return ["tls.crt", "tls.key"];
    case SecretType.dockerConfigJson:
      return [".dockerconfigjson"];
    case SecretType.sshAuth:
      return ["ssh-privatekey"];
    default:
      return [item.objectName];
  }
}

function sourcePath(alias: string, historyCount: number, index: number): string {
  return historyCount > 1 ? `${alias}/${index}` : alias;
}

/**
 * Alias of a pinned version of an object: a valid sourcePath under the SecretSync CRD's pattern (letters, digits,
 * '-', '.', '_') that no Key Vault object name can take (Key Vault names never hold a '.').
 */
export function pinnedAlias(objectName: string, version: string): string {
  return `${objectName}-version.${version}`;
}

type SecretData = Array<{ sourcePath: string; targetKey: string }>;

/** SPC objects and Secret data layouts (one per generated Secret) of a single-object item. */
function layoutSingle(item: SingleObjectItem): {
  objects: SpcObject[];
  secrets: Array<{ name: string; data: SecretData }>;
} {
  const history = item.versionHistory;
  const object: SpcObject = {
    objectName: item.objectName,
    objectAlias: item.objectName,
    objectType: "secret",
    objectVersionHistory: history !== undefined && history > 1 ? history : undefined,
    objectFormat: item.objectKind === "cert" ? ("pem" as const) : undefined,
  };
  const count = history ?? 1;
  if (item.secretType === SecretType.tls && history !== undefined) {
    const secrets = Array.from({ length: history }, (_, i) => ({
      name: `${item.secretName}-v${i}`,
      data: ["tls.crt", "tls.key"].map((targetKey) => ({
        sourcePath: sourcePath(item.objectName, count, i),
        targetKey,
      })),
    }));
    return { objects: [object], secrets };
  }
  const data: SecretData =
    history !== undefined
      ? Array.from({ length: history }, (_, i) => ({
          sourcePath: sourcePath(item.objectName, count, i),
          targetKey: `v${i}`,
        }))
      : singleDataKeys(item).map((targetKey) => ({ sourcePath: item.objectName, targetKey }));
  return { objects: [object], secrets: [{ name: item.secretName, data }] };
}

/** SPC objects and Secret data of a compound item: history indexes share one object, pinned versions get their own. */
function layoutCompound(item: CompoundItem): {
  objects: SpcObject[];
  secrets: Array<{ name: string; data: SecretData }>;
} {
  const latest = new Map<string, { count: number; pem: boolean }>();
  const pinned = new Map<string, SpcObject>();
  for (const entry of item.mapping) {
    if (typeof entry.version === "number") {
      const seen = latest.get(entry.objectName) ?? { count: 1, pem: false };
      latest.set(entry.objectName, {
        count: Math.max(seen.count, entry.version + 1),
        pem: seen.pem || entry.objectKind === "cert",
      });
    } else {
      const alias = pinnedAlias(entry.objectName, entry.version);
      const existing = pinned.get(alias);
      pinned.set(alias, {
        objectName: entry.objectName,
        objectAlias: alias,
        objectType: "secret",
        objectVersion: entry.version,
        objectFormat: entry.objectKind === "cert" || existing?.objectFormat ? ("pem" as const) : undefined,
      });
    }
  }
  const objects: SpcObject[] = [...latest.entries()].map(([name, seen]) => ({
    objectName: name,
    objectAlias: name,
    objectType: "secret",
    objectVersionHistory: seen.count > 1 ? seen.count : undefined,
    objectFormat: seen.pem ? ("pem" as const) : undefined,
  }));
  objects.push(...pinned.values());
  const data: SecretData = item.mapping.map((entry) =>
    typeof entry.version === "number"
      ? {
          sourcePath: sourcePath(entry.objectName, latest.get(entry.objectName)?.count ?? 1, entry.version),
          targetKey: entry.dataKey,
        }
      : { sourcePath: pinnedAlias(entry.objectName, entry.version), targetKey: entry.dataKey },
  );
  return { objects, secrets: [{ name: item.secretName, data }] };
}

/** The SecretProviderClass `objects` parameter: a YAML string holding `array:` of YAML strings. */
export function objectsParameter(objects: readonly SpcObject[]): string {
  return stringify({ array: objects.map((object) => stringify(object)) });
}

/** Expands one validated item. */
export function expandItem(
  akv: AkvSyncRef,
  spec: Omit<ParsedSpec, "objects">,
  item: ValidItem,
): ItemExpansion {
  const layout = item.shape === "single" ? layoutSingle(item) : layoutCompound(item);
  const spcName = secretProviderClassName(akv.name, item.secretName);
  const secretProviderClass: GeneratedObject = {
    apiVersion: SECRET_PROVIDER_CLASS.apiVersion,
    kind: "SecretProviderClass",
    metadata: metadataFor(akv, spcName, item),
    spec: {
      provider: "azure",
      parameters: {
        keyvaultName: spec.keyvaultName,
        clientID: spec.clientID,
        tenantID: spec.tenantID,
        objects: objectsParameter(layout.objects),
      },
    },
  };
  const secretSyncs = layout.secrets.map((secret): GeneratedObject => ({
    apiVersion: SECRET_SYNC.apiVersion,
    kind: "SecretSync",
    metadata: metadataFor(akv, secret.name, item),
    spec: {
      serviceAccountName: spec.serviceAccountName,
      secretProviderClassName: spcName,
      forceSynchronization: spec.forceSynchronization,
      secretObject: {
        type: item.secretType,
        data: secret.data,
        labels: Object.keys(item.labels).length > 0 ? item.labels : undefined,
        annotations: Object.keys(item.annotations).length > 0 ? item.annotations : undefined,
      },
    },
  }));
  return { index: item.index, baseSecretName: item.secretName, secretProviderClass, secretSyncs };
}

/** Expands every valid item, in spec order. */
export function expandAkvSync(
  akv: AkvSyncRef,
  spec: Omit<ParsedSpec, "objects">,
  items: readonly ValidItem[],
): ItemExpansion[] {
  return items.map((item) => expandItem(akv, spec, item));
}
