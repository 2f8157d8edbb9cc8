/**
 * Pure status computation: the next SecretSync status from the previous one and a reconcile outcome, and the
 * diff that decides whether it must be written (conditions compare without their timestamps).
 */
import { jsonDiffers } from "../canonical-json.ts";
import { ConditionType } from "../constants.ts";
import type { Reason } from "../constants.ts";
import type { Condition, SecretSyncStatus, SyncedObjectVersion } from "./types.ts";

/** What a reconcile concluded, as far as status is concerned. */
export type StatusOutcome =
  | {
      kind: "success";
      /** False for PartialSync. */
      ready: boolean;
      reason: Reason;
      message: string;
      syncHash: string;
      objects: SyncedObjectVersion[];
      /** A Secret write happened (or the hash changed): lastSuccessfulSyncTime moves. */
      synced: boolean;
      /** The write created the Secret. */
      created: boolean;
    }
  | { kind: "failure"; reason: Reason; message: string };

/** Sets a condition, keeping lastTransitionTime when status/reason/message are unchanged (pure). */
export function setCondition(
  conditions: readonly Condition[],
  next: Omit<Condition, "lastTransitionTime">,
  now: Date,
): Condition[] {
  const existing = conditions.find((c) => c.type === next.type);
  const same =
    existing &&
    existing.status === next.status &&
    existing.reason === next.reason &&
    existing.message === next.message &&
    existing.observedGeneration === next.observedGeneration;
  const condition: Condition = same ? existing : { ...next, lastTransitionTime: now.toISOString() };
  const others = conditions.filter((c) => c.type !== next.type);
  return [...others, condition].sort((a, b) => a.type.localeCompare(b.type));
}

/** Finds a condition by type. */
export function conditionOf(status: SecretSyncStatus | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/** The status after a failure (pure): Ready=False, and SecretCreated or SecretUpdated=False with the reason. */
function failureStatus(
  prev: SecretSyncStatus,
  outcome: Extract<StatusOutcome, { kind: "failure" }>,
  generation: number,
  now: Date,
): SecretSyncStatus {
  const failed = { status: "False" as const, reason: outcome.reason, message: outcome.message };
  let conditions = setCondition(
    prev.conditions ?? [],
    { type: ConditionType.ready, ...failed, observedGeneration: generation },
    now,
  );
  const created = conditionOf(prev, ConditionType.created);
  const type = created?.status === "True" ? ConditionType.updated : ConditionType.created;
  conditions = setCondition(conditions, { type, ...failed, observedGeneration: generation }, now);
  return { ...prev, conditions, observedGeneration: generation };
}

/**
 * The next status (pure). A steady success (Ready already True, same hash, no write) returns the previous
 * status unchanged, so a no-op refresh writes nothing.
 */
export function nextStatus(
  previous: SecretSyncStatus | undefined,
  outcome: StatusOutcome,
  generation: number,
  now: Date,
): SecretSyncStatus {
  const prev = previous ?? {};
  if (outcome.kind === "failure") return failureStatus(prev, outcome, generation, now);
  let conditions = prev.conditions ?? [];
  const ready = conditionOf(prev, ConditionType.ready);
  const created = conditionOf(prev, ConditionType.created);
  const steady =
    !outcome.synced &&
    prev.syncHash === outcome.syncHash &&
    ready?.status === "True" &&
    outcome.ready &&
    ready.observedGeneration === generation &&
    // A SecretCreated=False left by an earlier failure (or a lost status write) must not outlive the Secret.
    created?.status === "True";
  if (steady) return prev;
  const status = outcome.ready ? "True" : "False";
  conditions = setCondition(
    conditions,
    {
      type: ConditionType.ready,
      status,
      reason: outcome.reason,
      message: outcome.message,
      observedGeneration: generation,
    },
    now,
  );
  // The Secret exists now: SecretCreated reports this outcome until it has once been True (the write that created
  // it may have been another attempt's, whose status write was lost), then SecretUpdated carries each update.
  const createdPending = outcome.created || created?.status !== "True";
  conditions = setCondition(
    conditions,
    {
      type: createdPending ? ConditionType.created : ConditionType.updated,
      status,
      reason: outcome.reason,
      message: outcome.message,
      observedGeneration: generation,
    },
    now,
  );
  const next: SecretSyncStatus = {
    ...prev,
    syncHash: outcome.syncHash,
    conditions,
    objects: outcome.objects,
    observedGeneration: generation,
  };
  if (outcome.synced || prev.syncHash !== outcome.syncHash || !prev.lastSuccessfulSyncTime) {
    next.lastSuccessfulSyncTime = now.toISOString();
  }
  return next;
}

/** True when the status must be written (pure). */
export function statusChanged(previous: SecretSyncStatus | undefined, next: SecretSyncStatus): boolean {
  return jsonDiffers(previous ?? {}, next);
}

/** The Ready reason of a status, if any. */
export function readyReason(status: SecretSyncStatus | undefined): string | undefined {
  return conditionOf(status, ConditionType.ready)?.reason;
}
