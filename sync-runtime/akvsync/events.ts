/**
 * Which Events one AKVSync reconcile writes on the AKVSync (pure): the generated objects it created, the ones it
 * removed, and a Warning when the Valid condition turned False or its message changed.
 */
import { AkvConditionType, AkvEventReason, AkvReason } from "./constants.ts";
import type { AkvPlan } from "./plan.ts";
import type { AkvSyncStatus } from "./types.ts";

/** One Event to write. */
export interface AkvEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

const WARNING_REASON: Readonly<Record<string, string>> = {
  [AkvReason.notOwned]: AkvEventReason.conflict,
  [AkvReason.secretTypeImmutable]: AkvEventReason.immutable,
  [AkvReason.applyFailed]: AkvEventReason.applyFailed,
};

/** The Events of one reconcile, given the status before and after and the objects it created (pure). */
export function akvSyncEvents(
  plan: AkvPlan,
  previous: AkvSyncStatus | undefined,
  next: AkvSyncStatus,
  created: readonly string[],
): AkvEvent[] {
  const events: AkvEvent[] = [];
  if (created.length > 0)
    events.push({
      type: "Normal",
      reason: AkvEventReason.generated,
      message: `created ${created.join(", ")}`,
    });
  if (plan.delete.length > 0) {
    events.push({
      type: "Normal",
      reason: AkvEventReason.removed,
      message: `deleted ${plan.delete.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")} (no longer in spec.objects)`,
    });
  }
  const valid = next.conditions?.find((c) => c.type === AkvConditionType.valid);
  const before = previous?.conditions?.find((c) => c.type === AkvConditionType.valid);
  if (
    valid &&
    valid.status === "False" &&
    (before?.message !== valid.message || before.status !== valid.status)
  ) {
    events.push({
      type: "Warning",
      reason: WARNING_REASON[valid.reason] ?? AkvEventReason.invalid,
      message: valid.message,
    });
  }
  return events;
}
