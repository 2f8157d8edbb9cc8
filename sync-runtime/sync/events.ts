/**
 * Writes the SecretSync's Events: one per condition transition or Secret write, repeats folded into the Event's
 * count (transitions.ts decides; this class does the two Kubernetes calls). A failed Event write is logged, never
 * retried: the status already carries the condition.
 */
import type { Logger } from "pino";
import { dateOf } from "../clock.ts";
import type { Clock } from "../clock.ts";
import type { EventSubject } from "../kube/events.ts";
import { eventAction } from "./transitions.ts";
import type { EventInput, EventMemory } from "./transitions.ts";

/** The Kubernetes calls Events need (KubeClient implements them). */
export interface EventKube {
  /** Creates an Event; resolves with its name, or undefined when the write failed. */
  emitEvent(
    subject: EventSubject,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
  ): Promise<string | undefined>;
  /** Sets an Event's `count` and `lastTimestamp`; false when that failed (e.g. the Event expired). */
  updateEventCount(namespace: string, name: string, count: number, lastTimestamp: Date): Promise<boolean>;
}

/** One reconcile's Event inputs: the transition inputs plus what an Event says. */
export interface ReportInput extends EventInput {
  type: "Normal" | "Warning";
  message: string;
}

/** See module doc. */
export class SyncEvents {
  private readonly kube: EventKube;
  private readonly logger: Logger;
  private readonly clock: Clock;

  constructor(kube: EventKube, logger: Logger, clock: Clock) {
    this.kube = kube;
    this.logger = logger;
    this.clock = clock;
  }

  /** Reports one reconcile's outcome; `memory.events` is the SecretSync's Event memory (updated in place). */
  async report(subject: EventSubject, memory: { events?: EventMemory }, input: ReportInput): Promise<void> {
    const last = memory.events;
    const action = eventAction(last, input);
    if (action.kind === "none") {
      memory.events ??= { key: input.key, count: 1, reported: 1 };
      return;
    }
    if (action.kind === "repeat" && last) {
      last.count += 1;
      if (action.update) await this.writeCount(subject.namespace, last);
      return;
    }
    // The condition being left gets its final count first, so `kubectl describe` shows how long it lasted.
    if (last) await this.writeCount(subject.namespace, last);
    const name = await this.kube.emitEvent(subject, input.type, input.reason, input.message);
    if (name === undefined) {
      this.logger.warn(
        { secretSync: `${subject.namespace}/${subject.name}`, reason: input.reason },
        "event write failed",
      );
    }
    memory.events = {
      key: input.key,
      eventName: name,
      count: 1,
      reported: 1,
    };
  }

  private async writeCount(namespace: string, memory: EventMemory): Promise<void> {
    if (memory.eventName === undefined || memory.count === memory.reported) return;
    const written = await this.kube.updateEventCount(
      namespace,
      memory.eventName,
      memory.count,
      dateOf(this.clock),
    );
    memory.reported = memory.count;
    // An Event that cannot be updated is gone (Events expire after an hour): stop trying.
    if (!written) delete memory.eventName;
  }
}
