/** Shapes of the custom resources the reconciler reads and writes (upstream-compatible). */
import type { ObjectMeta, ObjectType } from "../../common/vocabulary.ts";

export type { ObjectMeta, OwnerReference } from "../../common/vocabulary.ts";

/** A status condition (metav1.Condition). */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** One Key Vault object version now in the Secret (like SecretProviderClassPodStatus `objects[]`). */
export interface SyncedObjectVersion {
  /** Object id as the SPC names it: `<alias or name>` or `<name>/<index>`. */
  id: string;
  /** Key Vault version id. */
  version: string;
}

/** SecretSync status as written by the runtime. */
export interface SecretSyncStatus {
  syncHash?: string;
  lastSuccessfulSyncTime?: string;
  conditions?: Condition[];
  objects?: SyncedObjectVersion[];
  observedGeneration?: number;
}

/** A SecretSync as read from the API (spec untrusted until validated). */
export interface SecretSyncResource {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: SecretSyncStatus;
}

/** A SecretProviderClass as read from the API (spec untrusted until validated). */
export interface SecretProviderClassResource {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: unknown;
}

/** A Secret as read from the API. */
export interface SecretResource {
  metadata: ObjectMeta;
  type?: string;
  data?: Record<string, string>;
}

/** `objectEncoding` of an SPC object. */
export type ObjectEncoding = "utf-8" | "hex" | "base64";
/** `objectFormat` of an SPC object. */
export type ObjectFormat = "pem" | "pfx";

/** One validated `objects` entry of a SecretProviderClass. */
export interface SpcObject {
  objectName: string;
  objectType: ObjectType;
  /** "" = latest. */
  objectVersion: string;
  /** "" = none. */
  objectAlias: string;
  /** 0 or 1 = current version only; N > 1 = N newest versions, addressed `<name>/<i>`. */
  objectVersionHistory: number;
  /** Default pem. */
  objectFormat: ObjectFormat;
  /** Default utf-8. */
  objectEncoding: ObjectEncoding;
}

/** A validated SecretProviderClass (azure provider). */
export interface ValidSpc {
  name: string;
  namespace: string;
  uid: string;
  generation: number;
  keyvaultName: string;
  tenantId: string;
  clientId: string;
  objects: SpcObject[];
}

/** One validated `secretObject.data` entry. */
export interface DataItem {
  sourcePath: string;
  targetKey: string;
}

/** A validated SecretSync. */
export interface ValidSecretSync {
  name: string;
  namespace: string;
  uid: string;
  generation: number;
  serviceAccountName: string;
  secretProviderClassName: string;
  /** Default Opaque. */
  secretType: string;
  data: DataItem[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** "" when unset. */
  forceSynchronization: string;
  /** "" when unset. */
  secretSyncControllerName: string;
}
