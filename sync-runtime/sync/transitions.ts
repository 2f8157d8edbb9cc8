/**
 * Which reconcile outcomes are condition transitions (pure). A transition is a change of the Ready reason or of the
 * message class — for provider failures the kinds of failure behind it (AccessDenied, Throttled, Unavailable, …;
 * an open circuit or a paused identity counts as the failure that caused it, so a vault outage does not flap
 * between "Unavailable" and "circuit open"). Each transition is reported by exactly one Event; repeats of the same
 * condition are folded into that Event's count (written when the count doubles, and when the condition ends), so
 * a long outage costs a handful of Event writes instead of one per retry.
 */
import type { ProviderErrorInfo } from "../vault/types.ts";
import { ProviderErrorKind } from "../vault/types.ts";
import type { ItemOutcome } from "./resolve.ts";
import { localRefusalRetryMs } from "./schedule.ts";

/** Message class of a failed item whose content (not the vault) was the problem. */
export const CONTENT_FAILURE_CLASS = "Content";

/** The failure kind a status reports for a provider failure: the cause behind a locally refused request. */
export function rootFailureKind(info: ProviderErrorInfo | undefined): string {
  if (!info) return ProviderErrorKind.internal;
  return info.kind === ProviderErrorKind.circuitOpen && info.underlying ? info.underlying.kind : info.kind;
}

/** The message class of a reconcile's item outcomes: the sorted failure kinds of its failed items ("" = none). */
export function failureClass(outcomes: readonly ItemOutcome[]): string {
  const kinds = new Set<string>();
  for (const o of outcomes) {
    if (!o.ok) kinds.add(o.kind === "content" ? CONTENT_FAILURE_CLASS : rootFailureKind(o.provider));
  }
  return [...kinds].sort().join(",");
}

/**
 * What a reconcile's item outcomes say beyond the status (pure): the message class (for Events) and, when every
 * failed item was refused by the runtime itself, exactly when to try again (schedule.ts).
 */
export function outcomeHints(outcomes: readonly ItemOutcome[]): {
  messageClass: string;
  exactRetryMs?: number;
} {
  const exactRetryMs = localRefusalRetryMs(outcomes.flatMap((o) => (o.ok ? [] : [o.provider])));
  return { messageClass: failureClass(outcomes), ...(exactRetryMs !== undefined ? { exactRetryMs } : {}) };
}

/** What the runtime remembers about the condition last reported for one SecretSync. */
export interface EventMemory {
  /** `reason/class` of the reported condition. */
  key: string;
  /** The Event that reported it; undefined when its write failed. */
  eventName?: string;
  /** Reconciles that ended in this condition (1 = the transition itself). */
  count: number;
  /** The count the Event shows. */
  reported: number;
}

/** What to do about Events after one reconcile. */
export type EventAction =
  /** A transition (or a Secret write): one new Event. */
  | { kind: "emit" }
  /** The same condition again: count it; `update` = write the count into the Event now. */
  | { kind: "repeat"; update: boolean }
  /** Nothing to report (a steady success, or the condition a restarted runtime finds already reported). */
  | { kind: "none" };

/** Inputs of {@link eventAction}. */
export interface EventInput {
  /** `reason/class` of this reconcile's outcome ({@link transitionKey}). */
  key: string;
  /** The Ready reason the status showed before this reconcile (survives restarts; the class does not). */
  previousReason: string | undefined;
  /** The Ready reason now. */
  reason: string;
  /** A Secret write happened (always reported). */
  written: boolean;
  /** The outcome is a failure or a partial sync (its repeats are counted). */
  warning: boolean;
}

/** `reason/class`. */
export function transitionKey(reason: string, messageClass: string): string {
  return `${reason}/${messageClass}`;
}

/** Decides the Event work of one reconcile (pure). */
export function eventAction(last: EventMemory | undefined, input: EventInput): EventAction {
  if (input.written) return { kind: "emit" };
  if (!last) {
    // A restarted runtime has no memory: a condition the status already shows was reported before the restart.
    return input.previousReason === input.reason ? { kind: "none" } : { kind: "emit" };
  }
  if (last.key !== input.key) return { kind: "emit" };
  if (!input.warning) return { kind: "none" };
  return { kind: "repeat", update: last.count + 1 >= 2 * last.reported };
}
