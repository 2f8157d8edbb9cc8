/**
 * Writes core/v1 Events on objects. Messages must already be value-free (callers pass names and versions only).
 * A failed Event write is logged and never fails the caller: Events are best-effort in Kubernetes too.
 */
import type { Logger } from "pino";
import type { KubeClient } from "../kube/client.ts";

/** The object an Event is about. */
export interface EventTarget {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
}

/** Records Events. */
export interface EventSink {
  emit(target: EventTarget, type: "Normal" | "Warning", reason: string, message: string): Promise<void>;
}

/** Kubernetes limits an Event message to 1 KiB in events.k8s.io; keep ours well inside. */
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
    target: EventTarget,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
  ): Promise<void> {
    const written = await this.kube.emitEvent(target, type, reason, message, this.component);
    if (!written)
      this.logger.warn(
        { kind: target.kind, name: target.name, namespace: target.namespace, reason },
        "event write failed",
      );
  }
}
