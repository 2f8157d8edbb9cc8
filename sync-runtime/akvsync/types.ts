/** Shapes of the AKVSync custom resource and of its validated, normalised form. */
import type { ObjectMeta } from "../../common/vocabulary.ts";
import type { ItemState, SecretType } from "./constants.ts";

export type { ObjectMeta, OwnerReference } from "../../common/vocabulary.ts";

/**
 * `spec` of an AKVSync as stored (unvalidated: the controller validates it on every reconcile and the CRD
 * schema only checks types).
 */
export interface AkvSyncSpec {
  /** Key Vault name (3–24 characters). Required. */
  keyvaultName: string;
  /** Client id of the user-assigned managed identity used to read the vault. Required. */
  clientID: string;
  /** Entra ID tenant id. Required. */
  tenantID: string;
  /** ServiceAccount (same namespace) whose token is exchanged for the vault token. Required. */
  serviceAccountName: string;
  /** Copied to every generated SecretSync's `forceSynchronization`; change it to force a sync. Default: unset. */
  forceSynchronization?: string;
  /** What to sync; 1–100 items. */
  objects: unknown[];
}

/** An AKVSync as read from the API. */
export interface AkvSync {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: AkvSyncSpec;
  status?: AkvSyncStatus;
}

/** One object of the vault an item reads. */
export type VaultObjectKind = "secret" | "cert";

/** Common fields of every validated item. */
interface ValidItemBase {
  /** Position in `spec.objects`. */
  index: number;
  /** Kubernetes Secret name (for per-version tls items: the base of `<name>-vN`). */
  secretName: string;
  /** Kubernetes Secret type. Default Opaque. */
  secretType: SecretType;
  /** Labels for the Secret. Default none. */
  labels: Record<string, string>;
  /** Annotations for the Secret. Default none. */
  annotations: Record<string, string>;
}

/** `secretInAKV` or `certInAKV` item. */
export interface SingleObjectItem extends ValidItemBase {
  shape: "single";
  /** Which field named the object. */
  objectKind: VaultObjectKind;
  /** Key Vault object name. */
  objectName: string;
  /** Number of newest versions kept (keys v0..v(n-1)); undefined = only the latest, under the object's name. */
  versionHistory?: number;
}

/** One entry of a compound secret's `mapping`. */
export interface MappingEntry {
  dataKey: string;
  objectKind: VaultObjectKind;
  objectName: string;
  /** History index (0 = latest) or a pinned Key Vault version id. Default 0. */
  version: number | string;
}

/** A compound secret: several vault objects in one Kubernetes Secret. */
export interface CompoundItem extends ValidItemBase {
  shape: "compound";
  mapping: MappingEntry[];
}

/** A validated, normalised `spec.objects[]` item. */
export type ValidItem = SingleObjectItem | CompoundItem;

/** One validation problem: `path` is the full field path, e.g. `spec.objects[2].mapping[0].dataKey`. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** Per-item state in `status.objects[]`. */
export interface ItemStatus {
  /** Index in `spec.objects`. */
  index: number;
  /** Kubernetes Secret names this item produces (empty when invalid and the name is unknown). */
  secretNames: string[];
  /** Generated SecretProviderClass name, when generated. */
  secretProviderClassName?: string;
  state: ItemState;
  /** A SecretSync or AKVSync reason constant. */
  reason: string;
  /** Value-free explanation. */
  message: string;
  /** Key Vault object versions now in the Secrets (from the SecretSyncs' status), when known. */
  versions?: Array<{ secretName: string; id: string; version: string }>;
}

/** A status condition (metav1.Condition). */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** `status` of an AKVSync. */
export interface AkvSyncStatus {
  observedGeneration?: number;
  /** "synced/total" Secrets, for the printer column. */
  syncedSecrets?: string;
  conditions?: Condition[];
  objects?: ItemStatus[];
}
