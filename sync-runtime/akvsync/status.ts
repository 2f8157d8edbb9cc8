/**
 * Pure aggregation of an AKVSync's status from its plan and the status of the SecretSyncs derived from it, so
 * `kubectl describe akvsync` answers "is everything synced, and if not why" on its own.
 */
import { SUCCESS_REASONS } from "../constants.ts";
import type { Reason } from "../constants.ts";
import { AkvConditionType, AkvReason, ItemState } from "./constants.ts";
import type { AkvPlan } from "./plan.ts";
import type { AkvSyncStatus, Condition, ItemStatus } from "./types.ts";
import type { ValidationIssue } from "./types.ts";

/** The parts of a SecretSync's status the aggregation reads. */
export interface SecretSyncState {
  name: string;
  generation?: number;
  status?: {
    conditions?: Array<Partial<Condition>>;
    /** Key Vault object versions in the Secret now (`[{id, version}]`), when the runtime reports them. */
    objects?: Array<{ id?: string; version?: string }>;
    lastSuccessfulSyncTime?: string;
  };
}

/** Most failing items listed in a condition message before it says "and N more". */
export const MAX_LISTED = 5;

type Judged = { state: ItemState; reason: string; message: string };

function isStale(condition: Partial<Condition>, generation: number | undefined): boolean {
  return (
    condition.observedGeneration !== undefined &&
    generation !== undefined &&
    condition.observedGeneration < generation
  );
}

const STALE: Judged = {
  state: ItemState.pending,
  reason: AkvReason.pending,
  message: "spec changed; waiting for the next sync",
};

function judgeReady(ready: Partial<Condition>, generation: number | undefined): Judged {
  if (isStale(ready, generation)) return STALE;
  const state =
    ready.status === "True"
      ? ItemState.synced
      : ready.status === "False"
        ? ItemState.failed
        : ItemState.pending;
  return { state, reason: ready.reason ?? "", message: ready.message ?? "" };
}

/** The state of one SecretSync, judged from its conditions. */
export function judgeSecretSync(sync: SecretSyncState | undefined): {
  state: ItemState;
  reason: string;
  message: string;
} {
  if (sync === undefined)
    return { state: ItemState.pending, reason: AkvReason.pending, message: "SecretSync not created yet" };
  const conditions = (sync.status?.conditions ?? []).filter(
    (c) => c.type !== undefined && c.reason !== undefined,
  );
  if (conditions.length === 0)
    return { state: ItemState.pending, reason: AkvReason.pending, message: "not synced yet" };
  // keyfleet's runtime summarises the latest reconcile in a Ready condition; upstream-style objects have only
  // SecretCreated/SecretUpdated, judged by the newest of them.
  const ready = conditions.find((c) => c.type === "Ready");
  if (ready) return judgeReady(ready, sync.generation);
  // The newest condition wins; on a tie a failure wins over a success.
  const latest = [...conditions].sort((a, b) => {
    const byTime = (b.lastTransitionTime ?? "").localeCompare(a.lastTransitionTime ?? "");
    return byTime !== 0 ? byTime : (a.status === "False" ? -1 : 0) - (b.status === "False" ? -1 : 0);
  })[0]!;
  const reason = latest.reason ?? "";
  const message = latest.message ?? "";
  if (isStale(latest, sync.generation)) return STALE;
  if (latest.status === "True" && SUCCESS_REASONS.has(reason as Reason))
    return { state: ItemState.synced, reason, message };
  if (latest.status === "False") return { state: ItemState.failed, reason, message };
  return { state: ItemState.pending, reason: reason || AkvReason.pending, message };
}

const RANK: Record<ItemState, number> = { Invalid: 4, Conflict: 3, Failed: 2, Pending: 1, Synced: 0 };

function condition(
  type: string,
  ok: boolean,
  reason: string,
  message: string,
  now: string,
  generation?: number,
): Condition {
  return {
    type,
    status: ok ? "True" : "False",
    reason,
    message,
    lastTransitionTime: now,
    observedGeneration: generation,
  };
}

function listed(parts: string[]): string {
  const shown = parts.slice(0, MAX_LISTED).join("; ");
  return parts.length > MAX_LISTED ? `${shown}; and ${parts.length - MAX_LISTED} more` : shown;
}

/** Keeps `lastTransitionTime` of conditions whose status did not change. */
export function mergeConditions(
  previous: readonly Condition[] | undefined,
  next: readonly Condition[],
): Condition[] {
  return next.map((cond) => {
    const before = previous?.find((p) => p.type === cond.type);
    return before && before.status === cond.status
      ? { ...cond, lastTransitionTime: before.lastTransitionTime }
      : cond;
  });
}

/** Inputs of {@link aggregateStatus}. */
export interface AggregateInput {
  plan: AkvPlan;
  specIssues: readonly ValidationIssue[];
  /** Derived SecretSyncs by name, as last read. */
  secretSyncs: ReadonlyMap<string, SecretSyncState>;
  generation?: number;
  previous?: AkvSyncStatus;
  /** ISO time used for new transitions. */
  now: string;
}

/** Builds the whole status. */
export function aggregateStatus(input: AggregateInput): AkvSyncStatus {
  const { plan, now, generation } = input;
  const items: ItemStatus[] = plan.blocked.map((blocked) => ({
    index: blocked.index,
    secretNames: blocked.secretNames,
    state: blocked.state,
    reason: blocked.reason,
    message: blocked.message,
  }));
  let synced = 0;
  let total = 0;
  for (const expansion of plan.applied) {
    const names = expansion.secretSyncs.map((s) => s.metadata.name);
    const judged = names.map((name) => ({ name, ...judgeSecretSync(input.secretSyncs.get(name)) }));
    total += judged.length;
    synced += judged.filter((j) => j.state === ItemState.synced).length;
    const worst = judged.reduce((a, b) => (RANK[b.state] > RANK[a.state] ? b : a));
    const versions = names.flatMap((name) =>
      (input.secretSyncs.get(name)?.status?.objects ?? [])
        .filter((o) => o.id !== undefined && o.version !== undefined)
        .map((o) => ({ secretName: name, id: o.id!, version: o.version! })),
    );
    items.push({
      index: expansion.index,
      secretNames: names,
      secretProviderClassName: expansion.secretProviderClass.metadata.name,
      state: worst.state,
      reason: worst.reason,
      message:
        judged.length > 1 && worst.state !== ItemState.synced
          ? `${worst.name}: ${worst.message}`
          : worst.message,
      versions: versions.length > 0 ? versions : undefined,
    });
  }
  items.sort((a, b) => a.index - b.index);
  for (const item of items)
    if (item.state !== ItemState.synced && !plan.applied.some((e) => e.index === item.index))
      total += Math.max(1, item.secretNames.length);

  const specProblems = input.specIssues.map((issue) => `${issue.path} ${issue.message}`);
  const blockedProblems = plan.blocked.map((b) => `spec.objects[${b.index}]: ${b.reason}: ${b.message}`);
  const valid =
    specProblems.length === 0 && blockedProblems.length === 0
      ? condition(
          AkvConditionType.valid,
          true,
          AkvReason.applied,
          `${plan.apply.length} generated objects applied`,
          now,
          generation,
        )
      : condition(
          AkvConditionType.valid,
          false,
          specProblems.length > 0 ? AkvReason.validationFailed : plan.blocked[0]!.reason,
          listed([...specProblems, ...blockedProblems]),
          now,
          generation,
        );
  const notSynced = items.filter((item) => item.state !== ItemState.synced);
  const failing = notSynced.filter((item) => item.state !== ItemState.pending);
  const ready =
    notSynced.length === 0 && specProblems.length === 0
      ? condition(
          AkvConditionType.ready,
          true,
          AkvReason.allSynced,
          `${synced}/${total} Secrets synced`,
          now,
          generation,
        )
      : condition(
          AkvConditionType.ready,
          false,
          failing.length > 0 || specProblems.length > 0 ? AkvReason.notAllSynced : AkvReason.pending,
          specProblems.length > 0
            ? "nothing is generated until the spec is valid"
            : `${synced}/${total} Secrets synced; ` +
                listed(
                  notSynced.map(
                    (item) =>
                      `${item.secretNames.join(",") || `spec.objects[${item.index}]`}: ${item.reason}`,
                  ),
                ),
          now,
          generation,
        );
  return {
    observedGeneration: generation,
    syncedSecrets: `${synced}/${total}`,
    conditions: mergeConditions(input.previous?.conditions, [valid, ready]),
    objects: items,
  };
}
