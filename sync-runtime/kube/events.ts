/**
 * Events on objects, through the runtime's KubeClient. Messages must already be value-free (callers pass names and
 * versions only; KubeClient.emitEvent caps their length). A failed Event write is logged and never fails the
 * caller: Events are best-effort in Kubernetes too. The SecretSync controller folds repeats into one Event on top
 * of this (sync/events.ts); the AKVSync and restart controllers write through {@link KubeEventSink}.
 */
import type { Logger } from "pino";
import type { KubeClient } from "./client.ts";

/** The object an Event is about. */
export interface EventSubject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
}

/** Records Events. */
export interface EventSink {
  emit(subject: EventSubject, type: "Normal" | "Warning", reason: string, message: string): Promise<void>;
}

/** Events through the runtime's KubeClient, from one component; a failed write is logged, never thrown. */
export class KubeEventSink implements EventSink {
  private readonly kube: KubeClient;
  private readonly component: string;
  private readonly logger: Logger;

  /** @param component `source.component` / `reportingComponent` of every Event. */
  constructor(kube: KubeClient, component: string, logger: Logger) {
    this.kube = kube;
    this.component = component;
    this.logger = logger;
  }

  async emit(
    subject: EventSubject,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
  ): Promise<void> {
    const written = await this.kube.emitEvent(subject, type, reason, message, this.component);
    if (!written)
      this.logger.warn(
        { kind: subject.kind, name: subject.name, namespace: subject.namespace, reason },
        "event write failed",
      );
  }
}
