/**
 * Pure reconcile plan of one AKVSync: which generated objects to apply, which owned objects to delete, and
 * which items cannot be served (invalid, not owned, immutable type change). It never plans a write to an object
 * this AKVSync does not own, and never prunes objects of an item it cannot judge (an invalid item keeps what was
 * generated for it before).
 */
import { AkvReason, GeneratedAnnotation, ItemState } from "./constants.ts";
import type { GeneratedObject, ItemExpansion } from "./expand.ts";
import type { AkvValidation } from "./validate.ts";
import type { ItemState as ItemStateType } from "./constants.ts";
import type { ObjectMeta } from "./types.ts";

/** An existing SecretProviderClass or SecretSync in the AKVSync's namespace, as listed. */
export interface ExistingObject {
  kind: "SecretProviderClass" | "SecretSync";
  metadata: ObjectMeta;
  /** For SecretSyncs: `spec.secretObject.type` (to enforce immutability). */
  secretType?: string;
}

/** What the plan decided for an item that will not be applied this time. */
export interface BlockedItem {
  index: number;
  state: ItemStateType;
  reason: string;
  message: string;
  secretNames: string[];
}

/** Outcome of {@link planAkvSync}. */
export interface AkvPlan {
  /** Objects to server-side apply, SecretProviderClasses before SecretSyncs. */
  apply: GeneratedObject[];
  /** Owned objects no item wants any more. */
  delete: ExistingObject[];
  /** Items that are applied (their status comes from their SecretSyncs). */
  applied: ItemExpansion[];
  /** Items not applied, with why. */
  blocked: BlockedItem[];
  /** Set when pruning was skipped, with why. */
  pruneSkipped?: string;
}

/** True when `uid` is the controller owner of the object. */
export function isOwnedBy(metadata: ObjectMeta, uid: string): boolean {
  return (metadata.ownerReferences ?? []).some((ref) => ref.uid === uid && ref.controller === true);
}

function describeOwner(metadata: ObjectMeta): string {
  const controller = (metadata.ownerReferences ?? []).find((ref) => ref.controller === true);
  return controller ? `owned by ${controller.kind} "${controller.name}"` : "not owned by any controller";
}

const key = (kind: string, name: string) => `${kind}/${name}`;

function blockReason(
  expansion: ItemExpansion,
  existing: ReadonlyMap<string, ExistingObject>,
  uid: string,
): Omit<BlockedItem, "index" | "secretNames"> | undefined {
  const generated = [expansion.secretProviderClass, ...expansion.secretSyncs];
  for (const object of generated) {
    const found = existing.get(key(object.kind, object.metadata.name));
    if (found && !isOwnedBy(found.metadata, uid)) {
      return {
        state: ItemState.conflict,
        reason: AkvReason.notOwned,
        message:
          `${object.kind} "${object.metadata.name}" already exists and is ${describeOwner(found.metadata)}; ` +
          "it is left untouched: choose another kubernetesSecretName or delete that object",
      };
    }
  }
  for (const object of expansion.secretSyncs) {
    const found = existing.get(key(object.kind, object.metadata.name));
    const desiredType = (object.spec.secretObject as { type: string }).type;
    if (found?.secretType !== undefined && found.secretType !== desiredType) {
      return {
        state: ItemState.invalid,
        reason: AkvReason.secretTypeImmutable,
        message:
          `spec.objects[${expansion.index}].kubernetesSecretType cannot change from "${found.secretType}" to ` +
          `"${desiredType}" for Secret "${object.metadata.name}" (a Secret's type is immutable); keep the old type, ` +
          "or remove the item (the Secret is then deleted) and add it back with the new type or another name",
      };
    }
  }
  return undefined;
}

/** Plans one reconcile of an AKVSync whose controller uid is `uid`. */
export function planAkvSync(
  uid: string,
  validation: AkvValidation,
  expansions: readonly ItemExpansion[],
  existingObjects: readonly ExistingObject[],
): AkvPlan {
  const existing = new Map(existingObjects.map((object) => [key(object.kind, object.metadata.name), object]));
  const blocked: BlockedItem[] = validation.invalid.map((item) => ({
    index: item.index,
    state: ItemState.invalid,
    reason: AkvReason.validationFailed,
    message: item.issues.map((issue) => `${issue.path} ${issue.message}`).join("; "),
    secretNames: item.claimedSecretNames,
  }));
  const applied: ItemExpansion[] = [];
  const wanted = new Set<string>();
  for (const expansion of expansions) {
    for (const object of [expansion.secretProviderClass, ...expansion.secretSyncs]) {
      wanted.add(key(object.kind, object.metadata.name));
    }
    const reason = blockReason(expansion, existing, uid);
    if (reason) {
      blocked.push({
        index: expansion.index,
        ...reason,
        secretNames: expansion.secretSyncs.map((s) => s.metadata.name),
      });
    } else {
      applied.push(expansion);
    }
  }
  blocked.sort((a, b) => a.index - b.index);
  const apply = [
    ...applied.map((expansion) => expansion.secretProviderClass),
    ...applied.flatMap((expansion) => expansion.secretSyncs),
  ];
  if (validation.spec === undefined) {
    return {
      apply: [],
      delete: [],
      applied: [],
      blocked,
      pruneSkipped: "the spec's top-level fields are invalid",
    };
  }
  const unknownName = validation.invalid.find((item) => !item.nameKnown);
  if (unknownName) {
    return {
      apply,
      delete: [],
      applied,
      blocked,
      pruneSkipped: `spec.objects[${unknownName.index}] is invalid and its Secret name cannot be told`,
    };
  }
  const keptBaseNames = new Set(validation.invalid.flatMap((item) => item.claimedSecretNames));
  const toDelete = existingObjects.filter(
    (object) =>
      isOwnedBy(object.metadata, uid) &&
      !wanted.has(key(object.kind, object.metadata.name)) &&
      !keptBaseNames.has(object.metadata.annotations?.[GeneratedAnnotation.secretName] ?? ""),
  );
  return { apply, delete: toDelete, applied, blocked };
}

/** The plan after item `index`'s objects could not be applied: the item moves from applied to blocked (pure). */
export function withApplyFailure(plan: AkvPlan, index: number, message: string): AkvPlan {
  const failed = plan.applied.find((expansion) => expansion.index === index);
  if (!failed) return plan;
  const blocked: BlockedItem = {
    index,
    state: ItemState.failed,
    reason: AkvReason.applyFailed,
    message,
    secretNames: failed.secretSyncs.map((s) => s.metadata.name),
  };
  return {
    ...plan,
    applied: plan.applied.filter((expansion) => expansion !== failed),
    blocked: [...plan.blocked, blocked].sort((a, b) => a.index - b.index),
  };
}
