/**
 * Pure builders of the custom resources a SecretSyncSet declares (table-tested in properties.test.ts):
 * SecretProviderClass parameters, SecretSync specs, CSI-driver `secretObjects` (add-on engine) and AKVSync specs.
 */
import { stringify } from "yaml";
import { withoutUndefined } from "../../common/objects.ts";
import type { ObjectType } from "../../common/vocabulary.ts";

/** Annotation a Secret carries so Reloader-style restarts fire when it changes. */
export const RESTART_MATCH_ANNOTATION = "reloader.stakater.com/match";
/** Cloud name in SecretProviderClass parameters. */
export const DEFAULT_CLOUD_NAME = "AzurePublicCloud";

/** One vault object of a synced Secret. */
export interface SyncedObject {
  objectName: string;
  /** Default "secret". */
  objectType?: ObjectType;
  /** Data key in the Secret. Default objectName. */
  key?: string;
  /** Default latest. */
  objectVersion?: string;
  /** Newest versions to keep (>= 1). Default 1. */
  versionHistory?: number;
}

/** One Kubernetes Secret to keep in step. */
export interface SyncedSecret {
  /** Secret (and SecretSync / SecretProviderClass) name. */
  name: string;
  /** Default "Opaque". */
  type?: string;
  /** Annotate for Reloader-style restarts. Default false. */
  restartWorkloads?: boolean;
  objects: SyncedObject[];
}

/** The identity/vault half of SecretProviderClass parameters. */
export interface ProviderIdentity {
  keyvaultName: string;
  tenantId: string;
  clientId: string;
  cloudName?: string;
}

/** Alias (file name / sourcePath) of an object: its data key, so two objects of one Secret never collide. */
export function objectAlias(o: SyncedObject): string {
  return o.key ?? o.objectName;
}

/** `parameters.objects`: a YAML string holding `array:` of YAML strings (the CSI provider's format). */
export function spcObjectsParameter(objects: readonly SyncedObject[]): string {
  const items = objects.map((o) =>
    stringify({
      objectName: o.objectName,
      objectType: o.objectType ?? "secret",
      objectAlias: objectAlias(o),
      objectVersion: o.objectVersion || undefined,
      objectVersionHistory: (o.versionHistory ?? 1) > 1 ? o.versionHistory : undefined,
    }),
  );
  return stringify({ array: items });
}

/** SecretProviderClass `spec.parameters` (all strings, as the provider reads them). */
export function spcParameters(
  identity: ProviderIdentity,
  objects: readonly SyncedObject[],
): Record<string, string> {
  return {
    usePodIdentity: "false",
    clientID: identity.clientId,
    keyvaultName: identity.keyvaultName,
    tenantID: identity.tenantId,
    cloudName: identity.cloudName ?? DEFAULT_CLOUD_NAME,
    objects: spcObjectsParameter(objects),
  };
}

/** (sourcePath, targetKey) pairs: version 0 under the key, older ones under `<key>-v<n>`. */
export function secretDataMapping(
  objects: readonly SyncedObject[],
): Array<{ sourcePath: string; targetKey: string }> {
  return objects.flatMap((o) => {
    const alias = objectAlias(o);
    const history = o.versionHistory ?? 1;
    if (history <= 1) return [{ sourcePath: alias, targetKey: alias }];
    return Array.from({ length: history }, (_, i) => ({
      sourcePath: `${alias}/${i}`,
      targetKey: i === 0 ? alias : `${alias}-v${i}`,
    }));
  });
}

/** Annotations on the synced Secret. */
export function secretAnnotations(secret: SyncedSecret): Record<string, string> {
  return secret.restartWorkloads ? { [RESTART_MATCH_ANNOTATION]: "true" } : {};
}

/** SecretSync `spec`. */
export function secretSyncSpec(secret: SyncedSecret, serviceAccountName: string) {
  return {
    serviceAccountName,
    secretProviderClassName: secret.name,
    secretObject: {
      type: secret.type ?? "Opaque",
      data: secretDataMapping(secret.objects),
      labels: { "app.kubernetes.io/managed-by": "keyfleet" },
      annotations: secretAnnotations(secret),
    },
  };
}

/** CSI-driver sync (`spec.secretObjects`) for the add-on engine: the Secret exists while a pod mounts it. */
export function csiSecretObjects(secret: SyncedSecret) {
  return [
    {
      secretName: secret.name,
      type: secret.type ?? "Opaque",
      labels: { "app.kubernetes.io/managed-by": "keyfleet" },
      annotations: secretAnnotations(secret),
      data: secretDataMapping(secret.objects).map((m) => ({ objectName: m.sourcePath, key: m.targetKey })),
    },
  ];
}

/** One AKVSync `spec.objects[]` item: always the compound form, so configured data keys are kept. */
export function akvSyncItem(secret: SyncedSecret) {
  return withoutUndefined({
    kubernetesSecretName: secret.name,
    kubernetesSecretType: secret.type ?? "Opaque",
    annotations: secret.restartWorkloads ? secretAnnotations(secret) : undefined,
    mapping: secret.objects.map((o) =>
      withoutUndefined({
        dataKey: objectAlias(o),
        [o.objectType === "cert" ? "certInAKV" : "secretInAKV"]: o.objectName,
        version: o.objectVersion || undefined,
      }),
    ),
  });
}

/** AKVSync `spec`. */
export function akvSyncSpec(
  identity: ProviderIdentity,
  serviceAccountName: string,
  secrets: readonly SyncedSecret[],
) {
  return {
    keyvaultName: identity.keyvaultName,
    clientID: identity.clientId,
    tenantID: identity.tenantId,
    serviceAccountName,
    objects: secrets.map(akvSyncItem),
  };
}
